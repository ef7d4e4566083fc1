"""Between domain events and the store's rows: the one place that maps the two."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from activities.records import NewEvent, StoredEvent
from activities.upcasting import upcast_to_newest
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
    """The domain event a stored row holds, read as the newest version of its type.

    Rows come from EventStore reads, which refuse a version newer than this software knows
    (UnknownSchemaVersion). An older row is brought up to date here by this software's
    upcasters, whichever upcasters the store read it with: a step the store already applied
    is not applied again. Raises MissingUpcaster when no step leads to the newest version.
    """
    version, payload = upcast_to_newest(
        stored.type,
        stored.schema_version,
        stored.payload,
        where=f"{stored.stream_id} version {stored.stream_version}",
    )
    return parse_event({**payload, "type": stored.type, "schema_version": version})


def to_domain_all(stored: Iterable[StoredEvent]) -> list[Event]:
    """The domain events of stored rows, in order."""
    return [to_domain(s) for s in stored]
