"""OpenTelemetry tracing, from the API's request to the workflow, its activities and their SQL.

Off unless OTEL_EXPORTER_OTLP_ENDPOINT names a collector: then `install_tracing` sets a tracer
provider that exports spans by OTLP/HTTP (to ENDPOINT/v1/traces, in batches), instruments
SQLAlchemy (every engine created afterwards), and `tracing_interceptors` gives each Temporal
client `temporalio.contrib.opentelemetry.TracingInterceptor`, which carries the trace through
Temporal's headers into the workflow and its activities; the API instruments its app with
`instrument_api`. When the endpoint is unset nothing is installed, so nothing is exported and
no request, workflow or query pays for it. The other OTEL_* variables (OTEL_SERVICE_NAME,
OTEL_EXPORTER_OTLP_HEADERS, …) are read by the SDK itself.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

import temporalio.client
from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from temporalio.contrib.opentelemetry import TracingInterceptor

from settings import Settings

log = logging.getLogger("pilot-partnerships.tracing")

DEFAULT_SERVICE: str = "pilot-partnerships"

_lock = threading.Lock()
_provider: TracerProvider | None = None
_active = False
_exporting_to: set[str] = set()


def install_tracing(settings: Settings, *, processor: SpanProcessor | None = None) -> bool:
    """Turn tracing on when the settings name an OTLP endpoint (or a test gives `processor`).

    Once per process; a later call adds its `processor` to the same provider. Returns whether
    tracing is on.
    """
    global _provider, _active
    endpoint = (settings.otel_exporter_otlp_endpoint or "").strip()
    if processor is None and not endpoint:
        return _active
    with _lock:
        if _provider is None:
            _provider = TracerProvider(
                resource=Resource.create()
                if _service_name_set()
                else Resource.create({SERVICE_NAME: DEFAULT_SERVICE})
            )
            trace.set_tracer_provider(_provider)
        if not _active:
            from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

            # Every engine created from now on traces its statements. The instrumentation
            # declares SQLAlchemy < 2.1 only; its events are the same on 2.1 (tested).
            SQLAlchemyInstrumentor().instrument(tracer_provider=_provider, skip_dep_check=True)
            _active = True
        if endpoint and endpoint not in _exporting_to:
            _exporting_to.add(endpoint)
            _provider.add_span_processor(BatchSpanProcessor(_otlp_exporter(endpoint)))
            log.info("tracing: spans exported by OTLP to %s", endpoint)
        if processor is not None:
            _provider.add_span_processor(processor)
    return True


def _service_name_set() -> bool:
    return bool(os.environ.get("OTEL_SERVICE_NAME"))


def _otlp_exporter(endpoint: str) -> SpanExporter:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")


def stop_tracing() -> None:
    """Stop tracing what starts from now on (new clients, apps and engines); for tests.

    OpenTelemetry keeps its global provider for the life of the process: a later
    `install_tracing` reuses it.
    """
    global _active
    with _lock:
        if _active:
            from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

            SQLAlchemyInstrumentor().uninstrument()
            _active = False


def tracing_on() -> bool:
    """Whether this process traces."""
    return _active


def tracing_interceptors() -> list[temporalio.client.Interceptor]:
    """The Temporal client's tracing interceptor when tracing is on (workers inherit it)."""
    return [TracingInterceptor()] if _active else []


def instrument_api(app: Any) -> None:
    """Trace each request to the FastAPI `app` when tracing is on."""
    if not _active or _provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, tracer_provider=_provider)
