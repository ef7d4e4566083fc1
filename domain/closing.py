"""Steps a passed deadline rules out, before the engine has recorded what the deadline did.

Between a deadline passing and its timer firing (or while no worker runs), the stage still
allows these steps; the rule that refuses them lives here once, for `decide` and for the
status view's `next_actions`.
"""

from __future__ import annotations

from datetime import datetime

from domain.commands import (
    Command,
    ExtendDecisionDeadline,
    RecordCouncilDecision,
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
