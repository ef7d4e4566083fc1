"""Catch-up running while appends fold their own read models never puts an older fold back.

The catch-up projector refolds each stream it meets in a batch from what it reads, and writes the
rows later in its transaction; an append to that stream may commit in between. Whatever the
interleaving, the rows of a stream are only ever replaced by a fold of a later (or the same)
version, so at every moment the status board shows each stream at the version its log holds, and
at the end every row is exactly what a rebuild from the log gives.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from activities.codec import to_new_event
from activities.database import APPEND_LOCK_KEY
from activities.eventstore import EventStore
from activities.projections import READ_MODELS, CatchUpProjector, Projections
from activities.records import StoredEvent
from activities.schema import status_board
from activities.schema import streams as streams_table
from domain import Event, Position
from tests.integration.test_projections import snapshot
from tests.unit.strategies import COMMISSION, PROPOSED, Story, answer, propose, rep

MEMBER_STATES = ("FR", "DE", "ES", "IT", "PT", "NL", "BE", "AT", "PL", "SE")
STREAMS = 6
ANSWERS = 40


def a_long_consultation() -> list[Event]:
    """A proposal and many answers and amendments: every append changes the stream's rows."""
    story = Story()
    story.do(propose(), COMMISSION, PROPOSED)
    for i in range(ANSWERS):
        code = MEMBER_STATES[i % len(MEMBER_STATES)]
        position = Position.INTERESTED if (i // len(MEMBER_STATES)) % 2 else Position.NOT_INTERESTED
        story.do(answer(code, position), rep(code), PROPOSED + timedelta(minutes=i + 1))
    return story.events


def lagging_streams(engine: Engine) -> dict[str, tuple[int, int]]:
    """Streams whose status row shows another version than their log, in one snapshot.

    Every append here folds its read models in its own transaction, so at any committed moment
    the two agree; a row behind its log is an older fold written over a newer one.
    """
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            logged = dict(
                conn.execute(sa.select(streams_table.c.stream_id, streams_table.c.version)).all()
            )
            shown = dict(
                conn.execute(
                    sa.select(status_board.c.stream_id, status_board.c.stream_version)
                ).all()
            )
    return {
        stream_id: (shown[stream_id], version)
        for stream_id, version in logged.items()
        if stream_id in shown and shown[stream_id] != version
    }


def append_lock_is_free(engine: Engine) -> bool:
    """Whether another connection could take the append lock now, without waiting for it."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            taken = conn.execute(
                sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY}
            ).scalar_one()
        return bool(taken)
    # A connection of its own that never waits for SQLite's write lock.
    probe = sqlite3.connect(str(engine.url.database), timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()  # rolls back what it began
    return True


class CatchUpRaceContract:
    """Subclasses provide `engine`."""

    def test_a_catch_up_batch_holds_the_append_lock_while_it_writes_read_model_rows(
        self, engine: Engine
    ) -> None:
        # Appends with read models lock several streams' rows in a group, under the append
        # lock: a batch that locked rows without it first could deadlock with such a group.
        store = EventStore(engine)
        history = a_long_consultation()[:3]
        for n in (1, 2):
            store.append(
                f"partnership-CV/{n}", 0, [to_new_event(uuid.uuid4(), e, {}) for e in history]
            )
        projections = Projections(engine)
        free_while_writing: list[bool] = []

        def handle(conn: Connection, batch: list[StoredEvent]) -> None:
            for stream_id in dict.fromkeys(e.stream_id for e in batch):
                projections.apply(conn, stream_id, [])
                free_while_writing.append(append_lock_is_free(engine))

        assert CatchUpProjector(store, READ_MODELS, handle).run_until_idle() == 6
        assert free_while_writing == [False, False]
        assert append_lock_is_free(engine)

    def test_catch_up_beside_appends_never_writes_an_older_fold_over_a_newer_one(
        self, engine: Engine
    ) -> None:
        history = a_long_consultation()
        # The worker: one store, its read models kept in each append, shared by its threads.
        worker = EventStore(engine, projections=Projections(engine))
        # `partnerships projections catch-up`: another process, with read models of its own.
        catching_up = Projections(engine).projector(batch_size=3)
        writing = threading.Event()
        writing.set()
        failures: list[BaseException] = []
        lagging: list[dict[str, tuple[int, int]]] = []
        catch_up_rounds = [0]

        def write(stream_id: str) -> None:
            try:
                for version, event in enumerate(history):
                    worker.append(
                        stream_id, version, [to_new_event(uuid.uuid4(), event, {"run_id": "r"})]
                    )
            except BaseException as exc:  # reported below
                failures.append(exc)

        def catch_up() -> None:
            try:
                while writing.is_set():
                    catching_up.run_once()
                    catch_up_rounds[0] += 1
            except BaseException as exc:  # reported below
                failures.append(exc)

        def watch() -> None:
            try:
                while writing.is_set():
                    if behind := lagging_streams(engine):
                        lagging.append(behind)
            except BaseException as exc:  # reported below
                failures.append(exc)

        writers = [
            threading.Thread(target=write, args=(f"partnership-CV/{n}",))
            for n in range(1, STREAMS + 1)
        ]
        others = [threading.Thread(target=catch_up), threading.Thread(target=watch)]
        for thread in [*others, *writers]:
            thread.start()
        for thread in writers:
            thread.join(timeout=120)
        writing.clear()
        for thread in others:
            thread.join(timeout=60)

        assert not failures, failures
        assert catch_up_rounds[0] > 0
        assert not lagging, f"catch-up put older folds back: (shown, logged) {lagging[:3]}"
        assert not lagging_streams(engine), "catch-up left older folds behind"
        store = EventStore(engine)
        for n in range(1, STREAMS + 1):
            assert store.stream_version(f"partnership-CV/{n}") == len(history)
        kept = snapshot(engine)
        Projections(engine).rebuild()
        assert kept == snapshot(engine), "the read models differ from a fold of the log"


class TestSQLiteCatchUpRace(CatchUpRaceContract):
    @pytest.fixture
    def engine(self, sqlite_engine: Engine) -> Engine:
        return sqlite_engine


@pytest.mark.postgres
class TestPostgresCatchUpRace(CatchUpRaceContract):
    @pytest.fixture
    def engine(self, pg_engine: Engine) -> Engine:
        return pg_engine
