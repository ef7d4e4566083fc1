"""A worker killed with SIGKILL mid-lifecycle loses nothing and duplicates nothing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import WorkflowUpdateStage
from temporalio.testing import WorkflowEnvironment

from domain.requests import REQUEST_FOR
from domain.stages import Stage
from tests.workflows.harness import (
    COMMISSION,
    PRESIDENCY,
    Harness,
    member,
    today,
)
from tests.workflows.worker_process import WorkerProcess, writes_held

MEMBER_STATES = ["BG", "CY", "CZ", "DE", "EL", "FR", "HU", "IT", "LT", "PL", "PT", "RO", "SE"]


async def appending(handle: Any) -> None:
    """Wait until an `append_events` activity has started and not finished."""
    for _ in range(300):
        described = await handle.describe()
        running = [
            a.activity_type.name
            for a in described.raw_description.pending_activities
            if a.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
        ]
        if "append_events" in running:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("no append was in flight")


async def test_a_killed_worker_is_replaced_and_every_event_is_recorded_exactly_once(
    dev_env: WorkflowEnvironment, worker_process: WorkerProcess, database_url: str
) -> None:
    await asyncio.to_thread(worker_process.start)
    h = Harness(dev_env.client, worker_process.env["TASK_QUEUE"], database_url)
    handle = await h.propose("MD", occurred_on="2007-09-01")

    # Eight answers in flight at once (Temporal admits at most ten in-flight updates per
    # workflow); the worker dies while they are being recorded: the store's write lock is
    # held, so the first append is running (and retrying) when it dies.
    pending: list[Any] = []

    async def answer(ms: str) -> None:
        request = REQUEST_FOR["respond_to_consultation"].model_validate(
            {
                "actor": member(ms),
                "member_state": ms,
                "position": "interested",
                "offers": ["legal_migration"],
            }
        )
        pending.append(
            await handle.start_update(
                "respond_to_consultation", request, wait_for_stage=WorkflowUpdateStage.ACCEPTED
            )
        )

    with writes_held(database_url):
        for ms in MEMBER_STATES[:8]:
            await answer(ms)
        await appending(handle)
        assert h.event_types("MD") == ["PartnershipProposed"], "nothing recorded yet"
        worker_process.kill()
    await asyncio.to_thread(worker_process.start)
    for ms in MEMBER_STATES[8:]:
        await answer(ms)
    for update in pending:
        await update.result()

    await h.update(handle, "close_consultation", COMMISSION)
    await h.update(handle, "authorise_talks", PRESIDENCY)
    await h.update(
        handle,
        "record_talks_round",
        COMMISSION,
        held_on=today(),
        member_states=MEMBER_STATES,
        summary="Chisinau",
    )
    worker_process.kill()
    await asyncio.to_thread(worker_process.start)
    await h.update(
        handle,
        "conclude_talks",
        COMMISSION,
        third_country_willing=True,
        commitments=["illegal_immigration_cooperation", "readmission_and_return"],
        community_offers=["visa_facilitation"],
    )
    await h.update(handle, "submit_report", COMMISSION, recommendation="launch", summary="go")
    await h.update(
        handle, "record_council_decision", PRESIDENCY, outcome="invite_launch", decided_on=today()
    )
    await h.update(
        handle,
        "launch_partnership",
        COMMISSION,
        member_states=MEMBER_STATES,
        components=["legal_migration", "visa_facilitation", "readmission_and_return"],
        signed_on=today(),
    )
    result = await handle.result()

    assert result.stage is Stage.LAUNCHED
    counts = Counter(h.event_types("MD"))
    assert counts["ConsultationAnswered"] == len(MEMBER_STATES)
    assert all(n == 1 for kind, n in counts.items() if kind != "ConsultationAnswered")
    assert sum(counts.values()) == result.version
    verify = await asyncio.to_thread(
        subprocess.run,
        [str(Path(sys.executable).parent / "partnerships"), "verify"],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
