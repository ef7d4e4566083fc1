"""Connections a store takes from its engine's pool once and keeps for its own appends.

Checking a connection out of SQLAlchemy's pool and back in cost ~25 us per append on SQLite
and ~60 us on PostgreSQL (measured in place; a tenth of an append), and the pool hands out its
connections in turn, each with a SQLite page cache gone stale since its last turn. So a store
keeps up to `limit` connections of its own: each is made by the pool (so it has the engine's
settings: WAL, synchronous=FULL, timeouts) and then detached from it, so the pool's own limits
stay the pool's. Beyond `limit` concurrent appends, `take` returns None and the caller uses the
pool. A connection that failed, or is not idle after a write, is closed instead of kept, as
the pool would invalidate it. Connections still kept are closed when the keeper is collected.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar


class _Closable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=_Closable)


class KeptConnections(Generic[C]):
    """Up to `limit` connections made by `open`, reused while `reusable` says they are idle."""

    def __init__(self, limit: int, *, open: Callable[[], C], reusable: Callable[[C], bool]) -> None:
        self.limit = limit
        self._open = open
        self._reusable = reusable
        self._idle: list[C] = []
        self._count = 0
        self._lock = threading.Lock()
        weakref.finalize(self, close_all, self._idle)

    def take(self) -> C | None:
        """An idle connection of this keeper's, a new one if under the limit, else None."""
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


def close_all(connections: list[C]) -> None:
    """Close every connection in the list, emptying it; a broken one may refuse politely."""
    while connections:
        with contextlib.suppress(Exception):  # closing what may already be broken
            connections.pop().close()
