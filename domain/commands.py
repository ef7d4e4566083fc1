"""Commands: what a user asks the partnership to do, in the imperative.

Each command's `name` is the Temporal update that carries it (DESIGN.md §3). Commands hold
only their own fields; who issues them is passed to `decide` separately.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from domain.components import Component
from domain.regions import Region
from domain.text import Label, Text


class Position(StrEnum):
    """A Member State's answer to the consultation."""

    INTERESTED = "interested"
    NOT_INTERESTED = "not_interested"


class Recommendation(StrEnum):
    """What the Commission recommends to the Council in its report-back."""

    LAUNCH = "launch"
    DO_NOT_LAUNCH = "do_not_launch"


class Outcome(StrEnum):
    """The Council's decision."""

    INVITE_LAUNCH = "invite_launch"
    DECLINE = "decline"


class Command(BaseModel):
    """Base of every command: immutable and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: ClassVar[str]


class ProposePartnership(Command):
    """Start a partnership for a candidate third country (the workflow's start input)."""

    name: ClassVar[str] = "propose"
    country: str = Field(min_length=1, max_length=10)
    rationale: Text
    terms_of_reference: Text
    region: Region | None = None
    occurred_on: date | None = None
    consultation_deadline: date | None = None
    decision_deadline: date | None = None
    # The date by which the Council's conclusions ask it to decide ("by the end of 2007"): a
    # business fact, reported as such, unlike `decision_deadline`, the engine's timer.
    council_target_date: date | None = None


class RespondToConsultation(Command):
    """A Member State's answer to the consultation; a later answer amends an earlier one."""

    name: ClassVar[str] = "respond_to_consultation"
    member_state: str = Field(min_length=1, max_length=10)
    position: Position
    offers: list[Component] = Field(default_factory=list, max_length=20)
    comments: Text | None = None
    occurred_on: date | None = None


class CloseConsultation(Command):
    """Close the consultation: by the Commission, or by the engine at its deadline."""

    name: ClassVar[str] = "close_consultation"
    occurred_on: date | None = None


class AuthoriseTalks(Command):
    """The Presidency's authorisation to open exploratory talks."""

    name: ClassVar[str] = "authorise_talks"
    note: Text | None = None
    occurred_on: date | None = None


class RecordTalksRound(Command):
    """Record one round of exploratory talks with the third country."""

    name: ClassVar[str] = "record_talks_round"
    held_on: date
    member_states: list[str] = Field(min_length=1, max_length=40)
    summary: Text
    location: Label | None = None


class DeclareInterest(Command):
    """A Member State declares interest during the talks, and is recorded as joining late."""

    name: ClassVar[str] = "declare_interest"
    member_state: str = Field(min_length=1, max_length=10)
    offers: list[Component] = Field(default_factory=list, max_length=20)
    comments: Text | None = None
    occurred_on: date | None = None


class SuspendTalks(Command):
    """The Commission suspends the exploratory talks (as with Senegal in 2009)."""

    name: ClassVar[str] = "suspend_talks"
    reason: Text
    occurred_on: date | None = None


class ResumeTalks(Command):
    """The Commission resumes suspended talks."""

    name: ClassVar[str] = "resume_talks"
    occurred_on: date | None = None


class ConcludeTalks(Command):
    """Conclude the talks: is the third country willing, what does it commit to, and what
    does the Community offer?"""

    name: ClassVar[str] = "conclude_talks"
    third_country_willing: bool
    commitments: list[Component] = Field(default_factory=list, max_length=20)
    community_offers: list[Component] = Field(default_factory=list, max_length=20)
    occurred_on: date | None = None


class SubmitReport(Command):
    """The Commission's report-back to the Council, with its recommendation."""

    name: ClassVar[str] = "submit_report"
    recommendation: Recommendation
    summary: Text
    reference: Label | None = None
    occurred_on: date | None = None


class ExtendDecisionDeadline(Command):
    """The Presidency moves the Council's decision deadline later, before it passes."""

    name: ClassVar[str] = "extend_decision_deadline"
    new_deadline: date
    reason: Text
    occurred_on: date | None = None
    # A new target date the Council set itself, when it did: a business fact, like the one
    # recorded with the proposal, against which its decision's date is checked.
    council_target_date: date | None = None


class RecordCouncilDecision(Command):
    """The Presidency records what the Council decided."""

    name: ClassVar[str] = "record_council_decision"
    outcome: Outcome
    decided_on: date
    council_reference: Label | None = None


class LaunchPartnership(Command):
    """Launch: the joint declaration is signed by interested Member States."""

    name: ClassVar[str] = "launch_partnership"
    member_states: list[str] = Field(min_length=1, max_length=40)
    components: list[Component] = Field(min_length=1, max_length=20)
    signed_on: date
    joint_declaration_reference: Label | None = None


class Withdraw(Command):
    """The Commission withdraws the partnership before any end."""

    name: ClassVar[str] = "withdraw"
    reason: Text
    occurred_on: date | None = None


class IssueDeadlineReminder(Command):
    """The engine's reminder, 14 days before the Council's decision deadline."""

    name: ClassVar[str] = "issue_deadline_reminder"


class LapseDecisionDeadline(Command):
    """The engine records that the decision deadline passed without a decision."""

    name: ClassVar[str] = "lapse"


class AccedeToPartnership(Command):
    """A Member State joins a launched partnership's signatories, as the joint declarations
    provide for. Not an update of the partnership's workflow, which ends at the launch: it is
    recorded by its own short workflow (workflows/accession.py)."""

    name: ClassVar[str] = "accede"
    member_state: str = Field(min_length=1, max_length=10)
    occurred_on: date | None = None


USER_COMMANDS: tuple[type[Command], ...] = (
    RespondToConsultation,
    CloseConsultation,
    AuthoriseTalks,
    RecordTalksRound,
    DeclareInterest,
    SuspendTalks,
    ResumeTalks,
    ConcludeTalks,
    SubmitReport,
    ExtendDecisionDeadline,
    RecordCouncilDecision,
    LaunchPartnership,
    Withdraw,
)
"""The commands carried by the workflow's updates, in lifecycle order."""
