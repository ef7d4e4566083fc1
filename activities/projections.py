"""Keeping the read models current: inside each append, on catch-up, and by a full rebuild.

The read models: the status board, Member State participation, the milestones outbox and the
open tasks (the steps each role may take now, which the inbox reads).

Rows are folds of the stream by the domain's functions (activities/read_models.py). Catch-up and
rebuild refold whole streams, so applying a stream twice, or after a crash, gives the same rows.
Catch-up batches, like rebuilds, hold the append lock (database.begin_write) before any
read-model row: appends, grouped, lock several streams' rows under that lock, so a batch that
locked rows first could deadlock with a group. Its status upsert still only replaces a fold of
an earlier or the same version (write_stream_rows). Rebuild excludes appends and catch-up.
An append folds only its new events onto the state the previous append of this process left
(kept per stream, keyed by the hash of the event it was folded up to, so a state is only ever
reused for exactly the events it was folded from) and writes only the rows that changed; on a
miss it refolds the whole stream and rewrites its rows, as catch-up does.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from activities.codec import domain_from_row
from activities.connections import driver_connection
from activities.database import begin_write
from activities.eventstore import EventStore
from activities.read_models import (
    EMPTY_FOLD,
    Fold,
    StreamRows,
    fold_events,
    fold_onto,
    fold_stream,
    stream_rows,
)
from activities.records import StoredEvent
from activities.schema import (
    READ_MODEL_TABLES,
    events,
    milestones,
    open_tasks,
    participation,
    projector_checkpoints,
    read_utc,
    status_board,
)
from activities.upcasting import UPCASTERS, Upcasters
from domain.events import Event
from domain.identifiers import WORKFLOW_ID_PREFIX

READ_MODELS = "read_models"
"""The checkpoint name of the read models' catch-up projector."""

Handler = Callable[[Connection, list[StoredEvent]], None]


def dialect_insert(conn: Connection, table: sa.Table) -> Any:
    """A dialect insert, so ON CONFLICT is available on both backends."""
    return _dialect_insert(conn.dialect.name, table)


def _dialect_insert(dialect: str, table: sa.Table) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


class _Statements:
    """The read models' write statements for one dialect, built once.

    Building an upsert per call, and SQLAlchemy computing its cache key, cost more than
    running it; a prebuilt statement is compiled once and found in the cache by identity.
    """

    def __init__(self, dialect: str) -> None:
        status = _dialect_insert(dialect, status_board)
        # Only a fold of a later (or the same) version replaces a stream's row: catch-up folds
        # what it read earlier in its transaction, and an append may have committed since.
        # RETURNING says whether the row was written; when it was not, a later fold is there.
        self.upsert_status = status.on_conflict_do_update(
            index_elements=["stream_id"],
            set_={c.name: status.excluded[c.name] for c in status_board.c if c.name != "stream_id"},
            where=status_board.c.stream_version <= status.excluded.stream_version,
        ).returning(status_board.c.stream_id)
        keys = ("stream_id", "member_state")
        member = _dialect_insert(dialect, participation)
        self.upsert_participation = member.on_conflict_do_update(
            index_elements=list(keys),
            set_={c.name: member.excluded[c.name] for c in participation.c if c.name not in keys},
        )
        self.insert_participation = sa.insert(participation)
        self.insert_milestones = _dialect_insert(dialect, milestones).on_conflict_do_nothing()
        self.delete_status = sa.delete(status_board).where(
            status_board.c.stream_id == sa.bindparam("sid")
        )
        self.delete_participation = sa.delete(participation).where(
            participation.c.stream_id == sa.bindparam("sid")
        )
        self.delete_member = sa.delete(participation).where(
            participation.c.stream_id == sa.bindparam("sid"),
            participation.c.member_state == sa.bindparam("ms"),
        )
        self.insert_tasks = sa.insert(open_tasks)
        self.delete_tasks = sa.delete(open_tasks).where(
            open_tasks.c.stream_id == sa.bindparam("sid")
        )


@functools.cache
def _statements(dialect: str) -> _Statements:
    return _Statements(dialect)


def write_stream_rows(conn: Connection, rows: StreamRows) -> bool:
    """Replace one stream's read-model rows, unless the tables hold a fold of a later version.

    The status row decides, by its `stream_version`: it is replaced only by a fold of a later
    or the same version, and the participation and open-tasks rows follow it. Writing the
    status row first also locks it (on PostgreSQL; SQLite has one writer at a time), so an
    append to the stream waits for this transaction, and this transaction for an append in
    flight, and neither can interleave its rows with the other's. Milestones are added either
    way (each is its event's, whatever the fold); those already in the outbox keep their
    state. Returns whether the status, participation and open-tasks rows were written.
    """
    statements = _statements(conn.dialect.name)
    written = True
    if rows.status is None:
        # No status: a stream without a proposal. Appends never write a row for one either.
        conn.execute(statements.delete_status, {"sid": rows.stream_id})
    else:
        # No row returned: an append committed a later fold after this one's events were read.
        written = conn.execute(statements.upsert_status, rows.status).first() is not None
    if written:
        conn.execute(statements.delete_participation, {"sid": rows.stream_id})
        if rows.participation:
            conn.execute(statements.insert_participation, rows.participation)
        conn.execute(statements.delete_tasks, {"sid": rows.stream_id})
        if rows.tasks:
            conn.execute(statements.insert_tasks, rows.tasks)
    if rows.milestones:
        conn.execute(statements.insert_milestones, rows.milestones)
    return written


class _DriverStatement:
    """One read-model statement run on the driver connection, SQLAlchemy's way for its values.

    Each value goes through the bind processor SQLAlchemy would apply to its column (dates as
    SQLite text, JSON serialised or wrapped for psycopg), so the stored values are the ones
    SQLAlchemy writes when the same rows are rebuilt, without its per-statement machinery.
    """

    def __init__(
        self, dialect: sa.Dialect, table: sa.Table, columns: Sequence[str], sql: str
    ) -> None:
        self.sql = sql.format(
            table=table.name,
            columns=", ".join(columns),
            values=", ".join([_placeholder(dialect)] * len(columns)),
            p=_placeholder(dialect),
        )
        self._names = list(columns)
        processors = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
        ]
        # Only the columns that have one: most values (text, integers) are bound as they are.
        self._convert = [(i, p) for i, p in enumerate(processors) if p is not None]

    def params(self, row: dict[str, Any]) -> list[Any]:
        """The row's values in column order, as SQLAlchemy would bind them."""
        values = [row[name] for name in self._names]
        for i, convert in self._convert:
            values[i] = convert(values[i])
        return values


def _placeholder(dialect: sa.Dialect) -> str:
    return "%s" if dialect.name == "postgresql" else "?"


def _upsert_sql(keys: Sequence[str], columns: Sequence[str]) -> str:
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keys)
    return (
        "INSERT INTO {table} ({columns}) VALUES ({values}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    )


class _DriverStatements:
    """The statements an append's incremental update runs, for one dialect."""

    def __init__(self, dialect: sa.Dialect) -> None:
        status_columns = [c.name for c in status_board.c]
        self.upsert_status = _DriverStatement(
            dialect, status_board, status_columns, _upsert_sql(["stream_id"], status_columns)
        )
        member_columns = [c.name for c in participation.c]
        self.upsert_participation = _DriverStatement(
            dialect,
            participation,
            member_columns,
            _upsert_sql(["stream_id", "member_state"], member_columns),
        )
        # The columns fold_onto fills; the delivery state takes its server default, pending.
        milestone_columns = [
            "stream_id",
            "position",
            "kind",
            "country",
            "business_date",
            "recorded_at",
            "report",
        ]
        self.insert_milestones = _DriverStatement(
            dialect,
            milestones,
            milestone_columns,
            "INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT DO NOTHING",
        )
        self.delete_status = _DriverStatement(
            dialect, status_board, ["stream_id"], "DELETE FROM {table} WHERE stream_id = {p}"
        )
        self.delete_member = _DriverStatement(
            dialect,
            participation,
            ["stream_id", "member_state"],
            "DELETE FROM {table} WHERE stream_id = {p} AND member_state = {p}",
        )
        self.insert_tasks = _DriverStatement(
            dialect,
            open_tasks,
            [c.name for c in open_tasks.c],
            "INSERT INTO {table} ({columns}) VALUES ({values})",
        )
        self.delete_tasks = _DriverStatement(
            dialect, open_tasks, ["stream_id"], "DELETE FROM {table} WHERE stream_id = {p}"
        )
        # A rebuild's inserts into emptied tables: every column, the delivery state included.
        self.insert_rows = {
            table: _DriverStatement(
                dialect,
                table,
                [c.name for c in table.c],
                "INSERT INTO {table} ({columns}) VALUES ({values})",
            )
            for table in READ_MODEL_TABLES
        }


# Per dialect object, not name: bind processors follow an engine's settings (its JSON
# serializer, say). Weak, so an engine's dialect is not kept alive after the engine.
_DRIVER_STATEMENTS: weakref.WeakKeyDictionary[sa.Dialect, _DriverStatements] = (
    weakref.WeakKeyDictionary()
)


def _driver_statements(dialect: sa.Dialect) -> _DriverStatements:
    found = _DRIVER_STATEMENTS.get(dialect)
    if found is None:  # a race builds the same statements twice, harmlessly
        found = _DRIVER_STATEMENTS[dialect] = _DriverStatements(dialect)
    return found


def write_changed_rows(conn: Connection, before: StreamRows, after: StreamRows) -> None:
    """Bring one stream's rows from `before` (what the tables hold) to `after`.

    Writes only what differs: the status row, the participation rows of the Member States
    whose row changed, the new milestones (an existing one keeps its delivery state), and the
    open tasks, replaced whole when any changed (each names the version it was folded at).
    Runs on the driver connection inside `conn`'s transaction: SQLAlchemy's execution
    machinery cost more than the statements, and on PostgreSQL the statements go out as one
    pipeline, one round trip.
    """
    statements = _driver_statements(conn.dialect)
    work: list[tuple[_DriverStatement, list[list[Any]]]] = []
    if after.status is None:
        if before.status is not None:
            work.append((statements.delete_status, [[after.stream_id]]))
    elif after.status != before.status:
        work.append((statements.upsert_status, [statements.upsert_status.params(after.status)]))
    gone = {row["member_state"]: row for row in before.participation}
    changed = [row for row in after.participation if gone.pop(row["member_state"], None) != row]
    if changed:
        upsert = statements.upsert_participation
        work.append((upsert, [upsert.params(row) for row in changed]))
    if gone:
        work.append((statements.delete_member, [[after.stream_id, ms] for ms in gone]))
    if after.milestones:
        insert = statements.insert_milestones
        work.append((insert, [insert.params(row) for row in after.milestones]))
    if after.tasks != before.tasks:
        if before.tasks:
            work.append((statements.delete_tasks, [[after.stream_id]]))
        if after.tasks:
            insert = statements.insert_tasks
            work.append((insert, [insert.params(row) for row in after.tasks]))
    driver: Any = driver_connection(conn)
    if conn.dialect.name == "postgresql":
        with driver.pipeline(), driver.cursor() as cursor:
            for statement, rows in work:
                cursor.executemany(statement.sql, rows)
    else:
        for statement, rows in work:
            driver.executemany(statement.sql, rows)


FOLD_CACHE_SIZE = 4096
"""How many streams' folded states one Projections keeps for the next append to each."""


@dataclass(frozen=True)
class _Folded:
    """A stream's fold after a committed append, and the rows it wrote (milestones aside)."""

    fold: Fold
    rows: StreamRows


@dataclass(frozen=True)
class RebuildReport:
    """What a rebuild folded."""

    streams: int
    events: int
    checkpoint: int


class Projections:
    """The read models (status board, Member State participation, milestones outbox, open tasks).

    Pass it to EventStore(engine, projections=...) to have them updated in each append's own
    transaction; call catch_up() to fold what was appended without them; rebuild() to refold
    the whole log from scratch.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        upcasters: Upcasters = UPCASTERS,
        fold_cache_size: int = FOLD_CACHE_SIZE,
    ) -> None:
        self.engine = engine
        self._store = EventStore(engine, upcasters=upcasters)
        # Folds after committed appends, by (stream id, hash of the last folded event). The
        # hash chains every earlier event's content, so an entry matches only the exact
        # history it was folded from, whatever was rolled back or written by others meanwhile.
        self._folds: OrderedDict[tuple[str, str], _Folded] = OrderedDict()
        self._folds_lock = threading.Lock()
        self._fold_cache_size = fold_cache_size
        # The fold of the append in flight on this thread, kept once its transaction commits.
        self._pending = threading.local()

    def apply(self, conn: Connection, stream_id: str, new_events: Sequence[StoredEvent]) -> None:
        """Bring `stream_id`'s rows up to date inside the caller's transaction.

        With `new_events` (an append), earlier milestones are already in the outbox and are not
        rendered again; without (catch-up), every milestone is offered to the outbox.
        """
        self._pending.folded = None
        if not stream_id.startswith(WORKFLOW_ID_PREFIX):
            return  # not a partnership: the directory's stream keeps its own read model
        if not new_events:
            write_stream_rows(
                conn, fold_stream(stream_id, self._store.read_stream(stream_id, conn=conn))
            )
            return
        after = min(e.position for e in new_events) - 1
        before = self._cached(stream_id, new_events[0].prev_hash)
        if before is None:
            # A new stream's first events are the whole stream: nothing to read back.
            new_stream = new_events[0].stream_version == 1
            stored = (
                [self._store.upcast(e) for e in new_events]
                if new_stream
                else self._store.read_stream(stream_id, conn=conn)
            )
            fold, rows = fold_onto(EMPTY_FOLD, stream_id, stored, milestones_after=after)
            write_stream_rows(conn, rows)
        else:
            # The same events as the log holds, read as this instance's upcasters read them.
            events = [self._store.upcast(e) for e in new_events]
            fold, rows = fold_onto(before.fold, stream_id, events, milestones_after=after)
            write_changed_rows(conn, before.rows, rows)
        self._pending.folded = (stream_id, _Folded(fold, dataclasses.replace(rows, milestones=[])))

    def committed(self, stream_id: str, new_events: Sequence[StoredEvent]) -> None:
        """The append that `apply` just folded has committed: keep its fold for the next one.

        Called by the EventStore after the commit, on the thread that called apply; a fold
        from a transaction that rolled back is never kept.
        """
        pending = getattr(self._pending, "folded", None)
        self._pending.folded = None
        if pending is None or pending[0] != stream_id or not new_events:
            return
        folded: _Folded = pending[1]
        if folded.fold.last is None or folded.fold.last.hash != new_events[-1].hash:
            return
        with self._folds_lock:
            self._folds.pop((stream_id, new_events[0].prev_hash), None)
            self._folds[(stream_id, folded.fold.last.hash)] = folded
            while len(self._folds) > self._fold_cache_size:
                self._folds.popitem(last=False)

    def _cached(self, stream_id: str, head_hash: str) -> _Folded | None:
        with self._folds_lock:
            return self._folds.get((stream_id, head_hash))

    def _handle(self, conn: Connection, batch: list[StoredEvent]) -> None:
        for stream_id in dict.fromkeys(e.stream_id for e in batch):
            self.apply(conn, stream_id, [])

    def projector(self, *, batch_size: int = 500) -> CatchUpProjector:
        """The catch-up projector that keeps these read models current from a checkpoint."""
        return CatchUpProjector(self._store, READ_MODELS, self._handle, batch_size=batch_size)

    def catch_up(self) -> int:
        """Fold everything after the checkpoint; return how many events were read."""
        return self.projector().run_until_idle()

    def rebuild(self, *, batch_rows: int = 2000) -> RebuildReport:
        """Empty the read models and refold the whole log, excluding appends and catch-up.

        Milestones that were delivered stay delivered: delivery is not in the log. The rows
        are those `apply` keeps (the same fold, `fold_events` and `stream_rows`, on the same
        domain events), made faster by what a rebuild alone may do: each row of the log is
        read once, in stream order, many per fetch, straight from the driver, and decoded
        once (`domain_from_row`); each stream is folded in memory and its rows written once,
        many per statement.
        """
        with begin_write(self.engine) as conn:
            # Appends are excluded (begin_write); a catch-up batch is waited for, and waits.
            lock_checkpoint(conn, READ_MODELS)
            delivered = {
                (r.stream_id, r.position, r.kind): (r.delivery_state, r.delivered_at)
                for r in conn.execute(
                    sa.select(milestones).where(milestones.c.delivery_state != "pending")
                )
            }
            for table in READ_MODEL_TABLES:
                conn.execute(sa.delete(table))
            writer = _RowWriter(conn, batch_rows)
            streams = total = last_position = 0
            for stream_id, logged in self._streams_in_order(conn):
                state, found = fold_events(EMPTY_FOLD.state, stream_id, logged)
                rows = stream_rows(stream_id, state, logged[-1][0], found)
                streams += 1
                total += len(logged)
                last_position = max(last_position, *(record.position for record, _ in logged))
                if rows.status is not None:
                    writer.add(status_board, [rows.status])
                writer.add(participation, rows.participation)
                writer.add(open_tasks, rows.tasks)
                for milestone in rows.milestones:
                    key = (milestone["stream_id"], milestone["position"], milestone["kind"])
                    delivery, at = delivered.get(key, ("pending", None))
                    milestone["delivery_state"], milestone["delivered_at"] = delivery, at
                writer.add(milestones, rows.milestones)
            writer.flush()
            set_checkpoint(conn, READ_MODELS, last_position)
        return RebuildReport(streams=streams, events=total, checkpoint=last_position)

    def _streams_in_order(
        self, conn: Connection
    ) -> Iterator[tuple[str, list[tuple[_LoggedRow, Event]]]]:
        """Each partnership stream's events in version order, each beside its row."""
        columns = _LogColumns(conn.dialect)
        upcasters = self._store.upcasters
        for stream_id, group in groupby(_log_rows(conn), key=itemgetter(0)):
            yield (
                stream_id,
                [
                    (
                        _LoggedRow(columns, row),
                        domain_from_row(
                            row[3],
                            row[4],
                            row[5],
                            stream_id=stream_id,
                            stream_version=row[1],
                            upcasters=upcasters,
                        ),
                    )
                    for row in group
                ],
            )


_FETCH_ROWS = 2000
"""How many rows of the log a rebuild fetches at once."""


def _log_rows(conn: Connection) -> Iterator[tuple[Any, ...]]:
    """The partnership streams' rows of the log, in stream and version order, as the driver
    returns them: (stream id, version, position, type, schema version, payload, business
    date, recorded time). On PostgreSQL the payload is read as its JSON text, as on SQLite,
    and through a server-side cursor, so the log is never held in memory whole."""
    postgres = conn.dialect.name == "postgresql"
    payload = "payload::text" if postgres else "payload"
    sql = (
        "SELECT stream_id, stream_version, position, type, schema_version, "
        f"{payload}, occurred_on, recorded_at FROM events WHERE stream_id LIKE "
        f"{_placeholder(conn.dialect)} ORDER BY stream_id, stream_version"
    )
    driver: Any = driver_connection(conn)
    # Like the `startswith` the store's own reads use, and its prefix has no LIKE wildcard.
    cursor = driver.cursor(name="rebuild") if postgres else driver.cursor()
    try:
        cursor.execute(sql, (f"{WORKFLOW_ID_PREFIX}%",))
        while batch := cursor.fetchmany(_FETCH_ROWS):
            yield from batch
    finally:
        cursor.close()


class _LogColumns:
    """How SQLAlchemy reads the log's date columns on one dialect (SQLite keeps them as text),
    and the store's reading of a recorded time as UTC (`read_utc`)."""

    def __init__(self, dialect: sa.Dialect) -> None:
        self.occurred_on = _result_processor(dialect, events.c.occurred_on)
        self.recorded_at = _result_processor(dialect, events.c.recorded_at)


def _result_processor(dialect: sa.Dialect, column: sa.Column[Any]) -> Callable[[Any], Any]:
    process = column.type.dialect_impl(dialect).result_processor(dialect, None)
    return process if process is not None else _unchanged


def _unchanged(value: Any) -> Any:
    return value


class _LoggedRow:
    """A row of the log as a rebuild folds it (`Recorded`): its dates are read only when a
    read-model row shows them (the last event's, and each milestone's)."""

    __slots__ = ("_columns", "_occurred_on", "_recorded_at", "position", "stream_version", "type")

    def __init__(self, columns: _LogColumns, row: tuple[Any, ...]) -> None:
        self._columns = columns
        self.stream_version: int = row[1]
        self.position: int = row[2]
        self.type: str = row[3]
        self._occurred_on = row[6]
        self._recorded_at = row[7]

    @property
    def occurred_on(self) -> datetime.date:
        """The business date, as the store reads it."""
        found: datetime.date = self._columns.occurred_on(self._occurred_on)
        return found

    @property
    def recorded_at(self) -> datetime.datetime:
        """The recorded time, as the store reads it (in UTC)."""
        return read_utc(self._columns.recorded_at(self._recorded_at))


class _RowWriter:
    """A rebuild's inserts, gathered and sent `batch_rows` at a time, one statement per table,
    on the driver connection inside the rebuild's transaction."""

    def __init__(self, conn: Connection, batch_rows: int) -> None:
        self._conn = conn
        self._statements = _driver_statements(conn.dialect).insert_rows
        self._pending: dict[sa.Table, list[list[Any]]] = {t: [] for t in READ_MODEL_TABLES}
        self._count = 0
        self._batch_rows = batch_rows

    def add(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        """Queue `rows` for `table`, sending everything queued once enough is."""
        if not rows:
            return
        params = self._statements[table].params
        self._pending[table].extend(params(row) for row in rows)
        self._count += len(rows)
        if self._count >= self._batch_rows:
            self.flush()

    def flush(self) -> None:
        """Send everything queued."""
        driver: Any = driver_connection(self._conn)
        postgres = self._conn.dialect.name == "postgresql"
        for table, rows in self._pending.items():
            if rows:
                sql = self._statements[table].sql
                if postgres:
                    with driver.cursor() as cursor:
                        cursor.executemany(sql, rows)
                else:
                    driver.executemany(sql, rows)
                rows.clear()
        self._count = 0


def set_checkpoint(conn: Connection, name: str, position: int) -> None:
    """Record that projector `name` has folded everything up to `position`."""
    upsert = dialect_insert(conn, projector_checkpoints).values(
        name=name, position=position, updated_at=datetime.datetime.now(datetime.UTC)
    )
    conn.execute(
        upsert.on_conflict_do_update(
            index_elements=["name"],
            set_={"position": upsert.excluded.position, "updated_at": upsert.excluded.updated_at},
        )
    )


class CatchUpProjector:
    """Feeds the log to `handle` in position order, batch by batch, from a durable checkpoint.

    Each batch and its checkpoint commit together, so a crash repeats a batch, never skips one.
    Reading past positions in flight is impossible by construction: appends commit in
    position order (the append lock), so every position below a visible one is already
    visible. Two projectors with one name take turns on the checkpoint row's lock.
    """

    def __init__(
        self, store: EventStore, name: str, handle: Handler, *, batch_size: int = 500
    ) -> None:
        self.store = store
        self.name = name
        self.handle = handle
        self.batch_size = batch_size

    def checkpoint(self) -> int:
        """The last position handled, 0 before the first batch."""
        with self.store.engine.connect() as conn:
            found = conn.execute(
                sa.select(projector_checkpoints.c.position).where(
                    projector_checkpoints.c.name == self.name
                )
            ).scalar()
        return int(found or 0)

    def run_once(self) -> int:
        """Handle the next batch after the checkpoint; return its size (0 when caught up)."""
        # Caught up: answered without the append lock, so an idle projector never waits for
        # an append in flight (what it has not committed is not there to read anyway).
        if not self.store.read_all(self.checkpoint(), 1):
            return 0
        with self._locked_checkpoint() as (conn, position):
            batch = self.store.read_all(position, self.batch_size, conn=conn)
            if batch:
                self.handle(conn, batch)
                set_checkpoint(conn, self.name, batch[-1].position)
            return len(batch)

    def run_until_idle(self) -> int:
        """Handle batches until none is left; return how many events were handled."""
        total = 0
        while handled := self.run_once():
            total += handled
        return total

    @contextmanager
    def _locked_checkpoint(self) -> Iterator[tuple[Connection, int]]:
        # The append lock first, then the checkpoint row, then the read models' rows: the
        # order appends (lock, rows) and rebuilds (lock, checkpoint) take them. A batch that
        # locked rows before the append lock could deadlock with a group of appends holding
        # the lock and other streams' rows. On SQLite this is BEGIN IMMEDIATE, as any
        # read-then-write must take in WAL mode.
        with begin_write(self.store.engine) as conn:
            yield conn, lock_checkpoint(conn, self.name)


def lock_checkpoint(conn: Connection, name: str) -> int:
    """Lock projector `name`'s checkpoint row (made at 0 if missing) until the transaction ends.

    Return its position. Catch-up batches and rebuilds of one projector take turns on it.
    """
    conn.execute(
        dialect_insert(conn, projector_checkpoints)
        .values(name=name, position=0, updated_at=datetime.datetime.now(datetime.UTC))
        .on_conflict_do_nothing()
    )
    position = conn.execute(
        sa.select(projector_checkpoints.c.position)
        .where(projector_checkpoints.c.name == name)
        .with_for_update()
    ).scalar_one()
    return int(position)
