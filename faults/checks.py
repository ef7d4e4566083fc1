"""What a scenario checks once its faults are over: the record, every stream, every workflow.

- `partnerships verify` on the store must exit 0 (every hash chain holds).
- Each stream is compared with the events expected, counted by event type and identity (the
  answering Member State, the partnership a programme slot belongs to). An event the server
  acknowledged but the store lacks is *lost*; an event recorded more often than any step sent
  could have recorded it is a *duplicate*.
- No workflow may be stuck: none still running, none whose history holds a failed workflow
  task (other than Temporal's own bookkeeping), none with a pending activity whose attempt is
  past ACTIVITY_ATTEMPT_BOUND.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.client import Client, WorkflowExecutionStatus

from activities.database import create_engine_from_url
from activities.eventstore import EventStore
from faults.outcome import Outcome
from faults.processes import PARTNERSHIPS

ACTIVITY_ATTEMPT_BOUND: Final = 10
"""A pending activity on its attempt beyond this is stuck. Every kill of a worker mid-activity
costs that activity one attempt, and a database outage a few more (the store's retry waits at
most 30 s between attempts), so a healthy run stays well below it."""

BOOKKEEPING: Final = frozenset(
    {
        WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
        WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_STICKY_TASK_QUEUE,
    }
)
"""Causes of a failed workflow task that are Temporal's own bookkeeping, not a wedge: the
server fails a task when a new update or signal raced its completion, or when it moves a
workflow off a dead worker's sticky queue; the SDK simply runs the next task."""

IDENTITY_FIELD: Final[Mapping[str, str]] = {
    "ConsultationAnswered": "member_state",
    "SlotTaken": "stream_id",
    "SlotFreed": "stream_id",
    "SlotReleased": "stream_id",
}
"""The payload field that tells events of one type apart within a stream; a type not named
here occurs at most once per lifecycle."""


class EventKey(NamedTuple):
    """What the checks count: an event's type and its identity within its stream."""

    type: str
    identity: str = ""


def event_key(event_type: str, payload: Mapping[str, Any]) -> EventKey:
    """The key of a recorded event: its type, and the field IDENTITY_FIELD names for it."""
    name = IDENTITY_FIELD.get(event_type)
    return EventKey(event_type, str(payload.get(name, "")) if name else "")


Streams = Mapping[str, Counter[EventKey]]
"""Events counted by key, for each stream id."""


def merge(parts: Iterable[Streams]) -> dict[str, Counter[EventKey]]:
    """Several lifecycles' expectations as one (they share the programme's stream)."""
    merged: dict[str, Counter[EventKey]] = {}
    for part in parts:
        for stream, counts in part.items():
            merged.setdefault(stream, Counter()).update(counts)
    return merged


@dataclass(frozen=True)
class Comparison:
    """The streams against what was expected: the counts and a line for each discrepancy."""

    lost: int
    duplicates: int
    lines: tuple[str, ...]


def compare(at_least: Streams, at_most: Streams, recorded: Streams) -> Comparison:
    """Count lost and duplicated events, stream by stream.

    `at_least` holds what must be recorded (the acknowledged steps), `at_most` the most that may
    be (every step sent); a stream nobody expected counts all its events as duplicates.
    """
    lost = duplicates = 0
    lines: list[str] = []
    for stream in sorted({*at_least, *at_most, *recorded}):
        needed = at_least.get(stream, Counter())
        allowed = at_most.get(stream, Counter())
        found = recorded.get(stream, Counter())
        for key in sorted({*needed, *allowed, *found}):
            missing = needed[key] - found[key]
            extra = found[key] - max(allowed[key], needed[key])
            if missing > 0:
                lost += missing
                lines.append(f"{stream}: {_label(key)} lost ({found[key]} of {needed[key]})")
            if extra > 0:
                duplicates += extra
                lines.append(
                    f"{stream}: {_label(key)} recorded {found[key]} times, at most "
                    f"{max(allowed[key], needed[key])} expected"
                )
    return Comparison(lost, duplicates, tuple(lines))


def _label(key: EventKey) -> str:
    return f"{key.type}({key.identity})" if key.identity else key.type


def recorded_events(database_url: str) -> dict[str, Counter[EventKey]]:
    """Every event in the store, counted by key for each stream."""
    engine = create_engine_from_url(database_url)
    try:
        counts: dict[str, Counter[EventKey]] = {}
        for event in EventStore(engine).iter_all():
            counts.setdefault(event.stream_id, Counter())[event_key(event.type, event.payload)] += 1
        return counts
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Verification:
    """What `partnerships verify` said of the store."""

    ok: bool
    output: str


def verify_store(database_url: str) -> Verification:
    """Run `partnerships verify` on the store; ok when it exits 0."""
    done = subprocess.run(
        [str(PARTNERSHIPS), "verify"],
        env={**os.environ, "DATABASE_URL": database_url, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Verification(done.returncode == 0, (done.stdout + done.stderr).strip())


@dataclass(frozen=True)
class Stuck:
    """The workflows found stuck, each with why, and the bookkeeping task failures seen."""

    workflows: dict[str, list[str]]
    bookkeeping_failures: int
    workflows_seen: int


async def stuck_workflows(client: Client) -> Stuck:
    """Every workflow on the server that is stuck, read from Temporal, with the reasons."""
    stuck: dict[str, list[str]] = {}
    bookkeeping = seen = 0
    async for execution in client.list_workflows():
        seen += 1
        name = f"{execution.id} (run {execution.run_id})"
        reasons: list[str] = []
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
        if execution.status == WorkflowExecutionStatus.RUNNING:
            reasons.append("still running")
            described = await handle.describe()
            for activity in described.raw_description.pending_activities:
                if activity.attempt > ACTIVITY_ATTEMPT_BOUND:
                    reasons.append(
                        f"activity {activity.activity_type.name} on attempt {activity.attempt}, "
                        f"past the bound of {ACTIVITY_ATTEMPT_BOUND}"
                    )
        elif execution.status != WorkflowExecutionStatus.COMPLETED:
            status = execution.status.name if execution.status else "unknown"
            reasons.append(f"ended {status}, not completed")
        history = await handle.fetch_history()
        for event in history.events:
            if event.event_type != EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                continue
            failed = event.workflow_task_failed_event_attributes
            if failed.cause in BOOKKEEPING:
                bookkeeping += 1
                continue
            reasons.append(
                f"workflow task failed at event {event.event_id}: "
                f"{WorkflowTaskFailedCause.Name(failed.cause)} {failed.failure.message}"
            )
        if reasons:
            stuck[name] = reasons
    return Stuck(stuck, bookkeeping, seen)


@dataclass(frozen=True)
class Findings:
    """Everything the checks found after a scenario."""

    verification: Verification
    comparison: Comparison
    stuck: Stuck
    lines: list[str] = field(default_factory=list)

    def outcome(
        self,
        scenario: str,
        *,
        faults_injected: int,
        lifecycles_completed: int,
        extra: str = "",
        faults_planned: int = 0,
    ) -> Outcome:
        """The scenario's Outcome: the counts, whether verify passed, what else was seen."""
        said = self.verification.output.splitlines()
        record = said[-1].rstrip(".") if said else ""
        detail = "; ".join(
            part
            for part in (
                f"verify: {record}" if record else "",
                f"{self.stuck.workflows_seen} workflows checked",
                f"{self.stuck.bookkeeping_failures} bookkeeping task failures"
                if self.stuck.bookkeeping_failures
                else "",
                extra,
            )
            if part
        )
        return Outcome(
            scenario=scenario,
            faults_injected=faults_injected,
            lifecycles_completed=lifecycles_completed,
            events_lost=self.comparison.lost,
            duplicates=self.comparison.duplicates,
            stuck_workflows=len(self.stuck.workflows),
            verified=self.verification.ok,
            detail=detail,
            faults_planned=faults_planned,
        )


async def check(client: Client, database_url: str, at_least: Streams, at_most: Streams) -> Findings:
    """Run every check on a scenario's store and server; the lines say what went wrong."""
    verification = await asyncio.to_thread(verify_store, database_url)
    recorded = await asyncio.to_thread(recorded_events, database_url)
    comparison = compare(at_least, at_most, recorded)
    stuck = await stuck_workflows(client)
    lines = list(comparison.lines)
    if not verification.ok:
        lines.append(f"partnerships verify failed:\n{verification.output}")
    lines += [f"{name}: {'; '.join(why)}" for name, why in sorted(stuck.workflows.items())]
    return Findings(verification, comparison, stuck, lines)
