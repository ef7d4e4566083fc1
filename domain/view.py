"""The `status` view of DESIGN.md §3, derived from state and never stored on its own."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from domain.actors import HUMAN_ROLES, Role
from domain.bounds import limit_refusal
from domain.commands import USER_COMMANDS
from domain.countries import country_name
from domain.deadlines import deadline_refusal
from domain.policy import allowed_at, may_issue
from domain.regions import Region
from domain.stages import Stage
from domain.state import (
    Answer,
    Decision,
    Launch,
    Milestone,
    Participant,
    Partnership,
    Report,
    TalksOutcome,
    TalksRound,
)
from domain.timers import armed_reminder


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
    decision_deadline: date | None
    reminder_due_at: datetime | None
    # The latest answer of each Member State, and how many it gave (an amendment replaces its
    # answer). Not every answer: the view is returned by every update, so it must stay bounded
    # in size; the full history is in the store (`partnerships show`/`events`).
    answers: dict[str, Answer]
    answers_given: dict[str, int]
    interested_member_states: tuple[str, ...]
    talks: tuple[TalksRound, ...]
    talks_outcome: TalksOutcome | None
    report: Report | None
    decision: Decision | None
    launch: Launch | None
    end_reason: str | None
    participants: tuple[Participant, ...]
    milestones: tuple[Milestone, ...]
    next_actions: dict[str, list[str]]
    last_recorded_at: datetime | None


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
        reminder_due_at=reminder,
        answers=state.latest_answers,
        answers_given=answers_given(state),
        interested_member_states=state.interested_member_states,
        talks=state.rounds,
        talks_outcome=state.talks,
        report=state.report,
        decision=state.decision,
        launch=state.launch,
        end_reason=state.end_reason,
        participants=state.participants,
        milestones=state.milestones,
        next_actions=next_actions(state, now),
        last_recorded_at=state.last_recorded_at,
    )
