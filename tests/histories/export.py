"""Export histories of real runs into tests/histories/, for the replay test.

Run `.venv/bin/python -m tests.histories.export` after a deliberate, compatible change to the
workflow; a change that makes these histories fail to replay would break running workflows.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from interfaces.settings import Settings
from migrations import runner
from tests.workflows.harness import (
    COMMISSION,
    PRESIDENCY,
    Harness,
    drive_to_council_decision,
    member,
    today,
    unique_task_queue,
    venv_binary,
)
from worker import build_worker, wire
from workflows.registration import ensure_search_attributes

HERE = Path(__file__).resolve().parent


async def launched(h: Harness) -> WorkflowHandle[Any, Any]:
    """Cape Verde: every step to a launch."""
    handle = await drive_to_council_decision(h, "CV", ["ES", "FR", "LU", "PT"])
    await h.update(
        handle, "record_council_decision", PRESIDENCY, outcome="invite_launch", decided_on=today()
    )
    await h.update(
        handle,
        "launch_partnership",
        COMMISSION,
        member_states=["ES", "FR", "LU", "PT"],
        components=["legal_migration"],
        signed_on=today(),
    )
    return handle


async def extended_then_lapsed(h: Harness) -> WorkflowHandle[Any, Any]:
    """A reminder, an extension, a second reminder and a lapse: every timer."""
    deadline = today() + timedelta(days=30)
    handle = await drive_to_council_decision(h, "MD", ["RO"], decision_deadline=deadline)
    await h.skip(days=20)
    await h.update(
        handle,
        "extend_decision_deadline",
        PRESIDENCY,
        new_deadline=deadline + timedelta(days=30),
        reason="more time",
    )
    return handle


async def closed_by_deadline(h: Harness) -> WorkflowHandle[Any, Any]:
    """A consultation that closes itself with an amended answer, then a withdrawal."""
    handle = await h.propose("SN", consultation_deadline=today() + timedelta(days=5))
    for position in ("interested", "not_interested", "interested"):
        await h.update(
            handle,
            "respond_to_consultation",
            member("FR"),
            member_state="FR",
            position=position,
        )
    await h.skip(days=7)
    await h.update(handle, "withdraw", COMMISSION, reason="suspended")
    return handle


SCENARIOS: dict[str, Callable[[Harness], Awaitable[WorkflowHandle[Any, Any]]]] = {
    "launched": launched,
    "extended_then_lapsed": extended_then_lapsed,
    "closed_by_deadline": closed_by_deadline,
}


async def export() -> None:
    """Run each scenario to its end on a fresh server and write its history as JSON."""
    for name, scenario in SCENARIOS.items():
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/store.db"
            runner.upgrade(url)
            env = await WorkflowEnvironment.start_time_skipping(
                test_server_existing_path=venv_binary("temporal-test-server"),
                data_converter=pydantic_data_converter,
            )
            try:
                await ensure_search_attributes(env.client, env.client.namespace)
                settings = Settings(database_url=url, task_queue=unique_task_queue())
                wiring = wire(settings)
                async with build_worker(env.client, wiring, settings.task_queue):
                    h = Harness(env.client, settings.task_queue, url, env)
                    handle = await scenario(h)
                    await handle.result()
                    history = await handle.fetch_history()
                wiring.executor.shutdown(wait=True)
            finally:
                await env.shutdown()
        (HERE / f"{name}.json").write_text(history.to_json())
        print(f"wrote {name}.json ({len(history.events)} events)")


if __name__ == "__main__":
    asyncio.run(export())
