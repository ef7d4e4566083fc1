"""Issue 13, items 5 and 6 on the time-skipping server: the Commission suspends the talks and
resumes them, the decision deadline waits while they are suspended, and the Council is told of
a suspension, of talks that failed and of a withdrawal after it invited a launch."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowHandle, WorkflowHistory, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Replayer
from typer.testing import CliRunner

from activities.outbox import Outbox
from domain.stages import Stage
from interfaces.cli.app import app as cli
from tests.workflows.harness import (
    COMMISSION,
    PRESIDENCY,
    Harness,
    drive_to_council_decision,
    member,
    today,
)
from tests.workflows.milestone_reports import milestone_reports
from workflows.converter import DATA_CONVERTER
from workflows.lifecycle import SUSPENSION_PATCH, PilotPartnershipWorkflow


async def in_talks(h: Harness, country: str, **propose: Any) -> WorkflowHandle[Any, Any]:
    """A partnership in exploratory talks, one round held, FR interested, dated today."""
    handle = await h.propose(country, **propose)
    await h.update(
        handle,
        "respond_to_consultation",
        member("FR"),
        member_state="FR",
        position="interested",
        offers=["legal_migration"],
    )
    await h.update(handle, "close_consultation", COMMISSION)
    await h.update(handle, "authorise_talks", PRESIDENCY)
    await h.update(
        handle,
        "record_talks_round",
        COMMISSION,
        held_on=today(),
        member_states=["FR"],
        summary="first round",
    )
    return handle


def outbox_kinds(h: Harness, country: str) -> list[str]:
    """The kinds of the milestones waiting in the outbox for a country's first stream."""
    return [m.kind for m in Outbox(h.store().engine).all(f"partnership-{country}/1")]


async def test_suspended_talks_wait_for_no_deadline_and_resume_with_the_deadline_moved(
    harness: Harness,
) -> None:
    deadline = await harness.today() + timedelta(days=30)
    handle = await in_talks(harness, "SN", decision_deadline=deadline.isoformat())
    status = await harness.update(
        handle, "suspend_talks", COMMISSION, reason="No agreement on readmission"
    )
    assert status.stage is Stage.TALKS_SUSPENDED
    assert status.next_actions["commission"] == ["resume_talks", "withdraw"]
    assert status.reminder_due_at is None

    # While suspended: no round, no conclusion.
    before = harness.event_types("SN")
    for name, fields in (
        ("record_talks_round", {"held_on": today(), "member_states": ["FR"], "summary": "x"}),
        ("conclude_talks", {"third_country_willing": False}),
    ):
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await harness.update(handle, name, COMMISSION, **fields)
        assert isinstance(refused.value.cause, ApplicationError)
        assert refused.value.cause.type == "WrongStage"
        assert "talks_suspended" in refused.value.cause.message
    assert harness.event_types("SN") == before

    # Sixty days later the deadline has long passed: nothing reminded, nothing lapsed.
    await harness.skip(days=60)
    status = await harness.status(handle)
    assert status.stage is Stage.TALKS_SUSPENDED
    assert harness.event_types("SN") == before
    assert "talks_suspended" in outbox_kinds(harness, "SN")

    resumed_on = await harness.today()
    status = await harness.update(handle, "resume_talks", COMMISSION)
    assert status.stage is Stage.EXPLORATORY_TALKS
    suspended_at = harness.events("SN")[-2].recorded_at.date()
    moved = deadline + (resumed_on - suspended_at)
    assert status.decision_deadline == moved
    assert status.suspensions[-1].resumed_on == resumed_on
    assert "talks_resumed" in outbox_kinds(harness, "SN")

    # The timers run again, against the moved deadline.
    await harness.skip(days=(moved - resumed_on).days + 2)
    result = await handle.result()
    assert result.stage is Stage.LAPSED
    types = harness.event_types("SN")
    assert types[-2:] == ["DecisionDeadlineReminderIssued", "PartnershipLapsed"]
    assert harness.events("SN")[-1].deadline == moved  # type: ignore[union-attr]


async def test_the_council_is_told_when_talks_fail(harness: Harness) -> None:
    handle = await in_talks(harness, "SN")
    await harness.update(handle, "conclude_talks", COMMISSION, third_country_willing=False)
    result = await handle.result()
    assert result.stage is Stage.TALKS_FAILED
    [talks] = [m for m in Outbox(harness.store().engine).all() if m.kind == "talks_outcome"]
    assert talks.country == "SN"
    assert "the third country is not willing" in talks.report


async def test_the_council_is_told_of_a_withdrawal_after_it_invited_a_launch(
    harness: Harness,
) -> None:
    handle = await drive_to_council_decision(harness, "CV", ["ES"])
    await harness.update(
        handle,
        "record_council_decision",
        PRESIDENCY,
        outcome="invite_launch",
        decided_on=today(),
    )
    await harness.update(handle, "withdraw", COMMISSION, reason="No joint declaration agreed")
    result = await handle.result()
    assert result.stage is Stage.WITHDRAWN
    assert result.milestones[-1].kind.value == "withdrawal"
    assert outbox_kinds(harness, "CV")[-1] == "withdrawal"
    [withdrawal] = [m for m in Outbox(harness.store().engine).all() if m.kind == "withdrawal"]
    assert "# Withdrawal of the pilot partnership by the Commission" in withdrawal.report
    assert "No joint declaration agreed" in withdrawal.report


async def test_a_withdrawal_during_the_consultation_is_no_report_to_the_council(
    harness: Harness,
) -> None:
    handle = await harness.propose("CV")
    await harness.update(handle, "withdraw", COMMISSION, reason="Priorities changed")
    await handle.result()
    assert outbox_kinds(harness, "CV") == []


def patches_of(history: WorkflowHistory) -> str:
    """What the run's markers hold, as text (a patch marker holds its patch id)."""
    return " ".join(
        payload.data.decode(errors="replace")
        for e in history.events
        if e.HasField("marker_recorded_event_attributes")
        for details in e.marker_recorded_event_attributes.details.values()
        for payload in details.payloads
    )


async def test_runs_with_a_suspension_and_a_reported_withdrawal_replay(harness: Harness) -> None:
    suspended = await in_talks(harness, "SN")
    await harness.update(suspended, "suspend_talks", COMMISSION, reason="No agreement")
    await harness.update(suspended, "resume_talks", COMMISSION)
    await harness.update(suspended, "withdraw", COMMISSION, reason="Stop")
    withdrawn = await drive_to_council_decision(harness, "CV", ["ES"])
    await harness.update(
        withdrawn,
        "record_council_decision",
        PRESIDENCY,
        outcome="invite_launch",
        decided_on=today(),
    )
    await harness.update(withdrawn, "withdraw", COMMISSION, reason="No joint declaration")
    for handle in (suspended, withdrawn):
        await handle.result()
        history = await handle.fetch_history()
        # The run took the marker, and a replay takes the same path (the withdrawal's
        # milestone activity included).
        assert SUSPENSION_PATCH in patches_of(history)
        replayer = Replayer(workflows=[PilotPartnershipWorkflow], data_converter=DATA_CONVERTER)
        result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
        assert result.replay_failure is None
    # One report per milestone reached, the withdrawal's included, each shown by its append.
    reached = (await withdrawn.result()).milestones
    assert reached[-1].kind.value == "withdrawal"
    reports = await milestone_reports(harness.client, withdrawn)
    assert [r.kind for r in reports] == [m.kind for m in reached]


async def test_the_cli_suspends_and_resumes_the_talks(harness: Harness) -> None:
    handle = await in_talks(harness, "SN")
    env = {
        "TEMPORAL_ADDRESS": harness.client.service_client.config.target_host,
        "DATABASE_URL": harness.database_url,
        "TASK_QUEUE": harness.task_queue,
        "PARTNERSHIPS_API": "",
        "COLUMNS": "200",
    }
    steps = [
        ["suspend-talks", "SN", "--reason", "No agreement", "--as", "commission:alice"],
        ["resume-talks", "SN", "--as", "commission:alice"],
    ]
    for args, stage in zip(steps, ("talks_suspended", "exploratory_talks"), strict=True):
        result = await asyncio.to_thread(CliRunner().invoke, cli, args, env=env)
        assert result.exit_code == 0, result.output
        assert (await harness.status(handle)).stage.value == stage  # type: ignore[union-attr]
    assert harness.event_types("SN")[-2:] == ["TalksSuspended", "TalksResumed"]
