"""`partnerships deliveries` and `partnerships mail` against a real store and a real sink's
files, through Typer's runner (retry's refusals are said before Temporal is asked)."""

from __future__ import annotations

import asyncio
import datetime
import json
import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest
from typer.testing import CliRunner

from activities.database import create_engine_from_url
from activities.delivery_log import Attempt, DeliveryLog
from activities.delivery_messages import DeliveryState, delivery_id
from interfaces.cli.app import app
from migrations import runner
from tools.mail_sink import start_mail_sink

NOW = datetime.datetime(2026, 12, 2, 6, 0, tzinfo=datetime.UTC)
FAILED = delivery_id("partnership-CV/1", 12, "launch", "s1")
DELIVERED = delivery_id("partnership-CV/1", 11, "council_decision", "s1")


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'partnerships.db'}"
    runner.upgrade(url)
    engine = create_engine_from_url(url)
    log = DeliveryLog(engine)
    for key, version, kind in ((DELIVERED, 11, "council_decision"), (FAILED, 12, "launch")):
        log.open(
            delivery_id=key,
            stream_id="partnership-CV/1",
            version=version,
            kind=kind,
            subscription_id="s1",
            subscriber="Council Secretariat",
            destination="https://council.example.eu/hooks",
            now=NOW,
        )
    log.record_attempt(
        DELIVERED, Attempt(1, NOW, "delivered", 9, 204), final=DeliveryState.DELIVERED
    )
    for n in range(1, 8):
        log.record_attempt(FAILED, Attempt(n, NOW, "retried", 30, 503, error=f"HTTP 503 #{n}"))
    log.finish(FAILED, DeliveryState.FAILED, NOW)
    engine.dispose()
    return url


def run(url: str, *args: str, **env: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"DATABASE_URL": url, "COLUMNS": "200", **env})
    return result.exit_code, result.output


def test_failed_deliveries_are_listed_with_their_latest_attempts_and_how_to_resend(
    url: str,
) -> None:
    code, output = run(url, "deliveries", "--failed")
    assert code == 0, output
    assert FAILED in output
    assert DELIVERED not in output
    assert "… 2 earlier attempts" in output
    assert "HTTP 503 #7" in output
    assert "HTTP 503 #2" not in output
    assert f"partnerships deliveries retry {FAILED}" in output
    code, listed = run(url, "deliveries", "--json")
    # Both started at the same moment: then by id.
    assert [d["delivery_id"] for d in json.loads(listed)] == [DELIVERED, FAILED]
    assert {len(d["log"]) for d in json.loads(listed)} == {1, 7}


def test_retry_refuses_an_unknown_or_delivered_delivery_without_asking_temporal(url: str) -> None:
    # TEMPORAL_ADDRESS leads nowhere: a refusal comes before any connection.
    code, output = run(url, "deliveries", "retry", "nope", TEMPORAL_ADDRESS="127.0.0.1:1")
    assert (code, "no delivery has the id 'nope'" in output) == (4, True)
    code, output = run(url, "deliveries", "retry", DELIVERED, TEMPORAL_ADDRESS="127.0.0.1:1")
    assert code == 1
    assert "is delivered; only a failed delivery can be re-sent" in output


def test_mail_lists_what_the_sink_caught(url: str, tmp_path: Path) -> None:
    async def send_one() -> None:
        server = await start_mail_sink(tmp_path / "mail", "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        message = EmailMessage()
        message["Subject"] = "Report from the Commission to the Council"
        message["From"] = "pilot@example.eu"
        message["To"] = "presidency@consilium.example.eu"
        message.set_content("text")
        message.add_attachment(b"%PDF-1.7", maintype="application", subtype="pdf", filename="r.pdf")

        def send() -> None:
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
                smtp.send_message(message)

        try:
            await asyncio.to_thread(send)
        finally:
            server.close()
            await server.wait_closed()

    asyncio.run(send_one())
    code, output = run(url, "mail", DATA_DIR=str(tmp_path))
    assert code == 0, output
    assert "to presidency@consilium.example.eu" in output
    assert "Report from the Commission to the Council" in output
    assert "text/plain, application/pdf; attached: r.pdf" in output
    code, empty = run(url, "mail", "--dir", str(tmp_path / "none"))
    assert "No e-mail caught" in empty
