"""The `status` view of DESIGN.md §3, derived from state and never stored on its own."""

from __future__ import annotations

from datetime import UTC, date, datetime

from pydantic import BaseModel, ConfigDict

from domain.actors import HUMAN_ROLES, Role
from domain.bounds import limit_refusal
from domain.commands import USER_COMMANDS
from domain.countries import country_name
from domain.deadlines import deadline_refusal
from domain.policy import allowed_at, may_issue
from domain.presidencies import term_on
from domain.regions import Region
from domain.stages import Stage
from domain.state import (
    Accession,
    Answer,
    Decision,
    LateInterest,
    Launch,
    Milestone,
    Participant,
    Partnership,
    Report,
    Suspension,
    TalksOutcome,
    TalksRound,
)
from domain.timers import armed_reminder


class PresidencyInOffice(BaseModel):
    """The Presidency of the Council in office on a day, and the decision that ordered it."""

    model_config = ConfigDict(frozen=True)

    member_state: str
    name: str
    first_day: date
    last_day: date
    source: str


def presidency_in_office(day: date) -> PresidencyInOffice | None:
    """The Presidency in office on `day`, or None where the Council's order is not known."""
    term = term_on(day)
    if term is None:
        return None
    return PresidencyInOffice(
        member_state=term.member_state,
        name=country_name(term.member_state),
        first_day=term.first_day,
        last_day=term.last_day,
        source=term.source,
    )


class StatusView(BaseModel):
    """What a partnership looks like now, for people and for clients of the `status` query."""

    model_config = ConfigDict(frozen=True)

    country: str | None
    country_name: str | None
    region: Region | None
    stage: Stage | None
    version: int
    proposed_on: date | None
    rationale: str | None
    terms_of_reference: str | None
    consultation_deadline: date | None
    # The engine's operational deadline (recorded time): it drives the reminder and the lapse.
    decision_deadline: date | None
    # The Council's own target date (business time), when one was recorded.
    council_target_date: date | None = None
    reminder_due_at: datetime | None
    # The latest answer of each Member State, and how many it gave (an amendment replaces its
    # answer). Not every answer: the view is returned by every update, so it must stay bounded
    # in size; the full history is in the store (`partnerships show`/`events`).
    answers: dict[str, Answer]
    answers_given: dict[str, int]
    interested_member_states: tuple[str, ...]
    talks: tuple[TalksRound, ...]
    late_interest: tuple[LateInterest, ...] = ()
    # Every suspension of the talks; the last has no `resumed_on` while they are suspended.
    suspensions: tuple[Suspension, ...] = ()
    talks_outcome: TalksOutcome | None
    report: Report | None
    decision: Decision | None
    launch: Launch | None
    # Member States that joined the launched partnership's signatories later, with their dates.
    accessions: tuple[Accession, ...] = ()
    end_reason: str | None
    participants: tuple[Participant, ...]
    milestones: tuple[Milestone, ...]
    next_actions: dict[str, list[str]]
    last_recorded_at: datetime | None
    # Who holds the Presidency of the Council as of the view (today, for a view read now).
    presidency: PresidencyInOffice | None = None


def next_actions(state: Partnership, now: datetime | None = None) -> dict[str, list[str]]:
    """For each human role, the updates it may send now (empty at an end).

    Given `now`, steps a passed deadline rules out are left out, even before the engine has
    recorded what the deadline did; so are steps a count cap rules out.
    """
    actions: dict[str, list[str]] = {role.value: [] for role in HUMAN_ROLES}
    if state.stage is None:
        actions[Role.COMMISSION.value] = ["propose"]
        return actions
    for role in HUMAN_ROLES:
        actions[role.value] = [
            command.name
            for command in USER_COMMANDS
            if may_issue(role, command)
            and allowed_at(state.stage, command)
            and (now is None or deadline_refusal(state, command, now) is None)
            and limit_refusal(state, command) is None
        ]
    return actions


def answers_given(state: Partnership) -> dict[str, int]:
    """How many answers each Member State gave (its first and every amendment), by code."""
    return dict(sorted(state.answers_given.items()))


def status_view(state: Partnership, now: datetime | None = None) -> StatusView:
    """The status view of a partnership (its `next_actions` as of `now`, when given)."""
    reminder = armed_reminder(state)
    as_of = now or state.last_recorded_at
    return StatusView(
        country=state.country,
        country_name=country_name(state.country) if state.country else None,
        region=state.region,
        stage=state.stage,
        version=state.version,
        proposed_on=state.proposed_on,
        rationale=state.rationale,
        terms_of_reference=state.terms_of_reference,
        consultation_deadline=state.consultation_deadline,
        decision_deadline=state.decision_deadline,
        council_target_date=state.council_target_date,
        reminder_due_at=reminder,
        answers=state.latest_answers,
        answers_given=answers_given(state),
        interested_member_states=state.interested_member_states,
        talks=state.rounds,
        late_interest=state.late_interest,
        suspensions=state.suspensions,
        talks_outcome=state.talks,
        report=state.report,
        decision=state.decision,
        launch=state.launch,
        accessions=state.accessions,
        end_reason=state.end_reason,
        participants=state.participants,
        milestones=state.milestones,
        next_actions=next_actions(state, now),
        last_recorded_at=state.last_recorded_at,
        presidency=presidency_in_office(as_of.astimezone(UTC).date()) if as_of else None,
    )
