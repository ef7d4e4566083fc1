"""The event store: the partnerships' permanent, tamper-evident record.

Appends are optimistic on the stream's expected version and idempotent by event id. On
PostgreSQL every append holds one transaction-scoped advisory lock, so global positions commit
in order and a catch-up reader that has seen position N has seen everything before it (the
Marten 3321 pitfall, DESIGN.md §4); on SQLite BEGIN IMMEDIATE gives the same order.
"""

from __future__ import annotations

import datetime
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from activities.appenders import (
    DRIVER_ERRORS,
    Collision,
    Head,
    Inserted,
    Mismatch,
    PreparedRow,
    writer_connections,
    writer_for,
)
from activities.database import BEGIN_IMMEDIATE, begin_write, write_lock
from activities.hashing import GENESIS_HASH, canonical_header, canonical_json, chain_hash
from activities.kept import KeptConnections
from activities.records import AppendResult, ChainBreak, NewEvent, StoredEvent, VerifyReport
from activities.schema import events as events_table
from activities.schema import read_utc
from activities.schema import streams as streams_table
from activities.store_errors import (
    ConcurrencyError,
    EventIdConflict,
    InvalidAppend,
    StoreError,
)
from activities.upcasting import UPCASTERS, Upcasters, refuse_unknown_version

__all__ = [
    "AppendResult",
    "ConcurrencyError",
    "EventIdConflict",
    "EventStore",
    "InlineProjection",
    "InvalidAppend",
    "NewEvent",
    "StoreError",
    "StoredEvent",
    "VerifyReport",
]

_HEAD_CACHE_SIZE = 10_000
_KEPT_CONNECTIONS = 5  # for a pool that does not say its size
_MAX_ATTEMPTS = 3


class InlineProjection(Protocol):
    """Read models kept current inside the append's own transaction (read-your-writes).

    A projection may also define `committed(stream_id, new_events)`: the store calls it after
    the transaction that `apply` ran in has committed, on the same thread, and never after a
    rollback, so state kept between appends only ever reflects what the log holds.
    """

    def apply(self, conn: Connection, stream_id: str, new_events: Sequence[StoredEvent]) -> None:
        """Fold `new_events`, just appended to `stream_id`, into the read models via `conn`."""
        ...


class EventStore:
    """Append-only streams of events in one global order, on SQLite or PostgreSQL (sync API).

    Reads go through `upcasters`, this software's UPCASTERS unless told otherwise, and refuse a
    schema version newer than this software knows; `verify` reads the rows as stored.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        upcasters: Upcasters = UPCASTERS,
        projections: InlineProjection | None = None,
        cache_heads: bool = True,
    ) -> None:
        self.engine = engine
        self.cache_heads = cache_heads
        self.upcasters = upcasters
        self.projections = projections
        self._writer = writer_for(engine.dialect.name)
        # Heads this process wrote or read. A stale entry costs a unique violation and a retry
        # on the slow path, never a wrong chain: rows are immutable and versions unique.
        self._heads: OrderedDict[str, Head] = OrderedDict()
        self._heads_lock = threading.Lock()
        # Appends without read models run on connections the store keeps (see
        # activities/kept.py). On SQLite one is enough: this process's writers take turns on
        # write_lock(engine). An in-memory SQLite database is one per connection, so there the
        # pool's is the only one.
        database = engine.url.database or ""
        in_memory = database in ("", ":memory:") or "mode=memory" in database
        if engine.dialect.name == "sqlite":
            limit = 0 if in_memory else 1
        else:
            limit = int(getattr(engine.pool, "size", lambda: _KEPT_CONNECTIONS)())
        self._connections = writer_connections(engine, limit)
        # Likewise the SQLAlchemy connections for appends with read models: connecting,
        # cloning execution options and closing cost more than the transaction around them.
        self._transactions = kept_transactions(engine, limit)

    # -- writing ---------------------------------------------------------------------------

    def append(
        self, stream_id: str, expected_version: int, events: Sequence[NewEvent]
    ) -> AppendResult:
        """Append `events` to `stream_id`, which must be at `expected_version` (0 = new stream).

        Raises ConcurrencyError when another writer got there first (nothing written), and
        EventIdConflict when an event id is already recorded with other content. Appending the
        same events again (a retried activity) writes nothing and returns the original result.
        """
        self._validate(stream_id, expected_version, events)
        for _attempt in range(_MAX_ATTEMPTS):
            outcome = self._write(stream_id, expected_version, events, self._cached_head(stream_id))
            if isinstance(outcome, Inserted):
                last = outcome.rows[-1]
                self._remember(stream_id, Head(last.stream_version, last.hash))
                return AppendResult(
                    stream_id=stream_id,
                    version=last.stream_version,
                    events=tuple(
                        self._stored_from_prepared(stream_id, row, position)
                        for row, position in zip(outcome.rows, outcome.positions, strict=True)
                    ),
                )
            self._forget(stream_id)
            original = self._resolve(stream_id, expected_version, events)
            if original is not None:
                return original
            if isinstance(outcome, Mismatch):
                raise ConcurrencyError(stream_id, expected_version, outcome.actual.version)
            # A collision with no conflicting event id: the cached head was stale. Retry on
            # the slow path, which reads the head under the lock.
        raise ConcurrencyError(stream_id, expected_version, self.stream_version(stream_id))

    def _write(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        known_head: Head | None,
    ) -> Inserted | Mismatch | Collision:
        with write_lock(self.engine):
            return self._write_locked(stream_id, expected_version, events, known_head)

    def _write_locked(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        known_head: Head | None,
    ) -> Inserted | Mismatch | Collision:
        if self.projections is None:
            own = self._connections.take()
            if own is not None:
                failed = False
                try:
                    return self._writer.write(
                        own, stream_id, expected_version, events, known_head, own_transaction=True
                    )
                except DRIVER_ERRORS:
                    failed = True  # the connection may be broken: replace it, as the pool would
                    raise
                finally:
                    self._connections.give_back(own, failed=failed)
        if self.projections is None:
            raw = self.engine.raw_connection()
            try:
                return self._writer.write(
                    raw.driver_connection,
                    stream_id,
                    expected_version,
                    events,
                    known_head,
                    own_transaction=True,
                )
            finally:
                raw.close()
        assert self.projections is not None
        kept = self._transactions.take()
        if kept is None:
            with self.engine.connect() as conn:
                conn = conn.execution_options(**{BEGIN_IMMEDIATE: True})
                return self._write_projected(
                    conn, self.projections, stream_id, expected_version, events, known_head
                )
        failed = True
        try:
            outcome = self._write_projected(
                kept, self.projections, stream_id, expected_version, events, known_head
            )
            failed = False
            return outcome
        finally:
            # After any error, in the projection too, the connection is closed, not kept.
            self._transactions.give_back(kept, failed=failed)

    def _write_projected(
        self,
        conn: Connection,
        projections: InlineProjection,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        known_head: Head | None,
    ) -> Inserted | Mismatch | Collision:
        """The append and its read-model update in one transaction on `conn`."""
        with conn.begin() as transaction:
            outcome = self._writer.write(
                driver_connection(conn),
                stream_id,
                expected_version,
                events,
                known_head,
                own_transaction=False,
            )
            if not isinstance(outcome, Inserted):
                transaction.rollback()
                return outcome
            stored = [
                self._upcast(_known(self._stored_from_prepared(stream_id, row, position)))
                for row, position in zip(outcome.rows, outcome.positions, strict=True)
            ]
            projections.apply(conn, stream_id, stored)
        # Committed: a projection that keeps state between appends may keep this one's.
        committed = getattr(projections, "committed", None)
        if committed is not None:
            committed(stream_id, stored)
        return outcome

    @staticmethod
    def _validate(stream_id: str, expected_version: int, events: Sequence[NewEvent]) -> None:
        if not stream_id:
            raise InvalidAppend("a stream id must not be empty")
        if expected_version < 0:
            raise InvalidAppend(f"expected_version must be 0 or more, got {expected_version}")
        if not events:
            raise InvalidAppend(f"nothing to append to {stream_id!r}")
        ids = [e.event_id for e in events]
        if len(set(ids)) != len(ids):
            raise InvalidAppend(f"the same event id appears twice in one append to {stream_id!r}")

    def _resolve(
        self, stream_id: str, expected_version: int, events: Sequence[NewEvent]
    ) -> AppendResult | None:
        """After a refused write: the original result of a retried append, or None.

        Raises EventIdConflict when an id is recorded with other content or at another place.
        """
        ids = [e.event_id for e in events]
        with self.engine.connect() as conn:
            found = {
                row.event_id: row
                for row in conn.execute(
                    sa.select(events_table).where(events_table.c.event_id.in_(ids))
                )
            }
        if not found:
            return None
        recorded = [found.get(e.event_id) for e in events]
        first = recorded[0]
        for offset, (event, row) in enumerate(zip(events, recorded, strict=True)):
            if row is None:
                raise EventIdConflict(
                    next(iter(found)), "it was recorded in a different batch of events"
                )
            if _content(row) != _new_content(event):
                raise EventIdConflict(
                    event.event_id,
                    f"at {row.stream_id} version {row.stream_version} with different content",
                )
            assert first is not None
            if row.stream_id != stream_id or row.stream_version != first.stream_version + offset:
                raise EventIdConflict(
                    event.event_id, f"at {row.stream_id} version {row.stream_version}"
                )
        stored = tuple(self._stored_from_row(row) for row in recorded if row is not None)
        return AppendResult(
            stream_id=stream_id, version=stored[-1].stream_version, events=stored, duplicate=True
        )

    def _cached_head(self, stream_id: str) -> Head | None:
        with self._heads_lock:
            return self._heads.get(stream_id)

    def _remember(self, stream_id: str, head: Head) -> None:
        if not self.cache_heads:
            return
        with self._heads_lock:
            self._heads[stream_id] = head
            self._heads.move_to_end(stream_id)
            while len(self._heads) > _HEAD_CACHE_SIZE:
                self._heads.popitem(last=False)

    def _forget(self, stream_id: str) -> None:
        with self._heads_lock:
            self._heads.pop(stream_id, None)

    # -- reading ---------------------------------------------------------------------------

    def read_stream(self, stream_id: str, from_version: int = 1) -> list[StoredEvent]:
        """The events of one stream from `from_version` on, in order, upcast to current."""
        query = (
            sa.select(events_table)
            .where(events_table.c.stream_id == stream_id)
            .where(events_table.c.stream_version >= from_version)
            .order_by(events_table.c.stream_version)
        )
        with self.engine.connect() as conn:
            return [self._upcast(_known(self._stored_from_row(row))) for row in conn.execute(query)]

    def read_all(self, from_position: int = 0, limit: int = 1000) -> list[StoredEvent]:
        """One page of the global log: up to `limit` events with position > `from_position`.

        Pass the last position of a page to get the next; a checkpoint is such a position.
        """
        with self.engine.connect() as conn:
            return self.read_all_on(conn, from_position, limit)

    def read_all_on(self, conn: Connection, from_position: int, limit: int) -> list[StoredEvent]:
        """read_all on a caller's connection, inside the caller's transaction."""
        query = (
            sa.select(events_table)
            .where(events_table.c.position > from_position)
            .order_by(events_table.c.position)
            .limit(limit)
        )
        return [self._upcast(_known(self._stored_from_row(row))) for row in conn.execute(query)]

    def iter_all(self, from_position: int = 0, page_size: int = 1000) -> Iterator[StoredEvent]:
        """Every event after `from_position`, in position order, fetched a page at a time."""
        position = from_position
        while page := self.read_all(position, page_size):
            yield from page
            position = page[-1].position

    def read_stream_on(
        self, conn: Connection, stream_id: str, from_version: int = 1
    ) -> list[StoredEvent]:
        """read_stream on a caller's connection, inside the caller's transaction."""
        query = (
            sa.select(events_table)
            .where(events_table.c.stream_id == stream_id)
            .where(events_table.c.stream_version >= from_version)
            .order_by(events_table.c.stream_version)
        )
        return [self._upcast(_known(self._stored_from_row(row))) for row in conn.execute(query)]

    def stream_version(self, stream_id: str) -> int:
        """The stream's current version: the number of events in it, 0 when it has none."""
        with self.engine.connect() as conn:
            version = conn.execute(
                sa.select(sa.func.max(events_table.c.stream_version)).where(
                    events_table.c.stream_id == stream_id
                )
            ).scalar()
        return int(version or 0)

    def streams(self, prefix: str | None = None) -> list[str]:
        """Stream ids, sorted; only those starting with `prefix` when given."""
        query = sa.select(streams_table.c.stream_id).order_by(streams_table.c.stream_id)
        if prefix:
            query = query.where(streams_table.c.stream_id.startswith(prefix, autoescape=True))
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def last_position(self) -> int:
        """The highest position in the log, 0 when it is empty."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.max(events_table.c.position))).scalar() or 0)

    # -- tamper evidence -------------------------------------------------------------------

    def verify(self, stream_id: str | None = None) -> VerifyReport:
        """Recompute every hash chain (or one stream's) and report the first break in each.

        Finds changed events (hash mismatch), deleted or inserted ones (broken links, missing
        versions, a head that disagrees with the log) and reordered ones (links, or positions
        out of version order). Reads the stored rows as they are, without upcasting.
        """
        with self.engine.connect() as conn:
            ids_query = sa.union(
                sa.select(events_table.c.stream_id), sa.select(streams_table.c.stream_id)
            )
            stream_ids = sorted(
                [stream_id] if stream_id is not None else conn.execute(ids_query).scalars()
            )
            breaks: list[ChainBreak] = []
            total = 0
            for sid in stream_ids:
                checked, problem = self._verify_stream(conn, sid)
                total += checked
                if problem is not None:
                    breaks.append(problem)
        return VerifyReport(
            streams_checked=len(stream_ids), events_checked=total, breaks=tuple(breaks)
        )

    def _verify_stream(self, conn: Connection, stream_id: str) -> tuple[int, ChainBreak | None]:
        rows = conn.execute(
            sa.select(events_table)
            .where(events_table.c.stream_id == stream_id)
            .order_by(events_table.c.stream_version)
        )
        prev_hash, version, last_position, checked = GENESIS_HASH, 0, 0, 0
        for row in rows:
            checked += 1
            version += 1

            reason = _link_problem(row, version, prev_hash, last_position)
            if reason is not None:
                return checked, ChainBreak(stream_id, version, reason)
            prev_hash, last_position = row.hash, row.position
        head = conn.execute(
            sa.select(streams_table.c.version, streams_table.c.head_hash).where(
                streams_table.c.stream_id == stream_id
            )
        ).first()
        if head is None:
            return checked, ChainBreak(stream_id, version, "the stream has no recorded head")
        if head.version != version or head.head_hash != prev_hash:
            at = min(head.version, version + 1) if head.version > version else version
            return checked, ChainBreak(
                stream_id,
                at,
                f"the recorded head is version {head.version}, but the log ends at {version}",
            )
        return checked, None

    # -- maintenance -----------------------------------------------------------------------

    def write_transaction(self) -> Any:
        """A transaction that excludes appends, for rebuilding what derives from the log."""
        return begin_write(self.engine)

    # -- conversions -----------------------------------------------------------------------

    def event_from_row(self, row: Row[Any]) -> StoredEvent:
        """A StoredEvent, upcast to current, from a row selected from the `events` table."""
        return self._upcast(_known(self._stored_from_row(row)))

    def upcast(self, event: StoredEvent) -> StoredEvent:
        """`event` read as this store's upcasters read it (unchanged when already current)."""
        return self._upcast(event)

    def _upcast(self, event: StoredEvent) -> StoredEvent:
        if not self.upcasters:
            return event
        version, payload = self.upcasters.upcast(event.type, event.schema_version, event.payload)
        if version == event.schema_version:
            return event
        return _replace(event, schema_version=version, payload=payload)

    @staticmethod
    def _stored_from_prepared(stream_id: str, row: PreparedRow, position: int) -> StoredEvent:
        e = row.event
        return StoredEvent(
            event_id=e.event_id,
            type=e.type,
            schema_version=e.schema_version,
            payload=e.payload,
            metadata=e.metadata,
            occurred_on=e.occurred_on,
            recorded_at=row.recorded_at,
            position=position,
            stream_id=stream_id,
            stream_version=row.stream_version,
            prev_hash=row.prev_hash,
            hash=row.hash,
        )

    @staticmethod
    def _stored_from_row(row: Row[Any]) -> StoredEvent:
        return StoredEvent(
            event_id=row.event_id,
            type=row.type,
            schema_version=row.schema_version,
            payload=row.payload,
            metadata=row.metadata,
            occurred_on=row.occurred_on,
            recorded_at=read_utc(row.recorded_at),
            position=row.position,
            stream_id=row.stream_id,
            stream_version=row.stream_version,
            prev_hash=row.prev_hash,
            hash=row.hash,
        )


def _known(event: StoredEvent) -> StoredEvent:
    """`event`, a row as stored, unless its schema version is newer than this software knows.

    Checked where rows are read, on the version as stored and whatever the store's upcasters:
    read as the current version, such a row could be misread, or mis-folded into the read
    models. Raises UnknownSchemaVersion.
    """
    refuse_unknown_version(
        event.type, event.schema_version, where=f"{event.stream_id} version {event.stream_version}"
    )
    return event


def kept_transactions(engine: Engine, limit: int) -> KeptConnections[Connection]:
    """SQLAlchemy connections a store keeps for its appends with read models (see kept.py).

    With BEGIN IMMEDIATE on SQLite; one that saw any error is closed instead of kept.
    """

    def open_detached() -> Connection:
        conn = engine.connect()
        conn.detach()  # the pool forgets it: the keeper closes it
        return conn.execution_options(**{BEGIN_IMMEDIATE: True})

    def reusable(conn: Connection) -> bool:
        return not (conn.closed or conn.invalidated or conn.in_transaction())

    return KeptConnections(limit, open=open_detached, reusable=reusable)


def driver_connection(conn: Connection) -> Any:
    """The driver's connection under `conn`, also once `conn` is detached from its pool.

    A detached connection no longer reports its driver connection; for the synchronous
    drivers used here (sqlite3, psycopg) the DB-API connection is that driver connection.
    """
    fairy = conn.connection
    return fairy.driver_connection or fairy.dbapi_connection


def _link_problem(row: Row[Any], version: int, prev_hash: str, last_position: int) -> str | None:
    """Why `row` cannot be the stream's event at `version` after `prev_hash`, or None."""
    if row.stream_version != version:
        return f"version {version} is missing (the next is {row.stream_version})"
    if row.prev_hash != prev_hash:
        return "it does not link to its predecessor's hash"
    if _row_hash(row) != row.hash:
        return "its content does not match its hash"
    if row.position <= last_position:
        return "its global position is out of version order"
    return None


def _row_hash(row: Row[Any]) -> str:
    header = canonical_header(
        stream_id=row.stream_id,
        stream_version=row.stream_version,
        event_id=row.event_id,
        type=row.type,
        schema_version=row.schema_version,
        occurred_on=row.occurred_on,
        recorded_at=read_utc(row.recorded_at),
    )
    return chain_hash(
        row.prev_hash, header, canonical_json(row.payload), canonical_json(row.metadata)
    )


def _content(row: Row[Any]) -> tuple[Any, ...]:
    return (
        row.type,
        row.schema_version,
        canonical_json(row.payload),
        canonical_json(row.metadata),
        row.occurred_on,
        read_utc(row.recorded_at),
    )


def _new_content(event: NewEvent) -> tuple[Any, ...]:
    return (
        event.type,
        event.schema_version,
        canonical_json(event.payload),
        canonical_json(event.metadata),
        event.occurred_on,
        event.recorded_at.astimezone(datetime.UTC),
    )


def _replace(event: StoredEvent, **changes: Any) -> StoredEvent:
    from dataclasses import replace

    return replace(event, **changes)


def new_event_id() -> uuid.UUID:
    """A fresh random event id (workflows use workflow.uuid4() instead, for replay safety)."""
    return uuid.uuid4()
