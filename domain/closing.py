"""Steps the stage allows but something else rules out: a passed deadline, or a count cap.

Between a deadline passing and its timer firing (or while no worker runs), the stage still
allows the steps the deadline ends; and a step a count cap of domain/bounds.py has used up is
still allowed by the stage too. The rules that refuse them live here once, for `decide` and for
the status view's `next_actions`.
"""

from __future__ import annotations

from datetime import datetime

from domain.bounds import MAX_DEADLINE_EXTENSIONS, MAX_TALKS_ROUNDS
from domain.commands import (
    Command,
    ExtendDecisionDeadline,
    RecordCouncilDecision,
    RecordTalksRound,
    RespondToConsultation,
)
from domain.deadlines import has_passed
from domain.state import Partnership


def deadline_refusal(state: Partnership, command: type[Command], now: datetime) -> str | None:
    """Why a passed deadline rules out `command` at `now`, or None when none does."""
    consultation, decision = state.consultation_deadline, state.decision_deadline
    if command is RespondToConsultation and consultation and has_passed(consultation, now):
        return (
            f"the consultation deadline {consultation.isoformat()} has passed, so answers "
            "are no longer accepted; the consultation is closing"
        )
    if command is ExtendDecisionDeadline and decision and has_passed(decision, now):
        return (
            f"the decision deadline {decision.isoformat()} has passed; "
            "it can be extended only before it passes"
        )
    if command is RecordCouncilDecision and decision and has_passed(decision, now):
        return (
            f"the decision deadline {decision.isoformat()} has passed without a decision; "
            "the partnership lapses"
        )
    return None


def limit_refusal(state: Partnership, command: type[Command]) -> str | None:
    """Why a count cap of domain/bounds.py rules out `command`, or None when none does.

    The cap on a Member State's answers depends on which Member State answers, so `decide`
    checks it with the answer; this covers the caps that hold for the whole partnership.
    """
    rounds = len(state.rounds)
    if command is RecordTalksRound and rounds >= MAX_TALKS_ROUNDS:
        return (
            f"the talks already have {rounds} rounds recorded, the most one partnership may "
            f"({MAX_TALKS_ROUNDS}); conclude the talks to go on"
        )
    extended, deadline = state.deadline_extensions, state.decision_deadline
    if command is ExtendDecisionDeadline and extended >= MAX_DEADLINE_EXTENSIONS and deadline:
        return (
            f"the decision deadline was already extended {extended} times, the most one "
            f"partnership may ({MAX_DEADLINE_EXTENSIONS}); the Council decides by "
            f"{deadline.isoformat()}, or the partnership lapses"
        )
    return None
