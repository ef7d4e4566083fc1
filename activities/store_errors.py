"""The event store's errors: one root, specific subclasses, messages a person can act on."""

from __future__ import annotations

import uuid


class StoreError(Exception):
    """Root of every error the event store and its database layer raise on purpose."""


class DatabaseUnreachable(StoreError):
    """The database named by DATABASE_URL cannot be reached or opened."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(
            f"Cannot reach the database at {url}: {reason}. Check DATABASE_URL and that the "
            f"server is running, then run `partnerships db upgrade`."
        )


class DatabaseNotReady(StoreError):
    """The database is reachable but its schema is not at the migrations' head."""

    def __init__(self, url: str, current: str | None, head: str) -> None:
        self.url = url
        self.current = current
        self.head = head
        state = "has no schema yet" if current is None else f"is at revision {current}"
        super().__init__(
            f"The database at {url} {state}, but this version of the software needs revision "
            f"{head}. Run `partnerships db upgrade` (DATABASE_URL={url})."
        )


class ConcurrencyError(StoreError):
    """Another writer appended to the stream first; nothing was written."""

    def __init__(self, stream_id: str, expected_version: int, actual_version: int) -> None:
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.actual_version = actual_version
        super().__init__(
            f"Stream {stream_id!r} is at version {actual_version}, "
            f"but the append expected version {expected_version}; nothing was written."
        )


class EventIdConflict(StoreError):
    """An event id is already recorded with different content or at another place."""

    def __init__(self, event_id: uuid.UUID, detail: str) -> None:
        self.event_id = event_id
        super().__init__(f"Event id {event_id} is already recorded: {detail}; nothing was written.")


class InvalidAppend(StoreError, ValueError):
    """The append request itself is malformed (empty, duplicate ids, a naive timestamp, a NUL
    character): retrying it cannot help."""


class UnrecordedEvent(StoreError, LookupError):
    """A stream has no event at the version asked for: the caller is ahead of the log."""

    def __init__(self, stream_id: str, version: int) -> None:
        self.stream_id = stream_id
        self.version = version
        super().__init__(f"{stream_id} has no event at version {version}")


class _UnreadableVersion(StoreError):
    """A stored event this software cannot read as the newest version of its type.

    Each subclass says why, and what to do, in its `_SAYS` template; the record itself is
    intact.
    """

    _SAYS: str = "{at} is recorded at schema version {version}"

    def __init__(
        self, event_type: str, schema_version: int, newest: int, *, where: str | None = None
    ) -> None:
        self.event_type = event_type
        self.schema_version = schema_version
        self.newest = newest
        self.where = where
        at = f"The {event_type} event at {where}" if where else f"A {event_type} event"
        super().__init__(
            self._SAYS.format(at=at, kind=event_type, version=schema_version, newest=newest)
        )


class UnknownSchemaVersion(_UnreadableVersion):
    """A stored event is of a schema version newer than this software knows: it was written by
    a newer release, and reading it as the current version could misread it."""

    _SAYS = (
        "{at} is recorded at schema version {version}, but this software reads {kind} only up "
        "to version {newest}: a newer release wrote it. Upgrade the worker and the CLI to a "
        "release that knows {kind} v{version}, then read the log again; the record itself is "
        "intact and was not read."
    )


class MissingUpcaster(_UnreadableVersion):
    """A stored event is of an older schema version that no registered upcaster brings to the
    newest: a gap in activities/upcasting.py, which is a bug in the engine."""

    _SAYS = (
        "{at} is recorded at schema version {version}, and no upcaster brings it to version "
        "{newest}, the one this software reads. Register the {kind} v{version} step in "
        "activities/upcasting.py (UPCASTERS) and deploy again; the record itself is intact and "
        "was not read."
    )
