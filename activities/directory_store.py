"""The directory of role bindings in the event store: its stream, and its read model.

Every grant and revocation is an event of the one stream `directory` (domain/directory.py), in
the same `events` table and hash chain as the partnerships, so `partnerships verify` checks it
and nothing can rewrite it unseen. A decision folds the stream, asks the domain, and appends at
the version it folded; a writer that got there first makes it fold and decide again.

The read model `role_bindings` (one row per binding) is written in the transaction of the
append itself, through the store's inline projection, so a grant is visible to the very next
look-up and the table can never hold what the log does not. `rebuild` refolds it from the
stream, for a database restored from the log alone. Look-ups (`bindings_of`, on every
authenticated request) read the table by its (issuer, subject) index, not the stream.

Subscriptions to report-back milestones (domain/subscriptions.py) are events of the same
stream. They have no table: the stream is small, and `subscriptions` folds it on each read, so
a subscriber is told nothing the record does not say it was added for.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from activities.database import begin_write
from activities.eventstore import EventStore
from activities.records import NewEvent, StoredEvent
from activities.schema import role_bindings
from activities.store_errors import ConcurrencyError, UnknownSchemaVersion
from domain.actors import SYSTEM_ACTOR
from domain.directory import (
    DIRECTORY_SCHEMA_VERSIONS,
    DIRECTORY_STREAM,
    Binding,
    BindingRole,
    Directory,
    DirectoryEvent,
    GrantRole,
    RevokeRole,
    RoleGranted,
    RoleRevoked,
    decide_grant,
    decide_revoke,
    directory_event_payload,
    granted_binding,
    parse_directory_event,
    replay_directory,
    revoked_binding,
)
from domain.subscriptions import (
    StopSubscription,
    Subscribe,
    Subscription,
    SubscriptionAdded,
    Unsubscribe,
    added_subscription,
    decide_stop,
    decide_subscribe,
    decide_unsubscribe,
    ended_subscription,
    find_subscription,
)

__all__ = [
    "DirectoryStore",
    "RoleBindingsProjection",
    "to_directory_event",
    "to_new_directory_event",
]

_MAX_ATTEMPTS: Final = 20
"""How often a grant or revocation folds and decides again after another writer's append.

Directory changes are rare; writers that collide back off for a random few milliseconds, so
one that keeps losing the race to a busy neighbour still gets its turn."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _new_subscription_id() -> str:
    # As a binding's: short enough to type, and the domain refuses a reused id.
    return uuid.uuid4().hex[:12]


def _new_binding_id() -> str:
    # Twelve hex digits: short enough to type in `access revoke`, and the domain refuses a
    # reused id, so a collision (about one in 10^7 among a thousand bindings) records nothing.
    return uuid.uuid4().hex[:12]


def to_directory_event(stored: StoredEvent) -> DirectoryEvent:
    """The directory event a stored row of the `directory` stream holds.

    Raises UnknownSchemaVersion for a row written by a newer release: read as this version,
    it could grant or revoke the wrong thing.
    """
    newest = DIRECTORY_SCHEMA_VERSIONS.get(stored.type)
    if newest is not None and stored.schema_version > newest:
        raise UnknownSchemaVersion(
            stored.type,
            stored.schema_version,
            newest,
            where=f"{stored.stream_id} version {stored.stream_version}",
        )
    return parse_directory_event(
        {**stored.payload, "type": stored.type, "schema_version": stored.schema_version}
    )


def to_new_directory_event(
    event: DirectoryEvent,
    by: str,
    provenance: Mapping[str, Any],
    *,
    role: str = BindingRole.ADMINISTRATOR.value,
) -> NewEvent:
    """The row to append for a directory event; its metadata names who made the change.

    An administrator makes every change but one: the system (`role` "system") stops a
    subscription whose receiver is gone.
    """
    return NewEvent(
        event_id=uuid.uuid4(),
        type=event.type,
        schema_version=event.schema_version,
        payload=directory_event_payload(event),
        # The actor keeps the shape of a partnership event's, so `partnerships events` shows
        # who changed the directory the way it shows who took a step.
        metadata={"actor": {"id": by, "role": role}, **provenance},
        occurred_on=event.occurred_on,
        recorded_at=event.recorded_at,
    )


def _row(binding: Binding, *, granted_version: int, revoked_version: int | None) -> dict[str, Any]:
    return {
        **binding.model_dump(mode="python"),
        "role": binding.role.value,
        "granted_version": granted_version,
        "revoked_version": revoked_version,
    }


def _binding(row: Row[Any]) -> Binding:
    return Binding(
        binding_id=row.binding_id,
        issuer=row.issuer,
        subject=row.subject,
        role=BindingRole(row.role),
        member_state=row.member_state,
        valid_from=row.valid_from,
        granted_by=row.granted_by,
        granted_on=row.granted_on,
        reason=row.reason,
        revoked_by=row.revoked_by,
        revoked_on=row.revoked_on,
        revocation_reason=row.revocation_reason,
    )


class RoleBindingsProjection:
    """Keeps `role_bindings` current inside each append to the directory (an InlineProjection).

    Each row is the domain's own fold of its binding's events (granted_binding, then
    revoked_binding), so the table and `replay_directory` always agree.
    """

    def apply(self, conn: Connection, stream_id: str, new_events: Sequence[StoredEvent]) -> None:
        """Fold the directory events just appended into `role_bindings`, on `conn`."""
        if stream_id != DIRECTORY_STREAM:
            return
        for stored in new_events:
            event = to_directory_event(stored)
            match event:
                case RoleGranted():
                    row = _row(
                        granted_binding(event),
                        granted_version=stored.stream_version,
                        revoked_version=None,
                    )
                    conn.execute(sa.insert(role_bindings), row)
                case RoleRevoked():
                    found = conn.execute(
                        sa.select(role_bindings).where(
                            role_bindings.c.binding_id == event.binding_id
                        )
                    ).one()
                    after = revoked_binding(_binding(found), event)
                    conn.execute(
                        sa.update(role_bindings)
                        .where(role_bindings.c.binding_id == event.binding_id)
                        .values(
                            revoked_by=after.revoked_by,
                            revoked_on=after.revoked_on,
                            revocation_reason=after.revocation_reason,
                            revoked_version=stored.stream_version,
                        )
                    )

    def committed(self, stream_id: str, new_events: Sequence[StoredEvent]) -> None:
        """Nothing is kept between appends: every row is in the table."""


class DirectoryStore:
    """Grants, revokes and looks up role bindings; the `directory` stream is their record.

    `clock` gives the recording time of each change (UTC); `new_binding_id` the id of each new
    binding. Both are parameters so tests can fix them.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], datetime] = _utc_now,
        new_binding_id: Callable[[], str] = _new_binding_id,
        new_subscription_id: Callable[[], str] = _new_subscription_id,
    ) -> None:
        self.engine = engine
        self._log = EventStore(engine, projections=RoleBindingsProjection())
        self._clock = clock
        self._new_binding_id = new_binding_id
        self._new_subscription_id = new_subscription_id

    # -- the record ------------------------------------------------------------------------

    def directory(self) -> tuple[Directory, int]:
        """The directory folded from its stream, and the stream's version it was folded at."""
        stored = self._log.read_stream(DIRECTORY_STREAM)
        folded = replay_directory(to_directory_event(s) for s in stored)
        return folded, stored[-1].stream_version if stored else 0

    def grant(self, command: GrantRole, *, provenance: Mapping[str, Any] | None = None) -> Binding:
        """Record a grant and return the new binding.

        Raises a DirectoryError (or NotAMemberState) when the domain refuses it; nothing is
        recorded then. `provenance` goes into the event's metadata beside who granted it.
        """
        binding_id = self._new_binding_id()
        event = self._record(
            lambda directory: decide_grant(
                directory, command, binding_id=binding_id, now=self._clock()
            ),
            by=command.granted_by,
            provenance=provenance,
        )
        assert isinstance(event, RoleGranted)
        return granted_binding(event)

    def revoke(
        self, command: RevokeRole, *, provenance: Mapping[str, Any] | None = None
    ) -> Binding:
        """Record a revocation and return the binding as it now stands.

        Raises UnknownBinding or AlreadyRevoked when the domain refuses it; nothing is
        recorded then.
        """
        revoked: list[Binding] = []

        def decide(directory: Directory) -> DirectoryEvent:
            event = decide_revoke(directory, command, now=self._clock())
            held = directory.find(event.binding_id)
            assert held is not None  # decide_revoke refuses an unknown id
            revoked[:] = [revoked_binding(held, event)]
            return event

        self._record(decide, by=command.revoked_by, provenance=provenance)
        return revoked[0]

    # -- subscriptions ---------------------------------------------------------------------

    def subscribe(
        self,
        command: Subscribe,
        *,
        allow_loopback_http: bool = False,
        provenance: Mapping[str, Any] | None = None,
    ) -> Subscription:
        """Record a new subscription and return it.

        Raises a SubscriptionError when the domain refuses it (a destination or filter that is
        not allowed, a name in use); nothing is recorded then. `allow_loopback_http` lets a
        plain `http://` webhook to a loopback host through: for tests and development only.
        """
        subscription_id = self._new_subscription_id()
        event = self._record(
            lambda directory: decide_subscribe(
                directory,
                command,
                subscription_id=subscription_id,
                now=self._clock(),
                allow_loopback_http=allow_loopback_http,
            ),
            by=command.subscribed_by,
            provenance=provenance,
        )
        assert isinstance(event, SubscriptionAdded)
        return added_subscription(event)

    def unsubscribe(
        self, command: Unsubscribe, *, provenance: Mapping[str, Any] | None = None
    ) -> Subscription:
        """Record a removal and return the subscription as it now stands.

        Raises UnknownSubscription or SubscriptionEnded when the domain refuses it.
        """
        ended: list[Subscription] = []

        def decide(directory: Directory) -> DirectoryEvent:
            event = decide_unsubscribe(directory, command, now=self._clock())
            ended[:] = [ended_subscription(directory.subscriptions[event.subscription_id], event)]
            return event

        self._record(decide, by=command.removed_by, provenance=provenance)
        return ended[0]

    def stop(
        self, subscription_id: str, reason: str, *, provenance: Mapping[str, Any] | None = None
    ) -> Subscription:
        """Stop a subscription for the system (its receiver answered 410) and return it.

        Stopping one that has ended already records nothing and returns it as it stands, so a
        retried delivery may stop it again. Raises UnknownSubscription for an unknown id.
        """
        command = StopSubscription(subscription_id=subscription_id, reason=reason)
        outcome: list[Subscription] = []

        def decide(directory: Directory) -> DirectoryEvent | None:
            event = decide_stop(directory, command, now=self._clock())
            held = directory.subscriptions[command.subscription_id]
            outcome[:] = [held if event is None else ended_subscription(held, event)]
            return event

        self._record(
            decide,
            by=SYSTEM_ACTOR.id,
            role=SYSTEM_ACTOR.role.value,
            provenance={"channel": "system", **(provenance or {})},
        )
        return outcome[0]

    def subscriptions(self, *, include_ended: bool = False) -> list[Subscription]:
        """Every active subscription (and ended ones when `include_ended`), in the order added."""
        directory, _ = self.directory()
        return [s for s in directory.subscriptions.values() if include_ended or s.active]

    def subscription(self, key: str) -> Subscription | None:
        """The subscription whose id is `key`, else the active one named `key`; or None."""
        directory, _ = self.directory()
        return find_subscription(directory, key)

    def _record(
        self,
        decide: Callable[[Directory], DirectoryEvent | None],
        *,
        by: str,
        provenance: Mapping[str, Any] | None,
        role: str = BindingRole.ADMINISTRATOR.value,
    ) -> DirectoryEvent | None:
        """Fold, decide and append at the folded version; again if another writer was first.

        A decision of None records nothing.
        """
        for attempt in range(_MAX_ATTEMPTS):
            directory, version = self.directory()
            event = decide(directory)
            if event is None:
                return None
            new_event = to_new_directory_event(event, by, provenance or {}, role=role)
            try:
                self._log.append(DIRECTORY_STREAM, version, [new_event])
            except ConcurrencyError:
                if attempt == _MAX_ATTEMPTS - 1:
                    raise
                time.sleep(random.uniform(0, 0.005 * (attempt + 1)))
                continue
            return event
        raise AssertionError("unreachable: the last attempt returns or raises")

    # -- the read model --------------------------------------------------------------------

    def bindings_of(self, issuer: str, subject: str, on: date) -> list[Binding]:
        """The bindings of `subject` of `issuer` that hold on `on`, in the order granted."""
        query = (
            sa.select(role_bindings)
            .where(role_bindings.c.issuer == issuer)
            .where(role_bindings.c.subject == subject)
            .where(role_bindings.c.valid_from <= on)
            .where(sa.or_(role_bindings.c.revoked_on.is_(None), role_bindings.c.revoked_on > on))
            .order_by(role_bindings.c.granted_version)
        )
        with self.engine.connect() as conn:
            return [_binding(row) for row in conn.execute(query)]

    def listed(self, *, include_revoked: bool = False) -> list[Binding]:
        """Every binding, unrevoked ones only unless `include_revoked`, in the order granted."""
        query = sa.select(role_bindings).order_by(role_bindings.c.granted_version)
        if not include_revoked:
            query = query.where(role_bindings.c.revoked_on.is_(None))
        with self.engine.connect() as conn:
            return [_binding(row) for row in conn.execute(query)]

    def rebuild(self) -> int:
        """Empty `role_bindings` and refold it from the stream; return the events folded.

        Appends are excluded meanwhile (database.begin_write), so no grant slips between the
        read and the rewrite.
        """
        with begin_write(self.engine) as conn:
            stored = self._log.read_stream(DIRECTORY_STREAM, conn=conn)
            conn.execute(sa.delete(role_bindings))
            rows = _rows(stored)
            if rows:
                conn.execute(sa.insert(role_bindings), rows)
        return len(stored)


def _rows(stored: Iterable[StoredEvent]) -> list[dict[str, Any]]:
    """The table's rows for a whole stream, each binding folded as the domain folds it."""
    bindings: dict[str, Binding] = {}
    versions: dict[str, tuple[int, int | None]] = {}
    for record in stored:
        event = to_directory_event(record)
        match event:
            case RoleGranted():
                bindings[event.binding_id] = granted_binding(event)
                versions[event.binding_id] = (record.stream_version, None)
            case RoleRevoked():
                bindings[event.binding_id] = revoked_binding(bindings[event.binding_id], event)
                versions[event.binding_id] = (versions[event.binding_id][0], record.stream_version)
    return [
        _row(b, granted_version=versions[i][0], revoked_version=versions[i][1])
        for i, b in bindings.items()
    ]
