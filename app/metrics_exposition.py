"""One Prometheus exposition per process: the application's metrics and the Temporal SDK's.

The SDK's metrics (workflow and activity task latencies, task slots, polls, requests) come from
its Rust core, which serves them itself in Prometheus' text format. `install_sdk_metrics`
starts that exporter once per process on a loopback port the OS picked, before any client
connects; `exposition` reads it and serves it after the application's own metrics (all named
`partnerships_…`, while the SDK's are `temporal_…`, so the families never collide). So one
`/metrics` address carries both, and the SDK's own port never leaves the machine.
"""

from __future__ import annotations

import logging
import socket
import threading
import urllib.error
import urllib.request
from typing import Final

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

log = logging.getLogger("pilot-partnerships.metrics")

CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"
"""The Prometheus text format's media type."""

SDK_READ_TIMEOUT_S: Final = 2.0
"""How long a scrape waits for the SDK's own exporter on loopback."""

_lock = threading.Lock()
_sdk_address: str | None = None


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


_ATTEMPTS: Final = 3


def install_sdk_metrics() -> str | None:
    """Make the Temporal SDK export its metrics in this process; return where (host:port).

    Once per process: the runtime becomes the default, so every client connected afterwards
    (the worker's, the API's) and its workers report to it. Clients connected before keep
    theirs. Calling again returns the same address. If no exporter can be started (the port
    the OS offered was taken meanwhile, three times), the process runs on without the SDK's
    metrics and says so at WARNING: metrics never keep a worker or the API from starting.
    """
    global _sdk_address
    with _lock:
        for _attempt in range(_ATTEMPTS):
            if _sdk_address is not None:
                break
            address = f"127.0.0.1:{_free_loopback_port()}"
            try:
                runtime = Runtime(
                    telemetry=TelemetryConfig(
                        metrics=PrometheusConfig(
                            bind_address=address,
                            counters_total_suffix=True,
                            durations_as_seconds=True,
                        )
                    )
                )
            except Exception as error:  # the SDK reports a failed bind as a RuntimeError
                log.warning("metrics: the Temporal SDK's exporter on %s: %s", address, error)
                continue
            Runtime.set_default(runtime, error_if_already_set=False)
            _sdk_address = address
        return _sdk_address


def sdk_metrics_address() -> str | None:
    """Where this process's SDK exporter listens, None before `install_sdk_metrics`."""
    return _sdk_address


def _sdk_text() -> bytes:
    address = _sdk_address
    if address is None:
        return b""
    try:
        with urllib.request.urlopen(f"http://{address}/metrics", timeout=SDK_READ_TIMEOUT_S) as r:
            body: bytes = r.read()
    except (OSError, urllib.error.URLError) as error:
        log.warning("metrics: the Temporal SDK's exporter at %s did not answer: %s", address, error)
        return b""
    return body if body.endswith(b"\n") or not body else body + b"\n"


def exposition(*registries: CollectorRegistry) -> bytes:
    """The process's metrics (the default registry), then `registries`', then the SDK's.

    Blocking (the database gauges query, the SDK's exporter is read over loopback): call it from
    a thread, not the event loop.
    """
    parts = [generate_latest(REGISTRY)]
    parts.extend(generate_latest(registry) for registry in registries)
    parts.append(_sdk_text())
    return b"".join(parts)
