"""A fuzzed step whose header value holds a control character still reaches the server: the
`requests` library refuses to send it, so the fuzzer sends it as raw HTTP/1.1 (a hostile client
would), and the answer is the server's, not a client-side "server error"."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from faults.fuzz_plan import ApiRaw
from faults.fuzz_send import send_api_raw


class _Refusing(BaseHTTPRequestHandler):
    """Answers every POST 400, keeping the Idempotency-Key it received."""

    received: list[str | None] = []  # noqa: RUF012 (shared with the test by design)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).received.append(self.headers.get("Idempotency-Key"))
        self.send_response(400)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads what it needs from `received`."""


@pytest.fixture
def server_url() -> Iterator[str]:
    """A loopback HTTP server on a port the OS chose, stopped after the test."""
    _Refusing.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_a_header_value_with_a_control_character_reaches_the_server_and_its_answer_counts(
    server_url: str,
) -> None:
    request = ApiRaw(
        tag="fuzz-0001",
        token="none",
        country="AF",
        update="respond_to_consultation",
        body=b"{}",
        headers={"Idempotency-Key": "\x1dd"},
    )

    answer = send_api_raw(request, server_url, {})

    assert _Refusing.received == ["\x1dd"]
    assert answer.status == "400"
    assert answer.server_error is False
    assert answer.accepted is False
