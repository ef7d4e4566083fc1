"""One scenario's system: a persistent Temporal dev server, workers and API processes, a store.

Everything runs as real processes on loopback, on ports asked of the OS, with its state in the
scenario's working directory. The store is SQLite there by default; any database URL the
settings accept (a PostgreSQL database, or a proxy in front of one) may be given instead, per
stack or per process. Whatever happens, leaving `open_stack` stops every process it started,
by pid.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter

from activities.database import create_engine_from_url
from activities.eventstore import EventStore
from faults.processes import PARTNERSHIPS, ApiProcess, WorkerProcess, free_port
from faults.temporal_server import NAMESPACE, DevServer
from migrations.runner import upgrade
from tools.dev import dev_attestation_secret
from workflows.contract import TASK_QUEUE
from workflows.converter import DATA_CONVERTER

ATTESTATION_KEY_ID = "faults"

# Settings a developer's shell may hold that would point our processes elsewhere.
_CLEARED = ("PARTNERSHIPS_API", "PARTNERSHIPS_TOKEN", "PARTNERSHIPS_ACTOR", "OIDC_ISSUER")


@functools.cache
def quiet_runtime() -> Runtime:
    """A Temporal runtime that logs errors only.

    The SDK's core logs each call it retries at WARN; in a campaign those are the faults we
    cause, and what matters is whether the call got through in the end (lifecycles.py counts
    the retries).
    """
    return Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"))
        )
    )


def sqlite_url(workdir: Path) -> str:
    """The SQLite store in a scenario's working directory."""
    return f"sqlite:///{workdir / 'partnerships.db'}"


@dataclass
class FaultStack:
    """The processes of one scenario; build it with `open_stack`."""

    workdir: Path
    database_url: str
    server: DevServer
    workers: list[WorkerProcess] = field(default_factory=list)
    apis: list[ApiProcess] = field(default_factory=list)
    client: Client | None = None
    _engine: Engine | None = field(default=None, init=False, repr=False)

    def env(self, database_url: str | None = None) -> dict[str, str]:
        """The environment every process of the stack runs with (`database_url` overrides)."""
        env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
        secret = dev_attestation_secret(self.workdir)
        env.update(
            {
                "TEMPORAL_ADDRESS": self.server.address,
                "TEMPORAL_NAMESPACE": NAMESPACE,
                "TASK_QUEUE": TASK_QUEUE,
                "DATABASE_URL": database_url or self.database_url,
                "DATA_DIR": str(self.workdir),
                "PARTNERSHIPS_ENV": "development",
                # The API and the workers share a key, as in `partnerships dev`.
                "ATTESTATION_KEYS": json.dumps({ATTESTATION_KEY_ID: secret}),
                # Many workers on one machine: none serves metrics, so none fights for a port.
                "WORKER_METRICS_PORT": "0",
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def add_worker(self, *, database_url: str | None = None) -> WorkerProcess:
        """A worker on the stack's task queue (not started: call `start_worker` or `.start`)."""
        name = f"worker-{len(self.workers) + 1}"
        worker = WorkerProcess(self.env(database_url), self.workdir / f"{name}.log")
        self.workers.append(worker)
        return worker

    async def start_worker(self, worker: WorkerProcess | None = None) -> WorkerProcess:
        """Start `worker` (a new one if None) and wait until it serves the task queue."""
        worker = worker or self.add_worker()
        await asyncio.to_thread(worker.start)
        return worker

    def add_api(self, *, database_url: str | None = None) -> ApiProcess:
        """An API process (`partnerships api`) on a free port (not started: call `start_api`)."""
        port = free_port()
        env = self.env(database_url)
        env["ATTESTATION_KEY_ID"] = ATTESTATION_KEY_ID
        env["DEV_ISSUER_URL"] = f"http://127.0.0.1:{port}/dev/"
        api = ApiProcess(env, self.workdir / f"api-{len(self.apis) + 1}.log", port)
        self.apis.append(api)
        return api

    async def start_api(self, api: ApiProcess | None = None) -> ApiProcess:
        """Start `api` (a new one if None) and wait until it answers /healthz."""
        api = api or self.add_api()
        await asyncio.to_thread(api.start)
        return api

    def token(self, api: ApiProcess, as_: str) -> str:
        """A development token for `api`, e.g. `commission:alice` or `member_state:FR:rep-fr`."""
        done = subprocess.run(
            [str(PARTNERSHIPS), "token", "--as", as_],
            env=api.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"partnerships token --as {as_} failed: {done.stderr}")
        return done.stdout.strip()

    async def connect(self) -> Client:
        """A client on the stack's server with the project's data converter (kept)."""
        if self.client is None:
            self.client = await Client.connect(
                self.server.address,
                namespace=NAMESPACE,
                data_converter=DATA_CONVERTER,
                runtime=quiet_runtime(),
            )
        return self.client

    async def events_recorded(self) -> int:
        """The store's last position: how far the record has grown (read from this process)."""
        if self._engine is None:
            self._engine = create_engine_from_url(self.database_url)
        return await asyncio.to_thread(EventStore(self._engine).last_position)

    def stop_processes(self) -> None:
        """Stop every worker and API process, then the server (each by its pid)."""
        for process in [*self.apis, *self.workers]:
            with contextlib.suppress(Exception):
                process.stop()
        self.server.stop()
        if self._engine is not None:
            self._engine.dispose()


@contextlib.asynccontextmanager
async def open_stack(
    workdir: Path, *, database_url: str | None = None, migrate: bool = True
) -> AsyncIterator[FaultStack]:
    """A running dev server (no workers yet) and a migrated store; everything stopped after.

    `database_url` defaults to SQLite in `workdir`; with `migrate`, its schema is brought to
    the migrations' head first (give False when the caller migrated it through another URL).
    """
    await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
    url = database_url or sqlite_url(workdir)
    if migrate:
        await asyncio.to_thread(upgrade, url)
    stack = FaultStack(workdir=workdir, database_url=url, server=DevServer(workdir))
    try:
        await stack.server.start()
        yield stack
    finally:
        stack.stop_processes()
