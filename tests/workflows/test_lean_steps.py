"""A lean run (issue 16) queues one activity per step and still reports every milestone.

The append that records a step emits the milestones it reaches and its result carries their
reports, so operators see them in the Temporal UI; the outbox holds each one, pending for its
subscribers, with the same report; opening the stream runs as a local activity, recorded in the
history as a marker. The run replays from its history.
"""

from __future__ import annotations

import json

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from activities.outbox import Outbox
from tests.workflows.harness import COMMISSION, PRESIDENCY, Harness, drive_to_council_decision
from tests.workflows.harness import today as wall_today
from tests.workflows.milestone_reports import milestone_reports, scheduled_activities
from workflows.converter import DATA_CONVERTER
from workflows.lifecycle import LEAN_STEPS_PATCH, PilotPartnershipWorkflow

STREAM = "partnership-CV/1"


def local_activities(history: WorkflowHistory) -> list[str]:
    """The types of the local activities the run recorded (each in a marker), in order."""
    types: list[str] = []
    for e in history.events:
        if e.event_type != EventType.EVENT_TYPE_MARKER_RECORDED:
            continue
        marker = e.marker_recorded_event_attributes
        if marker.marker_name != "core_local_activity":
            continue
        [data] = marker.details["data"].payloads
        types.append(json.loads(data.data)["activity_type"])
    return types


def patches(history: WorkflowHistory) -> str:
    """What the run's markers hold, as text (a patch marker holds its patch id)."""
    return " ".join(
        payload.data.decode(errors="replace")
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        for details in e.marker_recorded_event_attributes.details.values()
        for payload in details.payloads
    )


async def launched(harness: Harness) -> WorkflowHistory:
    handle = await drive_to_council_decision(harness, "CV", ["PT", "ES"])
    day = wall_today()
    await harness.update(
        handle, "record_council_decision", PRESIDENCY, outcome="invite_launch", decided_on=day
    )
    await harness.update(
        handle,
        "launch_partnership",
        COMMISSION,
        member_states=["PT", "ES"],
        components=["legal_migration", "readmission_and_return"],
        signed_on=day,
    )
    await handle.result()
    return await handle.fetch_history()


async def test_a_lean_launch_queues_no_milestone_activity_and_opens_its_stream_locally(
    dev_harness: Harness,
) -> None:
    history = await launched(dev_harness)
    assert LEAN_STEPS_PATCH in patches(history)
    recorded = dev_harness.store().read_stream(STREAM)
    assert len(recorded) == 10  # the proposal and each of the nine updates
    # One append per recorded step, the programme's slot taken and freed, and nothing more.
    assert list(scheduled_activities(history).values()) == [
        "take_programme_slot",
        *["append_events"] * len(recorded),
        "free_programme_slot",
    ]
    assert local_activities(history) == ["open_stream"]


async def test_each_milestone_of_a_lean_run_is_in_the_outbox_and_its_report_in_the_history(
    dev_harness: Harness,
) -> None:
    history = await launched(dev_harness)
    handle = dev_harness.handles[0]
    reached = (await handle.result()).milestones
    reports = await milestone_reports(dev_harness.client, handle)
    assert [r.kind for r in reports] == [m.kind for m in reached]
    assert [r.kind.value for r in reports] == [
        "consultation_outcome",
        "talks_outcome",
        "report_to_council",
        "council_decision",
        "launch",
    ]
    outbox = Outbox(dev_harness.store().engine).all(STREAM)
    positions = {e.stream_version: e.position for e in dev_harness.store().read_stream(STREAM)}
    # The outbox holds what the history shows, each pending for its subscribers.
    assert [(m.kind, m.position, m.report) for m in outbox] == [
        (r.kind.value, positions[r.version], r.report) for r in reports
    ]
    assert {m.delivery_state for m in outbox} == {"pending"}
    assert all(r.report.startswith("# ") for r in reports)
    replayer = Replayer(workflows=[PilotPartnershipWorkflow], data_converter=DATA_CONVERTER)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
