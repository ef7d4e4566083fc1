"""Who is who: the directory of role bindings, as events in one hash-chained stream.

A role binding says that a subject of a token issuer (the issuer's `iss` and the token's `sub`)
acts in one role from a date until it is revoked: as `commission`, as `presidency` or
`member_state` for one Member State, as `operator`, or as `administrator` (who keeps the
directory). The directory is its own stream, `directory`, in the event store, so it is as
permanent and as tamper-evident as the partnerships' records; its events are not partnership
events and have their own union.

As for a partnership, the rules are pure functions: `decide_grant` and `decide_revoke` return
the event to record or raise a typed DirectoryError, `evolve_directory` folds one event and
`replay_directory` a whole stream. The clock and the new binding's id come from the caller.

The same stream records the subscriptions to report-back milestones (domain/subscriptions.py
holds their rules), so who was told what is on record beside who may do what; the fold keeps
both, and a stream of bindings alone folds as it always did.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
)

from domain.actors import Actor, Role
from domain.countries import member_state as member_state_on
from domain.errors import DomainError
from domain.subscriptions import (
    ActorName,
    Subscription,
    SubscriptionAdded,
    SubscriptionEventBase,
    SubscriptionRemoved,
    SubscriptionStopped,
    apply_subscription_event,
)
from domain.text import Label, Text

DIRECTORY_STREAM: Final = "directory"
"""The one stream of the directory in the event store (never a `partnership-` stream)."""


class BindingRole(StrEnum):
    """The roles a binding gives. `administrator` keeps the directory and takes no step."""

    COMMISSION = "commission"
    PRESIDENCY = "presidency"
    MEMBER_STATE = "member_state"
    OPERATOR = "operator"
    ADMINISTRATOR = "administrator"


ROLES_WITH_A_MEMBER_STATE: Final = frozenset({BindingRole.PRESIDENCY, BindingRole.MEMBER_STATE})
"""The roles whose binding names a Member State: the Presidency's, and a representative's."""

_ACTING_ROLES: Final[Mapping[BindingRole, Role]] = {
    BindingRole.COMMISSION: Role.COMMISSION,
    BindingRole.PRESIDENCY: Role.PRESIDENCY,
    BindingRole.MEMBER_STATE: Role.MEMBER_STATE,
    BindingRole.OPERATOR: Role.OPERATOR,
}


# --- Errors ----------------------------------------------------------------------------------


class DirectoryError(DomainError):
    """Root of the directory's refusals; nothing is recorded when one is raised."""


class InvalidBinding(DirectoryError):
    """A grant whose role and Member State do not fit together."""


class AlreadyBound(DirectoryError):
    """A grant of a binding the subject already holds, unrevoked."""


class UnknownBinding(DirectoryError):
    """A binding id that names no binding in the directory."""


class AlreadyRevoked(DirectoryError):
    """A revocation of a binding that is revoked already."""


# --- Inputs ----------------------------------------------------------------------------------


# A subject (`sub`) or the name of who granted or revoked: it becomes an actor's id, so it
# follows the id's rules (`ActorName`, shared with the subscriptions). Never stripped: a token's
# `sub` is compared exactly.
Name = ActorName


class DirectoryCommand(BaseModel):
    """Base of the directory's commands: immutable and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class GrantRole(DirectoryCommand):
    """Bind a subject of an issuer to a role, from `valid_from` until revoked."""

    issuer: Label
    subject: Name
    role: BindingRole
    member_state: str | None = Field(default=None, min_length=1, max_length=10)
    valid_from: date
    granted_by: Name
    reason: Text | None = None


class RevokeRole(DirectoryCommand):
    """End a binding, from the day it is revoked."""

    binding_id: str = Field(min_length=1, max_length=64)
    revoked_by: Name
    reason: Text | None = None


# --- Events ----------------------------------------------------------------------------------


class DirectoryEventBase(BaseModel):
    """Fields every directory event carries: its schema version, day and recording time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = 1
    occurred_on: date
    recorded_at: AwareDatetime


class RoleGranted(DirectoryEventBase):
    """A subject of an issuer was bound to a role, by `granted_by`."""

    type: Literal["RoleGranted"] = "RoleGranted"
    binding_id: str
    issuer: str
    subject: str
    role: BindingRole
    member_state: str | None = None
    valid_from: date
    granted_by: str
    reason: str | None = None


class RoleRevoked(DirectoryEventBase):
    """A binding was revoked, by `revoked_by`; it ends on the day it was revoked."""

    type: Literal["RoleRevoked"] = "RoleRevoked"
    binding_id: str
    revoked_by: str
    reason: str | None = None


DirectoryEvent = Annotated[
    RoleGranted | RoleRevoked | SubscriptionAdded | SubscriptionRemoved | SubscriptionStopped,
    Field(discriminator="type"),
]

DIRECTORY_EVENT_ADAPTER: TypeAdapter[DirectoryEvent] = TypeAdapter(DirectoryEvent)

DIRECTORY_EVENT_TYPES: tuple[type[DirectoryEventBase | SubscriptionEventBase], ...] = get_args(
    get_args(DirectoryEvent)[0]
)
"""Every directory event type, in the order the union names them."""

DIRECTORY_SCHEMA_VERSIONS: dict[str, int] = {
    event_type.model_fields["type"].default: event_type.model_fields["schema_version"].default
    for event_type in DIRECTORY_EVENT_TYPES
}
"""Each directory event type's newest schema version: the one this software writes."""


def parse_directory_event(payload: dict[str, Any]) -> DirectoryEvent:
    """Parse a stored payload (with its `type`) back into its directory event class."""
    return DIRECTORY_EVENT_ADAPTER.validate_python(payload)


def directory_event_payload(event: DirectoryEvent) -> dict[str, Any]:
    """The JSON-ready payload of a directory event, `type` and `schema_version` included."""
    return event.model_dump(mode="json")


# --- State -----------------------------------------------------------------------------------


class Binding(BaseModel):
    """One role binding as the directory holds it now: granted, and perhaps revoked."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    binding_id: str
    issuer: str
    subject: str
    role: BindingRole
    member_state: str | None = None
    valid_from: date
    granted_by: str
    granted_on: date
    reason: str | None = None
    revoked_by: str | None = None
    revoked_on: date | None = None
    revocation_reason: str | None = None

    @property
    def revoked(self) -> bool:
        """Whether the binding has been revoked."""
        return self.revoked_on is not None

    def current_on(self, day: date) -> bool:
        """Whether the binding holds on `day`: from `valid_from`, until the day it is revoked."""
        return self.valid_from <= day and (self.revoked_on is None or day < self.revoked_on)

    def actor(self, subject: str) -> Actor | None:
        """The actor this binding lets `subject` act as, or None for an administrator.

        A Presidency binding names its Member State, and so does its actor: the Presidency
        acts for the Council, and its steps are valid only on the dates that Member State
        held the Presidency (domain/presidencies.py).
        """
        role = _ACTING_ROLES.get(self.role)
        if role is None:
            return None
        acting_for = self.member_state if role in (Role.MEMBER_STATE, Role.PRESIDENCY) else None
        return Actor(id=subject, role=role, member_state=acting_for)

    def label(self) -> str:
        """The role as `ROLE[:MS]`, e.g. `member_state:PT` or `commission`."""
        return f"{self.role.value}:{self.member_state}" if self.member_state else self.role.value


@dataclass(frozen=True)
class Directory:
    """Every binding ever granted and every subscription ever added, by id, in their order."""

    bindings: Mapping[str, Binding] = field(default_factory=dict)
    subscriptions: Mapping[str, Subscription] = field(default_factory=dict)

    def find(self, binding_id: str) -> Binding | None:
        """The binding with this id, revoked or not; None when there is none."""
        return self.bindings.get(binding_id)

    def bindings_of(self, issuer: str, subject: str, on: date) -> list[Binding]:
        """The bindings of `subject` of `issuer` that hold on `on`, in the order granted."""
        return [
            b
            for b in self.bindings.values()
            if b.issuer == issuer and b.subject == subject and b.current_on(on)
        ]

    def unrevoked(self) -> list[Binding]:
        """Every binding not revoked (some may start later), in the order granted."""
        return [b for b in self.bindings.values() if not b.revoked]


EMPTY_DIRECTORY = Directory()
"""The directory before its first event."""


# --- Decisions -------------------------------------------------------------------------------


def decide_grant(
    directory: Directory, command: GrantRole, *, binding_id: str, now: datetime
) -> RoleGranted:
    """The RoleGranted event for `command`, or a DirectoryError saying why it is refused.

    A `presidency` or `member_state` binding names a Member State of the Union on the day it
    starts; no other role names one. A subject cannot hold the same unrevoked binding twice,
    and a binding id is never reused.
    """
    member_state = _member_state_of(command)
    if directory.find(binding_id) is not None:
        raise AlreadyBound(
            f"a binding with id {binding_id} exists already; each grant gets a new id"
        )
    for held in directory.unrevoked():
        same = (held.issuer, held.subject, held.role, held.member_state) == (
            command.issuer,
            command.subject,
            command.role,
            member_state,
        )
        if same:
            raise AlreadyBound(
                f"{command.subject} of {command.issuer} holds {held.label()} already "
                f"(binding {held.binding_id}, from {held.valid_from.isoformat()}); grant "
                "another role, or revoke that binding first to grant it anew"
            )
    return RoleGranted(
        binding_id=binding_id,
        issuer=command.issuer,
        subject=command.subject,
        role=command.role,
        member_state=member_state,
        valid_from=command.valid_from,
        granted_by=command.granted_by,
        reason=command.reason,
        occurred_on=now.date(),
        recorded_at=now,
    )


def _member_state_of(command: GrantRole) -> str | None:
    """The grant's Member State as the EU writes it, checked against its role."""
    if command.role in ROLES_WITH_A_MEMBER_STATE:
        if command.member_state is None:
            example = (
                "presidency:PT" if command.role is BindingRole.PRESIDENCY else "member_state:PT"
            )
            raise InvalidBinding(
                f"a {command.role.value} binding names its Member State, e.g. {example}"
            )
        # Raises NotAMemberState (an InvalidCountry) naming the Member States of that day.
        return member_state_on(command.member_state, command.valid_from)
    if command.member_state is not None:
        names = " and ".join(sorted(r.value for r in ROLES_WITH_A_MEMBER_STATE))
        raise InvalidBinding(
            f"a {command.role.value} binding names no Member State; only {names} bindings do"
        )
    return None


def decide_revoke(directory: Directory, command: RevokeRole, *, now: datetime) -> RoleRevoked:
    """The RoleRevoked event for `command`, or a DirectoryError saying why it is refused.

    Only a binding that exists and is not revoked yet can be revoked.
    """
    held = directory.find(command.binding_id)
    if held is None:
        raise UnknownBinding(
            f"no binding has the id {command.binding_id!r}; give the id of an unrevoked binding "
            "as the directory lists it"
        )
    if held.revoked_on is not None:
        raise AlreadyRevoked(
            f"binding {held.binding_id} ({held.subject}, {held.label()}) was revoked on "
            f"{held.revoked_on.isoformat()} by {held.revoked_by}; only an unrevoked binding "
            "can be revoked"
        )
    return RoleRevoked(
        binding_id=held.binding_id,
        revoked_by=command.revoked_by,
        reason=command.reason,
        occurred_on=now.date(),
        recorded_at=now,
    )


# --- The fold --------------------------------------------------------------------------------


def granted_binding(event: RoleGranted) -> Binding:
    """The binding a RoleGranted event creates."""
    return Binding(
        binding_id=event.binding_id,
        issuer=event.issuer,
        subject=event.subject,
        role=event.role,
        member_state=event.member_state,
        valid_from=event.valid_from,
        granted_by=event.granted_by,
        granted_on=event.occurred_on,
        reason=event.reason,
    )


def revoked_binding(binding: Binding, event: RoleRevoked) -> Binding:
    """`binding` as a RoleRevoked event leaves it."""
    return binding.model_copy(
        update={
            "revoked_by": event.revoked_by,
            "revoked_on": event.occurred_on,
            "revocation_reason": event.reason,
        }
    )


def _apply(
    bindings: dict[str, Binding], subscriptions: dict[str, Subscription], event: DirectoryEvent
) -> None:
    """Fold one event into `bindings` or `subscriptions`, in place. No checks here; the
    decisions made them."""
    match event:
        case RoleGranted():
            bindings[event.binding_id] = granted_binding(event)
        case RoleRevoked():
            bindings[event.binding_id] = revoked_binding(bindings[event.binding_id], event)
        case SubscriptionAdded() | SubscriptionRemoved() | SubscriptionStopped():
            apply_subscription_event(subscriptions, event)


def evolve_directory(directory: Directory, event: DirectoryEvent) -> Directory:
    """The directory after `event`."""
    bindings = dict(directory.bindings)
    subscriptions = dict(directory.subscriptions)
    _apply(bindings, subscriptions, event)
    return Directory(bindings=bindings, subscriptions=subscriptions)


def replay_directory(events: Iterable[DirectoryEvent]) -> Directory:
    """The directory a whole stream of events folds to (one pass, not one copy per event)."""
    bindings: dict[str, Binding] = {}
    subscriptions: dict[str, Subscription] = {}
    for event in events:
        _apply(bindings, subscriptions, event)
    return Directory(bindings=bindings, subscriptions=subscriptions)
