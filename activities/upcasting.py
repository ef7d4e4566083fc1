"""Upcasting: reading an event recorded under an old schema version as the current version.

The log is never rewritten; old payloads are translated on read, one version step at a time.
UPCASTERS holds this software's steps and is every EventStore's default, so the worker, the CLI
and the read models all read old rows the same way. A row of a version newer than this software
knows is refused (UnknownSchemaVersion), never read as the current version, and so is an old
row that no step brings up to date (MissingUpcaster). The hash chain is never involved: `verify`
checks the rows as stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from activities.store_errors import MissingUpcaster, UnknownSchemaVersion
from domain.events import SCHEMA_VERSIONS

Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]


class Upcasters:
    """A registry of (event type, schema version) → function returning the payload one version on.

    >>> upcasters = Upcasters()
    >>> @upcasters.register("PartnershipProposed", 1)
    ... def add_region(payload): return {**payload, "region": "other"}
    """

    def __init__(self) -> None:
        self._steps: dict[tuple[str, int], Upcaster] = {}

    def register(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorator: register a step from `from_version` to `from_version + 1`."""

        def decorate(step: Upcaster) -> Upcaster:
            self.add(event_type, from_version, step)
            return step

        return decorate

    def add(self, event_type: str, from_version: int, step: Upcaster) -> None:
        """Register a step from `from_version` to `from_version + 1`; each step only once."""
        key = (event_type, from_version)
        if key in self._steps:
            raise ValueError(f"an upcaster for {event_type} v{from_version} is already registered")
        self._steps[key] = step

    def upcast(self, event_type: str, schema_version: int, payload: Payload) -> tuple[int, Payload]:
        """Apply every registered step from `schema_version` on; return the new version and payload.

        A payload that carries its own `schema_version` key has it kept in step, so a parser that
        reads the version from the payload sees the version it was upcast to.
        """
        version = schema_version
        while (step := self._steps.get((event_type, version))) is not None:
            payload = step(dict(payload))
            version += 1
            if "schema_version" in payload:
                payload["schema_version"] = version
        return version, payload

    def steps_from(self, event_type: str, schema_version: int) -> bool:
        """Whether a step is registered from `schema_version` of `event_type`."""
        return (event_type, schema_version) in self._steps

    def __bool__(self) -> bool:
        return bool(self._steps)


NO_UPCASTERS = Upcasters()
"""A registry without steps: rows are read exactly as stored."""

UPCASTERS = Upcasters()
"""This software's upcasters: the default of every EventStore (and so of the worker and the CLI)."""


@UPCASTERS.register("ConsultationAnswered", 1)
def consultation_answered_v1_to_v2(payload: Payload) -> Payload:
    """ConsultationAnswered v1 → v2: `offers` is always present; a v1 answer without it offered
    nothing. Offers a v1 payload does carry are kept as they are."""
    payload.setdefault("offers", [])
    return payload


def refuse_unknown_version(
    event_type: str,
    schema_version: int,
    *,
    where: str | None = None,
    newest: Mapping[str, int] = SCHEMA_VERSIONS,
) -> None:
    """Raise UnknownSchemaVersion when `schema_version` is newer than the newest version of
    `event_type` this software knows. A type the domain does not define is left to its reader.

    `where` names the row for the message, e.g. "partnership-CV/1 version 3".
    """
    known = newest.get(event_type)
    if known is not None and schema_version > known:
        raise UnknownSchemaVersion(event_type, schema_version, known, where=where)


def upcast_to_newest(
    event_type: str,
    schema_version: int,
    payload: Payload,
    *,
    upcasters: Upcasters = UPCASTERS,
    where: str | None = None,
    newest: Mapping[str, int] = SCHEMA_VERSIONS,
) -> tuple[int, Payload]:
    """An older payload brought to the newest version of its event, step by step.

    A payload already at the newest version (or beyond it, which the store refuses before it
    gets here) is returned unchanged, so applying this to a row the store has upcast is
    harmless. Raises MissingUpcaster when the steps stop short of the newest version.
    """
    version, upcast = upcasters.upcast(event_type, schema_version, payload)
    known = newest.get(event_type)
    if known is not None and version < known:
        raise MissingUpcaster(event_type, version, known, where=where)
    return version, upcast
