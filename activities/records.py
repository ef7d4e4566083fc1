"""Value types that cross the event store's boundary."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NewEvent:
    """An event to append: everything but its place in the log, which the store assigns."""

    event_id: uuid.UUID
    type: str
    schema_version: int
    payload: dict[str, Any]
    metadata: dict[str, Any]
    occurred_on: datetime.date
    recorded_at: datetime.datetime


@dataclass(frozen=True)
class StoredEvent:
    """An event as recorded, with its global position, stream place and hash-chain links."""

    event_id: uuid.UUID
    type: str
    schema_version: int
    payload: dict[str, Any]
    metadata: dict[str, Any]
    occurred_on: datetime.date
    recorded_at: datetime.datetime
    position: int
    stream_id: str
    stream_version: int
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class AppendResult:
    """What an append recorded; a retried append returns the original result."""

    stream_id: str
    version: int
    events: tuple[StoredEvent, ...]
    duplicate: bool = False

    @property
    def positions(self) -> tuple[int, ...]:
        """Global positions of the appended events, in stream order."""
        return tuple(e.position for e in self.events)


@dataclass(frozen=True)
class ChainBreak:
    """The first place where a stream's hash chain does not hold."""

    stream_id: str
    stream_version: int
    reason: str

    def __str__(self) -> str:
        return f"{self.stream_id} at version {self.stream_version}: {self.reason}"


@dataclass(frozen=True)
class VerifyReport:
    """Outcome of checking hash chains: how much was checked and the first break per stream."""

    streams_checked: int
    events_checked: int
    breaks: tuple[ChainBreak, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """True when every checked chain holds."""
        return not self.breaks

    @property
    def first_break(self) -> ChainBreak | None:
        """The first break found, in stream-id order, or None."""
        return self.breaks[0] if self.breaks else None
