"""Deadlines on recorded time: the consultation closing at its deadline, the decision
deadline's reminder, its extension and its lapse."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import (
    REMINDER_LEAD,
    Actor,
    CloseConsultation,
    DeadlineNotReached,
    ExtendDecisionDeadline,
    InvalidDeadline,
    InvalidInput,
    IssueDeadlineReminder,
    LapseDecisionDeadline,
    MilestoneKind,
    NotPermitted,
    Outcome,
    RecordCouncilDecision,
    Stage,
    WrongStage,
    deadline_instant,
    has_passed,
    reminder_instant,
)
from domain.deadlines import date_plus, default_decision_deadline
from domain.events import (
    ConsultationClosed,
    DecisionDeadlineExtended,
    DecisionDeadlineReminderIssued,
    PartnershipLapsed,
    PartnershipNotPursued,
)
from tests.unit.strategies import (
    COMMISSION,
    CONSULTATION_DEADLINE,
    DECISION_DEADLINE,
    OPEN_STAGES,
    OPERATOR,
    PRESIDENCY,
    PROPOSED,
    SYSTEM,
    Story,
    answer,
    at,
    at_consultation,
    at_council_decision,
    at_launch_preparation,
    propose,
    rep,
)

JUST_BEFORE_MIDNIGHT = timedelta(microseconds=1)


def test_a_deadline_passes_at_the_end_of_its_day_in_utc() -> None:
    day = date(2025, 12, 31)

    assert deadline_instant(day) == datetime(2026, 1, 1, tzinfo=UTC)
    assert not has_passed(day, datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC))
    assert has_passed(day, datetime(2026, 1, 1, tzinfo=UTC))


def test_the_reminder_is_due_fourteen_days_before_the_deadline_passes() -> None:
    assert timedelta(days=14) == REMINDER_LEAD
    assert reminder_instant(date(2025, 12, 31)) == datetime(2025, 12, 18, tzinfo=UTC)


# -- the consultation deadline ----------------------------------------------------------


def test_the_engine_closes_the_consultation_when_its_deadline_passes() -> None:
    story = at_consultation()
    [event] = story.do(CloseConsultation(), SYSTEM, deadline_instant(CONSULTATION_DEADLINE))

    assert isinstance(event, ConsultationClosed)
    assert event.by_deadline is True
    assert event.occurred_on == CONSULTATION_DEADLINE
    assert event.interested_member_states == ("ES", "FR", "PT")
    assert story.stage is Stage.AWAITING_TALKS_AUTHORISATION


def test_the_engine_cannot_close_the_consultation_before_its_deadline() -> None:
    at_consultation().reject(
        CloseConsultation(),
        SYSTEM,
        deadline_instant(CONSULTATION_DEADLINE) - JUST_BEFORE_MIDNIGHT,
        DeadlineNotReached,
        "the consultation deadline 2025-04-14 has not passed yet",
    )


def test_a_consultation_closed_at_its_deadline_without_interest_is_not_pursued() -> None:
    story = Story()
    story.do(propose(), COMMISSION, PROPOSED)
    events = story.do(CloseConsultation(), SYSTEM, deadline_instant(CONSULTATION_DEADLINE))

    assert [type(e) for e in events] == [ConsultationClosed, PartnershipNotPursued]
    assert story.stage is Stage.NOT_PURSUED


# -- the reminder -------------------------------------------------------------------------


def test_the_reminder_is_not_issued_before_it_is_due() -> None:
    at_council_decision().reject(
        IssueDeadlineReminder(),
        SYSTEM,
        reminder_instant(DECISION_DEADLINE) - JUST_BEFORE_MIDNIGHT,
        DeadlineNotReached,
        "the reminder for 2025-12-31 is due from 2025-12-18T00:00:00+00:00",
    )


def test_the_reminder_is_issued_fourteen_days_before_the_deadline() -> None:
    story = at_council_decision()
    [event] = story.do(IssueDeadlineReminder(), SYSTEM, reminder_instant(DECISION_DEADLINE))

    assert isinstance(event, DecisionDeadlineReminderIssued)
    assert event.deadline == DECISION_DEADLINE
    assert event.occurred_on == date(2025, 12, 18)
    assert story.state.reminded_deadlines == (DECISION_DEADLINE,)
    assert story.state.milestones[-1].kind is MilestoneKind.DEADLINE_REMINDER
    assert story.stage is Stage.COUNCIL_DECISION


def test_the_reminder_is_issued_once_per_deadline() -> None:
    story = at_council_decision()
    story.do(IssueDeadlineReminder(), SYSTEM, reminder_instant(DECISION_DEADLINE))
    story.reject(
        IssueDeadlineReminder(),
        SYSTEM,
        at(2025, 12, 20),
        InvalidInput,
        "the reminder for 2025-12-31 was already issued",
    )


def test_an_extension_re_arms_the_reminder_for_the_new_deadline() -> None:
    story = at_council_decision()
    story.do(IssueDeadlineReminder(), SYSTEM, reminder_instant(DECISION_DEADLINE))
    new_deadline = date(2026, 3, 31)
    story.do(
        ExtendDecisionDeadline(new_deadline=new_deadline, reason="More time"),
        PRESIDENCY,
        at(2025, 12, 20),
    )
    story.reject(
        IssueDeadlineReminder(),
        SYSTEM,
        reminder_instant(new_deadline) - JUST_BEFORE_MIDNIGHT,
        DeadlineNotReached,
        "the reminder for 2026-03-31 is due from 2026-03-18",
    )
    [event] = story.do(IssueDeadlineReminder(), SYSTEM, reminder_instant(new_deadline))

    assert isinstance(event, DecisionDeadlineReminderIssued)
    assert event.deadline == new_deadline
    assert story.state.reminded_deadlines == (DECISION_DEADLINE, new_deadline)
    kinds = [m.kind for m in story.state.milestones]
    assert kinds.count(MilestoneKind.DEADLINE_REMINDER) == 2


def test_no_reminder_once_the_deadline_has_passed() -> None:
    at_council_decision().reject(
        IssueDeadlineReminder(),
        SYSTEM,
        deadline_instant(DECISION_DEADLINE),
        InvalidDeadline,
        "the decision deadline 2025-12-31 has passed",
    )


def test_no_reminder_once_the_council_has_decided() -> None:
    at_launch_preparation().reject(
        IssueDeadlineReminder(),
        SYSTEM,
        reminder_instant(DECISION_DEADLINE),
        WrongStage,
        "at stage launch_preparation",
    )


@pytest.mark.parametrize("actor", [COMMISSION, PRESIDENCY, OPERATOR, rep("FR")], ids=str)
@pytest.mark.parametrize("command", [IssueDeadlineReminder(), LapseDecisionDeadline()], ids=repr)
def test_only_the_engine_issues_reminders_and_lapses(
    actor: Actor, command: IssueDeadlineReminder | LapseDecisionDeadline
) -> None:
    at_council_decision().reject(
        command,
        actor,
        deadline_instant(DECISION_DEADLINE),
        NotPermitted,
        f"{actor} may not",
        "only the engine itself (on a deadline) may",
    )


def test_the_presidency_cannot_close_the_consultation() -> None:
    at_consultation().reject(
        CloseConsultation(), PRESIDENCY, at(2025, 3, 20), NotPermitted, "only commission may"
    )


# -- extension ----------------------------------------------------------------------------


def test_the_presidency_extends_the_decision_deadline_before_it_passes() -> None:
    story = at_council_decision()
    now = deadline_instant(DECISION_DEADLINE) - JUST_BEFORE_MIDNIGHT
    [event] = story.do(
        ExtendDecisionDeadline(new_deadline=date(2026, 6, 30), reason="Council agenda full"),
        PRESIDENCY,
        now,
    )

    assert isinstance(event, DecisionDeadlineExtended)
    assert event.previous_deadline == DECISION_DEADLINE
    assert event.new_deadline == date(2026, 6, 30)
    assert event.reason == "Council agenda full"
    assert event.occurred_on == date(2025, 12, 31)
    assert story.state.decision_deadline == date(2026, 6, 30)
    assert story.stage is Stage.COUNCIL_DECISION


@pytest.mark.parametrize("stage", list(OPEN_STAGES)[:5])
def test_the_decision_deadline_may_be_extended_at_any_stage_before_the_decision(
    stage: Stage,
) -> None:
    story = OPEN_STAGES[stage]()
    story.do(
        ExtendDecisionDeadline(new_deadline=date(2026, 6, 30), reason="More time"),
        PRESIDENCY,
        at(2025, 10, 1),
    )

    assert story.state.decision_deadline == date(2026, 6, 30)
    assert story.stage is stage


def test_a_deadline_cannot_be_extended_after_it_passed() -> None:
    at_council_decision().reject(
        ExtendDecisionDeadline(new_deadline=date(2026, 6, 30), reason="Late"),
        PRESIDENCY,
        deadline_instant(DECISION_DEADLINE),
        InvalidDeadline,
        "the decision deadline 2025-12-31 has passed",
        "it can be extended only before it passes",
    )


@pytest.mark.parametrize("new_deadline", [DECISION_DEADLINE, date(2025, 12, 1)])
def test_an_extension_must_be_later_than_the_current_deadline(new_deadline: date) -> None:
    at_council_decision().reject(
        ExtendDecisionDeadline(new_deadline=new_deadline, reason="Odd"),
        PRESIDENCY,
        at(2025, 11, 1),
        InvalidDeadline,
        f"the new deadline {new_deadline.isoformat()} is not later than the current one "
        "(2025-12-31)",
        "give a date between 2026-01-01 and 2035-11-01",
    )


def test_the_commission_cannot_extend_the_decision_deadline() -> None:
    at_council_decision().reject(
        ExtendDecisionDeadline(new_deadline=date(2026, 6, 30), reason="x"),
        COMMISSION,
        at(2025, 11, 1),
        NotPermitted,
        "alice (commission) may not extend decision deadline",
        "only presidency may",
    )


def test_the_deadline_cannot_be_extended_once_the_council_decided() -> None:
    at_launch_preparation().reject(
        ExtendDecisionDeadline(new_deadline=date(2026, 6, 30), reason="x"),
        PRESIDENCY,
        at(2025, 11, 25),
        WrongStage,
        "at stage launch_preparation",
        "extend_decision_deadline is possible at: consultation, awaiting_talks_authorisation, "
        "exploratory_talks, report_due, council_decision",
    )


def test_an_extension_lets_the_council_decide_after_the_original_deadline() -> None:
    story = at_council_decision()
    story.do(
        ExtendDecisionDeadline(new_deadline=date(2026, 3, 31), reason="x"),
        PRESIDENCY,
        at(2025, 12, 1),
    )
    story.reject(
        LapseDecisionDeadline(),
        SYSTEM,
        deadline_instant(DECISION_DEADLINE),
        DeadlineNotReached,
        "the decision deadline 2026-03-31 has not passed",
    )
    story.do(
        RecordCouncilDecision(outcome=Outcome.INVITE_LAUNCH, decided_on=date(2026, 2, 1)),
        PRESIDENCY,
        at(2026, 2, 1),
    )

    assert story.stage is Stage.LAUNCH_PREPARATION


# -- lapse --------------------------------------------------------------------------------


def test_the_partnership_lapses_when_the_deadline_passes_without_a_decision() -> None:
    story = at_council_decision()
    [event] = story.do(LapseDecisionDeadline(), SYSTEM, deadline_instant(DECISION_DEADLINE))

    assert isinstance(event, PartnershipLapsed)
    assert event.deadline == DECISION_DEADLINE
    assert event.occurred_on == DECISION_DEADLINE
    assert story.stage is Stage.LAPSED
    assert story.state.lapsed_on == DECISION_DEADLINE
    assert story.state.milestones[-1].kind is MilestoneKind.LAPSE


def test_the_partnership_does_not_lapse_before_its_deadline_passes() -> None:
    at_council_decision().reject(
        LapseDecisionDeadline(),
        SYSTEM,
        deadline_instant(DECISION_DEADLINE) - JUST_BEFORE_MIDNIGHT,
        DeadlineNotReached,
        "the decision deadline 2025-12-31 has not passed",
    )


@pytest.mark.parametrize("stage", list(OPEN_STAGES)[:5])
def test_a_deadline_passing_before_any_decision_lapses_the_partnership(stage: Stage) -> None:
    story: Story = OPEN_STAGES[stage]()
    story.do(LapseDecisionDeadline(), SYSTEM, deadline_instant(DECISION_DEADLINE))

    assert story.stage is Stage.LAPSED


def test_no_lapse_once_the_council_invited_the_launch() -> None:
    at_launch_preparation().reject(
        LapseDecisionDeadline(),
        SYSTEM,
        deadline_instant(DECISION_DEADLINE),
        WrongStage,
        "at stage launch_preparation",
    )


def test_a_reminder_is_possible_during_the_consultation() -> None:
    story = at_consultation()
    story.do(IssueDeadlineReminder(), SYSTEM, reminder_instant(DECISION_DEADLINE))

    assert story.stage is Stage.CONSULTATION
    assert story.state.reminded_deadlines == (DECISION_DEADLINE,)


def test_answers_stay_open_until_the_last_moment_of_the_deadline_day() -> None:
    story = at_consultation()
    story.do(
        answer("IT"),
        rep("IT"),
        deadline_instant(CONSULTATION_DEADLINE) - JUST_BEFORE_MIDNIGHT,
    )

    assert "IT" in story.state.interested_member_states


# -- every date helper is total -------------------------------------------------------------
# They run on what is already recorded (status view, search attributes, timers), where an
# exception would fail the workflow's task for ever; so they answer for every date and instant.

FIRST_INSTANT = datetime.min.replace(tzinfo=UTC)
LAST_INSTANT = datetime.max.replace(tzinfo=UTC)
ANY_DAY = st.one_of(st.dates(), st.sampled_from([date.min, date(1, 1, 13), date.max]))


def test_the_last_day_of_the_calendar_passes_at_the_last_instant_datetime_can_hold() -> None:
    assert deadline_instant(date.max) == LAST_INSTANT
    assert deadline_instant(date(9999, 12, 30)) == datetime(9999, 12, 31, tzinfo=UTC)
    assert has_passed(date.max, LAST_INSTANT)
    assert not has_passed(date.max, LAST_INSTANT - JUST_BEFORE_MIDNIGHT)


def test_a_reminder_before_the_first_instant_is_held_at_it() -> None:
    assert reminder_instant(date.min) == FIRST_INSTANT
    assert reminder_instant(date(1, 1, 13)) == FIRST_INSTANT
    assert reminder_instant(date(1, 1, 14)) == datetime(1, 1, 1, tzinfo=UTC)


def test_a_default_decision_deadline_in_the_last_year_of_the_calendar_is_its_last_day() -> None:
    assert default_decision_deadline(date(9999, 1, 1), date.max) == date.max
    assert default_decision_deadline(date.max, date.max) == date.max


@given(ANY_DAY)
def test_a_deadline_passes_at_the_end_of_its_day_for_every_day_of_the_calendar(day: date) -> None:
    passes = deadline_instant(day)

    assert passes.tzinfo is UTC
    if day < date.max:
        assert passes == datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(days=1)
    assert not has_passed(day, passes - JUST_BEFORE_MIDNIGHT)
    assert has_passed(day, passes)


@given(ANY_DAY, ANY_DAY)
def test_a_later_deadline_passes_later(first: date, second: date) -> None:
    if first < second:
        assert deadline_instant(first) < deadline_instant(second)
        assert reminder_instant(first) <= reminder_instant(second)


@given(ANY_DAY)
def test_the_reminder_is_due_fourteen_days_before_the_deadline_or_at_the_first_instant(
    day: date,
) -> None:
    reminder = reminder_instant(day)

    assert reminder.tzinfo is UTC
    assert FIRST_INSTANT <= reminder <= deadline_instant(day)
    if reminder > FIRST_INSTANT:
        assert deadline_instant(day) - reminder == REMINDER_LEAD


ANY_OFFSET = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
ANY_INSTANT = st.one_of(
    st.datetimes(timezones=ANY_OFFSET),
    st.sampled_from([datetime.min, datetime.max]).flatmap(
        lambda d: ANY_OFFSET.map(lambda zone: d.replace(tzinfo=zone))
    ),
)


@given(ANY_DAY, ANY_INSTANT)
def test_whether_a_deadline_has_passed_is_known_at_every_instant(day: date, now: datetime) -> None:
    passed = has_passed(day, now)

    assert passed == (now >= deadline_instant(day))
    if passed:
        assert not now < deadline_instant(day)


@given(ANY_DAY, ANY_DAY)
def test_a_default_decision_deadline_is_a_31_december_no_earlier_than_the_consultation(
    start: date, consultation_deadline: date
) -> None:
    deadline = default_decision_deadline(start, consultation_deadline)

    assert (deadline.month, deadline.day) == (12, 31)
    assert deadline >= consultation_deadline
    assert deadline.year == max(start.year, consultation_deadline.year)


@given(ANY_DAY, st.one_of(st.timedeltas(), st.sampled_from([timedelta.min, timedelta.max])))
def test_adding_to_a_date_holds_at_the_ends_of_the_calendar(day: date, delta: timedelta) -> None:
    shifted = date_plus(day, delta)

    try:
        exact = day + delta
    except OverflowError:
        assert shifted == (date.max if delta > timedelta(0) else date.min)
    else:
        assert shifted == exact
