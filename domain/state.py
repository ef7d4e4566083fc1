"""The folded state of one partnership: what its events add up to."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.actors import Role
from domain.commands import Outcome, Position, Recommendation
from domain.components import Component
from domain.regions import Region
from domain.stages import Stage


class MilestoneKind(StrEnum):
    """The moments at which the Council is owed an account (DESIGN.md §2)."""

    CONSULTATION_OUTCOME = "consultation_outcome"
    TALKS_OUTCOME = "talks_outcome"
    REPORT_TO_COUNCIL = "report_to_council"
    DEADLINE_REMINDER = "deadline_reminder"
    COUNCIL_DECISION = "council_decision"
    LAPSE = "lapse"
    LAUNCH = "launch"
    # Issue 13, item 5: the Council is always told.
    TALKS_SUSPENDED = "talks_suspended"
    TALKS_RESUMED = "talks_resumed"
    WITHDRAWAL = "withdrawal"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Answer(_Frozen):
    """One Member State's answer to the consultation."""

    member_state: str
    position: Position
    offers: tuple[Component, ...]
    comments: str | None
    answered_on: date
    answered_by: str


class TalksRound(_Frozen):
    """One round of exploratory talks.

    `number` is the round's place in the order the rounds were held (1 for the first held),
    not the order they were recorded in: a round recorded late, after later ones, is numbered
    by its `held_on` (`in_held_order`). The event keeps the number it was recorded with.
    """

    number: int
    held_on: date
    member_states: tuple[str, ...]
    summary: str
    location: str | None


def in_held_order(rounds: Iterable[TalksRound]) -> tuple[TalksRound, ...]:
    """Talks rounds in the order they were held, numbered 1..n; rounds held on the same day
    keep the order they come in, which is the order they were recorded.

    Rounds may be recorded out of order (a back-filled partnership, a round reported late), so
    the number a round was recorded with (`TalksRoundRecorded.round_number`, a count of the
    rounds recorded until then) is not its place in the talks. This is the one place that
    numbers them; the fold applies it to every round recorded, and a state carried into a new
    run gets it when it is read.
    """
    ordered = sorted(rounds, key=lambda r: r.held_on)  # stable: ties stay in recorded order
    return tuple(
        r if r.number == n else r.model_copy(update={"number": n})
        for n, r in enumerate(ordered, start=1)
    )


class LateInterest(_Frozen):
    """A Member State that declared interest during the talks: it joins late."""

    member_state: str
    offers: tuple[Component, ...]
    comments: str | None
    declared_on: date
    declared_by: str


class Suspension(_Frozen):
    """One suspension of the talks: why, from when, and until when (None while it lasts).

    `suspended_at` is when it was recorded: the operational deadline stands still from then.
    """

    reason: str
    suspended_on: date
    suspended_at: datetime
    resumed_on: date | None = None


class Accession(_Frozen):
    """A Member State that joined the launched partnership's signatories later."""

    member_state: str
    acceded_on: date
    recorded_by: str


class TalksOutcome(_Frozen):
    """How the talks ended, and what the Community offered (none before it was recorded)."""

    third_country_willing: bool
    commitments: tuple[Component, ...]
    community_offers: tuple[Component, ...] = ()
    concluded_on: date


class Report(_Frozen):
    """The Commission's report-back to the Council."""

    recommendation: Recommendation
    summary: str
    reference: str | None
    submitted_on: date


class Decision(_Frozen):
    """The Council's decision."""

    outcome: Outcome
    decided_on: date
    council_reference: str | None


class Launch(_Frozen):
    """The signed joint declaration."""

    member_states: tuple[str, ...]
    components: tuple[Component, ...]
    signed_on: date
    joint_declaration_reference: str | None


class Milestone(_Frozen):
    """A report-back milestone reached by the event at `version` in the stream."""

    kind: MilestoneKind
    version: int
    occurred_on: date
    recorded_at: datetime


class Participant(_Frozen):
    """Someone who acted on the partnership."""

    id: str
    role: Role
    member_state: str | None = None


class Partnership(_Frozen):
    """A partnership as its events made it; `version` counts the events folded in."""

    version: int = 0
    country: str | None = None
    region: Region | None = None
    stage: Stage | None = None
    proposed_on: date | None = None
    rationale: str | None = None
    terms_of_reference: str | None = None
    consultation_deadline: date | None = None
    decision_deadline: date | None = None
    # The Council's own target date (business time), when recorded; the decision deadline
    # above is the engine's operational one (recorded time), which drives the timers.
    council_target_date: date | None = None
    deadline_extensions: int = 0
    # Each Member State's latest answer only: amendments replace, and the whole history stays
    # in the event store. The state is what a continued run carries, so it must stay bounded.
    answers: tuple[Answer, ...] = ()
    answers_given: dict[str, int] = Field(default_factory=dict)
    last_answered_on: date | None = None
    consultation_closed_on: date | None = None
    talks_authorised_on: date | None = None
    # In the order held, numbered by it (`in_held_order`), whatever order they were recorded in.
    rounds: tuple[TalksRound, ...] = ()
    # Member States that declared interest during the talks, in the order they did.
    late_interest: tuple[LateInterest, ...] = ()
    # Every suspension of the talks, in order; the last is open while the talks are suspended.
    suspensions: tuple[Suspension, ...] = ()
    talks: TalksOutcome | None = None
    report: Report | None = None
    reminded_deadlines: tuple[date, ...] = ()
    decision: Decision | None = None
    launch: Launch | None = None
    accessions: tuple[Accession, ...] = ()
    lapsed_on: date | None = None
    end_reason: str | None = None
    milestones: tuple[Milestone, ...] = ()
    participants: tuple[Participant, ...] = ()
    last_recorded_at: datetime | None = None

    @field_validator("rounds")
    @classmethod
    def _rounds_in_held_order(cls, rounds: tuple[TalksRound, ...]) -> tuple[TalksRound, ...]:
        # A state carried into a new run by an older version may list its rounds as recorded.
        return in_held_order(rounds)

    @property
    def latest_answers(self) -> dict[str, Answer]:
        """Each Member State's latest answer: an amendment replaces, the history stays."""
        latest: dict[str, Answer] = {}
        for answer in self.answers:
            latest[answer.member_state] = answer
        return dict(sorted(latest.items()))

    @property
    def interested_member_states(self) -> tuple[str, ...]:
        """Member States whose latest answer is `interested`, sorted."""
        return tuple(
            ms for ms, a in self.latest_answers.items() if a.position is Position.INTERESTED
        )

    @property
    def late_member_states(self) -> tuple[str, ...]:
        """Member States that declared interest during the talks, sorted."""
        return tuple(sorted(late.member_state for late in self.late_interest))

    @property
    def signatories(self) -> tuple[str, ...]:
        """The joint declaration's parties: its signatories, then those that acceded."""
        signed = self.launch.member_states if self.launch else ()
        return (*signed, *(a.member_state for a in self.accessions))

    @property
    def took_part_in_talks(self) -> tuple[str, ...]:
        """Member States named in any talks round, sorted."""
        return tuple(sorted({ms for r in self.rounds for ms in r.member_states}))

    @property
    def offered(self) -> tuple[Component, ...]:
        """Everything offered to the third country: by the interested Member States (in the
        consultation and late), and by the Community when the talks concluded."""
        interested = set(self.interested_member_states)
        offers = {
            offer
            for ms, answer in self.latest_answers.items()
            if ms in interested
            for offer in answer.offers
        }
        offers |= {offer for late in self.late_interest for offer in late.offers}
        if self.talks is not None:
            offers |= set(self.talks.community_offers)
        return tuple(c for c in Component if c in offers)
