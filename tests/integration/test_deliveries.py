"""The delivery log and the sweeper's plan, on SQLite and PostgreSQL: what is owed to whom,
what was started, each attempt, and when a milestone is delivered to every subscriber."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from activities.codec import to_new_event
from activities.delivery_log import Attempt, DeliveryLog
from activities.delivery_messages import DeliveryState, delivery_id
from activities.directory_store import DirectoryStore
from activities.eventstore import EventStore
from activities.milestone_payloads import outbox_milestone, status_summary, webhook_body
from activities.outbox import Outbox
from activities.projections import Projections
from app.deliveries import plan
from domain.subscriptions import Subscribe, Subscription
from tests.unit.strategies import at_launched

STREAM = "partnership-CV/1"
NOW = datetime.datetime(2026, 12, 2, 6, 0, tzinfo=datetime.UTC)
EARLIER = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
"""After Cape Verde's Council decision was recorded (2025-11-20), before its launch
(2026-02-10): a subscription made then, without history, takes the launch alone."""

KINDS = [
    "consultation_outcome",
    "talks_outcome",
    "report_to_council",
    "council_decision",
    "launch",
]


def launched(engine: Engine) -> None:
    """Cape Verde's whole launched history, with its read models and outbox."""
    store = EventStore(engine, projections=Projections(engine))
    for version, event in enumerate(at_launched().events, start=1):
        store.append(STREAM, version - 1, [to_new_event(uuid.uuid4(), event, {})])


def subscribe(engine: Engine, name: str, at: datetime.datetime, **fields: Any) -> Subscription:
    """A subscription added at `at` (the directory's clock)."""
    command = Subscribe.model_validate(
        {"name": name, "destination": f"{name}@consilium.example.eu", "subscribed_by": "ada"}
        | fields
    )
    return DirectoryStore(engine, clock=lambda: at).subscribe(command)


def opened(log: DeliveryLog, version: int = 13, kind: str = "launch", sub: str = "s1") -> str:
    key = delivery_id(STREAM, version, kind, sub)
    log.open(
        delivery_id=key,
        stream_id=STREAM,
        version=version,
        kind=kind,
        subscription_id=sub,
        subscriber="Council Secretariat",
        destination="https://council.example.eu/hooks",
        now=NOW,
    )
    return key


def attempt(n: int, outcome: str, status: int | None = None, error: str | None = None) -> Attempt:
    return Attempt(
        attempt=n,
        attempted_at=NOW + datetime.timedelta(seconds=n),
        outcome=outcome,
        duration_ms=12,
        status_code=status,
        error=error,
        subscription_id="s1",
        subscriber="Council Secretariat",
    )


class DeliveriesContract:
    """Subclasses provide `engine`: a migrated, empty store."""

    def test_opening_a_delivery_twice_writes_one_pending_row(self, engine: Engine) -> None:
        log = DeliveryLog(engine)
        key = opened(log)
        opened(log)
        [delivery] = log.recent()
        assert delivery.delivery_id == key == "delivery:partnership-CV/1:13:launch:s1"
        assert (delivery.state, delivery.attempts, delivery.created_at) == (
            DeliveryState.PENDING,
            0,
            NOW,
        )

    def test_each_attempt_is_logged_and_the_last_one_ends_the_delivery(
        self, engine: Engine
    ) -> None:
        log = DeliveryLog(engine)
        key = opened(log)
        log.record_attempt(key, attempt(1, "retried", 500, "the receiver answered HTTP 500"))
        log.record_attempt(key, attempt(2, "delivered", 204), final=DeliveryState.DELIVERED)
        [delivery] = log.recent(DeliveryState.DELIVERED)
        assert delivery.attempts == 2
        assert delivery.last_error == "the receiver answered HTTP 500"
        assert delivery.finished_at == NOW + datetime.timedelta(seconds=2)
        assert [(a.attempt, a.outcome, a.status_code) for a in log.attempts(key)] == [
            (1, "retried", 500),
            (2, "delivered", 204),
        ]
        assert log.recent(DeliveryState.FAILED) == []
        # An ended delivery is not ended again.
        assert not log.finish(key, DeliveryState.FAILED, NOW)

    def test_a_failed_delivery_opened_again_is_pending_and_keeps_its_log(
        self, engine: Engine
    ) -> None:
        log = DeliveryLog(engine)
        key = opened(log)
        log.record_attempt(key, attempt(1, "retried", 502, "HTTP 502"))
        assert log.finish(key, DeliveryState.FAILED, NOW, "its retry period ended")
        assert [d.state for d in log.recent()] == [DeliveryState.FAILED]
        again = opened(log)
        [delivery] = log.recent()
        assert (delivery.delivery_id, delivery.state, delivery.attempts) == (
            again,
            DeliveryState.PENDING,
            1,
        )
        assert delivery.finished_at is None
        assert len(log.attempts(key)) == 1

    def test_a_long_error_is_clipped_not_refused(self, engine: Engine) -> None:
        log = DeliveryLog(engine)
        key = opened(log)
        log.record_attempt(key, attempt(1, "retried", 500, "x" * 10_000))
        [delivery] = log.recent()
        assert delivery.last_error is not None
        assert len(delivery.last_error) == 2000

    def test_a_history_subscription_is_owed_every_matching_milestone_a_new_one_none(
        self, engine: Engine
    ) -> None:
        launched(engine)
        log = DeliveryLog(engine)
        everything = subscribe(engine, "archive", NOW, history=True)
        newcomer = subscribe(engine, "newcomer", NOW)
        early = subscribe(engine, "early", EARLIER, kinds=("launch", "council_decision"))
        elsewhere = subscribe(engine, "elsewhere", EARLIER, countries=("MD",))
        owed = log.owed(include_delivered=True)
        assert [m.kind for m in owed] == KINDS
        assert {m.region for m in owed} == {"africa_mediterranean"}
        due, settled = plan(owed, [everything, newcomer, early, elsewhere], log.started())
        assert settled == []
        assert sorted((d.subscription.name, d.milestone.kind) for d in due) == sorted(
            [("archive", kind) for kind in KINDS] + [("early", "launch")]
        )
        assert newcomer.subscription_id not in {d.subscription.subscription_id for d in due}
        assert elsewhere.subscription_id not in {d.subscription.subscription_id for d in due}

    def test_a_started_delivery_is_not_due_again_and_a_milestone_is_settled_when_all_have_it(
        self, engine: Engine
    ) -> None:
        launched(engine)
        log = DeliveryLog(engine)
        one = subscribe(engine, "one", EARLIER, kinds=("launch",))
        two = subscribe(engine, "two", EARLIER, kinds=("launch",))
        [launch] = [m for m in log.owed(include_delivered=False) if m.kind == "launch"]
        keys = [opened(log, launch.version, "launch", s.subscription_id) for s in (one, two)]
        due, settled = plan([launch], [one, two], log.started())
        assert (due, settled) == ([], [])
        assert set(log.started([STREAM])) == set(log.started())
        assert log.started(["partnership-MD/1"]) == {}
        log.record_attempt(keys[0], attempt(1, "delivered", 200), final=DeliveryState.DELIVERED)
        assert plan([launch], [one, two], log.started()) == ([], [])
        log.record_attempt(keys[1], attempt(1, "delivered", 200), final=DeliveryState.DELIVERED)
        assert plan([launch], [one, two], log.started()) == ([], [launch])
        outbox = Outbox(engine)
        assert outbox.mark_delivered(launch.stream_id, launch.position, launch.kind)
        assert "launch" not in [m.kind for m in log.owed(include_delivered=False)]
        assert "launch" in [m.kind for m in log.owed(include_delivered=True)]

    def test_a_milestone_owed_to_nobody_stays_pending(self, engine: Engine) -> None:
        launched(engine)
        log = DeliveryLog(engine)
        owed = log.owed(include_delivered=False)
        assert plan(owed, [], log.started()) == ([], [])
        assert [m.delivery_state for m in owed] == ["pending"] * len(KINDS)

    def test_the_webhook_body_holds_the_milestone_the_status_and_the_links(
        self, engine: Engine
    ) -> None:
        launched(engine)
        milestone = outbox_milestone(engine, STREAM, 13, "launch")
        assert milestone is not None
        assert outbox_milestone(engine, STREAM, 12, "launch") is None
        key = delivery_id(STREAM, 13, "launch", "s1")
        body = json.loads(
            webhook_body(
                message_id=key,
                milestone=milestone,
                version=13,
                summary=status_summary(engine, STREAM),
                public_url="https://partnerships.example.eu/",
            )
        )
        assert body["id"] == key
        assert body["type"] == "milestone.reached"
        data = body["data"]
        assert data["milestone"] == {
            "stream_id": STREAM,
            "version": 13,
            "kind": "launch",
            "country": "CV",
            "business_date": "2026-02-10",
            "recorded_at": "2026-02-10T12:00:00+00:00",
        }
        assert data["partnership"]["stage"] == "launched"
        assert data["partnership"]["region"] == "africa_mediterranean"
        assert data["partnership"]["version"] == 13
        assert data["links"] == {
            "report": "https://partnerships.example.eu/partnerships/CV/reports/launch",
            "partnership": "https://partnerships.example.eu/partnerships/CV",
            "events": "https://partnerships.example.eu/partnerships/CV/events",
        }
        assert data["report"]["text"] == milestone.report


class TestDeliveriesOnSQLite(DeliveriesContract):
    @pytest.fixture
    def engine(self, sqlite_engine: Engine) -> Engine:
        return sqlite_engine


@pytest.mark.postgres
class TestDeliveriesOnPostgreSQL(DeliveriesContract):
    @pytest.fixture
    def engine(self, pg_engine: Engine) -> Engine:
        return pg_engine
