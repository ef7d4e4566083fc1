"""The event store: the partnerships' permanent, tamper-evident record.

Appends are optimistic on the stream's expected version and idempotent by event id. On
PostgreSQL every append holds one transaction-scoped advisory lock, so global positions commit
in order and a catch-up reader that has seen position N has seen everything before it (the
Marten 3321 pitfall, DESIGN.md §4); on SQLite BEGIN IMMEDIATE gives the same order.

An append reads top to bottom in this module: `append` validates and retries; it joins a group
(activities/group_commit.py), so appends that arrive together from many threads share one
transaction and one commit; `_commit_group` picks a connection (activities/connections.py), a
Writer writes each member in its own savepoint (activities/appenders.py), and with read models
`_write_with_read_models` folds them in the same transaction. The hash chains are checked by
activities/verification.py.
"""

from __future__ import annotations

import dataclasses
import datetime
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from activities.appenders import (
    AppendRequest,
    Head,
    Inserted,
    Mismatch,
    PreparedRow,
    WriteOutcome,
    prepare_rows,
    writer_for,
)
from activities.connections import (
    driver_connection,
    driver_writers,
    sqlalchemy_writers,
    writer_limit,
)
from activities.database import write_lock
from activities.group_commit import GroupCommit
from activities.hashing import canonical_json
from activities.records import AppendResult, NewEvent, StoredEvent, VerifyReport
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
from activities.verification import verify_chains

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
MAX_GROUP = 32
"""The most appends one transaction commits together. PostgreSQL keeps the first 64
subtransactions (one savepoint per member) in shared memory; more would slow its readers."""
_MAX_ATTEMPTS = 3


class InlineProjection(Protocol):
    """Read models kept current inside the append's own transaction (read-your-writes)."""

    def apply(self, conn: Connection, stream_id: str, new_events: Sequence[StoredEvent]) -> None:
        """Fold `new_events`, just appended to `stream_id`, into the read models via `conn`."""
        ...

    def committed(self, stream_id: str, new_events: Sequence[StoredEvent]) -> None:
        """The transaction `apply` ran in has committed.

        Called on the thread that called `apply`, and never after a rollback, so state a
        projection keeps between appends only ever reflects what the log holds.
        """
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
        self._heads: OrderedDict[str, Head] = OrderedDict()
        self._heads_lock = threading.Lock()
        # Appends run on connections the store keeps: the driver's own without read models,
        # SQLAlchemy's with them, since the read models write through SQLAlchemy.
        limit = writer_limit(engine)
        self._driver_writers = driver_writers(engine, limit)
        self._sqlalchemy_writers = sqlalchemy_writers(engine, limit)
        self._folded = threading.local()  # this thread's member's fold, until committed
        # Appends from many threads at once share a transaction and its commit. With read
        # models a group holds several streams' rows; everything else that writes them
        # (catch-up, rebuild, the outbox) takes the append lock first, so none can deadlock
        # with it.
        self.groups: GroupCommit[AppendRequest, WriteOutcome] = GroupCommit(
            self._commit_group, max_group=MAX_GROUP
        )

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
            head = self._cached_head(stream_id)
            # Hashed and encoded here, on this thread, while other appends hold the lock:
            # the writer uses these rows if the head it finds is this one.
            prepared = (
                prepare_rows(stream_id, head, events)
                if head is not None and head.version == expected_version
                else None
            )
            request = AppendRequest(stream_id, expected_version, events, head, prepared)
            outcome = self.groups.run(request)
            if isinstance(outcome, Inserted):
                if self.projections is not None:
                    self._committed(self.projections, stream_id)
                return self._recorded(stream_id, outcome)
            self._forget(stream_id)
            original = self._resolve(request)
            if original is not None:
                return original
            if isinstance(outcome, Mismatch):
                raise ConcurrencyError(stream_id, expected_version, outcome.actual.version)
            # A collision with no conflicting event id: the cached head was stale. Retry on
            # the slow path, which reads the head under the lock.
        raise ConcurrencyError(stream_id, expected_version, self.stream_version(stream_id))

    def _commit_group(
        self, take: Callable[[], list[AppendRequest]]
    ) -> list[WriteOutcome | Exception]:
        """One group's transaction, on a connection kept for appends when one is free."""
        # This process's writers take turns here on SQLite (see database.write_lock); appends
        # that arrive while the leader waits for it join its group.
        with write_lock(self.engine):
            if self.projections is None:
                with self._driver_writers.connection() as driver:
                    return self._writer.write_group(driver, take, own_transaction=True)
            with self._sqlalchemy_writers.connection() as conn:
                return self._write_with_read_models(conn, self.projections, take)

    def _write_with_read_models(
        self,
        conn: Connection,
        projections: InlineProjection,
        take: Callable[[], list[AppendRequest]],
    ) -> list[WriteOutcome | Exception]:
        """A group's appends and their read-model updates in one transaction on `conn`.

        Each member's read models are folded inside its savepoint, so a member whose fold
        fails is rolled back alone.
        """
        failed: list[BaseException] = []

        def fold(index: int, request: AppendRequest, inserted: Inserted) -> None:
            try:
                self.groups.on_member_thread(
                    index, lambda: self._fold(conn, projections, request, inserted)
                )
            except BaseException as error:
                failed.append(error)
                raise

        with conn.begin():
            outcomes = self._writer.write_group(
                driver_connection(conn), take, own_transaction=False, fold=fold
            )
        if failed:
            # What a failed projection left on the connection beyond its rolled-back rows is
            # unknown: it is closed rather than kept for the next group.
            conn.close()
        return outcomes

    def _fold(
        self,
        conn: Connection,
        projections: InlineProjection,
        request: AppendRequest,
        inserted: Inserted,
    ) -> None:
        """Fold one member's events into the read models, on that member's own thread.

        On its own thread, so a projection that keeps state per thread between `apply` and
        `committed` (activities/projections.py does) sees each append as it would alone;
        `append` calls `committed` on the same thread once the group has committed.
        """
        self._folded.events = None
        # The read models fold the events as a reader of the log would get them.
        stored = [
            self._upcast(_known(self._stored_from_prepared(request.stream_id, row, position)))
            for row, position in zip(inserted.rows, inserted.positions, strict=True)
        ]
        projections.apply(conn, request.stream_id, stored)
        self._folded.events = stored

    def _committed(self, projections: InlineProjection, stream_id: str) -> None:
        """Tell the read models that this thread's fold has committed."""
        stored = getattr(self._folded, "events", None)
        self._folded.events = None
        if stored:
            projections.committed(stream_id, stored)

    def _recorded(self, stream_id: str, inserted: Inserted) -> AppendResult:
        """The result of an append whose rows went in; their head is remembered."""
        last = inserted.rows[-1]
        self._remember(stream_id, Head(last.stream_version, last.hash))
        return AppendResult(
            stream_id=stream_id,
            version=last.stream_version,
            events=tuple(
                self._stored_from_prepared(stream_id, row, position)
                for row, position in zip(inserted.rows, inserted.positions, strict=True)
            ),
        )

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

    def _resolve(self, request: AppendRequest) -> AppendResult | None:
        """After a refused write: the original result of a retried append, or None.

        Raises EventIdConflict when an id is recorded with other content or at another place.
        """
        stream_id, events = request.stream_id, request.events
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

    # The head cache: heads this process wrote or read, most recently used last. A stale entry
    # costs a unique violation and a retry on the slow path, never a wrong chain: rows are
    # immutable and versions unique.

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

    def read_stream(
        self, stream_id: str, from_version: int = 1, *, conn: Connection | None = None
    ) -> list[StoredEvent]:
        """The events of one stream from `from_version` on, in order, upcast to current.

        Read on `conn`, inside the caller's transaction, when given.
        """
        query = (
            sa.select(events_table)
            .where(events_table.c.stream_id == stream_id)
            .where(events_table.c.stream_version >= from_version)
            .order_by(events_table.c.stream_version)
        )
        return self._read(query, conn)

    def read_all(
        self, from_position: int = 0, limit: int = 1000, *, conn: Connection | None = None
    ) -> list[StoredEvent]:
        """One page of the global log: up to `limit` events with position > `from_position`.

        Pass the last position of a page to get the next; a checkpoint is such a position.
        Read on `conn`, inside the caller's transaction, when given.
        """
        query = (
            sa.select(events_table)
            .where(events_table.c.position > from_position)
            .order_by(events_table.c.position)
            .limit(limit)
        )
        return self._read(query, conn)

    def _read(self, query: sa.Select[Any], conn: Connection | None) -> list[StoredEvent]:
        if conn is None:
            with self.engine.connect() as own:
                return self._read(query, own)
        return [self.event_from_row(row) for row in conn.execute(query)]

    def iter_all(self, from_position: int = 0, page_size: int = 1000) -> Iterator[StoredEvent]:
        """Every event after `from_position`, in position order, fetched a page at a time."""
        position = from_position
        while page := self.read_all(position, page_size):
            yield from page
            position = page[-1].position

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

        See activities/verification.py; the rows are read as stored, without upcasting.
        """
        with self.engine.connect() as conn:
            return verify_chains(conn, stream_id)

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
        return dataclasses.replace(event, schema_version=version, payload=payload)

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


def _content(row: Row[Any]) -> tuple[Any, ...]:
    """What a recorded event says, compared with a retried append's event (`_new_content`)."""
    return (
        row.type,
        row.schema_version,
        canonical_json(row.payload),
        canonical_json(row.metadata),
        row.occurred_on,
        read_utc(row.recorded_at),
    )


def _new_content(event: NewEvent) -> tuple[Any, ...]:
    """What an event to append says, in the form `_content` reads it back."""
    return (
        event.type,
        event.schema_version,
        canonical_json(event.payload),
        canonical_json(event.metadata),
        event.occurred_on,
        event.recorded_at.astimezone(datetime.UTC),
    )
