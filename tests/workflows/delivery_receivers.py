"""Real receivers for delivery tests: a webhook receiver over HTTP and an SMTP server, both
on loopback ports they asked the system for (127.0.0.1:0), stopped by the test that started them.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from tools.mail_sink import MailSink

SIGNING_KEY = base64.b64encode(bytes(range(32))).decode()
"""A WEBHOOK_SIGNING_KEY for tests (32 bytes, base64)."""


@dataclass(frozen=True)
class Received:
    """One request the receiver took."""

    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    """Answers each POST with the next status of `answers` (then `otherwise`), recording it.

    When `hold` is set, each request waits until `release` is set before it is answered: a
    test can have a delivery in flight at a moment of its choosing.
    """

    answers: list[int] = field(default_factory=list)
    otherwise: int = 200
    hold: bool = False
    received: list[Received] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        """Record a request and choose its answer."""
        with self._lock:
            self.received.append(Received(headers, body))
            status = self.answers.pop(0) if self.answers else self.otherwise
        self.arrived.set()
        return status

    @contextlib.contextmanager
    def serving(self) -> Iterator[WebhookReceiver]:
        """Serve on 127.0.0.1:0 in a thread until the block ends."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                status = receiver.answer({k.lower(): v for k, v in self.headers.items()}, body)
                if receiver.hold:
                    receiver.release.wait(60)
                with contextlib.suppress(OSError):  # the sender may have died meanwhile
                    self.send_response(status)
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/milestones"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.release.set()
            server.shutdown()
            server.server_close()
            thread.join(10)


class ScriptedSink(MailSink):
    """The development sink, answering DATA with scripted replies first (e.g. a 550)."""

    def __init__(self, directory: Path, replies: list[str]) -> None:
        super().__init__(directory)
        self.replies = replies

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """The next scripted reply, or the sink's own (the message written)."""
        if self.replies:
            return self.replies.pop(0)
        return await super().handle_DATA(server, session, envelope)


@contextlib.asynccontextmanager
async def smtp_server(directory: Path, replies: list[str] | None = None) -> AsyncIterator[int]:
    """An SMTP server (aiosmtpd) on 127.0.0.1:0 in this loop, writing to `directory`; its port."""
    sink = ScriptedSink(directory, list(replies or []))
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(sink, hostname="test-smtp"), "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()
