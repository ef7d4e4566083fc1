"""The delivery activities called directly (no Temporal) on a real store, with a real webhook
receiver on loopback: one attempt each, logged, and never sent again once it has ended."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from temporalio.exceptions import ApplicationError

from activities.codec import to_new_event
from activities.delivering import DeliveryActivities
from activities.delivery_log import DeliveryLog
from activities.delivery_messages import (
    DeliveryInput,
    DeliveryState,
    FailDeliveryInput,
    RetrySchedule,
    delivery_id,
)
from activities.directory_store import DirectoryStore
from activities.eventstore import EventStore
from activities.projections import Projections
from activities.smtp_sending import SmtpConfig
from activities.webhook_signatures import usable_key
from domain.state import MilestoneKind
from domain.subscriptions import Subscribe, Subscription, Unsubscribe
from tests.unit.strategies import at_launched
from tests.workflows.delivery_receivers import SIGNING_KEY, WebhookReceiver

STREAM = "partnership-CV/1"
SCHEDULE = RetrySchedule(
    first_interval=datetime.timedelta(seconds=1),
    maximum_interval=datetime.timedelta(seconds=2),
    attempt_timeout=datetime.timedelta(seconds=10),
    period=datetime.timedelta(minutes=1),
)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver().serving() as serving:
        yield serving


@pytest.fixture
def store(sqlite_engine: Engine) -> EventStore:
    store = EventStore(sqlite_engine, projections=Projections(sqlite_engine))
    for version, event in enumerate(at_launched().events, start=1):
        store.append(STREAM, version - 1, [to_new_event(uuid.uuid4(), event, {})])
    return store


def activities_of(store: EventStore) -> DeliveryActivities:
    return DeliveryActivities(
        DeliveryLog(store.engine),
        DirectoryStore(store.engine),
        store,
        smtp=SmtpConfig(host="127.0.0.1", port=9, mail_from="pilot@example.eu"),
        public_url="https://partnerships.example.eu",
        signing_key=lambda: usable_key(SIGNING_KEY, source="test"),
    )


def hook(store: EventStore, url: str) -> Subscription:
    return DirectoryStore(store.engine).subscribe(
        Subscribe(name="Council Secretariat", destination=url, subscribed_by="ada", history=True),
        allow_loopback_http=True,
    )


def request_for(subscription: Subscription) -> DeliveryInput:
    return DeliveryInput(
        delivery_id=delivery_id(STREAM, 13, "launch", subscription.subscription_id),
        stream_id=STREAM,
        version=13,
        kind=MilestoneKind.LAUNCH,
        subscription_id=subscription.subscription_id,
        schedule=SCHEDULE,
    )


def test_a_delivered_delivery_is_never_sent_again(
    store: EventStore, receiver: WebhookReceiver
) -> None:
    acts = activities_of(store)
    request = request_for(hook(store, receiver.url))
    assert acts.begin_delivery(request).state is DeliveryState.PENDING
    first = acts.deliver(request)
    assert (first.state, first.attempts) == (DeliveryState.DELIVERED, 1)
    # As a retry after a worker died between logging and reporting would.
    again = acts.deliver(request)
    assert again.state is DeliveryState.DELIVERED
    assert acts.begin_delivery(request).state is DeliveryState.DELIVERED
    assert len(receiver.received) == 1
    assert len(DeliveryLog(store.engine).attempts(request.delivery_id)) == 1


def test_a_refused_attempt_is_logged_and_raised_for_temporal_to_retry(
    store: EventStore, receiver: WebhookReceiver
) -> None:
    receiver.answers = [503]
    acts = activities_of(store)
    request = request_for(hook(store, receiver.url))
    acts.begin_delivery(request)
    with pytest.raises(ApplicationError, match="HTTP 503") as refused:
        acts.deliver(request)
    assert not refused.value.non_retryable
    assert refused.value.type == "WebhookRefused"
    [attempt] = DeliveryLog(store.engine).attempts(request.delivery_id)
    assert (attempt.outcome, attempt.status_code) == ("retried", 503)
    failed = acts.fail_delivery(FailDeliveryInput(delivery_id=request.delivery_id, reason="x"))
    assert (failed.state, failed.attempts) == (DeliveryState.FAILED, 1)
    assert "HTTP 503" in failed.detail


def test_a_removed_subscription_is_sent_nothing(
    store: EventStore, receiver: WebhookReceiver
) -> None:
    acts = activities_of(store)
    subscription = hook(store, receiver.url)
    request = request_for(subscription)
    DirectoryStore(store.engine).unsubscribe(
        Unsubscribe(subscription_id=subscription.subscription_id, removed_by="ada")
    )
    begun = acts.begin_delivery(request)
    assert begun.state is DeliveryState.STOPPED
    assert "removed" in begun.detail
    assert receiver.received == []


def test_a_milestone_missing_from_the_outbox_fails_for_good(
    store: EventStore, receiver: WebhookReceiver
) -> None:
    acts = activities_of(store)
    subscription = hook(store, receiver.url)
    request = request_for(subscription).model_copy(update={"version": 12})
    acts.begin_delivery(request)
    with pytest.raises(ApplicationError, match="no launch milestone at version 12") as missing:
        acts.deliver(request)
    assert missing.value.non_retryable
    assert receiver.received == []
