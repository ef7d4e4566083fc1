"""Whether any workflow's history shows a workflow task that failed: the sign of a wedge.

A workflow whose task fails is retried by Temporal for ever, its `status` query unanswered and
its steps queued. No test may leave one behind, whatever it sends.
"""

from __future__ import annotations

from collections.abc import Iterable

from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.client import Client

from faults.checks import BOOKKEEPING


async def failed_tasks(client: Client, workflow_ids: Iterable[str]) -> list[str]:
    """One line per failed workflow task in the histories of every run of `workflow_ids`."""
    found: list[str] = []
    for workflow_id in dict.fromkeys(workflow_ids):
        async for execution in client.list_workflows(f'WorkflowId="{workflow_id}"'):
            found += await _failures_of(client, workflow_id, execution.run_id)
    return found


async def failed_tasks_of_runs(client: Client, runs: Iterable[tuple[str, str | None]]) -> list[str]:
    """As `failed_tasks`, for given (workflow id, run id) pairs (a server without visibility)."""
    found: list[str] = []
    for workflow_id, run_id in runs:
        found += await _failures_of(client, workflow_id, run_id)
    return found


async def _failures_of(client: Client, workflow_id: str, run_id: str | None) -> list[str]:
    history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    return [
        f"{workflow_id} event {event.event_id}: "
        f"{WorkflowTaskFailedCause.Name(event.workflow_task_failed_event_attributes.cause)} "
        f"{event.workflow_task_failed_event_attributes.failure.message}"
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
        and event.workflow_task_failed_event_attributes.cause not in BOOKKEEPING
    ]


async def all_workflow_ids(client: Client) -> list[str]:
    """Every workflow id the server's visibility knows."""
    return [execution.id async for execution in client.list_workflows()]
