"""The milestone reports a partnership run's history shows operators, as the Temporal UI does.

A run recorded before the lean-steps marker showed each in its `emit_milestone` activity's
result; a lean run shows them in the result of the `append_events` that recorded the step.
"""

from __future__ import annotations

from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory

from activities.messages import AppendOutput, MilestoneOutput

MILESTONE_ACTIVITIES = frozenset({"emit_milestone", "deliver_milestone"})


def scheduled_activities(history: WorkflowHistory) -> dict[int, str]:
    """The activities the run queued on Temporal's task queue, by the id of their scheduling."""
    return {
        e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }


async def milestone_reports(client: Client, handle: Any) -> list[MilestoneOutput]:
    """Every milestone report the run's history holds, in the order the run recorded them."""
    history = await handle.fetch_history()
    scheduled = scheduled_activities(history)
    reports: list[MilestoneOutput] = []
    for e in history.events:
        if e.event_type != EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            continue
        done = e.activity_task_completed_event_attributes
        name = scheduled.get(done.scheduled_event_id)
        if name in MILESTONE_ACTIVITIES:
            [value] = await client.data_converter.decode(done.result.payloads, [MilestoneOutput])
            reports.append(value)
        elif name == "append_events":
            [output] = await client.data_converter.decode(done.result.payloads, [AppendOutput])
            reports += output.milestones
    return reports
