"""The programme of pilot partnerships: its cap, its terms of reference, its slots and the
Council decisions that cover several partnerships at once, as events of one stream.

Point 11 of the Council conclusions of June 2007 tests the concept "through a limited number of
pilot partnerships", on terms of reference the Commission consults the Member States on. The
programme record is the stream `programme` in the event store, as hash-chained as the
partnerships' own. Its rules are pure functions, as for a partnership and the directory: each
`decide_*` returns the event to record (or None when there is nothing to record, so a retried
step records nothing twice) or raises a typed ProgrammeError; `evolve_programme` folds one
event and `replay_programme` a whole stream. The clock comes from the caller.

**What holds a slot.** The cap is on *open* pilot partnerships, as the contract says "open":
a partnership takes a slot when it is proposed and holds it while its procedure runs
(consultation, talks, the report, the Council's decision, the launch's preparation, and while
its talks are suspended). A partnership that ends frees its slot, whatever its end: not
pursued, talks failed, declined, lapsed, withdrawn, or launched — the launch ends the
partnership's procedure, and the engine follows nothing after it. (A programme that wanted to
count running pilots against the cap would name `launched` in `KEEPS_ITS_SLOT`, the one place
that says which ends keep their slot.)

**No cap until one is set.** A programme whose administrator never set a cap takes every
proposal, as the engine did before the programme existed. A cap may be set below the number of
slots held: nothing already running is stopped (the Council's procedure is not cut short by a
budget line), no new proposal is taken until enough partnerships end, and the programme's view
says how far over the cap it stands.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from domain.actors import Actor, Role
from domain.bounds import EARLIEST_BUSINESS_DATE
from domain.commands import Outcome
from domain.errors import DomainError, InvalidDate, NotPermitted
from domain.stages import Stage
from domain.text import Label, Text

PROGRAMME_STREAM: Final = "programme"
"""The one stream of the programme in the event store (never a `partnership-` stream)."""

MAX_CAP: Final = 100
"""The highest cap an administrator may set. The Council spoke of "a limited number"; in
2007-2011 four pilots were launched (Cape Verde, Moldova, Georgia, Armenia), so a cap above a
hundred is a typo, not a policy."""

MAX_COUNTRIES_PER_DECISION: Final = 50
"""The most partnerships one Council decision may name: one per candidate country, and the
Council has never decided on more than a handful of pilots at one sitting."""

KEEPS_ITS_SLOT: Final[frozenset[Stage]] = frozenset()
"""The ends at which a partnership keeps its slot: none, since a partnership that ends frees
its slot (issue 13: the cap is on open partnerships)."""

ADMINISTRATOR: Final = "administrator"
"""The role (of the directory) that sets the cap and the terms of reference."""


# --- Errors ----------------------------------------------------------------------------------


class ProgrammeError(DomainError):
    """Root of the programme's refusals; nothing is recorded when one is raised."""


class CapReached(ProgrammeError):
    """A proposal when every slot of the programme's cap is held."""


class DecisionConflict(ProgrammeError):
    """A Council decision whose reference is recorded already with other content."""


class NotAnEnd(ProgrammeError):
    """A slot freed for a stage that is not an end of the lifecycle."""


# --- Commands --------------------------------------------------------------------------------


class ProgrammeCommand(BaseModel):
    """Base of the programme's commands: immutable and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class SetCap(ProgrammeCommand):
    """An administrator sets the cap on the pilot partnerships that hold a slot."""

    cap: int = Field(ge=0, le=MAX_CAP)
    reason: Text
    set_by: Label


class SetTermsOfReference(ProgrammeCommand):
    """An administrator records the terms of reference the Commission consults on."""

    terms: Text
    reference: Label | None = None
    set_by: Label


class NamedPartnership(BaseModel):
    """A partnership a Council decision names: its country and the stream of its record."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    country: str = Field(min_length=2, max_length=2)
    stream_id: str = Field(min_length=1, max_length=64)


class RecordJointDecision(ProgrammeCommand):
    """The Presidency records one Council decision that covers one or more partnerships."""

    reference: Label
    decided_on: date
    outcome: Outcome
    partnerships: list[NamedPartnership] = Field(
        min_length=1, max_length=MAX_COUNTRIES_PER_DECISION
    )

    @model_validator(mode="after")
    def _one_per_country(self) -> RecordJointDecision:
        countries = [p.country for p in self.partnerships]
        twice = sorted({c for c in countries if countries.count(c) > 1})
        if twice:
            raise ValueError(f"names {', '.join(twice)} more than once; name each country once")
        return self


# --- Events ----------------------------------------------------------------------------------


class ProgrammeEventBase(BaseModel):
    """Fields every programme event carries: its schema version, day and recording time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = 1
    occurred_on: date
    recorded_at: AwareDatetime


class ProgrammeCapSet(ProgrammeEventBase):
    """The cap on slots was set, with its reason; `held` slots were held when it was set."""

    type: Literal["ProgrammeCapSet"] = "ProgrammeCapSet"
    cap: int
    reason: str
    set_by: str
    held: int


class TermsOfReferenceSet(ProgrammeEventBase):
    """The terms of reference the Commission consults the Member States on were recorded."""

    type: Literal["TermsOfReferenceSet"] = "TermsOfReferenceSet"
    terms: str
    reference: str | None = None
    set_by: str


class SlotTaken(ProgrammeEventBase):
    """A partnership, just proposed, took a slot of the programme."""

    type: Literal["SlotTaken"] = "SlotTaken"
    country: str
    stream_id: str


class SlotFreed(ProgrammeEventBase):
    """A partnership ended without a pilot (`end_stage`) and freed its slot."""

    type: Literal["SlotFreed"] = "SlotFreed"
    country: str
    stream_id: str
    end_stage: Stage


class SlotReleased(ProgrammeEventBase):
    """A slot taken for a proposal that was never recorded was given back, with why."""

    type: Literal["SlotReleased"] = "SlotReleased"
    country: str
    stream_id: str
    reason: str


class JointCouncilDecisionRecorded(ProgrammeEventBase):
    """One Council decision, by its reference and date, for each partnership it names."""

    type: Literal["JointCouncilDecisionRecorded"] = "JointCouncilDecisionRecorded"
    reference: str
    decided_on: date
    outcome: Outcome
    partnerships: tuple[NamedPartnership, ...]
    recorded_by: str
    presidency: str | None = None


ProgrammeEvent = Annotated[
    ProgrammeCapSet
    | TermsOfReferenceSet
    | SlotTaken
    | SlotFreed
    | SlotReleased
    | JointCouncilDecisionRecorded,
    Field(discriminator="type"),
]

PROGRAMME_EVENT_ADAPTER: TypeAdapter[ProgrammeEvent] = TypeAdapter(ProgrammeEvent)

PROGRAMME_EVENT_TYPES: tuple[type[ProgrammeEventBase], ...] = get_args(get_args(ProgrammeEvent)[0])
"""Every programme event type, in the order the union names them."""

PROGRAMME_SCHEMA_VERSIONS: dict[str, int] = {
    event_type.model_fields["type"].default: event_type.model_fields["schema_version"].default
    for event_type in PROGRAMME_EVENT_TYPES
}
"""Each programme event type's newest schema version: the one this software writes."""


def parse_programme_event(payload: dict[str, Any]) -> ProgrammeEvent:
    """Parse a stored payload (with its `type`) back into its programme event class."""
    return PROGRAMME_EVENT_ADAPTER.validate_python(payload)


def programme_event_payload(event: ProgrammeEventBase) -> dict[str, Any]:
    """The JSON-ready payload of a programme event, `type` and `schema_version` included."""
    return event.model_dump(mode="json")


# --- State -----------------------------------------------------------------------------------


class Slot(BaseModel):
    """A slot held by one partnership (one incarnation's stream)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    country: str
    stream_id: str
    taken_on: date

    def label(self) -> str:
        """How a refusal names it: `partnership-CV/1 (CV, since 2007-06-18)`."""
        return f"{self.stream_id} ({self.country}, since {self.taken_on.isoformat()})"


class JointDecision(BaseModel):
    """A Council decision as the programme holds it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reference: str
    decided_on: date
    outcome: Outcome
    partnerships: tuple[NamedPartnership, ...]
    recorded_by: str
    presidency: str | None = None

    def same_as(self, command: RecordJointDecision) -> bool:
        """Whether `command` says what this decision says (a retry, not a conflict)."""
        return (self.decided_on, self.outcome, self.partnerships) == (
            command.decided_on,
            command.outcome,
            tuple(command.partnerships),
        )


@dataclass(frozen=True)
class Programme:
    """The programme now: its cap (None: none set), terms, the slots held and the decisions."""

    cap: int | None = None
    cap_reason: str | None = None
    terms: str | None = None
    terms_reference: str | None = None
    slots: Mapping[str, Slot] = field(default_factory=dict)
    decisions: Mapping[str, JointDecision] = field(default_factory=dict)
    freed: int = 0

    @property
    def held(self) -> int:
        """How many slots are held."""
        return len(self.slots)

    @property
    def free(self) -> int | None:
        """How many slots are free (0 when over the cap); None when no cap is set."""
        return None if self.cap is None else max(self.cap - self.held, 0)

    @property
    def over_cap(self) -> int:
        """By how many slots the programme stands over a cap lowered below what is held."""
        return 0 if self.cap is None else max(self.held - self.cap, 0)

    def holder(self, stream_id: str) -> Slot | None:
        """The slot held by `stream_id`, or None."""
        return self.slots.get(stream_id)


EMPTY_PROGRAMME: Final = Programme()
"""The programme before its first event: no cap, no slot held."""


# --- Decisions -------------------------------------------------------------------------------


def _check_administrator(role: str, what: str) -> None:
    if role != ADMINISTRATOR:
        raise NotPermitted(f"only an administrator may {what}, not a {role} binding")


def decide_set_cap(
    programme: Programme, command: SetCap, *, role: str, now: datetime
) -> ProgrammeCapSet:
    """The ProgrammeCapSet event for `command` by an actor of `role`, or a refusal.

    Only an administrator sets the cap. A cap below the slots held is recorded: the
    partnerships holding them go on, and no proposal is taken until enough of them end.
    """
    _check_administrator(role, "set the programme's cap")
    return ProgrammeCapSet(
        cap=command.cap,
        reason=command.reason,
        set_by=command.set_by,
        held=programme.held,
        occurred_on=now.date(),
        recorded_at=now,
    )


def decide_set_terms(
    programme: Programme, command: SetTermsOfReference, *, role: str, now: datetime
) -> TermsOfReferenceSet | None:
    """The TermsOfReferenceSet event for `command`, None when they are recorded already."""
    _check_administrator(role, "set the programme's terms of reference")
    if (programme.terms, programme.terms_reference) == (command.terms, command.reference):
        return None
    return TermsOfReferenceSet(
        terms=command.terms,
        reference=command.reference,
        set_by=command.set_by,
        occurred_on=now.date(),
        recorded_at=now,
    )


def decide_take_slot(
    programme: Programme, country: str, stream_id: str, *, taken_on: date, now: datetime
) -> SlotTaken | None:
    """The SlotTaken event of a proposal of `country` recorded to `stream_id`.

    None when that stream holds its slot already (a retried take). Raises CapReached, naming
    the cap and the partnerships that hold it, when every slot is held.
    """
    if programme.holder(stream_id) is not None:
        return None
    if programme.cap is not None and programme.held >= programme.cap:
        raise CapReached(cap_reached_message(programme, country))
    return SlotTaken(country=country, stream_id=stream_id, occurred_on=taken_on, recorded_at=now)


def cap_reached_message(programme: Programme, country: str) -> str:
    """Why a proposal of `country` is refused by a full programme, naming who holds it."""
    cap = programme.cap
    holders = "; ".join(slot.label() for slot in programme.slots.values()) or "none"
    pilots = "pilot partnership" if cap == 1 else "pilot partnerships"
    return (
        f"the programme is limited to {cap} {pilots} and {programme.held} hold a slot: "
        f"{holders}. {country} can be proposed when one of them ends (launched, not pursued, "
        "talks failed, declined, lapsed or withdrawn), or when an administrator raises the cap"
    )


def decide_free_slot(
    programme: Programme, stream_id: str, end_stage: Stage, *, occurred_on: date, now: datetime
) -> SlotFreed | None:
    """The SlotFreed event of a partnership that ended at `end_stage`.

    None when the stream holds no slot (freed already, or taken before the programme existed)
    or when it ended at a stage of KEEPS_ITS_SLOT. Raises NotAnEnd for a stage that is no end.
    """
    if not end_stage.is_end:
        ends = ", ".join(s.value for s in Stage if s.is_end)
        raise NotAnEnd(
            f"{stream_id} is at {end_stage.value}, not at an end; a slot is freed only at an "
            f"end: {ends}"
        )
    held = programme.holder(stream_id)
    if held is None or end_stage in KEEPS_ITS_SLOT:
        return None
    return SlotFreed(
        country=held.country,
        stream_id=stream_id,
        end_stage=end_stage,
        occurred_on=occurred_on,
        recorded_at=now,
    )


def decide_release_slot(
    programme: Programme, stream_id: str, *, reason: str, occurred_on: date, now: datetime
) -> SlotReleased | None:
    """The SlotReleased event of a slot whose proposal was never recorded, None when the
    stream holds no slot. Whether the proposal is on record is the caller's to check: a
    partnership with a recorded proposal frees its slot only at an end (decide_free_slot)."""
    held = programme.holder(stream_id)
    if held is None:
        return None
    return SlotReleased(
        country=held.country,
        stream_id=stream_id,
        reason=reason,
        occurred_on=occurred_on,
        recorded_at=now,
    )


def decide_joint_decision(
    programme: Programme, command: RecordJointDecision, actor: Actor, *, now: datetime
) -> JointCouncilDecisionRecorded | None:
    """The JointCouncilDecisionRecorded event of `command`, by the Presidency.

    None when the same decision (reference, date, outcome, partnerships) is recorded already,
    so a retry completes what a crash left half done; DecisionConflict when its reference is
    recorded with anything else. Whether each partnership may take the decision is the
    partnership's own rule (domain.decide), checked by the caller on every one first.
    """
    if actor.role is not Role.PRESIDENCY:
        raise NotPermitted(
            f"only the Presidency records a Council decision, not a {actor.role.value} actor"
        )
    today = now.date()
    if not EARLIEST_BUSINESS_DATE <= command.decided_on <= today:
        raise InvalidDate(
            f"the Council's decision of {command.decided_on.isoformat()} is out of bounds; give "
            f"a date between {EARLIEST_BUSINESS_DATE.isoformat()} and {today.isoformat()}"
        )
    recorded = programme.decisions.get(command.reference)
    if recorded is not None:
        if recorded.same_as(command):
            return None
        names = ", ".join(p.stream_id for p in recorded.partnerships)
        raise DecisionConflict(
            f"Council decision {command.reference} is recorded already: "
            f"{recorded.outcome.value} on {recorded.decided_on.isoformat()} for {names}; "
            "a decision is recorded once, so give this one its own reference"
        )
    return JointCouncilDecisionRecorded(
        reference=command.reference,
        decided_on=command.decided_on,
        outcome=command.outcome,
        partnerships=tuple(command.partnerships),
        recorded_by=actor.id,
        presidency=actor.member_state,
        occurred_on=command.decided_on,
        recorded_at=now,
    )


# --- The fold --------------------------------------------------------------------------------


def evolve_programme(programme: Programme, event: ProgrammeEventBase) -> Programme:
    """The programme after `event`. No checks here; the decisions made them."""
    slots = dict(programme.slots)
    decisions = dict(programme.decisions)
    match event:
        case ProgrammeCapSet():
            return replace(programme, cap=event.cap, cap_reason=event.reason)
        case TermsOfReferenceSet():
            return replace(programme, terms=event.terms, terms_reference=event.reference)
        case SlotTaken():
            slots[event.stream_id] = Slot(
                country=event.country, stream_id=event.stream_id, taken_on=event.occurred_on
            )
            return replace(programme, slots=slots)
        case SlotFreed() | SlotReleased():
            slots.pop(event.stream_id, None)
            return replace(programme, slots=slots, freed=programme.freed + 1)
        case JointCouncilDecisionRecorded():
            decisions[event.reference] = JointDecision(
                reference=event.reference,
                decided_on=event.decided_on,
                outcome=event.outcome,
                partnerships=event.partnerships,
                recorded_by=event.recorded_by,
                presidency=event.presidency,
            )
            return replace(programme, decisions=decisions)
    return programme


def replay_programme(events: Iterable[ProgrammeEventBase]) -> Programme:
    """The programme a whole stream of events folds to."""
    programme = EMPTY_PROGRAMME
    for event in events:
        programme = evolve_programme(programme, event)
    return programme
