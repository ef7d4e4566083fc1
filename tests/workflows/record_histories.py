"""Record histories of real runs into tests/histories/, for the replay test.

`.venv/bin/python -m tests.workflows.record_histories` records each scenario under today's
date, beside the histories recorded before, and never over one: a recorded history is evidence
that running workflows survive later changes. Add the printed lines to MANIFEST.sha256. A change
that makes an old history fail to replay needs `workflow.patched(...)`, not a new recording.

`tests/histories/export.py` is the script the histories of 2026-11-28 were exported with. It is
kept as it was, like everything in that folder, and no longer runs (the modules it imports have
moved); this recorder replaces it and cannot write over a history.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from migrations import runner
from settings import Settings
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
from workflows.converter import DATA_CONVERTER
from workflows.registration import ensure_search_attributes

HERE = Path(__file__).resolve().parents[1] / "histories"


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
        # Point 10: only what was offered or committed, always with readmission and return.
        components=["legal_migration", "readmission_and_return"],
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
    stamp = today().isoformat()
    targets = {name: HERE / f"{name}-{stamp}.json" for name in SCENARIOS}
    taken = [path.name for path in targets.values() if path.exists()]
    if taken:
        raise SystemExit(f"refusing to overwrite recorded histories: {', '.join(taken)}")
    for name, scenario in SCENARIOS.items():
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/store.db"
            runner.upgrade(url)
            env = await WorkflowEnvironment.start_time_skipping(
                test_server_existing_path=venv_binary("temporal-test-server"),
                data_converter=DATA_CONVERTER,
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
        targets[name].write_text(history.to_json())
        digest = hashlib.sha256(targets[name].read_bytes()).hexdigest()
        print(f"wrote {targets[name].name} ({len(history.events)} events); manifest line:")
        print(f"{digest}  {targets[name].name}")


async def export_continued_as_new() -> None:
    """Record a partnership that continues as new: its first run and a continued one.

    Written beside the other histories under today's date, never over an existing file.
    """
    from tests.workflows.test_continue_as_new import start_dev_server_suggesting_continue_as_new

    stamp = today().isoformat()
    targets = {
        "first_run": HERE / f"continued_as_new-{stamp}-first-run.json",
        "continued_run": HERE / f"continued_as_new-{stamp}-continued-run.json",
    }
    taken = [path.name for path in targets.values() if path.exists()]
    if taken:
        raise SystemExit(f"refusing to overwrite recorded histories: {', '.join(taken)}")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/store.db"
        runner.upgrade(url)
        env = await start_dev_server_suggesting_continue_as_new(40)
        try:
            settings = Settings(database_url=url, task_queue=unique_task_queue())
            wiring = wire(settings)
            async with build_worker(env.client, wiring, settings.task_queue):
                h = Harness(env.client, settings.task_queue, url)
                handle = await h.propose("CV")
                for ms in ("PT", "ES", "FR", "PT", "ES", "FR", "PT", "ES"):
                    await h.update(
                        handle,
                        "respond_to_consultation",
                        member(ms),
                        member_state=ms,
                        position="interested",
                    )
                await h.update(handle, "close_consultation", COMMISSION)
                await h.update(handle, "withdraw", COMMISSION, reason="recorded for replay")
                await handle.result()
                runs = sorted(
                    [r async for r in env.client.list_workflows(f'WorkflowId="{handle.id}"')],
                    key=lambda r: r.start_time,
                )
                if len(runs) < 2:
                    raise SystemExit("the recording never continued as new")
                histories = {
                    "first_run": await env.client.get_workflow_handle(
                        handle.id, run_id=runs[0].run_id
                    ).fetch_history(),
                    "continued_run": await env.client.get_workflow_handle(
                        handle.id, run_id=runs[1].run_id
                    ).fetch_history(),
                }
            wiring.executor.shutdown(wait=True)
        finally:
            await env.shutdown()
    for key, path in targets.items():
        path.write_text(histories[key].to_json())
        print(f"wrote {path.name} ({len(histories[key].events)} events)")


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["continued_as_new"]:
        asyncio.run(export_continued_as_new())
    else:
        asyncio.run(export())
