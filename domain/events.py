"""Events: what happened to a partnership, in the past tense.

Events are frozen, versioned by `schema_version`, and form one discriminated union on `type`
so a stored payload parses back to exactly its class. Every event carries its actor, its
business date (`occurred_on`, when it happened in the world) and when it was recorded.

The default of a class's `schema_version` is the newest version of that event, the one this
software writes (SCHEMA_VERSIONS lists them). The field stays a plain int so a payload of an
older version, still inside a running workflow's history, parses as it was written; rows of
older versions in the event store are upcast on read, and rows of a version newer than this
software knows are refused there (activities/upcasting.py).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    model_serializer,
)

from domain.actors import Actor
from domain.commands import Outcome, Position, Recommendation
from domain.components import Component
from domain.regions import Region
from domain.stages import Stage


class EventBase(BaseModel):
    """Fields every event carries."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = 1
    actor: Actor
    occurred_on: date
    recorded_at: AwareDatetime

    # Fields added after events of the type were recorded, left out of the payload while they
    # hold their default: an event without the new fact is written exactly as before, so its
    # payload, and the hash chained over it, are those of an event of the older software.
    _OMITTED_AT_DEFAULT: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _without_new_facts_at_default(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            for name in self._OMITTED_AT_DEFAULT:
                if getattr(self, name) == type(self).model_fields[name].default:
                    data.pop(name, None)
        return data


class PartnershipProposed(EventBase):
    """The Commission proposed a pilot partnership with a third country."""

    type: Literal["PartnershipProposed"] = "PartnershipProposed"
    country: str
    region: Region
    rationale: str
    terms_of_reference: str
    consultation_deadline: date
    decision_deadline: date
    # The Council's own target date for its decision, a business fact; absent when none was
    # recorded (and in every proposal recorded before it existed).
    council_target_date: date | None = None

    _OMITTED_AT_DEFAULT: ClassVar[tuple[str, ...]] = ("council_target_date",)


class ConsultationAnswered(EventBase):
    """A Member State answered (or amended its answer to) the consultation.

    Version 2, the current one, always carries `offers` (empty when nothing was offered). In
    version 1 `offers` was optional, and a payload without it offered nothing. The store reads
    a version 1 row as version 2, with empty offers when the key is missing and the offers as
    recorded when present (activities/upcasting.py); the row itself is never rewritten.
    """

    schema_version: int = 2
    type: Literal["ConsultationAnswered"] = "ConsultationAnswered"
    member_state: str
    position: Position
    offers: tuple[Component, ...] = ()
    comments: str | None = None


class ConsultationClosed(EventBase):
    """The consultation closed, by the Commission or at its deadline."""

    type: Literal["ConsultationClosed"] = "ConsultationClosed"
    by_deadline: bool
    interested_member_states: tuple[str, ...]


class PartnershipNotPursued(EventBase):
    """No Member State was interested, so the partnership is not pursued."""

    type: Literal["PartnershipNotPursued"] = "PartnershipNotPursued"
    reason: str


class TalksAuthorised(EventBase):
    """The Presidency authorised exploratory talks with the third country."""

    type: Literal["TalksAuthorised"] = "TalksAuthorised"
    note: str | None = None


class TalksRoundRecorded(EventBase):
    """A round of exploratory talks was held (its date is `occurred_on`)."""

    type: Literal["TalksRoundRecorded"] = "TalksRoundRecorded"
    # How many rounds had been recorded, this one included; the state numbers the rounds by
    # the day they were held (domain.state.in_held_order), which a late recording changes.
    round_number: int
    member_states: tuple[str, ...]
    summary: str
    location: str | None = None


class LateInterestDeclared(EventBase):
    """A Member State declared interest during the talks: it joins late."""

    type: Literal["LateInterestDeclared"] = "LateInterestDeclared"
    member_state: str
    offers: tuple[Component, ...] = ()
    comments: str | None = None


class TalksSuspended(EventBase):
    """The Commission suspended the exploratory talks (its date is `occurred_on`)."""

    type: Literal["TalksSuspended"] = "TalksSuspended"
    reason: str


class TalksResumed(EventBase):
    """The Commission resumed the suspended talks.

    The operational decision deadline stood still while they were suspended: it moved from
    `previous_deadline` to `new_deadline` by the days of the suspension (recorded time).
    """

    type: Literal["TalksResumed"] = "TalksResumed"
    previous_deadline: date
    new_deadline: date


class TalksConcluded(EventBase):
    """The talks concluded; an unwilling third country ends the partnership.

    `community_offers` is what the Commission recorded as the Community's offer (visa
    facilitation, capacity building, other Community measures); conclusions recorded before
    it existed have none.
    """

    type: Literal["TalksConcluded"] = "TalksConcluded"
    third_country_willing: bool
    commitments: tuple[Component, ...] = ()
    community_offers: tuple[Component, ...] = ()

    _OMITTED_AT_DEFAULT: ClassVar[tuple[str, ...]] = ("community_offers",)


class ReportSubmitted(EventBase):
    """The Commission reported back to the Council with a recommendation."""

    type: Literal["ReportSubmitted"] = "ReportSubmitted"
    recommendation: Recommendation
    summary: str
    reference: str | None = None


class DecisionDeadlineExtended(EventBase):
    """The Presidency extended the Council's decision deadline."""

    type: Literal["DecisionDeadlineExtended"] = "DecisionDeadlineExtended"
    previous_deadline: date
    new_deadline: date
    reason: str
    # The Council's new target date, when it set one; None leaves the recorded one in place.
    council_target_date: date | None = None

    _OMITTED_AT_DEFAULT: ClassVar[tuple[str, ...]] = ("council_target_date",)


class DecisionDeadlineReminderIssued(EventBase):
    """The reminder that the decision deadline is 14 days away (or less) went out."""

    type: Literal["DecisionDeadlineReminderIssued"] = "DecisionDeadlineReminderIssued"
    deadline: date


class CouncilDecisionRecorded(EventBase):
    """The Council decided (its date is `occurred_on`)."""

    type: Literal["CouncilDecisionRecorded"] = "CouncilDecisionRecorded"
    outcome: Outcome
    council_reference: str | None = None


class PartnershipLapsed(EventBase):
    """The decision deadline passed without a Council decision."""

    type: Literal["PartnershipLapsed"] = "PartnershipLapsed"
    deadline: date


class PartnershipLaunched(EventBase):
    """The joint declaration was signed (its date is `occurred_on`)."""

    type: Literal["PartnershipLaunched"] = "PartnershipLaunched"
    member_states: tuple[str, ...]
    components: tuple[Component, ...]
    joint_declaration_reference: str | None = None


class MemberStateAcceded(EventBase):
    """A Member State joined a launched partnership's signatories (its date is
    `occurred_on`), as the joint declarations provide for."""

    type: Literal["MemberStateAcceded"] = "MemberStateAcceded"
    member_state: str


class PartnershipWithdrawn(EventBase):
    """The Commission withdrew the partnership."""

    type: Literal["PartnershipWithdrawn"] = "PartnershipWithdrawn"
    reason: str
    stage: Stage


Event = Annotated[
    PartnershipProposed
    | ConsultationAnswered
    | ConsultationClosed
    | PartnershipNotPursued
    | TalksAuthorised
    | TalksRoundRecorded
    | LateInterestDeclared
    | TalksSuspended
    | TalksResumed
    | TalksConcluded
    | ReportSubmitted
    | DecisionDeadlineExtended
    | DecisionDeadlineReminderIssued
    | CouncilDecisionRecorded
    | PartnershipLapsed
    | PartnershipLaunched
    | MemberStateAcceded
    | PartnershipWithdrawn,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
EVENT_LIST_ADAPTER: TypeAdapter[list[Event]] = TypeAdapter(list[Event])

# Read from the union, so a new event is listed the moment it can be parsed. `Event` is
# Annotated[union, discriminator]: its first argument is the union, whose arguments are the types.
EVENT_TYPES: tuple[type[EventBase], ...] = get_args(get_args(Event)[0])
"""Every event type, in the order the `Event` union names them (the lifecycle's order)."""


SCHEMA_VERSIONS: dict[str, int] = {
    event_type.model_fields["type"].default: event_type.model_fields["schema_version"].default
    for event_type in EVENT_TYPES
}
"""Each event type's newest schema version: the one this software writes, and the newest it
can read (older versions are upcast on read; newer ones are refused)."""


def parse_event(payload: dict[str, Any]) -> Event:
    """Parse a stored payload (with its `type`) back into its event class."""
    return EVENT_ADAPTER.validate_python(payload)


def event_payload(event: Event) -> dict[str, Any]:
    """The JSON-ready payload of an event, `type` and `schema_version` included."""
    return event.model_dump(mode="json")
