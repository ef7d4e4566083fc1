"""The event store's contract, one abstract suite run against SQLite and real PostgreSQL."""

from __future__ import annotations

import datetime
import threading
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Connection, Engine

from activities.connections import DRIVER_ERRORS
from activities.eventstore import (
    ConcurrencyError,
    EventIdConflict,
    EventStore,
    InvalidAppend,
)
from activities.hashing import canonical_header, canonical_json, chain_hash
from activities.records import StoredEvent
from activities.upcasting import Upcasters
from migrations.append_only import guard_lifted
from tests.integration.helpers import events, new_event
from tests.unit.test_golden_hash import GOLDEN_DIGEST, GOLDEN_EVENT, GOLDEN_STREAM

STREAM = "partnership-CV/1"
OTHER = "partnership-MD/1"

# Any JSON but NUL, which no backend accepts (see the test that says so).
texts = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"))
keys = texts.filter(lambda k: len(k) <= 8)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**62), max_value=2**62)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=12,
)


class StoreContract:
    """Every backend must pass these. Subclasses provide the `engine` fixture."""

    @pytest.fixture
    def store(self, engine: Engine) -> EventStore:
        return EventStore(engine)

    def sql(self, engine: Engine, statement: str, **params: Any) -> None:
        # As an insider who owns the tables: the append-only trigger is lifted first.
        with engine.begin() as conn, guard_lifted(conn):
            conn.execute(sa.text(statement), params)

    # -- appending and reading -------------------------------------------------------------

    def test_a_new_stream_starts_at_version_one_with_increasing_positions(
        self, store: EventStore
    ) -> None:
        result = store.append(STREAM, 0, events(3))
        assert result.version == 3
        assert [e.stream_version for e in result.events] == [1, 2, 3]
        assert list(result.positions) == sorted(result.positions)
        assert store.stream_version(STREAM) == 3

    def test_reading_a_stream_gives_back_exactly_what_was_appended(self, store: EventStore) -> None:
        paris = datetime.timezone(datetime.timedelta(hours=2))
        appended = [
            new_event(
                payload={"nested": {"list": [1, "two", None, True]}, "text": "Cabo Verde ✓"},
                metadata={"workflow_id": "partnership-CV", "run_id": "r1"},
                recorded_at=datetime.datetime(2007, 12, 10, 18, 0, 0, 123456, tzinfo=paris),
            ),
            new_event(type="Other", schema_version=2),
        ]
        result = store.append(STREAM, 0, appended)
        read = store.read_stream(STREAM)
        assert read == list(result.events)
        first = read[0]
        assert first.payload == appended[0].payload
        assert first.metadata == appended[0].metadata
        assert first.recorded_at == appended[0].recorded_at
        assert first.recorded_at.tzinfo == datetime.UTC
        assert first.occurred_on == appended[0].occurred_on
        assert (read[1].type, read[1].schema_version) == ("Other", 2)
        assert store.read_stream(STREAM, from_version=2) == read[1:]

    def test_the_stored_hash_of_cape_verdes_proposal_is_the_golden_digest(
        self, store: EventStore
    ) -> None:
        # The digest came from `sha256sum` over hand-written bytes (tests/unit/test_golden_hash.py);
        # every backend must write and read back exactly it.
        store.append(GOLDEN_STREAM, 0, [GOLDEN_EVENT])
        (read,) = store.read_stream(GOLDEN_STREAM)
        assert read.prev_hash == "0" * 64
        assert read.hash == GOLDEN_DIGEST
        assert store.verify(GOLDEN_STREAM).ok

    # One inherited test body runs on each backend: that is the point of a contract suite.
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
        ],
    )
    @given(payload=st.dictionaries(keys, json_values, max_size=5))
    def test_any_json_payload_round_trips_and_keeps_its_chain_valid(
        self, store: EventStore, payload: dict[str, Any]
    ) -> None:
        stream = f"prop-{uuid.uuid4().hex}"
        store.append(stream, 0, [new_event(payload=payload)])
        (read,) = store.read_stream(stream)
        assert canonical_json(read.payload) == canonical_json(payload)
        assert store.verify(stream).ok

    def test_a_nul_character_is_refused_on_every_backend_alike(self, store: EventStore) -> None:
        with pytest.raises(InvalidAppend, match="NUL"):
            store.append(STREAM, 0, [new_event(payload={"text": "a\x00b"})])
        assert store.read_all() == []

    def test_read_all_pages_through_the_whole_log_in_position_order(
        self, store: EventStore
    ) -> None:
        for i in range(7):
            store.append(f"s-{i % 3}", store.stream_version(f"s-{i % 3}"), events(1 + i % 2))
        everything = store.read_all(0, limit=1000)
        assert len(everything) == 10
        pages = [store.read_all(0, limit=4)]
        while pages[-1]:
            pages.append(store.read_all(pages[-1][-1].position, limit=4))
        assert [len(p) for p in pages] == [4, 4, 2, 0]
        assert [e for page in pages for e in page] == everything
        assert list(store.iter_all(page_size=3)) == everything
        assert [e.position for e in everything] == sorted(e.position for e in everything)
        assert store.last_position() == everything[-1].position

    def test_streams_are_listed_by_prefix_with_wildcards_taken_literally(
        self, store: EventStore
    ) -> None:
        for stream in ("partnership-CV/1", "partnership-CV/2", "partnership-MD/1", "a_b", "axb"):
            store.append(stream, 0, events(1))
        assert store.streams("partnership-CV/") == ["partnership-CV/1", "partnership-CV/2"]
        assert store.streams("a_") == ["a_b"]
        assert len(store.streams()) == 5

    # -- optimistic concurrency ------------------------------------------------------------

    def test_a_stale_writer_gets_a_concurrency_error_naming_stream_and_versions(
        self, store: EventStore
    ) -> None:
        store.append(STREAM, 0, events(2))
        with pytest.raises(ConcurrencyError) as caught:
            store.append(STREAM, 1, events(1))
        error = caught.value
        assert (error.stream_id, error.expected_version, error.actual_version) == (STREAM, 1, 2)
        assert str(error) == (
            "Stream 'partnership-CV/1' is at version 2, "
            "but the append expected version 1; nothing was written."
        )
        assert store.stream_version(STREAM) == 2

    def test_a_writer_ahead_of_the_stream_is_refused_too(self, store: EventStore) -> None:
        with pytest.raises(ConcurrencyError):
            store.append(STREAM, 5, events(1))
        assert store.stream_version(STREAM) == 0

    def test_a_writer_with_a_stale_cached_head_is_refused_and_then_succeeds(
        self, engine: Engine
    ) -> None:
        first, second = EventStore(engine), EventStore(engine)
        first.append(STREAM, 0, events(1))
        second.append(STREAM, 1, events(1))
        with pytest.raises(ConcurrencyError) as caught:
            first.append(STREAM, 1, events(1))
        assert caught.value.actual_version == 2
        assert first.append(STREAM, 2, events(1)).version == 3
        assert first.verify().ok

    def test_concurrent_appenders_to_one_stream_have_exactly_one_winner_per_version(
        self, engine: Engine
    ) -> None:
        writers, rounds = 6, 5
        stores = [EventStore(engine) for _ in range(writers)]
        barrier = threading.Barrier(writers)
        wins: Counter[int] = Counter()
        errors: list[BaseException] = []

        def write(store: EventStore) -> None:
            try:
                for round_ in range(rounds):
                    barrier.wait()
                    try:
                        store.append(STREAM, 2 * round_, events(2))
                        wins[round_] += 1
                    except ConcurrencyError:
                        pass
                    barrier.wait()
            except BaseException as exc:  # surfaced below; a thread cannot fail the test
                errors.append(exc)
                barrier.abort()

        threads = [threading.Thread(target=write, args=(s,)) for s in stores]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors
        assert wins == {r: 1 for r in range(rounds)}
        versions = [e.stream_version for e in stores[0].read_stream(STREAM)]
        assert versions == list(range(1, 2 * rounds + 1))
        assert stores[0].verify().ok

    def test_stores_keep_writer_connections_without_draining_the_pool(self, engine: Engine) -> None:
        # More stores than the pool holds connections (5, and 10 more on overflow): each keeps
        # its writer detached from the pool, so none waits for a connection.
        stores = [EventStore(engine) for _ in range(20)]
        for n, store in enumerate(stores):
            store.append(f"s{n}", 0, events(1))
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        for n, store in enumerate(stores):
            assert store.append(f"s{n}", 1, events(1)).version == 2
        assert stores[0].verify().ok
        assert len(stores[0].read_all()) == 40

    def test_one_store_shared_by_more_threads_than_it_keeps_connections_for(
        self, engine: Engine
    ) -> None:
        store = EventStore(engine)
        threads, appends = 12, 5
        errors: list[BaseException] = []

        def write(n: int) -> None:
            try:
                for i in range(appends):
                    store.append(f"t{n}", i, events(1))
            except BaseException as exc:  # surfaced below; a thread cannot fail the test
                errors.append(exc)

        workers = [threading.Thread(target=write, args=(n,)) for n in range(threads)]
        for t in workers:
            t.start()
        for t in workers:
            t.join(timeout=60)
        assert not errors
        assert len(store._driver_writers._idle) <= store._driver_writers.limit
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        assert len(store.read_all(limit=1000)) == threads * appends
        assert store.verify().ok

    def test_a_kept_writer_connection_that_broke_is_replaced_by_a_fresh_one(
        self, engine: Engine
    ) -> None:
        store = EventStore(engine)
        store.append(STREAM, 0, events(1))
        for own in store._driver_writers._idle:
            own.close()  # as if the server had gone away meanwhile
        with pytest.raises(DRIVER_ERRORS):
            store.append(STREAM, 1, events(1))
        assert store.append(STREAM, 1, events(1)).version == 2
        assert store.verify().ok

    def test_a_connection_whose_read_models_failed_is_closed_and_the_next_append_gets_another(
        self, engine: Engine
    ) -> None:
        class FailingOnce:
            def __init__(self) -> None:
                self.fail = True
                self.committed_streams: list[str] = []

            def apply(self, conn: Connection, stream_id: str, new: Sequence[StoredEvent]) -> None:
                if self.fail:
                    self.fail = False
                    raise RuntimeError("the read models failed")

            def committed(self, stream_id: str, new: Sequence[StoredEvent]) -> None:
                self.committed_streams.append(stream_id)

        projections = FailingOnce()
        store = EventStore(engine, projections=projections)
        with pytest.raises(RuntimeError, match="read models failed"):
            store.append(STREAM, 0, events(1))
        assert store._sqlalchemy_writers.limit >= 1
        assert store._sqlalchemy_writers._idle == []  # closed, not kept
        assert store.read_all() == []
        assert projections.committed_streams == []
        assert store.append(STREAM, 0, events(1)).version == 1
        assert projections.committed_streams == [STREAM]
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]

    # -- idempotency -----------------------------------------------------------------------

    def test_a_retried_append_returns_the_original_result_and_writes_nothing(
        self, engine: Engine, store: EventStore
    ) -> None:
        batch = events(3)
        original = store.append(STREAM, 0, batch)
        store.append(STREAM, 3, events(1))
        for retrier in (store, EventStore(engine)):
            again = retrier.append(STREAM, 0, batch)
            assert again.duplicate
            assert again.events == original.events
            assert again.version == original.version
        assert len(store.read_all()) == 4

    def test_an_event_id_reused_with_different_content_is_refused_loudly(
        self, store: EventStore
    ) -> None:
        (event,) = events(1)
        store.append(STREAM, 0, [event])
        forged = new_event(event_id=event.event_id, payload={"i": "changed"})
        with pytest.raises(EventIdConflict) as caught:
            store.append(STREAM, 1, [forged])
        assert str(event.event_id) in str(caught.value)
        assert store.stream_version(STREAM) == 1

    def test_an_event_id_already_recorded_in_another_stream_is_refused(
        self, store: EventStore
    ) -> None:
        (event,) = events(1)
        store.append(STREAM, 0, [event])
        with pytest.raises(EventIdConflict):
            store.append(OTHER, 0, [event])
        assert store.stream_version(OTHER) == 0

    def test_malformed_appends_are_refused_before_touching_the_database(
        self, store: EventStore
    ) -> None:
        (event,) = events(1)
        with pytest.raises(InvalidAppend):
            store.append(STREAM, 0, [])
        with pytest.raises(InvalidAppend):
            store.append(STREAM, 0, [event, event])
        with pytest.raises(InvalidAppend):
            store.append(STREAM, -1, [event])
        with pytest.raises(InvalidAppend, match="timezone-aware"):
            store.append(STREAM, 0, [new_event(recorded_at=datetime.datetime(2007, 6, 18))])
        assert store.read_all() == []

    # -- upcasting -------------------------------------------------------------------------

    def test_an_old_schema_version_is_read_as_the_current_one(self, engine: Engine) -> None:
        upcasters = Upcasters()

        @upcasters.register("Proposed", 1)
        def _add_region(payload: dict[str, Any]) -> dict[str, Any]:
            return {**payload, "region": "other"}

        @upcasters.register("Proposed", 2)
        def _rename(payload: dict[str, Any]) -> dict[str, Any]:
            payload["country"] = payload.pop("cc")
            return payload

        EventStore(engine).append(
            STREAM,
            0,
            [new_event("Proposed", payload={"cc": "CV", "schema_version": 1}), new_event("Other")],
        )
        proposed, other = EventStore(engine, upcasters=upcasters).read_stream(STREAM)
        assert proposed.schema_version == 3
        assert proposed.payload == {"country": "CV", "region": "other", "schema_version": 3}
        assert other.schema_version == 1
        # The record itself is untouched: the chain still verifies the bytes as written.
        assert EventStore(engine, upcasters=upcasters).verify().ok

    # -- tamper evidence -------------------------------------------------------------------

    @pytest.fixture
    def three_events(self, store: EventStore) -> EventStore:
        store.append(STREAM, 0, events(3))
        store.append(OTHER, 0, events(2))
        assert store.verify().ok
        return store

    def assert_break(self, store: EventStore, version: int, reason: str) -> None:
        report = store.verify()
        assert not report.ok
        assert report.first_break is not None
        assert report.first_break.stream_id == STREAM
        assert report.first_break.stream_version == version
        assert reason in report.first_break.reason
        assert [b.stream_id for b in report.breaks] == [STREAM]
        assert store.verify(OTHER).ok
        assert not store.verify(STREAM).ok

    def test_verify_catches_a_payload_changed_by_plain_sql(
        self, engine: Engine, three_events: EventStore
    ) -> None:
        self.sql(
            engine,
            "UPDATE events SET payload = :p WHERE stream_id = :s AND stream_version = 2",
            p='{"i": 99}',
            s=STREAM,
        )
        self.assert_break(three_events, 2, "content does not match")

    def test_verify_catches_a_business_date_changed_by_plain_sql(
        self, engine: Engine, three_events: EventStore
    ) -> None:
        self.sql(
            engine,
            "UPDATE events SET occurred_on = :d WHERE stream_id = :s AND stream_version = 3",
            d=datetime.date(2008, 1, 1),
            s=STREAM,
        )
        self.assert_break(three_events, 3, "content does not match")

    def test_verify_catches_an_event_deleted_from_the_middle(
        self, engine: Engine, three_events: EventStore
    ) -> None:
        self.sql(engine, "DELETE FROM events WHERE stream_id = :s AND stream_version = 2", s=STREAM)
        self.assert_break(three_events, 2, "missing")

    def test_verify_catches_the_last_event_deleted(
        self, engine: Engine, three_events: EventStore
    ) -> None:
        self.sql(engine, "DELETE FROM events WHERE stream_id = :s AND stream_version = 3", s=STREAM)
        self.assert_break(three_events, 3, "recorded head is version 3")

    def test_verify_catches_a_well_forged_event_inserted_at_the_end(
        self, engine: Engine, three_events: EventStore
    ) -> None:
        head = three_events.read_stream(STREAM)[-1]
        forged = new_event(payload={"forged": True})
        header = canonical_header(
            stream_id=STREAM,
            stream_version=4,
            event_id=forged.event_id,
            type=forged.type,
            schema_version=1,
            occurred_on=forged.occurred_on,
            recorded_at=forged.recorded_at,
        )
        payload, meta = canonical_json(forged.payload), canonical_json(forged.metadata)
        with engine.begin() as conn:
            conn.execute(
                sa.insert(sa.table("events", *(sa.column(c) for c in _EVENT_COLUMNS))),
                {
                    "stream_id": STREAM,
                    "stream_version": 4,
                    "event_id": forged.event_id.hex,
                    "type": forged.type,
                    "schema_version": 1,
                    "payload": payload,
                    "metadata": meta,
                    "occurred_on": forged.occurred_on,
                    "recorded_at": forged.recorded_at,
                    "prev_hash": head.hash,
                    "hash": chain_hash(head.hash, header, payload, meta),
                },
            )
        self.assert_break(three_events, 4, "log ends at 4")

    def test_verify_catches_a_crudely_inserted_event(
        self, engine: Engine, three_events: EventStore
    ) -> None:
        # Make room at version 2 by moving versions 2 and 3 up, then slip a row in.
        for version in (3, 2):
            self.sql(
                engine,
                "UPDATE events SET stream_version = :n "
                "WHERE stream_id = :s AND stream_version = :v",
                n=version + 1,
                s=STREAM,
                v=version,
            )
        self.sql(
            engine,
            "INSERT INTO events (stream_id, stream_version, event_id, type, schema_version, "
            "payload, metadata, occurred_on, recorded_at, prev_hash, hash) "
            "SELECT stream_id, 2, :id, type, schema_version, payload, metadata, occurred_on, "
            "recorded_at, hash, hash FROM events WHERE stream_id = :s AND stream_version = 1",
            id=uuid.uuid4().hex,
            s=STREAM,
        )
        self.assert_break(three_events, 2, "content does not match")

    def test_verify_catches_two_events_swapped(
        self, engine: Engine, three_events: EventStore
    ) -> None:
        for old, new in ((2, 100), (3, 2), (100, 3)):
            self.sql(
                engine,
                "UPDATE events SET stream_version = :n "
                "WHERE stream_id = :s AND stream_version = :o",
                n=new,
                s=STREAM,
                o=old,
            )
        self.assert_break(three_events, 2, "predecessor")

    def test_verify_catches_events_reordered_in_the_global_log(
        self, engine: Engine, three_events: EventStore
    ) -> None:
        positions = [e.position for e in three_events.read_stream(STREAM)]
        for old, new in (
            (positions[1], 10_000),
            (positions[2], positions[1]),
            (10_000, positions[2]),
        ):
            self.sql(engine, "UPDATE events SET position = :n WHERE position = :o", n=new, o=old)
        self.assert_break(three_events, 3, "position")


_EVENT_COLUMNS = (
    "stream_id",
    "stream_version",
    "event_id",
    "type",
    "schema_version",
    "payload",
    "metadata",
    "occurred_on",
    "recorded_at",
    "prev_hash",
    "hash",
)


class TestSQLiteEventStore(StoreContract):
    @pytest.fixture
    def engine(self, sqlite_engine: Engine) -> Engine:
        return sqlite_engine

    def test_the_kept_writer_connection_has_the_engines_durable_settings(
        self, engine: Engine
    ) -> None:
        store = EventStore(engine)
        store.append(STREAM, 0, events(1))
        (own,) = store._driver_writers._idle
        assert own.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
        assert own.execute("PRAGMA journal_mode").fetchone() == ("wal",)


@pytest.mark.postgres
class TestPostgresEventStore(StoreContract):
    @pytest.fixture
    def engine(self, pg_engine: Engine) -> Engine:
        return pg_engine
