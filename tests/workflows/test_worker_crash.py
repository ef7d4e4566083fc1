"""A worker killed with SIGKILL mid-lifecycle loses nothing and duplicates nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
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
    unique_task_queue,
)

ROOT = Path(__file__).resolve().parents[2]
MEMBER_STATES = ["BG", "CY", "CZ", "DE", "EL", "FR", "HU", "IT", "LT", "PL", "PT", "RO", "SE"]


class WorkerProcess:
    """`python worker.py` in a process of its own, which the test may kill."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the worker and wait until it serves its task queue."""
        # Its log goes to a file nobody has to drain, so a chatty worker never blocks on a pipe.
        self.log.write_text("")
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "worker.py")],
                env=self.env,
                stderr=log,
                stdout=log,
                cwd=ROOT,
            )
        for _ in range(600):
            if "worker serving task queue" in self.log.read_text():
                return
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited early:\n{self.log.read_text()}")
            time.sleep(0.05)
        raise AssertionError(f"the worker did not start serving:\n{self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, as a crashed machine would."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stop the worker if it still runs (SIGTERM, its graceful path)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def worker_process(
    dev_env: WorkflowEnvironment, database_url: str, tmp_path: Path
) -> Iterator[WorkerProcess]:
    """A worker subprocess wired to the test's dev server and store."""
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": "default",
        "TASK_QUEUE": unique_task_queue(),
        "DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
    }
    process = WorkerProcess(env, tmp_path / "worker.log")
    try:
        yield process
    finally:
        process.stop()


async def test_a_killed_worker_is_replaced_and_every_event_is_recorded_exactly_once(
    dev_env: WorkflowEnvironment, worker_process: WorkerProcess, database_url: str
) -> None:
    await asyncio.to_thread(worker_process.start)
    h = Harness(dev_env.client, worker_process.env["TASK_QUEUE"], database_url)
    handle = await h.propose("MD", occurred_on="2007-09-01")

    # Thirteen answers in flight at once; the worker dies while they are being recorded.
    pending: list[Any] = []
    for ms in MEMBER_STATES:
        request = REQUEST_FOR["respond_to_consultation"].model_validate(
            {"actor": member(ms), "member_state": ms, "position": "interested"}
        )
        pending.append(
            await handle.start_update(
                "respond_to_consultation", request, wait_for_stage=WorkflowUpdateStage.ACCEPTED
            )
        )
    worker_process.kill()
    await asyncio.to_thread(worker_process.start)
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
    await h.update(handle, "conclude_talks", COMMISSION, third_country_willing=True)
    await h.update(handle, "submit_report", COMMISSION, recommendation="launch", summary="go")
    await h.update(
        handle, "record_council_decision", PRESIDENCY, outcome="invite_launch", decided_on=today()
    )
    await h.update(
        handle,
        "launch_partnership",
        COMMISSION,
        member_states=MEMBER_STATES,
        components=["legal_migration", "visa_facilitation"],
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
