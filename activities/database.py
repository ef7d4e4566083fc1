"""Engines from a DATABASE_URL, and the locks that serialise the log's writers.

SQLite is the embedded backend (a file, WAL mode); PostgreSQL through psycopg 3 is the
production one. Every engine is made here so both backends get the same settings. Whether a
database's schema is ready is the migrations' to say: see migrations/readiness.py.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from activities.store_errors import DatabaseUnreachable, StoreError

SQLITE_BUSY_TIMEOUT_MS = 10_000
PG_CONNECT_TIMEOUT_S = 5

# Every append on PostgreSQL holds this transaction-scoped advisory lock, so appends commit in
# position order and a catch-up reader can never see position N+1 while N is still in flight.
# The one statement that takes it, in the driver's own parameter style: the appenders send it
# on the psycopg connection, begin_write through SQLAlchemy's exec_driver_sql.
APPEND_LOCK_KEY = 0x5041_5254_4E45_5253  # "PARTNERS"
APPEND_LOCK_SQL = "SELECT pg_advisory_xact_lock(%s)"

# Execution option read by the SQLite begin hook: take the write lock at BEGIN.
BEGIN_IMMEDIATE = "partnerships_begin_immediate"

__all__ = [
    "APPEND_LOCK_KEY",
    "APPEND_LOCK_SQL",
    "BEGIN_IMMEDIATE",
    "begin_write",
    "create_engine_from_url",
    "is_in_memory",
    "normalise_url",
    "redacted",
    "write_lock",
]


def normalise_url(url: str | URL) -> URL:
    """Parse a database URL, sending every PostgreSQL spelling to the psycopg 3 driver."""
    if isinstance(url, str) and url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnreachable(str(url), f"not a database URL ({exc})") from None
    if parsed.get_backend_name() == "postgresql" and parsed.drivername != "postgresql+psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def redacted(url: str | URL) -> str:
    """The URL as text with any password replaced by ***, safe for messages and logs."""
    try:
        return normalise_url(url).render_as_string(hide_password=True)
    except StoreError:
        return "<unparseable URL>"


def create_engine_from_url(url: str | URL, **kwargs: Any) -> Engine:
    """Create an engine for SQLite (WAL, foreign keys, busy timeout) or PostgreSQL (psycopg 3)."""
    parsed = normalise_url(url)
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            return _sqlite_engine(parsed, **kwargs)
        if backend == "postgresql":
            connect_args = {"connect_timeout": PG_CONNECT_TIMEOUT_S}
            connect_args.update(kwargs.pop("connect_args", {}))
            return sa.create_engine(parsed, connect_args=connect_args, **kwargs)
    except (NoSuchModuleError, ArgumentError) as exc:
        raise DatabaseUnreachable(redacted(parsed), str(exc)) from None
    raise DatabaseUnreachable(
        redacted(parsed), f"unsupported backend {backend!r}; use sqlite:/// or postgresql://"
    )


def is_in_memory(url: URL) -> bool:
    """True for a SQLite database that lives in memory: one per connection, gone when it closes."""
    database = url.database or ""
    return url.get_backend_name() == "sqlite" and (
        database in ("", ":memory:") or "mode=memory" in database
    )


def _sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    database = url.database or ""
    in_memory = is_in_memory(url)
    if not in_memory:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    connect_args.update(kwargs.pop("connect_args", {}))
    engine = sa.create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # Let SQLAlchemy's begin event issue BEGIN itself: pysqlite's implicit transactions
        # start too late (at the first write) for a read-then-write to be atomic.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit survives power loss; this is the permanent legal record.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # A writer must hold the write lock from its first read, or WAL refuses the upgrade
        # with SQLITE_BUSY when another writer committed in between.
        immediate = conn.get_execution_options().get(BEGIN_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_WRITE_LOCKS_GUARD = threading.Lock()


def write_lock(engine: Engine) -> AbstractContextManager[object]:
    """Serialise this process's writers on a SQLite engine; a no-op on PostgreSQL.

    SQLite has one writer at a time. Threads queueing on a Python lock take turns at once,
    where SQLite's busy handler would have them sleep and poll, which collapses throughput
    when a worker's activity threads write together.
    """
    if engine.dialect.name != "sqlite":
        return nullcontext()
    with _WRITE_LOCKS_GUARD:
        lock = _WRITE_LOCKS.get(engine)
        if lock is None:
            lock = _WRITE_LOCKS[engine] = threading.Lock()
    return lock


@contextmanager
def begin_write(engine: Engine) -> Iterator[Connection]:
    """A transaction that excludes concurrent appends: BEGIN IMMEDIATE on SQLite, the append
    advisory lock on PostgreSQL. Use it for read-then-write work on the log's derived tables."""
    with write_lock(engine), engine.connect() as conn:
        conn = conn.execution_options(**{BEGIN_IMMEDIATE: True})
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql(APPEND_LOCK_SQL, (APPEND_LOCK_KEY,))
            yield conn
