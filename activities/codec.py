"""Between domain events and the store's rows: the one place that maps the two."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from activities.records import NewEvent, StoredEvent
from domain.events import Event, event_payload, parse_event


def to_new_event(event_id: uuid.UUID, event: Event, metadata: dict[str, Any]) -> NewEvent:
    """The row to append for a decided event (the actor is copied into the metadata)."""
    return NewEvent(
        event_id=event_id,
        type=event.type,
        schema_version=event.schema_version,
        payload=event_payload(event),
        metadata={"actor": event.actor.model_dump(mode="json"), **metadata},
        occurred_on=event.occurred_on,
        recorded_at=event.recorded_at,
    )


def to_domain(stored: StoredEvent) -> Event:
    """The domain event a stored row holds (already upcast to the current schema)."""
    return parse_event(
        {**stored.payload, "type": stored.type, "schema_version": stored.schema_version}
    )


def to_domain_all(stored: Iterable[StoredEvent]) -> list[Event]:
    """The domain events of stored rows, in order."""
    return [to_domain(s) for s in stored]
