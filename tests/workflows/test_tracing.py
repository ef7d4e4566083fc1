"""One API step is one trace: the request, the workflow, its activities and their SQL.

A real dev server, a real worker and the real API app (served in-process through httpx's ASGI
transport), with tracing on and spans kept by an in-memory exporter instead of OTLP. Tracing is
stopped again at the end, so later tests' clients, apps and engines are not traced.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.testing import WorkflowEnvironment

from activities.database import create_engine_from_url
from activities.directory_store import DirectoryStore
from app.dev_issuer import dev_token
from app.temporal import connect
from app.tracing import install_tracing, stop_tracing, tracing_interceptors
from domain.directory import BindingRole
from interfaces.api.server import create_app
from settings import Settings
from tests.workflows.harness import unique_task_queue
from worker import build_worker, wire


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on, into memory, for this test only."""
    exporter = InMemorySpanExporter()
    install_tracing(Settings(), processor=SimpleSpanProcessor(exporter))
    try:
        yield exporter
    finally:
        stop_tracing()
        exporter.shutdown()  # later spans (none expected) are dropped


def ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    """The names of `span`'s parents, nearest first, as far as the exported spans go."""
    names = []
    parent = span.parent
    while parent is not None and parent.span_id in by_id:
        above = by_id[parent.span_id]
        names.append(above.name)
        parent = above.parent
    return names


async def test_a_proposal_through_the_api_is_one_trace_down_to_the_sql(
    dev_env: WorkflowEnvironment,
    database_url: str,
    tmp_path: Path,
    spans: InMemorySpanExporter,
) -> None:
    settings = Settings(
        database_url=database_url,
        task_queue=unique_task_queue(),
        temporal_address=dev_env.client.service_client.config.target_host,
        data_dir=str(tmp_path),
        attestation_keys={"k1": "a secret the API and the workers share"},
        attestation_key_id="k1",
    )
    client = await connect(settings)
    wiring = wire(settings)
    engine = create_engine_from_url(database_url)
    token = dev_token(
        settings, DirectoryStore(engine), role=BindingRole("commission"), user="alice"
    ).token
    body = {
        "country": "CV",
        "rationale": "Cape Verde asked for a partnership",
        "terms_of_reference": "Council conclusions of June 2007, point 11",
    }
    try:
        async with build_worker(client, wiring, settings.task_queue):
            app = create_app(settings)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
                proposed = await http.post(
                    "/partnerships", json=body, headers={"Authorization": f"Bearer {token}"}
                )
            assert proposed.status_code == 201, proposed.text
    finally:
        wiring.executor.shutdown(wait=True)
        engine.dispose()
    finished = spans.get_finished_spans()
    by_id = {span.context.span_id: span for span in finished}
    request = next(s for s in finished if s.name == "POST /partnerships" and s.parent is None)
    in_trace = [s for s in finished if s.context.trace_id == request.context.trace_id]
    names = {s.name for s in in_trace}
    assert "StartWorkflow:PilotPartnershipWorkflow" in names
    assert "RunWorkflow:PilotPartnershipWorkflow" in names
    assert {"RunActivity:open_stream", "RunActivity:append_events"} <= names
    # The append's activity descends from the request, through the workflow that started it.
    append = next(s for s in in_trace if s.name == "RunActivity:append_events")
    assert ancestors(append, by_id) == [
        "StartActivity:append_events",
        "StartWorkflow:PilotPartnershipWorkflow",
        "POST /partnerships",
    ]
    run = next(s for s in in_trace if s.name == "RunWorkflow:PilotPartnershipWorkflow")
    assert ancestors(run, by_id)[-1] == "POST /partnerships"
    # And the append's statements are its children.
    statements = [s for s in in_trace if (s.attributes or {}).get("db.system")]
    assert any(
        s.name.startswith("INSERT") and ancestors(s, by_id)[0] == "RunActivity:append_events"
        for s in statements
    ), sorted(names)


def test_nothing_is_traced_when_no_endpoint_is_set() -> None:
    assert install_tracing(Settings(otel_exporter_otlp_endpoint=None)) is False
    assert tracing_interceptors() == []
