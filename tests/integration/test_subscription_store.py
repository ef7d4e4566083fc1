"""Subscriptions in the directory's stream, on SQLite and PostgreSQL: recorded with who made
them, folded back, stopped by the system, and replayed beside the role bindings."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from activities.directory_store import DirectoryStore
from activities.eventstore import EventStore
from domain.directory import DIRECTORY_STREAM, BindingRole, GrantRole, RevokeRole
from domain.subscriptions import (
    AlreadySubscribed,
    DestinationKind,
    InvalidSubscription,
    Subscribe,
    SubscriptionEnded,
    UnknownSubscription,
    Unsubscribe,
    active_subscriptions,
)

ISSUER = "https://ecas.example.eu/cas/oauth2"
NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
TODAY = NOW.date()


def subscribe(name: str = "council", destination: str = "https://council.example.eu/hooks",
              **kwargs: Any) -> Subscribe:  # fmt: skip
    return Subscribe(
        **{"name": name, "destination": destination, "subscribed_by": "alice", **kwargs}
    )


class SubscriptionContract:
    """Subclasses provide `engine`: a migrated, empty database."""

    @pytest.fixture
    def directory(self, engine: Engine) -> DirectoryStore:
        ids = (f"s{n}" for n in itertools.count(1))
        return DirectoryStore(engine, clock=lambda: NOW, new_subscription_id=lambda: next(ids))

    def test_a_subscription_is_recorded_in_the_directory_stream_with_its_provenance(
        self, directory: DirectoryStore, engine: Engine
    ) -> None:
        added = directory.subscribe(
            subscribe(kinds=("launch",), countries=("cv",), history=True),
            provenance={"channel": "api", "subject": "alice"},
        )
        assert (added.subscription_id, added.destination.kind) == ("s1", DestinationKind.WEBHOOK)
        assert added.filter.countries == ("CV",)
        assert directory.subscriptions() == [added]
        assert directory.subscription("s1") == added == directory.subscription("COUNCIL")
        (stored,) = EventStore(engine).read_stream(DIRECTORY_STREAM)
        assert stored.type == "SubscriptionAdded"
        assert stored.payload["destination"] == {
            "kind": "webhook",
            "address": "https://council.example.eu/hooks",
        }
        assert stored.payload["filter"]["kinds"] == ["launch"]
        assert stored.metadata == {
            "actor": {"id": "alice", "role": "administrator"},
            "channel": "api",
            "subject": "alice",
        }

    def test_a_removed_subscription_is_listed_only_with_the_ended_ones(
        self, directory: DirectoryStore
    ) -> None:
        kept = directory.subscribe(subscribe("presidency", "presidency@example.eu"))
        gone = directory.subscribe(subscribe())
        removed = directory.unsubscribe(
            Unsubscribe(subscription_id=gone.subscription_id, removed_by="bob", reason="moved")
        )
        assert (removed.ended, removed.ended_by, removed.ended_on, removed.end_reason) == (
            "removed",
            "bob",
            TODAY,
            "moved",
        )
        assert directory.subscriptions() == [kept]
        assert directory.subscriptions(include_ended=True) == [kept, removed]
        # Its name is free again, under a new id.
        again = directory.subscribe(subscribe())
        assert again.subscription_id == "s3"
        with pytest.raises(SubscriptionEnded, match="only an active subscription can be removed"):
            directory.unsubscribe(Unsubscribe(subscription_id="s2", removed_by="bob"))

    def test_the_system_stops_a_subscription_once_and_a_repeated_stop_records_nothing(
        self, directory: DirectoryStore, engine: Engine
    ) -> None:
        added = directory.subscribe(subscribe())
        stopped = directory.stop(added.subscription_id, "the receiver answered 410 Gone")
        assert (stopped.ended, stopped.ended_by, stopped.end_reason) == (
            "stopped",
            "pilot-partnerships",
            "the receiver answered 410 Gone",
        )
        assert directory.stop(added.subscription_id, "again") == stopped
        stored = EventStore(engine).read_stream(DIRECTORY_STREAM)
        assert [s.type for s in stored] == ["SubscriptionAdded", "SubscriptionStopped"]
        assert stored[-1].metadata == {
            "actor": {"id": "pilot-partnerships", "role": "system"},
            "channel": "system",
        }
        assert directory.subscriptions() == []
        with pytest.raises(UnknownSubscription):
            directory.stop("nope", "gone")

    def test_a_refused_subscription_records_nothing(
        self, directory: DirectoryStore, engine: Engine
    ) -> None:
        directory.subscribe(subscribe())
        with pytest.raises(AlreadySubscribed, match="choose another name"):
            directory.subscribe(subscribe("Council", "other@example.eu"))
        with pytest.raises(InvalidSubscription, match="only outside production"):
            directory.subscribe(subscribe("local", "http://127.0.0.1:9/hook"))
        with pytest.raises(InvalidSubscription, match="not a milestone kind"):
            directory.subscribe(subscribe("x", kinds=("everything",)))
        assert EventStore(engine).stream_version(DIRECTORY_STREAM) == 1
        local = directory.subscribe(
            subscribe("local", "http://127.0.0.1:9/hook"), allow_loopback_http=True
        )
        assert local.destination.address == "http://127.0.0.1:9/hook"

    def test_bindings_and_subscriptions_share_the_stream_and_its_chain(
        self, directory: DirectoryStore, engine: Engine
    ) -> None:
        grant = GrantRole(
            issuer=ISSUER,
            subject="alice",
            role=BindingRole.ADMINISTRATOR,
            valid_from=TODAY,
            granted_by="root",
        )
        binding = directory.grant(grant)
        added = directory.subscribe(subscribe())
        directory.revoke(RevokeRole(binding_id=binding.binding_id, revoked_by="root"))
        folded, version = directory.directory()
        assert version == 3
        assert active_subscriptions(folded) == [added]
        assert list(folded.bindings) == [binding.binding_id]
        assert directory.listed(include_revoked=True)[0].revoked_by == "root"
        # The role bindings' table still holds only bindings, and rebuilds from the stream.
        assert directory.rebuild() == 3
        assert [b.binding_id for b in directory.listed(include_revoked=True)] == [
            binding.binding_id
        ]
        assert EventStore(engine).verify(DIRECTORY_STREAM).ok


class TestSQLiteSubscriptions(SubscriptionContract):
    @pytest.fixture
    def engine(self, sqlite_engine: Engine) -> Engine:
        return sqlite_engine


@pytest.mark.postgres
class TestPostgresSubscriptions(SubscriptionContract):
    @pytest.fixture
    def engine(self, pg_engine: Engine) -> Engine:
        return pg_engine
