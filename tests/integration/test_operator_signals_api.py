"""The API's operator signals over real HTTP: /metrics, request ids, and log lines that carry them.

The app runs on uvicorn in the test's loop, on a socket the OS gave a free port; the store is a
real migrated SQLite database, and Temporal is an address where nothing listens (so readiness
logs a warning for each request, which the test reads back).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from app.log_context import JsonFormatter, TextFormatter, bound
from interfaces.api.server import create_app
from migrations import runner
from settings import Settings


def closed_port() -> int:
    """A loopback port nothing listens on (the OS gave it, then it was closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A migrated store; Temporal not answering."""
    url = f"sqlite:///{tmp_path / 'partnerships.db'}"
    runner.upgrade(url)
    return Settings(
        database_url=url,
        temporal_address=f"127.0.0.1:{closed_port()}",
        data_dir=str(tmp_path),
    )


@contextlib.asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The API on uvicorn on a free loopback port, and a client of it; stopped on exit."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), log_level="warning", lifespan="off")
    )
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=20) as http:
            yield http
    finally:
        server.should_exit = True
        await serving
        sock.close()


class Lines(logging.Handler):
    """Keeps each formatted line."""

    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__()
        self.setFormatter(formatter)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextlib.contextmanager
def logged(name: str, formatter: logging.Formatter) -> Iterator[Lines]:
    """The lines logger `name` writes inside the block, formatted by `formatter`."""
    handler = Lines(formatter)
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


async def test_the_api_serves_its_metrics_to_loopback(settings: Settings) -> None:
    async with served(settings) as http:
        metrics = await http.get("/metrics")
        assert metrics.status_code == 200
        assert metrics.headers["content-type"].startswith("text/plain")
        assert "partnerships_database_scrape_ok 1.0" in metrics.text
        assert 'partnerships_open_partnerships{stage="consultation"} 0.0' in metrics.text
        assert "partnerships_outbox_milestones_pending 0.0" in metrics.text
        assert "/metrics" not in (await http.get("/openapi.json")).json()["paths"]


async def test_a_forwarded_request_for_metrics_is_refused_by_default(settings: Settings) -> None:
    async with served(settings) as http:
        refused = await http.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert refused.status_code == 403
        assert "API_METRICS=open" in refused.json()["detail"]
    opened = settings.model_copy(update={"api_metrics": "open"})
    async with served(opened) as http:
        answered = await http.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert answered.status_code == 200


async def test_metrics_can_be_turned_off(settings: Settings) -> None:
    async with served(settings.model_copy(update={"api_metrics": "off"})) as http:
        assert (await http.get("/metrics")).status_code == 404


async def test_a_database_that_does_not_answer_shows_in_the_scrape(
    settings: Settings, tmp_path: Path
) -> None:
    missing = settings.model_copy(
        update={"database_url": f"sqlite:///{tmp_path / 'nowhere' / 'missing.db'}"}
    )
    async with served(missing) as http:
        metrics = await http.get("/metrics")
        assert metrics.status_code == 200
        assert "partnerships_database_scrape_ok 0.0" in metrics.text
        assert "partnerships_open_partnerships" not in metrics.text


async def test_a_requests_log_lines_carry_its_request_id(settings: Settings) -> None:
    with logged("pilot-partnerships.api", JsonFormatter()) as log:
        async with served(settings) as http:
            ready = await http.get("/readyz", headers={"X-Request-ID": "req-42.a"})
    assert ready.status_code == 503  # Temporal is not answering: a warning is logged
    assert ready.headers["X-Request-ID"] == "req-42.a"
    lines = [json.loads(line) for line in log.lines]
    assert lines
    assert {line["request_id"] for line in lines} == {"req-42.a"}
    assert any("readiness" in line["message"] for line in lines)
    assert all(line["level"] == "WARNING" for line in lines)


async def test_a_request_without_a_usable_id_gets_a_new_one(settings: Settings) -> None:
    async with served(settings) as http:
        given = await http.get("/healthz", headers={"X-Request-ID": "no spaces allowed"})
        none = await http.get("/healthz")
    assert given.headers["X-Request-ID"] != "no spaces allowed"
    assert len(given.headers["X-Request-ID"]) == 32
    assert len(none.headers["X-Request-ID"]) == 32
    assert given.headers["X-Request-ID"] != none.headers["X-Request-ID"]


def test_text_lines_end_with_their_context() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "appended %d", (3,), None)
    with bound(workflow_id="partnership-CV", run_id="r1", stream="partnership-CV/1"):
        text = TextFormatter().format(record)
        line = json.loads(JsonFormatter().format(record))
    assert text.endswith(
        "INFO appended 3 [workflow_id=partnership-CV run_id=r1 stream=partnership-CV/1]"
    )
    assert line["message"] == "appended 3"
    assert (line["workflow_id"], line["run_id"], line["stream"]) == (
        "partnership-CV",
        "r1",
        "partnership-CV/1",
    )
    assert "request_id" not in line
