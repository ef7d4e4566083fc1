"""The API's `/metrics`: the Prometheus exposition of the API process (app/metrics_exposition.py).

The application's metrics, the database gauges (read at each scrape) and the Temporal SDK's
client metrics. Not in the OpenAPI document (it is for Prometheus, not API clients) and needs
no token; API_METRICS says who may read it:

- `loopback` (default): requests from this machine only, and not forwarded by a proxy (a
  request with `Forwarded` or `X-Forwarded-For` is refused), so a public API does not publish
  its metrics; others get 403;
- `open`: anyone who reaches the API (put the API behind something that limits /metrics);
- `off`: no route (404).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Engine

from activities.operator_gauges import DatabaseGauges
from app.metrics_exposition import CONTENT_TYPE, exposition, install_sdk_metrics
from interfaces.api.problems import Problem
from settings import Settings

PATH = "/metrics"


def from_loopback(request: Request) -> bool:
    """Whether the request came from this machine, directly (no proxy's forwarding headers)."""
    if "forwarded" in request.headers or "x-forwarded-for" in request.headers:
        return False
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def install_metrics(app: FastAPI, settings: Settings, engine: Callable[[], Engine]) -> None:
    """Add `/metrics` to `app` as API_METRICS says; `engine` is the store's (opened lazily)."""
    if settings.api_metrics == "off":
        return
    install_sdk_metrics()  # before the lifespan connects the client, so it reports here
    gauges = CollectorRegistry(auto_describe=False)
    gauges.register(DatabaseGauges(engine))
    only_loopback = settings.api_metrics == "loopback"

    @app.get(PATH, include_in_schema=False)
    async def metrics(request: Request) -> Response:
        if only_loopback and not from_loopback(request):
            problem = Problem(
                403,
                "MetricsNotServedHere",
                "/metrics is served to requests from this machine only (API_METRICS=loopback); "
                "scrape it on the host, or set API_METRICS=open to serve it to the network",
            )
            return problem.response(PATH)
        body = await run_in_threadpool(exposition, gauges)
        return Response(body, media_type=CONTENT_TYPE)
