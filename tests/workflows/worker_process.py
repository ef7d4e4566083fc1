"""`python worker.py` as a real process on the test's dev server, which a test may kill or stop."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

# One WorkerProcess for the tests and the fault campaign (faults/processes.py).
from faults.processes import WorkerProcess
from tests.workflows.harness import unique_task_queue

__all__ = ["WorkerProcess", "worker_process", "writes_held"]


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
