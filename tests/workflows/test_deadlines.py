"""Deadlines are durable timers: auto-close, the reminder, an extension and a lapse."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from domain.stages import Stage
from tests.workflows.harness import (
    COMMISSION,
    Harness,
    drive_to_council_decision,
    member,
    presidency,
    today,
)


async def test_the_consultation_closes_itself_at_its_deadline(harness: Harness) -> None:
    deadline = today() + timedelta(days=3)
    handle = await harness.propose("CV", consultation_deadline=deadline)
    await harness.update(
        handle,
        "respond_to_consultation",
        member("PT"),
        member_state="PT",
        position="interested",
    )
    await harness.skip(days=5)
    status = await harness.status(handle)
    assert status.stage is Stage.AWAITING_TALKS_AUTHORISATION
    closed = harness.events("CV")[-1]
    assert closed.type == "ConsultationClosed"
    assert closed.actor.role.value == "system"
    assert closed.occurred_on == deadline


async def test_a_consultation_closing_with_nobody_interested_is_not_pursued(
    harness: Harness,
) -> None:
    handle = await harness.propose("CV", consultation_deadline=today() + timedelta(days=1))
    result = await handle.result()
    assert result.stage is Stage.NOT_PURSUED


async def test_the_reminder_fires_fourteen_days_before_the_decision_deadline(
    harness: Harness,
) -> None:
    deadline = await harness.today() + timedelta(days=40)
    handle = await drive_to_council_decision(harness, "CV", ["ES"], decision_deadline=deadline)
    # The deadline passes at the end of its day, UTC; the reminder is due 14 days before that.
    passes = datetime.combine(deadline + timedelta(days=1), time.min, tzinfo=UTC)
    due = passes - timedelta(days=14)
    await harness.skip(days=(due - await harness.now()).total_seconds() / 86_400 - 1 / 1_440)
    assert "DecisionDeadlineReminderIssued" not in harness.event_types("CV"), "a minute early"
    await harness.skip(days=2 / 1_440)
    status = await harness.status(handle)
    assert status.stage is Stage.COUNCIL_DECISION
    assert [m.kind.value for m in status.milestones][-1] == "deadline_reminder"
    reminder = harness.events("CV")[-1]
    assert reminder.type == "DecisionDeadlineReminderIssued"
    assert due <= reminder.recorded_at < due + timedelta(minutes=2)
    assert reminder.occurred_on == due.date()


async def test_a_deadline_passing_without_a_decision_lapses(harness: Harness) -> None:
    deadline = today() + timedelta(days=20)
    handle = await drive_to_council_decision(harness, "CV", ["ES"], decision_deadline=deadline)
    result = await handle.result()
    assert result.stage is Stage.LAPSED
    assert harness.event_types("CV")[-2:] == [
        "DecisionDeadlineReminderIssued",
        "PartnershipLapsed",
    ]
    assert [m.kind.value for m in result.milestones][-2:] == ["deadline_reminder", "lapse"]


async def test_an_extension_moves_both_the_reminder_and_the_lapse(harness: Harness) -> None:
    first = today() + timedelta(days=30)
    handle = await drive_to_council_decision(harness, "CV", ["ES"], decision_deadline=first)
    await harness.skip(days=20)  # past the first reminder, before the first deadline
    assert harness.event_types("CV")[-1] == "DecisionDeadlineReminderIssued"
    second = first + timedelta(days=60)
    await harness.update(
        handle,
        "extend_decision_deadline",
        presidency(await harness.today()),
        new_deadline=second,
        reason="the Council meets in the spring",
    )
    await harness.skip(days=20)  # past the first deadline
    status = await harness.status(handle)
    assert status.stage is Stage.COUNCIL_DECISION
    assert status.decision_deadline == second
    await harness.skip(days=40)  # past the second reminder
    types = harness.event_types("CV")
    assert types[-2:] == ["DecisionDeadlineExtended", "DecisionDeadlineReminderIssued"]
    # Eighty days have passed on the server: its date, not the wall clock's, is today.
    await harness.update(
        handle,
        "record_council_decision",
        presidency(await harness.today()),
        outcome="invite_launch",
        decided_on=await harness.today(),
    )
    status = await harness.update(
        handle,
        "launch_partnership",
        COMMISSION,
        member_states=["ES"],
        components=["legal_migration", "readmission_and_return"],
        signed_on=await harness.today(),
    )
    assert status.stage is Stage.LAUNCHED
