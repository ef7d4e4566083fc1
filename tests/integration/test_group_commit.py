"""Group commit keeps every guarantee of an append, for each member of a group.

Appends that arrive while a commit is in flight share the next transaction. Here a group is made
on purpose: the test holds the append lock (database.begin_write), one append starts and waits
for it, and the appends under test queue behind it, one by one in a known order; releasing the
lock commits them together (on SQLite with the first append, whose leader takes the queue once
it has the lock; on PostgreSQL right after it).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from activities.codec import to_new_event
from activities.database import begin_write
from activities.eventstore import (
    AppendResult,
    ConcurrencyError,
    EventStore,
    InvalidAppend,
    StoredEvent,
)
from activities.projections import Projections
from activities.schema import status_board
from tests.integration.helpers import events, new_event
from tests.integration.test_projections import snapshot, stories

MEMBERS = 8


def wait_until(condition: Callable[[], bool]) -> None:
    """Poll a condition other threads make true, failing after thirty seconds."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.001)


def in_one_group(
    store: EventStore, engine: Engine, appends: Sequence[Callable[[], Any]]
) -> list[Any]:
    """Run `appends` on threads of their own so they commit as one group, in this order.

    Returns each one's result, or the exception it raised.
    """
    results: list[Any] = [None] * len(appends)

    def run(index: int, append: Callable[[], Any]) -> None:
        try:
            results[index] = append()
        except BaseException as error:  # compared by the tests
            results[index] = error

    sqlite = engine.dialect.name == "sqlite"
    before = store.groups.stats.groups
    threads: list[threading.Thread] = []
    with begin_write(engine):
        opener = threading.Thread(
            target=store.append, args=(f"opener-{uuid.uuid4().hex}", 0, events(1))
        )
        opener.start()
        # The opener leads, and waits for the lock: on SQLite before taking the queue, on
        # PostgreSQL (where the lock is taken in the transaction) with itself taken.
        if sqlite:
            wait_until(lambda: store.groups.queued() == 1)
        else:
            wait_until(lambda: store.groups.stats.groups == before + 1)
        base = 1 if sqlite else 0
        for count, append in enumerate(appends, start=1):
            thread = threading.Thread(target=run, args=(count - 1, append))
            threads.append(thread)
            thread.start()
            wait_until(lambda count=count: store.groups.queued() == base + count)  # type: ignore[misc]
    for thread in [opener, *threads]:
        thread.join(timeout=60)
        assert not thread.is_alive()
    assert store.groups.stats.largest >= len(appends), "the appends were not committed together"
    return results


def positions(result: AppendResult) -> list[int]:
    return [e.position for e in result.events]


class GroupCommitContract:
    """Subclasses provide `engine`."""

    @pytest.fixture
    def store(self, engine: Engine) -> EventStore:
        return EventStore(engine)

    def test_appends_from_many_threads_share_one_commit_and_each_keeps_its_chain(
        self, store: EventStore, engine: Engine
    ) -> None:
        streams = [f"partnership-G{n}/1" for n in range(MEMBERS)]
        results = in_one_group(
            store,
            engine,
            [lambda s=s: store.append(s, 0, events(3)) for s in streams],  # type: ignore[misc]
        )
        assert all(isinstance(r, AppendResult) for r in results), results
        # One transaction: the members' positions follow each other, in the group's order.
        flat = [p for r in results for p in positions(r)]
        assert flat == list(range(flat[0], flat[0] + 3 * MEMBERS))
        for stream_id, result in zip(streams, results, strict=True):
            assert store.read_stream(stream_id) == list(result.events)
        assert store.verify().ok

    def test_two_members_on_one_stream_link_their_chains_one_after_the_other(
        self, store: EventStore, engine: Engine
    ) -> None:
        first, second = events(2), events(1)
        results = in_one_group(
            store,
            engine,
            [
                lambda: store.append("partnership-CV/1", 0, first),
                lambda: store.append("partnership-MD/1", 0, events(1)),
                lambda: store.append("partnership-CV/1", 2, second),
            ],
        )
        one, _, two = results
        assert [e.stream_version for e in two.events] == [3]
        assert two.events[0].prev_hash == one.events[-1].hash
        stored = store.read_stream("partnership-CV/1")
        assert [e.event_id for e in stored] == [e.event_id for e in first + second]
        assert store.verify().ok

    def test_a_conflicting_append_in_a_group_fails_alone_and_its_neighbours_commit(
        self, store: EventStore, engine: Engine
    ) -> None:
        store.append("partnership-CV/1", 0, events(1))  # the store now caches its head
        winner, loser = events(1), events(1)
        results = in_one_group(
            store,
            engine,
            [
                lambda: store.append("partnership-G1/1", 0, events(1)),
                lambda: store.append("partnership-CV/1", 1, winner),
                lambda: store.append("partnership-G2/1", 0, events(2)),
                # Same expected version and the same cached head: its rows collide in the
                # database, inside the group, after the winner's went in. Last, so the
                # commit that would have ridden on its statements is made without them.
                lambda: store.append("partnership-CV/1", 1, loser),
            ],
        )
        first, won, last, lost = results
        assert isinstance(lost, ConcurrencyError)
        assert (lost.expected_version, lost.actual_version) == (1, 2)
        assert isinstance(first, AppendResult)
        assert isinstance(last, AppendResult)
        assert won.version == 2
        assert [e.event_id for e in store.read_stream("partnership-CV/1")][1:] == [
            e.event_id for e in winner
        ]
        assert store.stream_version("partnership-G1/1") == 1
        assert store.stream_version("partnership-G2/1") == 2
        assert store.verify().ok

    def test_a_member_whose_rows_the_database_refuses_fails_alone_in_its_group(
        self, store: EventStore, engine: Engine
    ) -> None:
        store.append("partnership-CV/1", 0, events(1))  # this store caches version 1
        EventStore(engine).append("partnership-CV/1", 1, events(1))  # another process moves on
        results = in_one_group(
            store,
            engine,
            [
                lambda: store.append("partnership-G1/1", 0, events(2)),
                # Its head, cached at version 1, is stale: its rows collide with version 2's.
                lambda: store.append("partnership-CV/1", 1, events(1)),
                lambda: store.append("partnership-G2/1", 0, events(1)),
            ],
        )
        assert isinstance(results[1], ConcurrencyError)
        assert (results[1].expected_version, results[1].actual_version) == (1, 2)
        assert isinstance(results[0], AppendResult)
        assert isinstance(results[2], AppendResult)
        assert store.stream_version("partnership-CV/1") == 2
        assert store.stream_version("partnership-G1/1") == 2
        assert store.verify().ok

    def test_an_append_that_cannot_be_recorded_fails_alone_in_its_group(
        self, store: EventStore, engine: Engine
    ) -> None:
        results = in_one_group(
            store,
            engine,
            [
                lambda: store.append("partnership-G1/1", 0, events(1)),
                lambda: store.append("partnership-G2/1", 0, [new_event(payload={"x": "\x00"})]),
                lambda: store.append("partnership-G3/1", 0, events(1)),
            ],
        )
        assert isinstance(results[1], InvalidAppend)
        assert isinstance(results[0], AppendResult)
        assert isinstance(results[2], AppendResult)
        assert store.stream_version("partnership-G2/1") == 0
        assert store.verify().ok

    def test_a_retried_append_inside_a_group_returns_the_original_and_writes_nothing(
        self, store: EventStore, engine: Engine
    ) -> None:
        retried = events(2)
        original = store.append("partnership-CV/1", 0, retried)
        twice = events(1)
        results = in_one_group(
            store,
            engine,
            [
                lambda: store.append("partnership-CV/1", 0, retried),
                lambda: store.append("partnership-MD/1", 0, twice),
                lambda: store.append("partnership-GH/1", 0, events(1)),
                # The same append again in the same group: an activity retried while the
                # first attempt was still committing.
                lambda: store.append("partnership-MD/1", 0, twice),
            ],
        )
        again, first, _, second = results
        assert again.duplicate
        assert positions(again) == positions(original)
        assert positions(first) == positions(second)
        assert sorted([first.duplicate, second.duplicate]) == [False, True]
        assert store.stream_version("partnership-CV/1") == 2
        assert store.stream_version("partnership-MD/1") == 1
        assert store.verify().ok

    def test_a_retried_and_a_stale_append_among_other_streams_each_get_their_own_answer(
        self, store: EventStore, engine: Engine
    ) -> None:
        retried = events(1)
        original = store.append("partnership-CV/1", 0, retried)
        store.append("partnership-MD/1", 0, events(2))
        results = in_one_group(
            store,
            engine,
            [
                lambda: store.append("partnership-G1/1", 0, events(1)),
                lambda: store.append("partnership-CV/1", 0, retried),
                lambda: store.append("partnership-MD/1", 1, events(1)),
                lambda: store.append("partnership-G2/1", 0, events(1)),
            ],
        )
        fresh, again, stale, other = results
        assert again.duplicate
        assert positions(again) == positions(original)
        assert isinstance(stale, ConcurrencyError)
        assert (stale.expected_version, stale.actual_version) == (1, 2)
        assert positions(other) == [positions(fresh)[-1] + 1]
        assert store.stream_version("partnership-CV/1") == 1
        assert store.stream_version("partnership-MD/1") == 2
        assert store.verify().ok

    def test_a_group_of_appends_with_read_models_gives_the_rows_of_a_rebuild(
        self, engine: Engine
    ) -> None:
        store = EventStore(engine, projections=Projections(engine))
        histories = dict(list(stories().items())[:4])
        longest = max(len(h) for h in histories.values())
        for version in range(longest):
            due = [(s, h[version]) for s, h in histories.items() if version < len(h)]
            appends = [
                lambda s=s, e=e, v=version: store.append(
                    s, v, [to_new_event(uuid.uuid4(), e, {"run_id": "r"})]
                )
                for s, e in due
            ]
            results = in_one_group(store, engine, appends)
            assert all(isinstance(r, AppendResult) for r in results), results
        kept = snapshot(engine)
        Projections(engine).rebuild()
        assert snapshot(engine) == kept

    def test_a_member_whose_read_models_fail_is_rolled_back_alone_without_delaying_the_rest(
        self, engine: Engine
    ) -> None:
        bad = "partnership-MD/1"
        projections = CountingProjections(engine, refuse=bad)
        store = EventStore(engine, projections=projections)
        history = next(iter(stories().values()))
        streams = ["partnership-CV/1", bad, "partnership-GH/1"]
        groups_before = store.groups.stats.groups
        results = in_one_group(
            store,
            engine,
            [
                lambda s=s: store.append(  # type: ignore[misc]
                    s, 0, [to_new_event(uuid.uuid4(), history[0], {"run_id": "r"})]
                )
                for s in streams
            ],
        )
        assert isinstance(results[1], RuntimeError)
        assert isinstance(results[0], AppendResult)
        assert isinstance(results[2], AppendResult)
        # Its events and rows went with it; its neighbours' stayed, folded once, in the one
        # commit the group made: no retry of the group, no second transaction.
        assert store.stream_version(bad) == 0
        with engine.connect() as conn:
            shown = set(conn.execute(sa.select(status_board.c.stream_id)).scalars())
        assert shown == {"partnership-CV/1", "partnership-GH/1"}
        assert sorted(s for s in projections.applied if s in streams) == sorted(streams)
        # On PostgreSQL the opener was a group of its own (see in_one_group).
        opener = 0 if engine.dialect.name == "sqlite" else 1
        assert store.groups.stats.groups == groups_before + opener + 1
        kept = snapshot(engine)
        # Each member's fold ran on the thread that appended, and was told of the commit
        # there, as the read models' per-thread fold cache requires; the refused one never.
        for stream_id in streams:
            ((_, applying), *rest) = projections.threads[stream_id]
            assert rest == ([] if stream_id == bad else [("committed", applying)])
        assert len({projections.threads[s][0][1] for s in streams}) == len(streams)
        Projections(engine).rebuild()
        assert snapshot(engine) == kept


class CountingProjections(Projections):
    """The read models, counting each stream's folds and refusing to fold one stream."""

    def __init__(self, engine: Engine, refuse: str) -> None:
        super().__init__(engine)
        self.refuse = refuse
        self.applied: list[str] = []
        self.threads: dict[str, list[tuple[str, str]]] = {}

    def apply(self, conn: Connection, stream_id: str, new_events: Sequence[StoredEvent]) -> None:
        self.applied.append(stream_id)
        self.threads.setdefault(stream_id, []).append(("apply", threading.current_thread().name))
        super().apply(conn, stream_id, new_events)
        if stream_id == self.refuse:
            raise RuntimeError("the read models refused this stream")

    def committed(self, stream_id: str, new_events: Sequence[StoredEvent]) -> None:
        self.threads.setdefault(stream_id, []).append(
            ("committed", threading.current_thread().name)
        )
        super().committed(stream_id, new_events)


class TestSQLiteGroupCommit(GroupCommitContract):
    @pytest.fixture
    def engine(self, sqlite_engine: Engine) -> Engine:
        return sqlite_engine


@pytest.mark.postgres
class TestPostgresGroupCommit(GroupCommitContract):
    @pytest.fixture
    def engine(self, pg_engine: Engine) -> Engine:
        return pg_engine

    def test_a_stream_id_postgresql_cannot_store_fails_alone_in_its_group(
        self, store: EventStore, engine: Engine
    ) -> None:
        results = in_one_group(
            store,
            engine,
            [
                lambda: store.append("partnership-G1/1", 0, events(1)),
                lambda: store.append("partnership-\x00/1", 0, events(1)),
                lambda: store.append("partnership-G3/1", 0, events(1)),
            ],
        )
        assert isinstance(results[1], Exception)
        assert "NUL" in str(results[1])
        assert isinstance(results[0], AppendResult)
        assert isinstance(results[2], AppendResult)
        assert store.verify().ok
