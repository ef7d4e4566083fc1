"""Real databases for the integration tests: a migrated SQLite file per test, and one uniquely
named PostgreSQL database per session, created here and dropped at the end.

The PostgreSQL suite never skips: if the server is unreachable the session fails loudly.
Point PARTNERSHIPS_TEST_PG_URL at another server (default postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from activities.database import create_engine_from_url, normalise_url
from activities.schema import metadata
from migrations import runner

DEFAULT_PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def pg_server_url() -> URL:
    """The maintenance URL of the PostgreSQL server the tests create their databases on."""
    raw = os.environ.get("PARTNERSHIPS_TEST_PG_URL") or os.environ.get("PARTNERSHIPS_TEST_PG")
    return normalise_url(raw or DEFAULT_PG_SERVER)


def _admin_engine() -> Engine:
    return create_engine_from_url(pg_server_url(), isolation_level="AUTOCOMMIT")


def create_pg_database(prefix: str = "partnerships_test") -> URL:
    """Create a uniquely named database and return its URL; fails the run when PG is down."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is unreachable at {pg_server_url().render_as_string()}: {exc.orig}. "
            "Start it (.ci/run does) or set PARTNERSHIPS_TEST_PG_URL; this suite never skips.",
            pytrace=False,
        )
    finally:
        admin.dispose()
    return pg_server_url().set(database=name)


def drop_pg_database(url: URL) -> None:
    """Drop a database made by create_pg_database, closing any connection left to it."""
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[URL]:
    """A migrated PostgreSQL database shared by the session (tables are emptied per test)."""
    url = create_pg_database()
    try:
        runner.upgrade(url)
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def empty_pg_url() -> Iterator[URL]:
    """A fresh PostgreSQL database with no schema at all, dropped after the test."""
    url = create_pg_database("partnerships_test_empty")
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def pg_engine(pg_url: URL) -> Iterator[Engine]:
    """An engine on the session's PostgreSQL database, every table emptied first."""
    engine = create_engine_from_url(pg_url)
    with engine.begin() as conn:
        names = ", ".join(t.name for t in metadata.sorted_tables)
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY"))
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "partnerships.db"
    runner.upgrade(f"sqlite:///{path}")
    engine = create_engine_from_url(f"sqlite:///{path}")
    with engine.connect() as conn:
        # Fold the WAL into the main file so a plain copy carries the whole schema.
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def sqlite_engine(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a migrated SQLite file of this test's own."""
    path = tmp_path / "partnerships.db"
    shutil.copyfile(sqlite_template, path)
    engine = create_engine_from_url(f"sqlite:///{path}")
    yield engine
    engine.dispose()
