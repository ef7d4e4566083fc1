"""The connections an event store writes on: its own few, kept outside the engine's pool.

An append is the one write the whole system waits on, and the pool's checkout and check-in are
a noticeable share of it (README, Performance). The pool also hands out its connections in turn,
each with a SQLite page cache gone stale since its last turn. So a store keeps up to `limit`
connections of its own for its appends: each is made by the pool, so it has the engine's
settings (WAL, synchronous=FULL, timeouts), and then detached from it, so the pool's own limits
stay the pool's. Beyond `limit` concurrent appends a writer borrows from the pool as usual.

Two kinds are kept: the driver's own connection (sqlite3, psycopg) for an append without read
models, which skips SQLAlchemy altogether, and a SQLAlchemy Connection for an append with them,
whose read models are written through SQLAlchemy in the same transaction.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.engine import Connection, Engine

from activities.database import BEGIN_IMMEDIATE, is_in_memory

__all__ = [
    "DRIVER_ERRORS",
    "WriterConnections",
    "driver_connection",
    "driver_writers",
    "sqlalchemy_writers",
    "writer_limit",
]

DEFAULT_WRITERS = 5
"""How many connections a store keeps when its engine's pool does not say its size."""

DRIVER_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error,)
"""Errors that mean a driver connection may be unusable (psycopg's added when installed)."""
try:
    import psycopg as _psycopg

    DRIVER_ERRORS = (sqlite3.Error, _psycopg.Error)
except ImportError:  # pragma: no cover - SQLite-only installs
    pass


class _Closable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=_Closable)


class WriterConnections(Generic[C]):
    """Up to `limit` connections made by `open` and kept for one store's appends.

    `connection()` lends one: a kept one when one is idle, a new kept one while under the limit,
    else one borrowed from the pool by `borrow`. A kept connection goes back for the next append
    unless the append raised one of `discard_on` or `reusable` says it is not idle (left in a
    transaction, closed): then it is closed and replaced, as the pool would invalidate it.
    Connections still kept are closed when this object is collected.
    """

    def __init__(
        self,
        limit: int,
        *,
        open: Callable[[], C],
        reusable: Callable[[C], bool],
        borrow: Callable[[], contextlib.AbstractContextManager[C]],
        discard_on: tuple[type[BaseException], ...],
    ) -> None:
        self.limit = limit
        self._open = open
        self._reusable = reusable
        self._borrow = borrow
        self._discard_on = discard_on
        self._idle: list[C] = []
        self._count = 0
        self._lock = threading.Lock()
        weakref.finalize(self, close_all, self._idle)

    def connection(self) -> contextlib.AbstractContextManager[C]:
        """A connection for one append: kept when one is free, else the pool's."""
        kept = self.take()
        if kept is None:
            return self._borrow()
        return _Lent(self, kept)

    def take(self) -> C | None:
        """An idle kept connection, a new one if under the limit, else None."""
        with self._lock:
            if self._idle:
                return self._idle.pop()
            if self._count >= self.limit:
                return None
            self._count += 1
        try:
            return self._open()
        except BaseException:
            with self._lock:
                self._count -= 1
            raise

    def give_back(self, connection: C, *, failed: bool) -> None:
        """Keep `connection` for the next append, unless it failed or is left mid-transaction."""
        if not failed and self._reusable(connection):
            with self._lock:
                self._idle.append(connection)
            return
        with self._lock:
            self._count -= 1
        close_all([connection])


class _Lent(Generic[C]):
    """A kept connection lent for one append, given back when the append is done.

    A class rather than a generator-based context manager: it is entered on every append,
    and a class is the cheaper of the two.
    """

    __slots__ = ("_connection", "_owner")

    def __init__(self, owner: WriterConnections[C], connection: C) -> None:
        self._owner = owner
        self._connection = connection

    def __enter__(self) -> C:
        return self._connection

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        failed = kind is not None and issubclass(kind, self._owner._discard_on)
        self._owner.give_back(self._connection, failed=failed)


def close_all(connections: list[C]) -> None:
    """Close every connection in the list, emptying it; a broken one may refuse politely."""
    while connections:
        with contextlib.suppress(Exception):  # closing what may already be broken
            connections.pop().close()


def writer_limit(engine: Engine) -> int:
    """How many connections a store on `engine` keeps for its appends.

    On SQLite one is enough: this process's writers take turns on database.write_lock. An
    in-memory SQLite database is one per connection, so there the pool's is the only one.
    """
    if engine.dialect.name == "sqlite":
        return 0 if is_in_memory(engine.url) else 1
    return int(getattr(engine.pool, "size", lambda: DEFAULT_WRITERS)())


def driver_writers(engine: Engine, limit: int) -> WriterConnections[Any]:
    """Driver connections for appends without read models, closed and replaced after a
    driver error (the server may have gone away)."""

    def open_detached() -> Any:
        pooled = engine.raw_connection()
        connection = pooled.driver_connection
        pooled.detach()  # the pool forgets it: WriterConnections closes it
        return connection

    @contextlib.contextmanager
    def borrow() -> Iterator[Any]:
        pooled = engine.raw_connection()
        try:
            yield pooled.driver_connection
        finally:
            pooled.close()

    return WriterConnections(
        limit, open=open_detached, reusable=_idle, borrow=borrow, discard_on=DRIVER_ERRORS
    )


def sqlalchemy_writers(engine: Engine, limit: int) -> WriterConnections[Connection]:
    """SQLAlchemy connections for appends with read models, with BEGIN IMMEDIATE on SQLite.

    One that saw any error, in the read models too, is closed instead of kept: what a failed
    projection left on it is unknown. Kept rather than taken from the pool each time because
    connecting, cloning execution options and closing cost more than the transaction they
    wrap.
    """

    def open_detached() -> Connection:
        conn = engine.connect()
        conn.detach()  # the pool forgets it: WriterConnections closes it
        return conn.execution_options(**{BEGIN_IMMEDIATE: True})

    def reusable(conn: Connection) -> bool:
        return not (conn.closed or conn.invalidated or conn.in_transaction())

    @contextlib.contextmanager
    def borrow() -> Iterator[Connection]:
        with engine.connect() as conn:
            yield conn.execution_options(**{BEGIN_IMMEDIATE: True})

    return WriterConnections(
        limit, open=open_detached, reusable=reusable, borrow=borrow, discard_on=(BaseException,)
    )


def driver_connection(conn: Connection) -> Any:
    """The driver's connection under `conn`, also once `conn` is detached from its pool.

    A detached connection no longer reports its driver connection; for the synchronous
    drivers used here (sqlite3, psycopg) the DB-API connection is that driver connection.
    """
    fairy = conn.connection
    return fairy.driver_connection or fairy.dbapi_connection


def _idle(connection: Any) -> bool:
    """True when the driver connection is open and outside any transaction."""
    try:
        if isinstance(connection, sqlite3.Connection):
            return not connection.in_transaction
        from psycopg.pq import TransactionStatus

        return bool(
            not connection.closed and connection.info.transaction_status == TransactionStatus.IDLE
        )
    except Exception:  # a closed sqlite3 connection raises on any question
        return False
