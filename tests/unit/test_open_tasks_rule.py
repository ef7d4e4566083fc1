"""The open-tasks rule (domain/tasks.py): stored at an append and applied when read, it offers
exactly what the status view's `next_actions(state, now)` offers, at every moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import DomainError, Event, Partnership, decide, replay
from domain.deadlines import deadline_instant, has_passed
from domain.stages import Stage
from domain.tasks import days_left, offered_at, open_tasks, stage_deadline
from domain.view import next_actions
from tests.unit.strategies import (
    CONSULTATION_DEADLINE,
    DECISION_DEADLINE,
    ENDED_STAGES,
    LAST_STEP,
    OPEN_STAGES,
    START_TIMES,
    at_consultation,
    at_council_decision,
    at_exploratory_talks,
    at_launch_preparation,
    walk_steps,
)


@dataclass(frozen=True)
class Lifecycle:
    """A partnership's accepted events, the state they fold to, and when the last was taken."""

    events: list[Event]
    state: Partnership
    now: datetime


_STARTS = st.sampled_from([None, None, *OPEN_STAGES])
_DELAYS = st.sampled_from([0, 0, 30, 120, 300]).map(lambda days: timedelta(days=days))


@st.composite
def lifecycles(draw: st.DrawFn, max_steps: int = 25) -> Lifecycle:
    """A partnership walked through drawn steps (refused ones record nothing), from nothing or
    from a story at an open stage, until it ends or the walk's length is reached."""
    start = draw(_STARTS)
    if start is None:
        state, events, now = Partnership(), [], draw(START_TIMES)
    else:
        story = OPEN_STAGES[start]()
        state, events, now = story.state, list(story.events), LAST_STEP[start] + draw(_DELAYS)
    for _ in range(draw(st.integers(0, max_steps))):
        step = draw(walk_steps(state, now))
        now = step.at
        try:
            recorded = decide(state, step.command, step.actor, step.at)
        except DomainError:
            continue
        events.extend(recorded)
        state = replay(recorded, state)
        if state.stage is not None and state.stage.is_end:
            break
    return Lifecycle(events, state, now)


def moments_around(state: Partnership, now: datetime) -> list[datetime]:
    """`now`, and the instants either side of each deadline passing: where offers change."""
    moments = [now, now + timedelta(days=4000)]
    for deadline in (state.consultation_deadline, state.decision_deadline):
        if deadline is not None:
            passes = deadline_instant(deadline)
            moments += [passes - timedelta(microseconds=1), passes]
    return moments


def offered(state: Partnership, now: datetime) -> dict[str, list[str]]:
    """What the stored tasks offer at `now`, by role, as `next_actions` lists it."""
    by_role: dict[str, list[str]] = {role: [] for role in next_actions(state)}
    for task in open_tasks(state):
        if offered_at(task, now):
            by_role[task.role.value].append(task.update)
    return by_role


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lifecycle=lifecycles())
def test_the_stored_tasks_offer_at_every_moment_what_next_actions_offers(
    lifecycle: Lifecycle,
) -> None:
    state = lifecycle.state
    if state.stage is None or state.stage.is_end:
        assert open_tasks(state) == ()
        return
    for moment in moments_around(state, lifecycle.now):
        assert offered(state, moment) == next_actions(state, moment), moment


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lifecycle=lifecycles())
def test_every_task_races_its_stage_s_deadline(lifecycle: Lifecycle) -> None:
    deadline = stage_deadline(lifecycle.state)
    assert {task.deadline for task in open_tasks(lifecycle.state)} <= {deadline}


def test_a_partnership_not_yet_proposed_or_ended_has_no_open_task() -> None:
    assert open_tasks(Partnership()) == ()
    for build in ENDED_STAGES.values():
        assert open_tasks(build().state) == ()


def test_the_consultation_s_answers_close_with_it_but_closing_it_stays_open() -> None:
    tasks = {(t.role.value, t.update): t for t in open_tasks(at_consultation().state)}
    assert tasks[("member_state", "respond_to_consultation")].closes_on == CONSULTATION_DEADLINE
    assert tasks[("commission", "close_consultation")].closes_on is None
    assert tasks[("commission", "withdraw")].closes_on is None
    assert {t.deadline for t in tasks.values()} == {CONSULTATION_DEADLINE}


def test_the_council_s_decision_closes_with_the_decision_deadline() -> None:
    tasks = {(t.role.value, t.update): t for t in open_tasks(at_council_decision().state)}
    assert tasks[("presidency", "record_council_decision")].closes_on == DECISION_DEADLINE
    assert tasks[("presidency", "extend_decision_deadline")].closes_on == DECISION_DEADLINE


def test_a_stage_s_deadline_is_the_earliest_that_ends_it() -> None:
    assert stage_deadline(at_consultation().state) == CONSULTATION_DEADLINE
    assert stage_deadline(at_exploratory_talks().state) == DECISION_DEADLINE
    assert stage_deadline(at_council_decision().state) == DECISION_DEADLINE
    assert at_launch_preparation().stage is Stage.LAUNCH_PREPARATION
    assert stage_deadline(at_launch_preparation().state) is None
    assert stage_deadline(Partnership()) is None


def test_days_left_count_to_the_deadline_s_last_day_in_utc() -> None:
    deadline = date(2025, 4, 14)
    assert days_left(deadline, datetime(2025, 4, 4, 12, tzinfo=UTC)) == 10
    assert days_left(deadline, datetime(2025, 4, 14, 23, 59, tzinfo=UTC)) == 0
    assert days_left(deadline, datetime(2025, 4, 15, 0, 0, tzinfo=UTC)) == -1
    # 01:30 on the 15th two hours east of Greenwich is still the 14th in UTC.
    east = datetime(2025, 4, 15, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert days_left(deadline, east) == 0


_OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@given(
    deadline=st.dates(max_value=date(9999, 12, 30)),
    now=st.datetimes(
        min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=_OFFSETS
    ),
)
def test_a_deadline_has_days_left_exactly_until_it_has_passed(
    deadline: date, now: datetime
) -> None:
    assert (days_left(deadline, now) < 0) == has_passed(deadline, now)
