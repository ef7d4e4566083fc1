"""`partnerships dev` always stops the server it started, whenever SIGINT or SIGTERM arrives.

The real processes are replaced by a fake server that signals this very process at the worst
moments: while the server is being started, and while it is being stopped.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tools import dev
from tools.dev import STOP_SIGNALS, Stack


@pytest.fixture(autouse=True)
def _restore_signal_handlers() -> Iterator[None]:
    saved = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


class FakeServer:
    """Stands in for the Temporal dev server; records what happened to it."""

    instances: ClassVar[list[FakeServer]] = []
    signal_on_start: ClassVar[signal.Signals | None] = None

    def __init__(self, command: list[str], log_path: Path) -> None:
        self.events: list[str] = []
        FakeServer.instances.append(self)

    def start(self) -> None:
        if self.signal_on_start is not None:
            # Delivered mid-start: it must wait until the server is known.
            os.kill(os.getpid(), self.signal_on_start)
        self.events.append("started")

    def exited(self) -> int | None:
        return None

    def stop(self) -> None:
        # A second Ctrl-C and a SIGTERM while stopping: neither may cut the stop short.
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGTERM)
        self.events.append("stopped")


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Stack:
    FakeServer.instances = []
    FakeServer.signal_on_start = None
    monkeypatch.setattr(dev, "TemporalServer", FakeServer)
    monkeypatch.setattr(dev, "check_port_free", lambda port, what: None)
    monkeypatch.setattr(dev, "temporal_binary", lambda: Path("/bin/true"))
    monkeypatch.setattr(dev, "migrate", lambda url: None)
    return Stack(data_dir=tmp_path / "data", port=1, ui_port=2, namespace="default")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_the_server_starts_stops_it_before_the_worker_runs(
    stack: Stack, signum: signal.Signals, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def never(*args: Any) -> None:
        raise AssertionError("the worker must not start after a stop signal")

    monkeypatch.setattr(dev, "_serve", never)
    FakeServer.signal_on_start = signum
    dev.run_stack(stack)
    (server,) = FakeServer.instances
    assert server.events == ["started", "stopped"]


def test_a_sigterm_to_the_running_worker_stops_it_and_then_the_server(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def serving(*args: Any) -> None:
        # What worker.serve does: its own handlers on the loop, then wait for a signal.
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            loop.add_signal_handler(signum, stop.set)
        os.kill(os.getpid(), signal.SIGTERM)
        await stop.wait()

    monkeypatch.setattr(dev, "_serve", serving)
    dev.run_stack(stack)
    (server,) = FakeServer.instances
    assert server.events == ["started", "stopped"]
    # asyncio would have put back the default action (death) when its loop closed.
    assert all(signal.getsignal(signum) is dev._hold for signum in STOP_SIGNALS)
