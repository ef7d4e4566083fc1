"""What README claims of the worker, each shown on a real server.

- A worker stopped with SIGTERM finishes the activity it is running before it exits.
- A worker registers the contract's search attributes on a server that lacks them.
- `CONSULTATION_PERIOD_DAYS` sets the default consultation period of the partnerships it runs.
- The Temporal UI shows a partnership's current details, and each milestone's activity result
  is its report.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import temporalio.api.sdk.v1
from temporalio.api.enums.v1 import EventType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import WorkflowUpdateStage
from temporalio.testing import WorkflowEnvironment

from domain.requests import REQUEST_FOR
from settings import Settings
from tests.workflows.harness import (
    COMMISSION,
    Harness,
    member,
    presidency,
    unique_task_queue,
    venv_binary,
)
from tests.workflows.milestone_reports import milestone_reports
from tests.workflows.test_worker_crash import appending
from tests.workflows.worker_process import WorkerProcess, writes_held
from worker import build_worker, wire
from workflows.converter import DATA_CONVERTER

CONTRACT_ATTRIBUTES = {
    "PartnershipStage",
    "PartnershipCountry",
    "MigratoryRegion",
    "CouncilDecisionDeadline",
}


@pytest.fixture
async def bare_env() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server on which nobody has registered the contract's search attributes."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=venv_binary("temporal"),
        data_converter=DATA_CONVERTER,
        dev_server_log_level="error",
    )
    try:
        yield env
    finally:
        await env.shutdown()


async def custom_attributes(env: WorkflowEnvironment) -> set[str]:
    listed = await env.client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace="default")
    )
    return set(listed.custom_attributes)


async def test_a_worker_registers_the_search_attributes_on_a_server_that_lacks_them(
    bare_env: WorkflowEnvironment, database_url: str, tmp_path: Path
) -> None:
    assert not CONTRACT_ATTRIBUTES & await custom_attributes(bare_env)
    worker = WorkerProcess(
        {
            **__import__("os").environ,
            "TEMPORAL_ADDRESS": bare_env.client.service_client.config.target_host,
            "TASK_QUEUE": unique_task_queue(),
            "DATABASE_URL": database_url,
            "PYTHONUNBUFFERED": "1",
        },
        tmp_path / "worker.log",
    )
    try:
        await asyncio.to_thread(worker.start)
        assert await custom_attributes(bare_env) >= CONTRACT_ATTRIBUTES
        h = Harness(bare_env.client, worker.env["TASK_QUEUE"], database_url)
        handle = await h.propose("CV")
        described = await handle.describe()
        attributes = {p.key.name: p.value for p in described.typed_search_attributes}
        assert attributes["PartnershipStage"] == "consultation"
        assert attributes["PartnershipCountry"] == "CV"
    finally:
        worker.stop()


async def test_a_worker_stopped_with_sigterm_finishes_the_append_it_is_running(
    dev_env: WorkflowEnvironment, worker_process: WorkerProcess, database_url: str
) -> None:
    await asyncio.to_thread(worker_process.start)
    h = Harness(dev_env.client, worker_process.env["TASK_QUEUE"], database_url)
    handle = await h.propose("CV")
    request = REQUEST_FOR["respond_to_consultation"].model_validate(
        {"actor": member("PT"), "member_state": "PT", "position": "interested"}
    )
    with writes_held(database_url):
        update = await handle.start_update(
            "respond_to_consultation", request, wait_for_stage=WorkflowUpdateStage.ACCEPTED
        )
        await appending(handle)
        assert worker_process.process is not None
        worker_process.process.send_signal(signal.SIGTERM)
        await asyncio.sleep(1)  # the worker is shutting down, its append still waiting
        assert worker_process.process.poll() is None, "the worker left its append behind"
    exit_code = await asyncio.to_thread(worker_process.process.wait, 30)
    assert exit_code == 0
    assert "shutting down: finishing in-flight tasks" in worker_process.log.read_text()
    # Recorded by the stopped worker itself, on its first attempt: nobody else was running.
    assert h.event_types("CV") == ["PartnershipProposed", "ConsultationAnswered"]
    history = await handle.fetch_history()
    appends = [
        e
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
        and e.activity_task_started_event_attributes.attempt == 1
    ]
    assert len(appends) >= 2  # open_stream, the proposal's append, the answer's append
    await asyncio.to_thread(worker_process.start)
    status = await update.result()
    assert status["version"] == 2


async def test_consultation_period_days_sets_the_default_consultation_deadline(
    skipping_env: WorkflowEnvironment, database_url: str
) -> None:
    settings = Settings(
        database_url=database_url, task_queue=unique_task_queue(), consultation_period_days=10
    )
    wiring = wire(settings)
    async with build_worker(skipping_env.client, wiring, settings.task_queue):
        h = Harness(skipping_env.client, settings.task_queue, database_url, skipping_env)
        today = await h.today()
        handle = await h.propose("CV")
        status = await h.status(handle)
        assert status.consultation_deadline == today + timedelta(days=10)
        await h.update(handle, "withdraw", COMMISSION, reason="done")
    wiring.executor.shutdown(wait=True)


async def current_details(handle: Any) -> str:
    metadata = await handle.query(
        "__temporal_workflow_metadata", result_type=temporalio.api.sdk.v1.WorkflowMetadata
    )
    return str(metadata.current_details)


async def test_the_temporal_ui_shows_current_details_and_each_milestones_report(
    harness: Harness,
) -> None:
    handle = await harness.propose("CV", occurred_on="2007-09-03")
    await harness.update(
        handle,
        "respond_to_consultation",
        member("PT"),
        member_state="PT",
        position="interested",
        offers=["legal_migration"],
        occurred_on="2007-10-01",
    )
    deadline = (await harness.status(handle)).decision_deadline
    assert deadline is not None
    assert await current_details(handle) == "\n".join(
        [
            "**CV** · stage **consultation**",
            f"Decision deadline: {deadline.isoformat()}",
            "",
            "- commission may: close_consultation, withdraw",
            "- presidency may: extend_decision_deadline",
            "- member_state may: respond_to_consultation",
            "",
            "Latest:",
            "- 2007-09-03 · commission: proposed a partnership with CV",
            "- 2007-10-01 · PT: PT answered interested (offers legal_migration)",
        ]
    )
    await harness.update(handle, "close_consultation", COMMISSION, occurred_on="2007-11-01")
    await harness.update(
        handle, "authorise_talks", presidency(date(2007, 11, 15)), occurred_on="2007-11-15"
    )
    [milestone] = await milestone_reports(harness.client, handle)
    assert milestone.kind.value == "consultation_outcome"
    assert milestone.version == 3
    assert milestone.stream_id == "partnership-CV/1"
    report = milestone.report.splitlines()
    assert report[0] == "# Outcome of the consultation of the Member States"
    assert "| PT | interested | legal_migration | 2007-10-01 | 1 |" in report
    assert "Interested Member States: PT." in report
    assert "Consultation closed on 2007-11-01." in report
    details = await current_details(handle)
    assert details.splitlines()[0] == "**CV** · stage **exploratory_talks**"
