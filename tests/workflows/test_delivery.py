"""Milestones reach their subscribers: a real webhook receiver and a real SMTP server on
loopback, a real Temporal dev server, the real worker and the sweeper, with short retries."""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.database import create_engine_from_url
from activities.delivery_log import DeliveryLog
from activities.delivery_messages import DeliveryState
from activities.directory_store import DirectoryStore
from activities.eventstore import EventStore
from activities.outbox import Outbox
from activities.webhook_signatures import secret_for, usable_key, verify
from app.deliveries import DeliverySweeper, NotRetryable, deliveries, retry
from domain.directory import DIRECTORY_STREAM
from domain.subscriptions import Subscribe, Subscription
from settings import Settings
from tests.workflows.delivery_receivers import SIGNING_KEY, WebhookReceiver, smtp_server
from tests.workflows.harness import COMMISSION, Harness, member, unique_task_queue
from tools.mail_sink import caught
from worker import build_worker, wire
from workflows.contract import COUNTRY

PATIENCE_S = 30.0


@dataclass
class Stack:
    """A worker and a sweeper on the dev server, and what the test looks at."""

    harness: Harness
    settings: Settings
    directory: DirectoryStore
    log: DeliveryLog
    mail_dir: Path

    def subscribe(self, name: str, destination: str, **fields: Any) -> Subscription:
        """Add a subscription as an administrator would (loopback http allowed in tests)."""
        return self.directory.subscribe(
            Subscribe(name=name, destination=destination, subscribed_by="ada", **fields),
            allow_loopback_http=True,
        )

    async def reach_consultation_outcome(self, country: str = "CV") -> None:
        """Propose, have PT answer interested, close: the consultation_outcome milestone."""
        h = self.harness
        handle = await h.propose(country)
        await h.update(
            handle,
            "respond_to_consultation",
            member("PT"),
            member_state="PT",
            position="interested",
            offers=["legal_migration"],
        )
        await h.update(handle, "close_consultation", COMMISSION)

    async def until(self, what: str, check: Callable[[], bool]) -> None:
        """Wait (polling) until `check()` holds, at most PATIENCE_S seconds."""
        deadline = asyncio.get_running_loop().time() + PATIENCE_S
        while not await asyncio.to_thread(check):
            if asyncio.get_running_loop().time() > deadline:
                log = self.log
                shown = [(d.state.value, log.attempts(d.delivery_id)) for d in log.recent()]
                raise AssertionError(f"not within {PATIENCE_S} s: {what}; deliveries: {shown}")
            await asyncio.sleep(0.05)

    def states(self) -> list[DeliveryState]:
        """Every delivery's state, newest first."""
        return [d.state for d in self.log.recent()]


def fast_settings(database_url: str, tmp_path: Path, smtp_port: int, **more: Any) -> Settings:
    """Settings with retries in tenths of a second, the test's SMTP server and signing key."""
    return Settings(
        database_url=database_url,
        task_queue=unique_task_queue(),
        data_dir=str(tmp_path),
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        mail_from="secretariat@pilot.example.eu",
        public_url="https://partnerships.example.eu",
        webhook_signing_key=SIGNING_KEY,
        delivery_retry_initial=timedelta(seconds=0.1),
        delivery_retry_maximum=timedelta(seconds=0.2),
        delivery_attempt_timeout=timedelta(seconds=5),
        delivery_sweep_interval=timedelta(seconds=0.1),
        **more,
    )


@pytest.fixture
def receiver() -> Any:
    with WebhookReceiver().serving() as serving:
        yield serving


@pytest.fixture
async def smtp_port(tmp_path: Path) -> AsyncIterator[int]:
    async with smtp_server(tmp_path / "mail") as port:
        yield port


@pytest.fixture
def settings(database_url: str, tmp_path: Path, smtp_port: int) -> Settings:
    return fast_settings(database_url, tmp_path, smtp_port)


@contextlib.asynccontextmanager
async def running(
    env: WorkflowEnvironment, settings: Settings, database_url: str, tmp_path: Path
) -> AsyncIterator[Stack]:
    """The real worker (with the delivery workflow) and the sweeper, until the block ends."""
    wiring = wire(settings)
    engine = create_engine_from_url(database_url)
    stop = asyncio.Event()
    sweeper = DeliverySweeper(env.client, settings, engine)
    async with build_worker(env.client, wiring, settings.task_queue):
        sweeping = asyncio.create_task(sweeper.run(stop))
        try:
            yield Stack(
                Harness(env.client, settings.task_queue, database_url),
                settings,
                DirectoryStore(engine),
                DeliveryLog(engine),
                tmp_path / "mail",
            )
        finally:
            stop.set()
            await sweeping
    wiring.executor.shutdown(wait=True)
    engine.dispose()


@pytest.fixture
async def stack(
    dev_env: WorkflowEnvironment, settings: Settings, database_url: str, tmp_path: Path
) -> AsyncIterator[Stack]:
    async with running(dev_env, settings, database_url, tmp_path) as started:
        yield started


def secret_of(subscription: Subscription) -> str:
    """The subscriber's secret, as an administrator holding the signing key would show it."""
    return secret_for(usable_key(SIGNING_KEY, source="test"), subscription.subscription_id)


async def test_a_milestone_reaches_both_a_webhook_and_a_mailbox_and_the_signature_verifies(
    stack: Stack, receiver: WebhookReceiver
) -> None:
    hook = stack.subscribe("Council Secretariat", receiver.url)
    mailbox = stack.subscribe("Presidency", "presidency@consilium.example.eu")
    await stack.reach_consultation_outcome("CV")
    await stack.until("both delivered", lambda: stack.states() == [DeliveryState.DELIVERED] * 2)

    [request] = receiver.received
    verify(secret_of(hook), request.headers, request.body, now=datetime.now(UTC))
    body = json.loads(request.body)
    milestone = body["data"]["milestone"]
    assert milestone["kind"] == "consultation_outcome"
    assert milestone["country"] == "CV"
    assert request.headers["webhook-id"] == body["id"]
    assert request.headers["webhook-id"] == (
        f"delivery:{milestone['stream_id']}:{milestone['version']}:consultation_outcome:"
        f"{hook.subscription_id}"
    )
    assert body["data"]["partnership"]["stage"] == "awaiting_talks_authorisation"
    assert body["data"]["partnership"]["interested_member_states"] == ["PT"]
    assert body["data"]["links"]["report"] == (
        "https://partnerships.example.eu/partnerships/CV/reports/consultation_outcome"
    )
    assert "PT" in body["data"]["report"]["text"]

    [mail] = caught(stack.mail_dir)
    assert mail.to == "presidency@consilium.example.eu"
    assert mail.parts == ["text/plain", "text/html", "application/pdf"]
    assert "Cabo Verde" in mail.subject or "Cape Verde" in mail.subject
    attachment = next(mail.message.iter_attachments())
    assert attachment.get_content().startswith(b"%PDF")

    [to_mailbox] = [d for d in stack.log.recent() if d.subscription_id == mailbox.subscription_id]
    [attempt] = stack.log.attempts(to_mailbox.delivery_id)
    assert attempt.outcome == "delivered"
    assert attempt.status_code == 250
    assert attempt.reply is not None
    assert "saved as" in attempt.reply
    # The outbox says so once every subscriber owed it has it.
    outbox = Outbox(stack.log.engine)
    await stack.until(
        "the milestone is marked delivered",
        lambda: [m.delivery_state for m in outbox.all()] == ["delivered"],
    )


async def test_a_receiver_that_fails_three_times_gets_it_once_delivered_with_four_attempts(
    stack: Stack, receiver: WebhookReceiver
) -> None:
    receiver.answers = [500, 503, 429]
    stack.subscribe("Council Secretariat", receiver.url)
    await stack.reach_consultation_outcome("CV")
    await stack.until("delivered", lambda: stack.states() == [DeliveryState.DELIVERED])

    [delivery] = stack.log.recent()
    assert delivery.attempts == 4
    log = stack.log.attempts(delivery.delivery_id)
    assert [(a.outcome, a.status_code) for a in log] == [
        ("retried", 500),
        ("retried", 503),
        ("retried", 429),
        ("delivered", 200),
    ]
    assert [a.attempt for a in log] == [1, 2, 3, 4]
    assert "HTTP 500" in (log[0].error or "")
    assert len(receiver.received) == 4
    assert {r.headers["webhook-id"] for r in receiver.received} == {delivery.delivery_id}
    # Accepted once: only the last answer was a 2xx, and the delivery's run completed.
    handle = stack.harness.client.get_workflow_handle(delivery.delivery_id)
    assert (await handle.result())["state"] == "delivered"
    described = await handle.describe()
    assert described.status is WorkflowExecutionStatus.COMPLETED
    # Operators find it as they find the partnership: PartnershipCountry="CV".
    assert described.typed_search_attributes.get(COUNTRY) == "CV"


async def test_a_410_stops_the_subscription_and_nothing_more_is_sent_to_it(
    stack: Stack, receiver: WebhookReceiver
) -> None:
    receiver.answers = [410]
    gone = stack.subscribe("Old receiver", receiver.url)
    await stack.reach_consultation_outcome("CV")
    await stack.until("stopped", lambda: stack.states() == [DeliveryState.STOPPED])

    held = stack.directory.subscription(gone.subscription_id)
    assert held is not None
    assert held.ended == "stopped"
    assert "410" in (held.end_reason or "")
    [delivery] = stack.log.recent()
    assert [a.outcome for a in stack.log.attempts(delivery.delivery_id)] == ["stopped"]
    # The directory's record says which delivery stopped it.
    stopped = EventStore(stack.log.engine).read_stream(DIRECTORY_STREAM)[-1]
    assert stopped.type == "SubscriptionStopped"
    assert stopped.metadata["workflow_id"] == delivery.delivery_id
    assert stopped.metadata["channel"] == "system"
    # Another milestone is owed to no one now: the sweeper starts nothing for it.
    await stack.reach_consultation_outcome("MD")
    await asyncio.sleep(1.0)  # ten sweeps
    assert len(receiver.received) == 1
    assert len(stack.log.recent()) == 1


async def test_a_delivery_that_fails_for_its_whole_period_is_failed_and_can_be_sent_again(
    dev_env: WorkflowEnvironment,
    database_url: str,
    tmp_path: Path,
    smtp_port: int,
    receiver: WebhookReceiver,
) -> None:
    settings = fast_settings(
        database_url, tmp_path, smtp_port, delivery_retry_period=timedelta(seconds=2)
    )
    receiver.otherwise = 502
    async with running(dev_env, settings, database_url, tmp_path) as stack:
        stack.subscribe("Council Secretariat", receiver.url)
        await stack.reach_consultation_outcome("CV")
        await stack.until("failed", lambda: stack.states() == [DeliveryState.FAILED])

        [record] = deliveries(stack.log.engine, state=DeliveryState.FAILED)
        assert record.delivery.attempts >= 2
        assert all(a.outcome == "retried" and a.status_code == 502 for a in record.attempts)
        assert "HTTP 502" in (record.delivery.last_error or "")
        handle = dev_env.client.get_workflow_handle(record.delivery.delivery_id)
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
        assert isinstance(failed.value.cause, ApplicationError)
        assert failed.value.cause.type == "DeliveryFailed"
        assert "within its retry period (0:00:02)" in failed.value.cause.message
        assert "HTTP 502" in failed.value.cause.message
        # The sweeper does not start it again by itself.
        await asyncio.sleep(0.5)
        assert (await handle.describe()).status is WorkflowExecutionStatus.FAILED

        receiver.otherwise = 204
        await retry(dev_env.client, settings, stack.log.engine, record.delivery.delivery_id)
        await stack.until("delivered", lambda: stack.states() == [DeliveryState.DELIVERED])
        assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
        assert (await handle.result())["state"] == "delivered"
        assert (await handle.describe()).status is WorkflowExecutionStatus.COMPLETED
        with pytest.raises(NotRetryable, match="delivered"):
            await retry(dev_env.client, settings, stack.log.engine, record.delivery.delivery_id)


async def test_an_smtp_5xx_reply_is_final_at_once(
    dev_env: WorkflowEnvironment, database_url: str, tmp_path: Path
) -> None:
    async with smtp_server(tmp_path / "mail", ["550 5.1.1 no such mailbox"]) as port:
        settings = fast_settings(database_url, tmp_path, port)
        async with running(dev_env, settings, database_url, tmp_path) as stack:
            stack.subscribe("Presidency", "nobody@consilium.example.eu")
            await stack.reach_consultation_outcome("CV")
            await stack.until("failed", lambda: stack.states() == [DeliveryState.FAILED])
            [record] = deliveries(stack.log.engine)
            assert [(a.outcome, a.status_code) for a in record.attempts] == [("failed", 550)]
            assert "no such mailbox" in (record.attempts[0].reply or "")
            assert caught(stack.mail_dir) == []


async def test_an_smtp_4xx_reply_is_retried(
    dev_env: WorkflowEnvironment, database_url: str, tmp_path: Path
) -> None:
    async with smtp_server(tmp_path / "mail", ["451 4.3.0 try again later"]) as port:
        settings = fast_settings(database_url, tmp_path, port)
        async with running(dev_env, settings, database_url, tmp_path) as stack:
            stack.subscribe("Presidency", "presidency@consilium.example.eu")
            await stack.reach_consultation_outcome("CV")
            await stack.until("delivered", lambda: stack.states() == [DeliveryState.DELIVERED])
            [record] = deliveries(stack.log.engine)
            assert [(a.outcome, a.status_code) for a in record.attempts] == [
                ("retried", 451),
                ("delivered", 250),
            ]
            [mail] = caught(stack.mail_dir)
            parsed = mail.message
            assert parsed.get("Message-ID")
            assert isinstance(parsed.policy, type(email.policy.default))
