"""Upcasting: reading an event recorded under an old schema version as the current version.

The log is never rewritten; old payloads are translated on read, one version step at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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

    def __bool__(self) -> bool:
        return bool(self._steps)


NO_UPCASTERS = Upcasters()
