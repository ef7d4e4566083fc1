"""A TCP proxy on loopback in front of PostgreSQL, which a fault scenario cuts and restores.

Processes that should lose the database point their DATABASE_URL at the proxy's port. `cut`
closes every connection passing through it and refuses new ones (each is accepted and reset at
once, so a client fails fast instead of waiting out a connect timeout); `restore` lets new
connections through again. The proxy runs an event loop of its own in a thread, so it keeps
forwarding whatever the caller's own loop is doing, and `stop` ends it and every connection.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Final, Self

START_TIMEOUT_S: Final = 10
CHUNK: Final = 65_536


@dataclass
class ProxyCounts:
    """What the proxy has seen so far: connections forwarded, closed by a cut, and refused."""

    forwarded: int = 0
    cut: int = 0
    refused: int = 0


class PgProxy:
    """A loopback TCP proxy to `upstream_host:upstream_port` on a free port of its own.

    Use it as a context manager (or `start` then `stop`); `port` is where clients connect.
    """

    def __init__(self, upstream_host: str = "127.0.0.1", upstream_port: int = 5432) -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.counts = ProxyCounts()
        self._port: int | None = None
        self._open = True
        self._pipes: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._stopped: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="pg-proxy", daemon=True)

    @property
    def port(self) -> int:
        """The loopback port the proxy listens on (asked of the OS)."""
        if self._port is None:
            raise RuntimeError("the proxy has not started; call start() first")
        return self._port

    @property
    def is_cut(self) -> bool:
        """Whether the proxy is refusing connections now."""
        return not self._open

    def start(self) -> None:
        """Start listening; returns once the port is bound. Raises what binding raised."""
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S):
            raise RuntimeError(f"the PostgreSQL proxy did not start in {START_TIMEOUT_S} s")
        if self._error is not None:
            raise self._error

    def cut(self) -> int:
        """Close every open connection and refuse new ones; returns how many were closed."""
        return self._call(self._cut_now)

    def restore(self) -> None:
        """Let new connections through again (the ones cut stay closed, as after an outage)."""
        self._call(self._restore_now)

    def stop(self) -> None:
        """Close the listener and every connection, and end the proxy's thread."""
        if self._loop is not None and self._stopped is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread.is_alive():
            self._thread.join(START_TIMEOUT_S)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def _call(self, action: Callable[[], int]) -> int:
        """Run `action` on the proxy's loop and wait for it, so a cut is complete on return."""
        if self._loop is None or not self._thread.is_alive():
            raise RuntimeError("the proxy is not running")

        async def act() -> int:
            return action()

        return asyncio.run_coroutine_threadsafe(act(), self._loop).result(START_TIMEOUT_S)

    def _cut_now(self) -> int:
        self._open = False
        pipes = list(self._pipes)
        for client, server in pipes:
            client.transport.abort()
            server.transport.abort()
        self._pipes.clear()
        self.counts.cut += len(pipes)
        return len(pipes)

    def _restore_now(self) -> int:
        self._open = True
        return 0

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:
            self._error = error
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self._port = int(self._server.sockets[0].getsockname()[1])
        self._ready.set()
        try:
            await self._stopped.wait()
        finally:
            self._server.close()
            for client, server in list(self._pipes):
                client.transport.abort()
                server.transport.abort()
            self._pipes.clear()
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self._open:
            self.counts.refused += 1
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(
                self.upstream_host, self.upstream_port
            )
        except OSError:
            writer.transport.abort()
            return
        if not self._open:  # cut while the upstream connection was being made
            self.counts.refused += 1
            up_writer.transport.abort()
            writer.transport.abort()
            return
        self.counts.forwarded += 1
        pipe = (writer, up_writer)
        self._pipes.add(pipe)
        try:
            await asyncio.gather(
                self._pump(reader, up_writer, writer), self._pump(up_reader, writer, up_writer)
            )
        finally:
            self._pipes.discard(pipe)

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, back: asyncio.StreamWriter
    ) -> None:
        """Copy `source` to `sink` until `source` ends (then close `sink` once it has flushed)
        or either side fails (then reset both, as a broken network would)."""
        try:
            while chunk := await source.read(CHUNK):
                sink.write(chunk)
                await sink.drain()
        except (ConnectionError, OSError):
            sink.transport.abort()
            back.transport.abort()
        else:
            sink.close()
