"""Builders shared by the integration tests."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from activities.records import NewEvent

RECORDED = datetime.datetime(2007, 6, 18, 9, 30, tzinfo=datetime.UTC)


def new_event(
    type: str = "Something",
    *,
    schema_version: int = 1,
    payload: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    occurred_on: datetime.date = datetime.date(2007, 6, 18),
    recorded_at: datetime.datetime = RECORDED,
    event_id: uuid.UUID | None = None,
) -> NewEvent:
    """An event with sensible defaults and a fresh id."""
    return NewEvent(
        event_id=event_id or uuid.uuid4(),
        type=type,
        schema_version=schema_version,
        payload=payload if payload is not None else {"note": "ünïcode ✓", "n": 1},
        metadata=metadata if metadata is not None else {"actor": {"id": "alice"}},
        occurred_on=occurred_on,
        recorded_at=recorded_at,
    )


def events(count: int, **kwargs: Any) -> list[NewEvent]:
    """`count` events numbered in their payload."""
    return [new_event(payload={"i": i}, **kwargs) for i in range(count)]
