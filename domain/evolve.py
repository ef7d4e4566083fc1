"""The fold: how each event changes a partnership. No checks here; `decide` made them."""

from __future__ import annotations

from collections.abc import Iterable
from functools import reduce
from typing import Any

from domain.commands import Outcome
from domain.events import (
    ConsultationAnswered,
    ConsultationClosed,
    CouncilDecisionRecorded,
    DecisionDeadlineExtended,
    DecisionDeadlineReminderIssued,
    Event,
    PartnershipLapsed,
    PartnershipLaunched,
    PartnershipNotPursued,
    PartnershipProposed,
    PartnershipWithdrawn,
    ReportSubmitted,
    TalksAuthorised,
    TalksConcluded,
    TalksRoundRecorded,
)
from domain.milestones import milestone_kind
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


def _changes(state: Partnership, event: Event) -> dict[str, Any]:
    match event:
        case PartnershipProposed():
            return {
                "country": event.country,
                "region": event.region,
                "stage": Stage.CONSULTATION,
                "proposed_on": event.occurred_on,
                "rationale": event.rationale,
                "terms_of_reference": event.terms_of_reference,
                "consultation_deadline": event.consultation_deadline,
                "decision_deadline": event.decision_deadline,
            }
        case ConsultationAnswered():
            answer = Answer(
                member_state=event.member_state,
                position=event.position,
                offers=event.offers,
                comments=event.comments,
                answered_on=event.occurred_on,
                answered_by=event.actor.id,
            )
            others = tuple(a for a in state.answers if a.member_state != answer.member_state)
            given = state.answers_given.get(answer.member_state, 0) + 1
            last = state.last_answered_on
            return {
                "answers": (*others, answer),
                "answers_given": {**state.answers_given, answer.member_state: given},
                # Answers may be backdated, so the latest date is not always the latest answer's.
                "last_answered_on": answer.answered_on
                if last is None
                else max(last, answer.answered_on),
            }
        case ConsultationClosed():
            return {
                "stage": Stage.AWAITING_TALKS_AUTHORISATION,
                "consultation_closed_on": event.occurred_on,
            }
        case PartnershipNotPursued():
            return {"stage": Stage.NOT_PURSUED, "end_reason": event.reason}
        case TalksAuthorised():
            return {"stage": Stage.EXPLORATORY_TALKS, "talks_authorised_on": event.occurred_on}
        case TalksRoundRecorded():
            talks_round = TalksRound(
                number=event.round_number,
                held_on=event.occurred_on,
                member_states=event.member_states,
                summary=event.summary,
                location=event.location,
            )
            return {"rounds": (*state.rounds, talks_round)}
        case TalksConcluded():
            outcome = TalksOutcome(
                third_country_willing=event.third_country_willing,
                commitments=event.commitments,
                concluded_on=event.occurred_on,
            )
            stage = Stage.REPORT_DUE if event.third_country_willing else Stage.TALKS_FAILED
            return {"talks": outcome, "stage": stage}
        case ReportSubmitted():
            report = Report(
                recommendation=event.recommendation,
                summary=event.summary,
                reference=event.reference,
                submitted_on=event.occurred_on,
            )
            return {"report": report, "stage": Stage.COUNCIL_DECISION}
        case DecisionDeadlineExtended():
            return {
                "decision_deadline": event.new_deadline,
                "deadline_extensions": state.deadline_extensions + 1,
            }
        case DecisionDeadlineReminderIssued():
            return {"reminded_deadlines": (*state.reminded_deadlines, event.deadline)}
        case CouncilDecisionRecorded():
            decision = Decision(
                outcome=event.outcome,
                decided_on=event.occurred_on,
                council_reference=event.council_reference,
            )
            invited = event.outcome is Outcome.INVITE_LAUNCH
            stage = Stage.LAUNCH_PREPARATION if invited else Stage.DECLINED
            return {"decision": decision, "stage": stage}
        case PartnershipLapsed():
            return {"stage": Stage.LAPSED, "lapsed_on": event.occurred_on}
        case PartnershipLaunched():
            launch = Launch(
                member_states=event.member_states,
                components=event.components,
                signed_on=event.occurred_on,
                joint_declaration_reference=event.joint_declaration_reference,
            )
            return {"launch": launch, "stage": Stage.LAUNCHED}
        case PartnershipWithdrawn():
            return {
                "stage": Stage.WITHDRAWN,
                "end_reason": event.reason,
            }
    raise TypeError(f"unknown event {type(event).__name__}")  # pragma: no cover


def _participants(state: Partnership, event: Event) -> tuple[Participant, ...]:
    who = Participant(
        id=event.actor.id, role=event.actor.role, member_state=event.actor.member_state
    )
    return state.participants if who in state.participants else (*state.participants, who)


def evolve(state: Partnership, event: Event) -> Partnership:
    """The partnership after `event`."""
    version = state.version + 1
    changes = _changes(state, event)
    changes["version"] = version
    changes["last_recorded_at"] = event.recorded_at
    changes["participants"] = _participants(state, event)
    kind = milestone_kind(event)
    if kind is not None:
        milestone = Milestone(
            kind=kind,
            version=version,
            occurred_on=event.occurred_on,
            recorded_at=event.recorded_at,
        )
        changes["milestones"] = (*state.milestones, milestone)
    return state.model_copy(update=changes)


def replay(events: Iterable[Event], state: Partnership | None = None) -> Partnership:
    """Fold a history, from the beginning or from `state`."""
    return reduce(evolve, events, state if state is not None else Partnership())
