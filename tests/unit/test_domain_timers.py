"""The engine's own steps: which deadline-driven command is due at a moment, and when to wake.

The workflow loops on `due_command` and hands what it returns to `decide` as the engine, so
every due command must be accepted, and nothing may be due before `next_wakeup`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain import (
    SYSTEM_ACTOR,
    CloseConsultation,
    IssueDeadlineReminder,
    LapseDecisionDeadline,
    Partnership,
    Stage,
    deadline_instant,
    decide,
    reminder_instant,
    replay,
)
from domain.timers import armed_reminder, due_command, next_wakeup
from tests.unit.strategies import (
    COMMISSION,
    CONSULTATION_DEADLINE,
    DECISION_DEADLINE,
    ENDED_STAGES,
    PROPOSED,
    Story,
    answer,
    at,
    at_consultation,
    at_council_decision,
    at_launch_preparation,
    propose,
    rep,
)
from tests.unit.test_domain_properties import walk

TICK = timedelta(microseconds=1)


def test_nothing_is_due_and_nobody_wakes_before_a_proposal() -> None:
    assert next_wakeup(Partnership()) is None
    assert due_command(Partnership(), datetime(2030, 1, 1, tzinfo=UTC)) is None


def test_during_the_consultation_the_engine_wakes_to_close_it_at_its_deadline() -> None:
    state = at_consultation().state
    closing = deadline_instant(CONSULTATION_DEADLINE)

    assert next_wakeup(state) == closing
    assert due_command(state, closing - TICK) is None
    assert due_command(state, closing) == CloseConsultation()


def test_the_reminder_then_the_lapse_fall_due_while_the_council_has_not_decided() -> None:
    story = at_council_decision()
    reminder, lapse = reminder_instant(DECISION_DEADLINE), deadline_instant(DECISION_DEADLINE)

    assert next_wakeup(story.state) == reminder
    assert due_command(story.state, reminder - TICK) is None
    assert due_command(story.state, reminder) == IssueDeadlineReminder()
    story.do(IssueDeadlineReminder(), SYSTEM_ACTOR, reminder)
    assert next_wakeup(story.state) == lapse
    assert due_command(story.state, lapse - TICK) is None
    assert due_command(story.state, lapse) == LapseDecisionDeadline()


def test_a_reminder_overtaken_by_the_deadline_gives_way_to_the_lapse() -> None:
    state = at_council_decision().state

    assert due_command(state, deadline_instant(DECISION_DEADLINE)) == LapseDecisionDeadline()


def test_no_deadline_is_armed_once_the_council_has_decided_or_the_partnership_ended() -> None:
    assert next_wakeup(at_launch_preparation().state) is None
    for build in ENDED_STAGES.values():
        state = build().state
        assert next_wakeup(state) is None
        assert due_command(state, datetime(2099, 1, 1, tzinfo=UTC)) is None


def _drain(state: Partnership, now: datetime) -> Partnership:
    """Issue every due command at `now` as the workflow does; each must be accepted."""
    for _ in range(10):
        command = due_command(state, now)
        if command is None:
            return state
        state = replay(decide(state, command, SYSTEM_ACTOR, now), state)
    raise AssertionError("due commands kept coming")


@settings(max_examples=60, deadline=None)
@given(data=st.data(), wait=st.integers(0, 800))
def test_whatever_is_due_is_accepted_and_nothing_is_due_before_the_wake_up(
    data: st.DataObject, wait: int
) -> None:
    walked = walk(data.draw, lengths=st.integers(0, 40))
    state, now = walked.state, walked.now
    wake = next_wakeup(state)
    if wake is not None and wake > now:
        assert due_command(state, max(now, wake - TICK)) is None
    later = now + timedelta(days=wait)
    drained = _drain(state, later)
    assert due_command(drained, later) is None
    if drained.stage is not None and not drained.stage.is_end:
        again = next_wakeup(drained)
        assert again is None or again > later


def test_a_partnership_left_alone_closes_then_lapses() -> None:
    story = Story()
    story.do(propose(), COMMISSION, PROPOSED)
    story.do(answer("FR"), rep("FR"), at(2025, 3, 10))
    state = story.state
    moments = []
    now = PROPOSED
    while (wake := next_wakeup(state)) is not None:
        now = wake
        moments.append((now, due_command(state, now)))
        state = _drain(state, now)

    assert [type(c).__name__ for _, c in moments] == [
        "CloseConsultation",
        "IssueDeadlineReminder",
        "LapseDecisionDeadline",
    ]
    assert state.stage is Stage.LAPSED
    assert state.lapsed_on == date(2025, 12, 31)


ANY_DAY = st.one_of(st.dates(), st.sampled_from([date.min, date(1, 1, 13), date.max]))
ANY_INSTANT = st.one_of(
    st.datetimes(timezones=st.just(UTC)),
    st.sampled_from([datetime.min, datetime.max]).map(lambda d: d.replace(tzinfo=UTC)),
)


@settings(max_examples=300, deadline=None)
@given(
    stage=st.sampled_from(Stage),
    consultation_deadline=st.none() | ANY_DAY,
    decision_deadline=st.none() | ANY_DAY,
    reminded=st.lists(ANY_DAY, max_size=3),
    now=ANY_INSTANT,
)
def test_the_timers_answer_for_any_deadlines_and_any_instant(
    stage: Stage,
    consultation_deadline: date | None,
    decision_deadline: date | None,
    reminded: list[date],
    now: datetime,
) -> None:
    # Deadlines already in a store may predate today's bounds; the timers must still answer.
    state = Partnership(
        stage=stage,
        consultation_deadline=consultation_deadline,
        decision_deadline=decision_deadline,
        reminded_deadlines=tuple(reminded),
    )
    wake = next_wakeup(state)
    reminder = armed_reminder(state)
    due = due_command(state, now)

    if wake is None:
        assert due is None
        assert reminder is None
    else:
        assert wake.tzinfo is not None
        assert (due is not None) == (now >= wake)
        if reminder is not None:
            assert wake <= reminder
