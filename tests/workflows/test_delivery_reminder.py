"""The deadline reminder reaches the Presidency's address 14 days before the Council's decision
deadline, and moves with an extension: on the time-skipping server, no sleeping for deadlines."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.database import create_engine_from_url
from activities.delivery_log import DeliveryLog
from activities.directory_store import DirectoryStore
from app.deliveries import DeliverySweeper
from domain.council_document import long_date
from domain.subscriptions import Subscribe
from settings import Settings
from tests.workflows.delivery_receivers import SIGNING_KEY, smtp_server
from tests.workflows.harness import (
    Harness,
    drive_to_council_decision,
    presidency,
    today,
    unique_task_queue,
)
from tools.mail_sink import CaughtMail, caught
from worker import build_worker, wire

PRESIDENCY_MAILBOX = "presidency@consilium.example.eu"


@pytest.fixture
async def harness(
    skipping_env: WorkflowEnvironment, database_url: str, tmp_path: Path
) -> AsyncIterator[Harness]:
    """A worker with the delivery workflow, a sweeper and an SMTP server, on skipped time."""
    async with smtp_server(tmp_path / "mail") as port:
        settings = Settings(
            database_url=database_url,
            task_queue=unique_task_queue(),
            data_dir=str(tmp_path),
            smtp_host="127.0.0.1",
            smtp_port=port,
            webhook_signing_key=SIGNING_KEY,
            delivery_retry_initial=timedelta(seconds=0.2),
            delivery_sweep_interval=timedelta(seconds=0.1),
        )
        engine = create_engine_from_url(database_url)
        DirectoryStore(engine).subscribe(
            Subscribe(
                name="Presidency",
                destination=PRESIDENCY_MAILBOX,
                kinds=("deadline_reminder",),
                subscribed_by="ada",
            )
        )
        wiring = wire(settings)
        stop = asyncio.Event()
        async with build_worker(skipping_env.client, wiring, settings.task_queue):
            sweeping = asyncio.create_task(
                DeliverySweeper(skipping_env.client, settings, engine).run(stop)
            )
            try:
                yield Harness(skipping_env.client, settings.task_queue, database_url, skipping_env)
            finally:
                stop.set()
                await sweeping
        wiring.executor.shutdown(wait=True)
        engine.dispose()


def reminder_due(deadline_day: datetime) -> datetime:
    """When the reminder is due: the deadline passes at the end of its day (UTC), less 14 days."""
    return datetime.combine(deadline_day, time.min, tzinfo=UTC) + timedelta(days=1 - 14)


async def mails_within(directory: Path, seconds: float) -> list[CaughtMail]:
    """The e-mails caught once one has arrived, or none after `seconds` (real time)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        found = caught(directory)
        if found:
            return found
        await asyncio.sleep(0.05)
    return []


async def test_the_reminder_reaches_the_presidency_fourteen_days_before_and_moves_with_an_extension(
    harness: Harness, tmp_path: Path
) -> None:
    mail = tmp_path / "mail"
    first = today() + timedelta(days=40)
    handle = await drive_to_council_decision(harness, "CV", ["ES"], decision_deadline=first)
    await harness.skip(days=20)  # before the first reminder (due on day 27)
    second = first + timedelta(days=30)
    await harness.update(
        handle,
        "extend_decision_deadline",
        presidency(await harness.today()),
        new_deadline=second,
        reason="the Council meets later",
    )
    await harness.skip(days=10)  # past when the first reminder would have been due
    assert "DecisionDeadlineReminderIssued" not in harness.event_types("CV")
    assert await mails_within(mail, 1.0) == [], "no reminder for the old deadline"

    due = reminder_due(datetime.combine(second, time.min))
    await harness.skip(days=(due - await harness.now()).total_seconds() / 86_400 - 1 / 1_440)
    assert await mails_within(mail, 1.0) == [], "a minute early"
    await harness.skip(days=2 / 1_440)
    [reminder] = await mails_within(mail, 30.0)

    assert reminder.to == PRESIDENCY_MAILBOX
    assert reminder.parts == ["text/plain", "text/html", "application/pdf"]
    text = reminder.message.get_body(preferencelist=("plain",))
    assert text is not None
    content = text.get_content()
    # The reminder is about the extended deadline (the first may be told as history before it).
    assert content.rfind(long_date(second)) > content.rfind(long_date(first))
    # The delivery ran on the server's clock 14 days before the extended deadline.
    log = DeliveryLog(create_engine_from_url(harness.database_url))
    [delivery] = log.recent()
    delivery_run = harness.client.get_workflow_handle(delivery.delivery_id)
    started = (await delivery_run.describe()).start_time
    assert started is not None
    assert due <= started < due + timedelta(minutes=5)
    assert delivery.kind == "deadline_reminder"
    # The mail can arrive before the attempt is logged as delivered: the run's end says it is.
    await delivery_run.result()
    [delivery] = log.recent()
    assert delivery.state.value == "delivered"
