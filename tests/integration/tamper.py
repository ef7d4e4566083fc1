"""What an insider who owns the database can do to the record, for the tamper tests.

Each change lifts the append-only trigger first (ALTER TABLE events DISABLE TRIGGER on
PostgreSQL, DROP TRIGGER on SQLite), as the tables' owner can, and keeps every stream's own
chain consistent afterwards, so plain `verify` passes and only anchors outside the database
(signed checkpoints, Temporal's histories) show the change.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from activities.hashing import GENESIS_HASH, canonical_header, canonical_json, chain_hash
from activities.schema import events as events_table
from activities.schema import read_utc
from activities.schema import streams as streams_table
from migrations.append_only import guard_lifted


def rewrite_chain(engine: Engine, stream_id: str, version: int, payload: dict[str, Any]) -> None:
    """Give the event at `version` a new payload, recompute every later hash and the head."""
    with engine.begin() as conn, guard_lifted(conn):
        conn.execute(
            sa.update(events_table)
            .where(events_table.c.stream_id == stream_id)
            .where(events_table.c.stream_version == version)
            .values(payload=payload)
        )
        _rehash(conn, stream_id)


def delete_last_event(engine: Engine, stream_id: str) -> None:
    """Delete the stream's last event and move its recorded head back one."""
    with engine.begin() as conn, guard_lifted(conn):
        last = conn.execute(
            sa.select(sa.func.max(events_table.c.stream_version)).where(
                events_table.c.stream_id == stream_id
            )
        ).scalar_one()
        conn.execute(
            sa.delete(events_table)
            .where(events_table.c.stream_id == stream_id)
            .where(events_table.c.stream_version == last)
        )
        _rehash(conn, stream_id)


def delete_stream(engine: Engine, stream_id: str) -> None:
    """Delete a whole stream: its events and its head."""
    with engine.begin() as conn, guard_lifted(conn):
        conn.execute(sa.delete(events_table).where(events_table.c.stream_id == stream_id))
        conn.execute(sa.delete(streams_table).where(streams_table.c.stream_id == stream_id))


def _rehash(conn: Connection, stream_id: str) -> None:
    """Recompute the stream's chain from its first event and set its head to match."""
    rows = conn.execute(
        sa.select(events_table)
        .where(events_table.c.stream_id == stream_id)
        .order_by(events_table.c.stream_version)
    ).all()
    prev, version = GENESIS_HASH, 0
    for row in rows:
        header = canonical_header(
            stream_id=row.stream_id,
            stream_version=row.stream_version,
            event_id=row.event_id,
            type=row.type,
            schema_version=row.schema_version,
            occurred_on=row.occurred_on,
            recorded_at=read_utc(row.recorded_at),
        )
        new = chain_hash(prev, header, canonical_json(row.payload), canonical_json(row.metadata))
        conn.execute(
            sa.update(events_table)
            .where(events_table.c.position == row.position)
            .values(prev_hash=prev, hash=new)
        )
        prev, version = new, row.stream_version
    conn.execute(
        sa.update(streams_table)
        .where(streams_table.c.stream_id == stream_id)
        .values(version=version, head_hash=prev)
    )
