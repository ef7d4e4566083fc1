"""The chain's heads as Temporal's histories hold them: a second copy, outside the database.

Every `append_events` activity result carries the stream's new head hash (AppendOutput.head_hash),
so each partnership workflow's history records, for every append, (stream, version, hash).
`partnerships verify --against-temporal` reads the histories of every partnership workflow run
(while the namespace retains them) and compares those heads with the log.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.messages import AppendOutput
from activities.records import ChainBreak
from activities.verification import ReportedHead, compare_heads, recorded_runs
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
    gone: int = 0  # runs the namespace no longer holds (past its retention period)

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


async def partnership_runs(client: Client) -> list[tuple[str, str]]:
    """(workflow id, run id) of every partnership run the namespace lists (its visibility)."""
    query = f"WorkflowType = '{WORKFLOW_TYPE}'"
    return [(e.id, e.run_id) async for e in client.list_workflows(query) if e.run_id]


async def compare_with_temporal(
    settings: Settings, engine: Engine, client: Client | None = None
) -> TemporalComparison:
    """Compare the heads every partnership run's history reports with the log in `engine`.

    The runs are those the namespace lists and those the log's metadata names (a server
    without visibility, as the time-skipping test server, lists none; a run whose stream
    was deleted is still listed). A run the namespace no longer holds (past retention) is
    counted, not compared.
    """
    client = client or await connect(settings)
    with engine.connect() as conn:
        runs = set(recorded_runs(conn))
    try:
        runs |= set(await partnership_runs(client))
    except RPCError as error:
        if error.status != RPCStatusCode.UNIMPLEMENTED:
            raise
    heads: list[ReportedHead] = []
    missing = 0
    for workflow_id, run_id in sorted(runs):
        try:
            heads += await reported_heads(client, workflow_id, run_id)
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            missing += 1
    with engine.connect() as conn:
        breaks = compare_heads(conn, heads)
    return TemporalComparison(len(runs) - missing, len(heads), tuple(breaks), missing)
