"""The fold: how each event changes a partnership. No checks here; `decide` made them."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from functools import reduce
from typing import Any, TypeVar

from pydantic import BaseModel

from domain.commands import Outcome
from domain.events import (
    ConsultationAnswered,
    ConsultationClosed,
    CouncilDecisionRecorded,
    DecisionDeadlineExtended,
    DecisionDeadlineReminderIssued,
    Event,
    EventBase,
    LateInterestDeclared,
    MemberStateAcceded,
    PartnershipLapsed,
    PartnershipLaunched,
    PartnershipNotPursued,
    PartnershipProposed,
    PartnershipWithdrawn,
    ReportSubmitted,
    TalksAuthorised,
    TalksConcluded,
    TalksResumed,
    TalksRoundRecorded,
    TalksSuspended,
)
from domain.milestones import milestone_kind
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
    in_held_order,
)

_Record = TypeVar("_Record", bound=BaseModel)


def _copied(record: type[_Record], event: EventBase, **named: Any) -> _Record:
    """A record of the state built from `event`: each field the event holds under the same
    name is copied, and `named` gives the rest (the business date under its own name, say).

    A record field that neither holds is a bug and fails here, loudly, with AttributeError;
    the record's own validation still checks every value's type.
    """
    copied = {name: getattr(event, name) for name in _field_names(record) if name not in named}
    return record(**copied, **named)


@functools.cache
def _field_names(record: type[BaseModel]) -> tuple[str, ...]:
    # Read once per record type: `model_fields` goes through a pydantic descriptor each time.
    return tuple(record.model_fields)


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
                "council_target_date": event.council_target_date,
            }
        case ConsultationAnswered():
            answer = _copied(
                Answer, event, answered_on=event.occurred_on, answered_by=event.actor.id
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
            talks_round = _copied(
                TalksRound, event, number=event.round_number, held_on=event.occurred_on
            )
            # Shown in the order held and numbered by it, whatever the order recorded.
            return {"rounds": in_held_order((*state.rounds, talks_round))}
        case LateInterestDeclared():
            late = _copied(
                LateInterest, event, declared_on=event.occurred_on, declared_by=event.actor.id
            )
            return {"late_interest": (*state.late_interest, late)}
        case TalksSuspended():
            suspension = Suspension(
                reason=event.reason, suspended_on=event.occurred_on, suspended_at=event.recorded_at
            )
            return {"stage": Stage.TALKS_SUSPENDED, "suspensions": (*state.suspensions, suspension)}
        case TalksResumed():
            # The open suspension (the last) ends; the deadline moved by its length.
            ended = tuple(
                s.model_copy(update={"resumed_on": event.occurred_on})
                if s.resumed_on is None
                else s
                for s in state.suspensions
            )
            return {
                "stage": Stage.EXPLORATORY_TALKS,
                "suspensions": ended,
                "decision_deadline": event.new_deadline,
            }
        case MemberStateAcceded():
            accession = Accession(
                member_state=event.member_state,
                acceded_on=event.occurred_on,
                recorded_by=event.actor.id,
            )
            return {"accessions": (*state.accessions, accession)}
        case TalksConcluded():
            outcome = _copied(TalksOutcome, event, concluded_on=event.occurred_on)
            stage = Stage.REPORT_DUE if event.third_country_willing else Stage.TALKS_FAILED
            return {"talks": outcome, "stage": stage}
        case ReportSubmitted():
            report = _copied(Report, event, submitted_on=event.occurred_on)
            return {"report": report, "stage": Stage.COUNCIL_DECISION}
        case DecisionDeadlineExtended():
            return {
                "decision_deadline": event.new_deadline,
                "deadline_extensions": state.deadline_extensions + 1,
                "council_target_date": event.council_target_date or state.council_target_date,
            }
        case DecisionDeadlineReminderIssued():
            return {"reminded_deadlines": (*state.reminded_deadlines, event.deadline)}
        case CouncilDecisionRecorded():
            decision = _copied(Decision, event, decided_on=event.occurred_on)
            invited = event.outcome is Outcome.INVITE_LAUNCH
            stage = Stage.LAUNCH_PREPARATION if invited else Stage.DECLINED
            return {"decision": decision, "stage": stage}
        case PartnershipLapsed():
            return {"stage": Stage.LAPSED, "lapsed_on": event.occurred_on}
        case PartnershipLaunched():
            launch = _copied(Launch, event, signed_on=event.occurred_on)
            return {"launch": launch, "stage": Stage.LAUNCHED}
        case PartnershipWithdrawn():
            return {"stage": Stage.WITHDRAWN, "end_reason": event.reason}
    raise TypeError(f"unknown event {type(event).__name__}")  # pragma: no cover


def _participants(state: Partnership, event: Event) -> tuple[Participant, ...]:
    actor = event.actor
    # Field by field, as Participant's own equality compares them: most events come from
    # someone already listed, and then no record need be built and validated to find that.
    for known in state.participants:
        if (known.id, known.role, known.member_state) == (
            actor.id,
            actor.role,
            actor.member_state,
        ):
            return state.participants
    who = Participant(id=actor.id, role=actor.role, member_state=actor.member_state)
    return (*state.participants, who)


def evolve(state: Partnership, event: Event) -> Partnership:
    """The partnership after `event`."""
    version = state.version + 1
    changes = _changes(state, event)
    changes["version"] = version
    changes["last_recorded_at"] = event.recorded_at
    changes["participants"] = _participants(state, event)
    kind = milestone_kind(event)
    if kind is not None:
        milestone = _copied(Milestone, event, kind=kind, version=version)
        changes["milestones"] = (*state.milestones, milestone)
    return state.model_copy(update=changes)


def replay(events: Iterable[Event], state: Partnership | None = None) -> Partnership:
    """Fold a history, from the beginning or from `state`."""
    return reduce(evolve, events, state if state is not None else Partnership())
