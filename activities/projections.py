"""Keeping the read models current: inside each append, on catch-up, and by a full rebuild.

Rows for a stream are always recomputed from the whole stream (activities/read_models.py), so
applying a stream twice, or after a crash, gives the same rows: projection is idempotent.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from activities.database import BEGIN_IMMEDIATE, begin_write
from activities.eventstore import EventStore
from activities.read_models import StreamRows, fold_stream
from activities.records import StoredEvent
from activities.schema import (
    READ_MODEL_TABLES,
    events,
    milestones,
    participation,
    projector_checkpoints,
    status_board,
)
from activities.upcasting import NO_UPCASTERS, Upcasters

READ_MODELS = "read_models"
"""The checkpoint name of the read models' catch-up projector."""

Handler = Callable[[Connection, list[StoredEvent]], None]


def _insert(conn: Connection, table: sa.Table) -> Any:
    """A dialect insert, so ON CONFLICT is available on both backends."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def write_stream_rows(conn: Connection, rows: StreamRows) -> None:
    """Replace one stream's read-model rows; milestones already in the outbox keep their state."""
    if rows.status is None:
        conn.execute(sa.delete(status_board).where(status_board.c.stream_id == rows.stream_id))
    else:
        upsert = _insert(conn, status_board).values(rows.status)
        changed = {k: upsert.excluded[k] for k in rows.status if k != "stream_id"}
        conn.execute(upsert.on_conflict_do_update(index_elements=["stream_id"], set_=changed))
    conn.execute(sa.delete(participation).where(participation.c.stream_id == rows.stream_id))
    if rows.participation:
        conn.execute(sa.insert(participation), rows.participation)
    if rows.milestones:
        conn.execute(_insert(conn, milestones).on_conflict_do_nothing(), rows.milestones)


@dataclass(frozen=True)
class RebuildReport:
    """What a rebuild folded."""

    streams: int
    events: int
    checkpoint: int


class Projections:
    """The read models (status board, Member State participation, milestones outbox).

    Pass it to EventStore(engine, projections=...) to have them updated in each append's own
    transaction; call catch_up() to fold what was appended without them; rebuild() to refold
    the whole log from scratch.
    """

    def __init__(self, engine: Engine, *, upcasters: Upcasters = NO_UPCASTERS) -> None:
        self.engine = engine
        self._store = EventStore(engine, upcasters=upcasters)

    def apply(self, conn: Connection, stream_id: str, new_events: Sequence[StoredEvent]) -> None:
        """Bring `stream_id`'s rows up to date inside the caller's transaction.

        With `new_events` (an append), earlier milestones are already in the outbox and are not
        rendered again; without (catch-up), every milestone is offered to the outbox.
        """
        after = min(e.position for e in new_events) - 1 if new_events else 0
        stored = self._store.read_stream_on(conn, stream_id)
        write_stream_rows(conn, fold_stream(stream_id, stored, milestones_after=after))

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
        """Empty the read models and refold the whole log, excluding appends meanwhile.

        Milestones that were delivered stay delivered: delivery is not in the log.
        """
        with begin_write(self.engine) as conn:
            delivered = {
                (r.stream_id, r.position, r.kind): (r.delivery_state, r.delivered_at)
                for r in conn.execute(
                    sa.select(milestones).where(milestones.c.delivery_state != "pending")
                )
            }
            for table in READ_MODEL_TABLES:
                conn.execute(sa.delete(table))
            pending: dict[sa.Table, list[dict[str, Any]]] = {t: [] for t in READ_MODEL_TABLES}
            streams = total = last_position = 0
            for stream_id, stored in self._streams_in_order(conn):
                rows = fold_stream(stream_id, stored)
                streams += 1
                total += len(stored)
                last_position = max(last_position, *(e.position for e in stored))
                if rows.status is not None:
                    pending[status_board].append(rows.status)
                pending[participation].extend(rows.participation)
                for milestone in rows.milestones:
                    key = (milestone["stream_id"], milestone["position"], milestone["kind"])
                    state, at = delivered.get(key, ("pending", None))
                    pending[milestones].append(
                        {**milestone, "delivery_state": state, "delivered_at": at}
                    )
                if sum(len(v) for v in pending.values()) >= batch_rows:
                    _flush(conn, pending)
            _flush(conn, pending)
            set_checkpoint(conn, READ_MODELS, last_position)
        return RebuildReport(streams=streams, events=total, checkpoint=last_position)

    def _streams_in_order(self, conn: Connection) -> Iterator[tuple[str, list[StoredEvent]]]:
        query = sa.select(events).order_by(events.c.stream_id, events.c.stream_version)
        rows = conn.execute(query, execution_options={"yield_per": 2000})
        for stream_id, group in groupby(rows, key=lambda r: r.stream_id):
            yield stream_id, [self._store.event_from_row(r) for r in group]


def _flush(conn: Connection, pending: dict[sa.Table, list[dict[str, Any]]]) -> None:
    for table, rows in pending.items():
        if rows:
            conn.execute(sa.insert(table), rows)
            rows.clear()


def set_checkpoint(conn: Connection, name: str, position: int) -> None:
    """Record that projector `name` has folded everything up to `position`."""
    upsert = _insert(conn, projector_checkpoints).values(
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
        with self._locked_checkpoint() as (conn, position):
            batch = self.store.read_all_on(conn, position, self.batch_size)
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
        with self.store.engine.connect() as conn:
            # SQLite: take the write lock up front, as any read-then-write must in WAL mode.
            conn = conn.execution_options(**{BEGIN_IMMEDIATE: True})
            with conn.begin():
                conn.execute(
                    _insert(conn, projector_checkpoints)
                    .values(
                        name=self.name, position=0, updated_at=datetime.datetime.now(datetime.UTC)
                    )
                    .on_conflict_do_nothing()
                )
                position = conn.execute(
                    sa.select(projector_checkpoints.c.position)
                    .where(projector_checkpoints.c.name == self.name)
                    .with_for_update()
                ).scalar_one()
                yield conn, int(position)
