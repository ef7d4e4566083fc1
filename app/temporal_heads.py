"""The chain's heads as Temporal's histories hold them: a second copy, outside the database.

Every `append_events` activity result carries the stream's new head hash (AppendOutput.head_hash),
so each partnership workflow's history records, for every append, (stream, version, hash).
`partnerships verify --against-temporal` reads the histories of every partnership workflow run
(while the namespace retains them) and compares those heads with the log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from activities.messages import AppendOutput
from activities.records import ChainBreak
from activities.verification import ReportedHead, compare_heads
from app.temporal import connect
from settings import Settings
from workflows.contract import WORKFLOW_TYPE

APPEND_ACTIVITY = "append_events"


@dataclass(frozen=True)
class TemporalComparison:
    """How many runs' histories and reported heads were compared, and where they disagree."""

    workflows: int
    heads: int
    breaks: tuple[ChainBreak, ...]

    @property
    def ok(self) -> bool:
        """True when the log holds every head the histories report."""
        return not self.breaks


async def reported_heads(client: Client, workflow_id: str, run_id: str) -> list[ReportedHead]:
    """The heads the completed appends of one workflow run reported, in its history's order."""
    history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    appends: set[int] = set()
    heads: list[ReportedHead] = []
    source = f"the history of {workflow_id} (run {run_id})"
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            scheduled = event.activity_task_scheduled_event_attributes
            if scheduled.activity_type.name == APPEND_ACTIVITY:
                appends.add(event.event_id)
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            completed = event.activity_task_completed_event_attributes
            if completed.scheduled_event_id not in appends or not completed.result.payloads:
                continue
            [output] = await client.data_converter.decode(completed.result.payloads, [AppendOutput])
            if isinstance(output, AppendOutput) and output.head_hash is not None:
                heads.append(
                    ReportedHead(output.stream_id, output.version, output.head_hash, source)
                )
    return heads


async def partnership_runs(client: Client) -> AsyncIterator[tuple[str, str]]:
    """(workflow id, run id) of every partnership run the namespace still holds."""
    async for execution in client.list_workflows(f"WorkflowType = '{WORKFLOW_TYPE}'"):
        yield execution.id, execution.run_id


async def compare_with_temporal(
    settings: Settings, engine: Engine, client: Client | None = None
) -> TemporalComparison:
    """Compare the heads every partnership run's history reports with the log in `engine`."""
    client = client or await connect(settings)
    heads: list[ReportedHead] = []
    runs = 0
    async for workflow_id, run_id in partnership_runs(client):
        runs += 1
        heads += await reported_heads(client, workflow_id, run_id)
    with engine.connect() as conn:
        breaks = compare_heads(conn, heads)
    return TemporalComparison(runs, len(heads), tuple(breaks))
