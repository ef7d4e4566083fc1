"""The API's payloads: strict request bodies derived from the contract's requests, and replies.

A body is its request's fields without `actor` (who acts comes from the token and the
directory, never from the body): each model here is built from the request model of
`domain.requests`, field by field, so a field added to the contract appears in the API
without being copied by hand. Bodies refuse unknown fields (`actor` among them) and coerce
nothing: `"3"` is not a number and `1` is not `true`. They are parsed from the JSON text
itself, where a date is its ISO string.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from domain.actors import Actor
from domain.requests import REQUEST_FOR, StartPartnership, UserRequest
from domain.subscriptions import EMAIL_MAX_CHARS, MAX_FILTER_ITEMS, URL_MAX_CHARS
from domain.text import LABEL_MAX_CHARS, TEXT_MAX_BYTES

R = TypeVar("R", bound=UserRequest)

STRICT_BODY: Final = ConfigDict(extra="forbid", strict=True, frozen=True)
"""Bodies refuse unknown fields and do no lax coercion."""

# The request's fields that never come from a body.
_NOT_IN_BODY: Final = frozenset({"actor"})


def body_model(request: type[UserRequest]) -> type[BaseModel]:
    """The body of `request` over HTTP: its fields but `actor`, strict, named `…Body`.

    The command's own fields come first, then those every step adds (`expected_version`).
    """
    own = request.command_type.model_fields
    names = sorted(
        (name for name in request.model_fields if name not in _NOT_IN_BODY),
        key=lambda name: name not in own,
    )
    fields: dict[str, Any] = {
        name: (request.model_fields[name].annotation, copy.copy(request.model_fields[name]))
        for name in names
    }
    model: type[BaseModel] = create_model(
        f"{request.command_type.__name__}Body",
        __config__=STRICT_BODY,
        __doc__=f"The body of {_what(request)}. {request.command_type.__doc__ or ''}".strip(),
        **fields,
    )
    return model


def _what(request: type[UserRequest]) -> str:
    if request is StartPartnership:
        return "`POST /partnerships`"
    return f"`POST /partnerships/{{CC}}/{request.command_type.name}`"


PROPOSAL_BODY: Final = body_model(StartPartnership)
"""The body of a proposal: the start input of DESIGN.md §3 without `actor`."""

STEP_BODIES: Final[dict[str, type[BaseModel]]] = {
    update: body_model(request) for update, request in REQUEST_FOR.items()
}
"""Update name → its body, in the lifecycle's order."""


def parse_body(model: type[BaseModel], raw: bytes) -> BaseModel:
    """`raw` JSON as `model`, strictly; an empty body is an empty object.

    Raises pydantic's ValidationError: its `json_invalid` error means the text is not JSON.
    """
    return model.model_validate_json(raw or b"{}", strict=True)


def is_malformed_json(error: ValidationError) -> bool:
    """Whether the body was not JSON at all (rather than JSON with bad fields)."""
    return any(problem.get("type") == "json_invalid" for problem in error.errors())


def request_of(request: type[R], body: BaseModel, actor: Actor, **extra: Any) -> R:
    """The contract's request: the body's fields given, the actor, and `extra` fields.

    Validated again by the request model itself, so every rule of the contract applies.
    """
    given = body.model_dump(exclude_unset=True)
    return request.model_validate({**given, **extra, "actor": actor})


# --- Replies --------------------------------------------------------------------------------


class _Reply(BaseModel):
    model_config = ConfigDict(frozen=True)


class BindingOut(_Reply):
    """One of the caller's current role bindings."""

    binding_id: str
    role: str
    member_state: str | None
    valid_from: date


class Me(_Reply):
    """Who the caller is: the token's issuer and subject, and the bindings they hold today."""

    issuer: str
    subject: str
    token_id: str | None
    bindings: list[BindingOut]


class BoardEntry(_Reply):
    """One partnership on the board (the read model)."""

    stream_id: str
    country: str
    region: str
    stage: str
    proposed_on: date
    consultation_deadline: date | None
    decision_deadline: date | None
    interested_count: int
    version: int
    last_event_type: str
    last_changed_on: date
    last_recorded_at: datetime
    href: str


class BoardPage(_Reply):
    """A page of the board, newest proposals first; `next` continues it, null after the last."""

    items: list[BoardEntry]
    next_cursor: str | None
    next: str | None


class Provenance(_Reply):
    """Who and what recorded an event, from its hash-chained metadata."""

    channel: str | None = None
    issuer: str | None = None
    subject: str | None = None
    token_id: str | None = None
    actor: dict[str, Any] | None = None


class RecordedEvent(_Reply):
    """One recorded event with its place in the log, its provenance and its hash links."""

    position: int
    stream_id: str
    stream_version: int
    event_id: str
    type: str
    schema_version: int
    occurred_on: date
    recorded_at: datetime
    payload: dict[str, Any]
    metadata: dict[str, Any]
    provenance: Provenance
    prev_hash: str
    hash: str


class RecordPage(_Reply):
    """The record of a partnership's latest stream, oldest first, from version `from`."""

    stream_id: str
    events: list[RecordedEvent]


class InboxEntry(_Reply):
    """A step the caller may take now, on one open partnership, and the deadline it races."""

    country: str
    stream_id: str
    stage: str
    update: str
    acting_as: str = Field(description="The role the step is taken in, `ROLE[:MS]`")
    deadline: date | None
    days_left: int | None = Field(
        description="Days from today (UTC) to the deadline: 0 on its last day, negative after"
    )
    overdue: bool = Field(description="Whether the deadline has passed")
    href: str = Field(description="Where the step is sent: POST with its body")


class Inbox(_Reply):
    """Every step the caller may take now, the most urgent first."""

    items: list[InboxEntry]


# --- Subscriptions (administrators) ---------------------------------------------------------


class SubscriptionBody(BaseModel):
    """The body of `POST /subscriptions`: a subscriber, told by webhook or by e-mail.

    Exactly one of `webhook` (an https:// address) and `email`. Each filter list that is empty
    lets every value through: `kinds` are milestone kinds, `regions` migratory regions,
    `countries` country codes. `history` also delivers the milestones recorded before it.
    """

    model_config = STRICT_BODY

    name: str = Field(min_length=1, max_length=LABEL_MAX_CHARS)
    webhook: str | None = Field(default=None, min_length=1, max_length=URL_MAX_CHARS)
    email: str | None = Field(default=None, min_length=1, max_length=EMAIL_MAX_CHARS)
    kinds: list[str] = Field(default_factory=list, max_length=MAX_FILTER_ITEMS)
    regions: list[str] = Field(default_factory=list, max_length=MAX_FILTER_ITEMS)
    countries: list[str] = Field(default_factory=list, max_length=MAX_FILTER_ITEMS)
    history: bool = False
    reason: str | None = Field(default=None, min_length=1, max_length=TEXT_MAX_BYTES)


class SubscriptionOut(_Reply):
    """A subscriber as the directory holds it; `ended` says whether it was removed or stopped."""

    subscription_id: str
    name: str
    destination_kind: str = Field(description="`webhook` or `email`")
    destination: str
    kinds: list[str]
    regions: list[str]
    countries: list[str]
    history: bool
    subscribed_by: str
    subscribed_on: date
    reason: str | None
    active: bool
    ended: str | None = Field(description="`removed`, `stopped`, or null while active")
    ended_by: str | None
    ended_on: date | None
    end_reason: str | None
    href: str


class SubscriptionAddedOut(SubscriptionOut):
    """A new subscriber; a webhook's `secret` (`whsec_…`) is given here, and to an
    administrator on the database's host by `partnerships subscribers secret`."""

    secret: str | None = Field(description="The webhook's signing secret; null for e-mail")


class SubscriptionList(_Reply):
    """The subscribers, in the order added."""

    items: list[SubscriptionOut]
