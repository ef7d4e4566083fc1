"""The worker's small HTTP endpoint for operators: `/metrics`, `/healthz`, `/readyz`.

- `/metrics`: the Prometheus exposition (app/metrics_exposition.py): the application's
  metrics, the database gauges and the Temporal SDK's metrics;
- `/healthz`: 200 while the process serves (liveness);
- `/readyz`: 200 when Temporal answers and the database is at the migrations' head, else 503
  naming what is not (readiness).

It listens on WORKER_METRICS_HOST:WORKER_METRICS_PORT (127.0.0.1:9464 by default; port 0 = no
endpoint). Served by uvicorn in the worker's event loop, on a socket bound before it starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import Final

import uvicorn
from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client

from activities.operator_gauges import DatabaseGauges
from activities.store_errors import DatabaseNotReady, StoreError
from app.metrics_exposition import CONTENT_TYPE, exposition
from migrations.readiness import check_ready

log = logging.getLogger("pilot-partnerships.worker")

CHECK_TIMEOUT_S: Final = 3.0
"""How long each readiness check may take before its dependency counts as unreachable."""


def _database(engine: Engine) -> str:
    try:
        check_ready(engine)
    except DatabaseNotReady as error:
        log.warning("readiness: %s", error)
        return "not at the migrations' head"
    except StoreError as error:
        log.warning("readiness: %s", error)
        return "unreachable"
    return "ok"


async def _temporal(client: Client) -> str:
    try:
        await asyncio.wait_for(
            client.workflow_service.get_system_info(
                GetSystemInfoRequest(), timeout=timedelta(seconds=CHECK_TIMEOUT_S)
            ),
            CHECK_TIMEOUT_S * 2,
        )
    except Exception as error:  # any failure to answer counts as unreachable; the log says why
        log.warning("readiness: Temporal: %s", error)
        return "unreachable"
    return "ok"


def endpoints_app(client: Client, engine: Engine) -> Starlette:
    """The Starlette app of the three endpoints, for `client` and `engine`."""
    gauges = CollectorRegistry(auto_describe=False)
    gauges.register(DatabaseGauges(lambda: engine))

    async def metrics(request: Request) -> Response:
        body = await run_in_threadpool(exposition, gauges)
        return Response(body, media_type=CONTENT_TYPE)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        temporal, database = await asyncio.gather(
            _temporal(client), run_in_threadpool(_database, engine)
        )
        checks = {"temporal": temporal, "database": database}
        failing = {name: why for name, why in checks.items() if why != "ok"}
        if not failing:
            return JSONResponse({"status": "ready", "checks": checks})
        detail = "not ready: " + "; ".join(f"{name} {why}" for name, why in failing.items())
        return JSONResponse(
            {"status": "not ready", "detail": detail, "checks": checks}, status_code=503
        )

    return Starlette(
        routes=[
            Route("/metrics", metrics),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ]
    )


def bind(host: str, port: int) -> socket.socket | None:
    """A listening socket on host:port, or None (logged) when it cannot be bound.

    A busy port must not keep a worker from serving its task queue: the worker runs on without
    the endpoint and says so at WARNING.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(64)
    except OSError as error:
        sock.close()
        log.warning(
            "the worker's metrics and health endpoint cannot listen on %s:%s (%s); running "
            "without it (set WORKER_METRICS_PORT to a free port, or 0 for none)",
            host,
            port,
            error.strerror or error,
        )
        return None
    sock.setblocking(False)
    return sock


class EndpointServer:
    """The endpoints on uvicorn, on an already bound socket; the worker owns the signals."""

    def __init__(self, app: Starlette, sock: socket.socket) -> None:
        class Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                # SIGINT/SIGTERM stop the worker, which then stops this server.
                yield

        self.sock = sock
        self._server = Server(
            uvicorn.Config(app, log_level="warning", access_log=False, server_header=False)
        )
        self._task: asyncio.Task[None] | None = None

    @property
    def address(self) -> str:
        """host:port the endpoint listens on."""
        host, port = self.sock.getsockname()[:2]
        return f"{host}:{port}"

    def start(self) -> None:
        """Serve in the running event loop until `stop`."""
        self._task = asyncio.create_task(self._server.serve(sockets=[self.sock]))

    async def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.should_exit = True
        if self._task is not None:
            await self._task
        self.sock.close()
