"""Real processes on loopback, each stoppable by pid: free ports, `python worker.py`, the API.

The fault campaign and the tests that kill a worker share these: a process is started in a
session of its own (signals meant for its parent never reach it), its output goes to a file
nobody has to drain, and it is stopped by its pid only.
"""

from __future__ import annotations

import contextlib
import http.client
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Final

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PARTNERSHIPS = BIN / "partnerships"
HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
SERVING_LINE = "worker serving task queue"


_BELOW_EPHEMERAL: Final = 10_000
"""How wide the band of ports below the system's ephemeral range that `free_port` draws from."""


def free_port() -> int:
    """A loopback port that is free now, drawn at random below the system's ephemeral range.

    The OS hands out ephemeral ports (a bind to port 0, every outgoing connection) from
    `ip_local_port_range`. A port it handed out and the caller released can be handed to
    another process before the caller's server binds it, and a server that stops and starts
    again on its port (a restart test) can find it taken; with test processes running in
    parallel this happened. A port drawn below that range is never handed out meanwhile, and
    a random draw keeps parallel callers apart. Falls back to the OS's choice when the band
    is exhausted.
    """
    low = _ephemeral_low()
    draw = random.SystemRandom()
    for _ in range(50):
        port = draw.randrange(max(1024, low - _BELOW_EPHEMERAL), low)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _ephemeral_low() -> int:
    """The lowest port of the system's ephemeral range (Linux's default when unreadable)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768


def children_of(pid: int) -> list[int]:
    """The direct children of `pid`, from /proc."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(child) for child in path.read_text().split()]
    except OSError:
        return []


def is_running(pid: int) -> bool:
    """Whether `pid` is alive (a zombie is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class ProcessFailed(RuntimeError):
    """A process exited early or did not become ready; the message holds its log's end."""


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _keep_previous(log: Path) -> None:
    """Move a log's text to `<name>.previous` before a restart, so a kill's evidence stays."""
    if log.exists() and log.stat().st_size:
        with log.with_name(log.name + ".previous").open("a") as kept:
            kept.write(log.read_text(errors="replace"))
    log.write_text("")


class ManagedProcess:
    """One command as a child process of its own session, which may be killed or stopped."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.command = command
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The running process's id, if it runs."""
        if self.process is None or self.process.poll() is not None:
            return None
        return self.process.pid

    @property
    def running(self) -> bool:
        """Whether the process has been started and not yet exited."""
        return self.process is not None and self.process.poll() is None

    def spawn(self) -> None:
        """Start the command; its output goes to the log file (the previous run's is kept)."""
        if self.running:
            raise ProcessFailed(f"{self.command[0]} runs already (pid {self.pid})")
        _keep_previous(self.log)
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=ROOT,
                start_new_session=True,
            )

    def exited_early(self, what: str) -> None:
        """Raise ProcessFailed if the process has exited, naming `what` it was waiting for."""
        if self.process is not None and self.process.poll() is not None:
            raise ProcessFailed(
                f"{self.command[0]} exited with code {self.process.returncode} before {what}:\n"
                f"{_tail(self.log)}"
            )

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, as a crashed machine would."""
        assert self.process is not None, "the process was never started"
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT_S)

    def stop(self) -> None:
        """Stop the process if it still runs: SIGTERM (its graceful path), SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class WorkerProcess(ManagedProcess):
    """`python worker.py` in a process of its own, configured by its environment."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        super().__init__([sys.executable, str(ROOT / "worker.py")], env, log)

    def start(self) -> None:
        """Start the worker and wait until it serves its task queue."""
        self.spawn()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if SERVING_LINE in self.log.read_text(errors="replace"):
                return
            self.exited_early("it served its task queue")
            time.sleep(0.05)
        self.stop()
        raise ProcessFailed(f"the worker did not start serving:\n{_tail(self.log)}")


class ApiProcess(ManagedProcess):
    """`partnerships api` on a port of its own, configured by its environment."""

    def __init__(self, env: dict[str, str], log: Path, port: int) -> None:
        super().__init__([str(PARTNERSHIPS), "api", "--api-port", str(port)], env, log)
        self.port = port

    @property
    def url(self) -> str:
        """The API's base URL."""
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        """Start the API and wait until `GET /healthz` answers 200."""
        self.spawn()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if _healthy(self.port):
                return
            self.exited_early("it answered /healthz")
            time.sleep(0.05)
        self.stop()
        raise ProcessFailed(f"the API did not answer /healthz:\n{_tail(self.log)}")


def _healthy(port: int) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()
