"""The global chain: one running SHA-256 over every event's hash in position order.

Each stream's chain (activities/hashing.py) shows an edit inside that stream; the global chain
ties the streams together in the order the log recorded them, so a signed value of it at a
position (activities/checkpoints.py) fixes every event up to there, which streams exist and
where each one's head was. Link n is

    sha256(f"{link n-1}\\n{position}\\n{hash}")   (UTF-8, lowercase hex)

starting from 64 zeros, over the events with position <= the checkpoint's, in position order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from activities.schema import events as events_table

GLOBAL_GENESIS: Final = "0" * 64
"""The global chain's value before the first event."""


def global_link(previous: str, position: int, event_hash: str) -> str:
    """The global chain after the event at `position` whose stream-chain hash is `event_hash`."""
    return hashlib.sha256(f"{previous}\n{position}\n{event_hash}".encode()).hexdigest()


@dataclass
class ChainWalk:
    """The global chain and every stream's head, folded event by event in position order."""

    position: int = 0
    events: int = 0
    value: str = GLOBAL_GENESIS
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)

    def take(self, position: int, stream_id: str, stream_version: int, event_hash: str) -> None:
        """Fold the next event of the log."""
        self.value = global_link(self.value, position, event_hash)
        self.position = position
        self.events += 1
        self.heads[stream_id] = (stream_version, event_hash)


def log_rows(
    conn: Connection, after: int = 0, upto: int | None = None
) -> Iterator[tuple[int, str, int, str]]:
    """(position, stream id, stream version, hash) of each event after `after`, in order."""
    query = (
        sa.select(
            events_table.c.position,
            events_table.c.stream_id,
            events_table.c.stream_version,
            events_table.c.hash,
        )
        .where(events_table.c.position > after)
        .order_by(events_table.c.position)
    )
    if upto is not None:
        query = query.where(events_table.c.position <= upto)
    for row in conn.execution_options(yield_per=5000).execute(query):
        yield row.position, row.stream_id, row.stream_version, row.hash
