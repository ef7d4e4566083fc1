"""Operators' signals move when their events happen: appends, stages, the outbox, refusals.

Real workers with the real activities on Temporal's servers, the real store; the worker as a
process of its own serves /metrics, /healthz and /readyz over real HTTP on a free port, and logs
JSON lines that name the workflow, run and stream of each activity.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY, CollectorRegistry
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.database import create_engine_from_url
from activities.operator_gauges import DatabaseGauges
from activities.outbox import Outbox
from domain.requests import StartPartnership
from faults.processes import free_port
from settings import Settings
from tests.workflows.harness import (
    COMMISSION,
    Harness,
    member,
    unique_task_queue,
)
from tests.workflows.temporal_cli import send_update
from tests.workflows.worker_process import WorkerProcess
from worker import build_worker, wire
from workflows.contract import WORKFLOW_TYPE


def sample(name: str, **labels: str) -> float:
    """The value of one series in this process's default registry (0 when absent)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def database_gauges(database_url: str) -> Callable[[str], float]:
    """Read one database gauge (scraped now) by name and labels."""
    engine = create_engine_from_url(database_url)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseGauges(lambda: engine))

    def read(name: str, **labels: str) -> float:
        value = registry.get_sample_value(name, labels)
        assert value is not None, f"{name}{labels} is not exposed"
        return value

    return read


async def test_an_append_through_the_activity_is_counted_and_timed(harness: Harness) -> None:
    recorded = sample("partnerships_appends_total", outcome="recorded")
    timed = sample("partnerships_append_duration_seconds_count")
    await harness.propose("CV")
    assert sample("partnerships_appends_total", outcome="recorded") == recorded + 1
    assert sample("partnerships_append_duration_seconds_count") == timed + 1
    assert sample("partnerships_append_duration_seconds_sum") > 0


async def test_the_stage_gauge_follows_a_proposal_and_its_withdrawal(harness: Harness) -> None:
    gauge = database_gauges(harness.database_url)
    assert gauge("partnerships_open_partnerships", stage="consultation") == 0
    handle = await harness.propose("MD")
    assert gauge("partnerships_open_partnerships", stage="consultation") == 1
    assert gauge("partnerships_ended_partnerships", stage="withdrawn") == 0
    await harness.update(handle, "withdraw", COMMISSION, reason="the country asked to stop")
    assert gauge("partnerships_open_partnerships", stage="consultation") == 0
    assert gauge("partnerships_ended_partnerships", stage="withdrawn") == 1
    assert gauge("partnerships_projection_lag_positions") == 0


async def test_a_milestone_written_leaves_one_more_pending_in_the_outbox(
    harness: Harness,
) -> None:
    gauge = database_gauges(harness.database_url)
    handle = await harness.propose("GE")
    await harness.update(
        handle,
        "respond_to_consultation",
        member("PT"),
        member_state="PT",
        position="interested",
        offers=["legal_migration"],
    )
    before = gauge("partnerships_outbox_milestones_pending")
    await harness.update(handle, "close_consultation", COMMISSION)
    assert gauge("partnerships_outbox_milestones_pending") == before + 1
    outbox = Outbox(create_engine_from_url(harness.database_url))
    assert gauge("partnerships_outbox_milestones_pending") == len(outbox.pending())
    assert gauge("partnerships_deliveries", state="failed") == 0


async def test_projection_lag_counts_events_the_read_models_have_not_folded(
    harness: Harness,
) -> None:
    gauge = database_gauges(harness.database_url)
    handle = await harness.propose("SN")
    await harness.update(handle, "close_consultation", COMMISSION)
    assert gauge("partnerships_projection_lag_positions") == 0
    # As if the read models had been kept without the last step (a store without them).
    path = harness.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE status_board SET stream_version = stream_version - 1 WHERE stream_id = ?",
            ("partnership-SN/1",),
        )
    assert gauge("partnerships_projection_lag_positions") == 1


@pytest.fixture
async def guarded(dev_env: WorkflowEnvironment, database_url: str) -> AsyncIterator[Harness]:
    """A worker that refuses unattested starts and steps."""
    settings = Settings(
        database_url=database_url,
        task_queue=unique_task_queue(),
        attestation_keys={"k1": "a secret the API and the workers share"},
        require_attested_actors=True,
    )
    wiring = wire(settings)
    async with build_worker(dev_env.client, wiring, settings.task_queue):
        yield Harness(dev_env.client, settings.task_queue, database_url)
    wiring.executor.shutdown(wait=True)


START = {
    "country": "CV",
    "actor": COMMISSION,
    "rationale": "Cape Verde asked for a partnership",
    "terms_of_reference": "Council conclusions of June 2007, point 11",
}


async def test_an_unattested_start_is_counted_as_a_refusal(guarded: Harness) -> None:
    before = sample("partnerships_attestation_refusals_total", kind="start")
    handle = await guarded.client.start_workflow(
        WORKFLOW_TYPE,
        StartPartnership.model_validate(START),
        id="partnership-CV",
        task_queue=guarded.task_queue,
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    assert isinstance(failed.value.cause, ApplicationError)
    assert failed.value.cause.type == "Unattested"
    assert sample("partnerships_attestation_refusals_total", kind="start") == before + 1


async def test_an_unattested_step_is_counted_as_a_refusal(
    dev_env: WorkflowEnvironment, database_url: str
) -> None:
    # Starts are not required to be attested here, so the partnership exists; its steps are
    # checked by the same interceptor as in production.
    settings = Settings(
        database_url=database_url,
        task_queue=unique_task_queue(),
        attestation_keys={"k1": "a secret"},
        require_attested_actors=False,
    )
    lenient = wire(settings)
    async with build_worker(dev_env.client, lenient, settings.task_queue):
        h = Harness(dev_env.client, settings.task_queue, database_url)
        await h.propose("CV")
    lenient.executor.shutdown(wait=True)
    strict = wire(settings.model_copy(update={"require_attested_actors": True}))
    before = sample("partnerships_attestation_refusals_total", kind="step")
    answer = {"actor": member("PT"), "member_state": "PT", "position": "interested"}
    async with build_worker(dev_env.client, strict, settings.task_queue):
        sent = await asyncio.to_thread(
            send_update, dev_env, "partnership-CV", "respond_to_consultation", answer
        )
    strict.executor.shutdown(wait=True)
    assert sent.returncode != 0
    assert "Unattested" in sent.stdout + sent.stderr
    assert sample("partnerships_attestation_refusals_total", kind="step") == before + 1
    assert h.event_types("CV") == ["PartnershipProposed"]


def wait_for_line(process: WorkerProcess, text: str) -> None:
    """Wait (at most 30 s) until the worker's log holds `text`."""
    deadline = time.monotonic() + 30
    while text not in process.log.read_text():
        assert process.process is not None
        assert process.process.poll() is None, process.log.read_text()
        assert time.monotonic() < deadline, process.log.read_text()
        time.sleep(0.05)


def json_lines(text: str) -> list[dict[str, Any]]:
    """The log's lines that are JSON objects."""
    found = []
    for line in text.splitlines():
        if line.startswith("{"):
            found.append(json.loads(line))
    return found


async def test_the_worker_serves_metrics_health_and_readiness_and_logs_json(
    dev_env: WorkflowEnvironment, database_url: str, worker_process: WorkerProcess
) -> None:
    port = free_port()
    worker_process.env.update({"WORKER_METRICS_PORT": str(port), "LOG_FORMAT": "json"})
    await asyncio.to_thread(worker_process.start)
    await asyncio.to_thread(wait_for_line, worker_process, f"127.0.0.1:{port}/metrics")
    h = Harness(dev_env.client, worker_process.env["TASK_QUEUE"], database_url)
    handle = await h.propose("CV")
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        metrics = await http.get("/metrics")
        assert metrics.status_code == 200
        assert metrics.headers["content-type"].startswith("text/plain")
        text = metrics.text
        assert 'partnerships_appends_total{outcome="recorded"} 1.0' in text
        assert 'partnerships_open_partnerships{stage="consultation"} 1.0' in text
        assert "partnerships_database_scrape_ok 1.0" in text
        # The SDK's own metrics, from its exporter, in the same exposition.
        assert "\ntemporal_" in text
        assert "temporal_workflow_task_execution_latency" in text
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"temporal": "ok", "database": "ok"}
        # The database falls behind the migrations' head: not ready, and why.
        path = database_url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as db:
            db.execute("UPDATE alembic_version SET version_num = '0001'")
        behind = await http.get("/readyz")
        assert behind.status_code == 503
        assert behind.json()["checks"] == {
            "temporal": "ok",
            "database": "not at the migrations' head",
        }
        assert (await http.get("/healthz")).status_code == 200
    run_id = (await handle.describe()).run_id
    appended = [
        line
        for line in json_lines(worker_process.log.read_text())
        if line["message"].startswith("recorded 1 event(s)")
    ]
    assert appended, worker_process.log.read_text()
    assert appended[0]["workflow_id"] == "partnership-CV"
    assert appended[0]["run_id"] == run_id
    assert appended[0]["stream"] == "partnership-CV/1"
    assert appended[0]["activity"] == "append_events"
    assert appended[0]["level"] == "INFO"
