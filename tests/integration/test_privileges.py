"""Least privilege: `events` refuses UPDATE and DELETE to everyone (a trigger), and on PostgreSQL
the writer role appends but cannot rewrite, the reader only reads."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from activities.codec import to_new_event
from activities.database import create_engine_from_url
from activities.eventstore import EventStore
from activities.projections import Projections
from migrations.append_only import GUARD_MESSAGE, READER, WRITER, guard_lifted
from tests.integration.conftest import pg_server_url
from tests.integration.helpers import events
from tests.unit.strategies import at_launched

CV = "partnership-CV/1"


def append_a_lifecycle(store: EventStore) -> int:
    """A launched partnership's events, one append each (the read models fold them)."""
    history = at_launched().events
    for version, event in enumerate(history):
        store.append(CV, version, [to_new_event(uuid.uuid4(), event, {"run_id": "r"})])
    return len(history)


class GuardContract:
    """Subclasses provide `engine`: a migrated, empty store, as its owner."""

    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE events SET payload = payload",
            "DELETE FROM events",
            "DELETE FROM events WHERE stream_version = 2",
        ],
    )
    def test_the_owner_too_is_refused_an_update_or_delete_of_events(
        self, engine: Engine, statement: str
    ) -> None:
        EventStore(engine).append(CV, 0, events(2))
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.exec_driver_sql(statement)
        assert EventStore(engine).verify().ok
        assert EventStore(engine).stream_version(CV) == 2

    def test_the_guard_is_back_after_an_insider_lifted_it(self, engine: Engine) -> None:
        EventStore(engine).append(CV, 0, events(2))
        with engine.begin() as conn, guard_lifted(conn):
            conn.exec_driver_sql("DELETE FROM events WHERE stream_version = 2")
        with pytest.raises(sa.exc.DBAPIError, match=GUARD_MESSAGE), engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM events")

    def test_appends_and_rebuilds_work_under_the_guard(self, engine: Engine) -> None:
        append_a_lifecycle(EventStore(engine, projections=Projections(engine)))
        Projections(engine).rebuild()
        assert EventStore(engine).verify().ok


class TestSQLiteGuard(GuardContract):
    @pytest.fixture
    def engine(self, sqlite_engine: Engine) -> Engine:
        return sqlite_engine


@pytest.mark.postgres
class TestPostgresGuard(GuardContract):
    @pytest.fixture
    def engine(self, pg_engine: Engine) -> Engine:
        return pg_engine


def _login_granted(group: str) -> Iterator[str]:
    """A login user of its own, member of `group`, dropped afterwards."""
    name = f"partnerships_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine_from_url(pg_server_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE ROLE {name} LOGIN")
            conn.exec_driver_sql(f"GRANT {group} TO {name}")
        yield name
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {name}")
        admin.dispose()


@pytest.fixture
def writer(pg_url: URL, pg_engine: Engine) -> Iterator[Engine]:
    """An engine on the session's database as a login user granted the writer role."""
    for name in _login_granted(WRITER):
        engine = create_engine_from_url(pg_url.set(username=name))
        yield engine
        engine.dispose()


@pytest.fixture
def reader(pg_url: URL, pg_engine: Engine) -> Iterator[Engine]:
    """An engine on the session's database as a login user granted the reader role."""
    for name in _login_granted(READER):
        engine = create_engine_from_url(pg_url.set(username=name))
        yield engine
        engine.dispose()


@pytest.mark.postgres
class TestPostgresRoles:
    def test_the_writer_appends_with_its_read_models_and_reads(self, writer: Engine) -> None:
        store = EventStore(writer, projections=Projections(writer))
        count = append_a_lifecycle(store)
        assert store.stream_version(CV) == count
        assert store.verify().ok
        Projections(writer).rebuild()
        Projections(writer).catch_up()

    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE events SET payload = payload",
            "DELETE FROM events",
            "TRUNCATE events",
            "ALTER TABLE events DISABLE TRIGGER events_append_only",
            "DROP TRIGGER events_append_only ON events",
        ],
    )
    def test_the_writer_cannot_rewrite_events_nor_lift_the_guard(
        self, writer: Engine, statement: str
    ) -> None:
        EventStore(writer).append(CV, 0, events(2))
        with pytest.raises(sa.exc.ProgrammingError) as refused, writer.begin() as conn:
            conn.exec_driver_sql(statement)
        assert "permission denied" in str(refused.value) or "must be owner" in str(refused.value)
        assert EventStore(writer).stream_version(CV) == 2

    def test_the_reader_reads_but_cannot_write(self, writer: Engine, reader: Engine) -> None:
        EventStore(writer).append(CV, 0, events(2))
        store = EventStore(reader)
        assert [e.stream_version for e in store.read_stream(CV)] == [1, 2]
        assert store.verify().ok
        # Appends go through the driver's own connection: its error, not SQLAlchemy's.
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            store.append(CV, 2, events(1))
        for statement in (
            "INSERT INTO streams VALUES ('x', 1, 'h')",
            "UPDATE status_board SET stage = 'x'",
            "DELETE FROM checkpoints",
        ):
            with (
                pytest.raises(sa.exc.ProgrammingError, match="permission denied"),
                reader.begin() as conn,
            ):
                conn.exec_driver_sql(statement)

    def test_a_table_a_later_migration_creates_is_granted_alike(
        self, pg_engine: Engine, writer: Engine, reader: Engine
    ) -> None:
        with pg_engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE later_read_model (id serial PRIMARY KEY, x int)")
        try:
            with writer.begin() as conn:
                conn.exec_driver_sql("INSERT INTO later_read_model (x) VALUES (1)")
                conn.exec_driver_sql("UPDATE later_read_model SET x = 2")
            with reader.connect() as conn:
                assert conn.exec_driver_sql("SELECT x FROM later_read_model").scalar_one() == 2
        finally:
            with pg_engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE later_read_model")
