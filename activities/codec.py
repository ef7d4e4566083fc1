"""Between domain events and the store's rows: the one place that maps the two."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from activities.records import NewEvent, StoredEvent
from activities.upcasting import (
    UPCASTERS,
    Upcasters,
    refuse_unknown_version,
    upcast_to_newest,
)
from domain.events import EVENT_ADAPTER, SCHEMA_VERSIONS, Event, event_payload, parse_event


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
    return _newest(
        stored.type,
        stored.schema_version,
        stored.payload,
        where=f"{stored.stream_id} version {stored.stream_version}",
    )


def _newest(event_type: str, schema_version: int, payload: dict[str, Any], *, where: str) -> Event:
    version, upcast = upcast_to_newest(event_type, schema_version, payload, where=where)
    return parse_event({**upcast, "type": event_type, "schema_version": version})


def to_domain_all(stored: Iterable[StoredEvent]) -> list[Event]:
    """The domain events of stored rows, in order."""
    return [to_domain(s) for s in stored]


def domain_from_row(
    event_type: str,
    schema_version: int,
    payload: str | bytes | dict[str, Any],
    *,
    stream_id: str,
    stream_version: int,
    upcasters: Upcasters = UPCASTERS,
) -> Event:
    """The domain event of a row read straight from the `events` table, as the store and then
    `to_domain` read it: refused when its version is newer than this software knows, upcast
    by the store's `upcasters` and then by this software's, parsed as its type's newest version.

    `payload` is the column as the driver returns it: JSON text (SQLite) or already decoded
    (PostgreSQL's JSONB). A row at the newest version that no step applies to is parsed
    straight from its text, which is where a rebuild spends its time: the payload holds its
    own `type` and `schema_version` (the event's whole dump, `to_new_event`), and when both are
    the row's, the parse is the one `to_domain` makes. Anything else, or any payload that does
    not parse that way, takes the general road, which raises what `to_domain` raises.
    """
    if (
        isinstance(payload, str | bytes)
        and SCHEMA_VERSIONS.get(event_type) == schema_version
        and not upcasters.steps_from(event_type, schema_version)
        and not UPCASTERS.steps_from(event_type, schema_version)
    ):
        try:
            event = EVENT_ADAPTER.validate_json(payload)
        except ValidationError:
            pass  # the general road says what is wrong, as a read through the store would
        else:
            if event.type == event_type and event.schema_version == schema_version:
                return event
    where = f"{stream_id} version {stream_version}"
    refuse_unknown_version(event_type, schema_version, where=where)
    data: dict[str, Any] = payload if isinstance(payload, dict) else json.loads(payload)
    version, data = upcasters.upcast(event_type, schema_version, data)
    return _newest(event_type, version, data, where=where)
