"""`python worker.py` as a real process on the test's dev server, which a test may kill or stop."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.workflows.harness import unique_task_queue

ROOT = Path(__file__).resolve().parents[2]


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


@contextmanager
def writes_held(database_url: str) -> Iterator[None]:
    """Hold the SQLite store's write lock: appends wait (and retry) until the block ends.

    A test uses it to have an append in flight at a moment of its choosing, e.g. to kill or
    stop a worker while events are being recorded.
    """
    path = database_url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()
