"""Deadlines on recorded time: when a deadline passes, its reminder is due, and what it ends.

Every function here is total: it returns for any date from `date.min` to `date.max` and any
timezone-aware datetime. `decide` bounds the deadlines it accepts (domain/bounds.py), but these
helpers also run on what is already recorded, in the status view, the search attributes and the
workflow's timers, where an exception would fail the workflow's task on every retry.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from domain.commands import (
    Command,
    ExtendDecisionDeadline,
    RecordCouncilDecision,
    RespondToConsultation,
)
from domain.state import Partnership

REMINDER_LEAD: Final = timedelta(days=14)
DEFAULT_CONSULTATION_PERIOD: Final = timedelta(days=42)

# The first and last instants `datetime` can hold, in UTC: where the calendar runs out, the
# helpers below answer with these instead of overflowing.
_FIRST_INSTANT: Final = datetime.min.replace(tzinfo=UTC)
_LAST_INSTANT: Final = datetime.max.replace(tzinfo=UTC)


def date_plus(day: date, delta: timedelta) -> date:
    """`day + delta`, held at `date.min` or `date.max` where the calendar runs out."""
    try:
        return day + delta
    except OverflowError:
        return date.max if delta > timedelta(0) else date.min


def deadline_instant(deadline: date) -> datetime:
    """The moment a deadline date passes: the end of that day, UTC.

    The end of `date.max` (9999-12-31) lies past the last instant `datetime` can hold, so for
    that one day the last representable instant stands in for it, one microsecond early.
    """
    if deadline == date.max:
        return _LAST_INSTANT
    return datetime.combine(deadline + timedelta(days=1), time.min, tzinfo=UTC)


def reminder_instant(deadline: date) -> datetime:
    """When the reminder for a decision deadline is due: 14 days before it passes.

    Held at the first instant `datetime` can hold for deadlines in the first days of year 1.
    """
    passes = deadline_instant(deadline)
    if passes - _FIRST_INSTANT < REMINDER_LEAD:
        return _FIRST_INSTANT
    return passes - REMINDER_LEAD


def has_passed(deadline: date, now: datetime) -> bool:
    """Whether `deadline` has passed at `now` (timezone-aware)."""
    return now >= deadline_instant(deadline)


def default_decision_deadline(start: date, consultation_deadline: date) -> date:
    """31 December of the start year, as in the 2007 conclusions.

    When the consultation itself runs past that date, 31 December of the year it ends, so a
    defaulted deadline never contradicts the consultation's (and never leaves the calendar).
    """
    return date(max(start.year, consultation_deadline.year), 12, 31)


def closing_deadline(state: Partnership, command: type[Command]) -> date | None:
    """The deadline whose passing rules out `command`, or None when no deadline does.

    The consultation's deadline ends the answers; the decision deadline ends its extension and
    the Council's decision. `deadline_refusal` applies it at a moment; the open-tasks read model
    stores it, so the inbox applies the same rule at the moment it is read.
    """
    if command is RespondToConsultation:
        return state.consultation_deadline
    if command is ExtendDecisionDeadline or command is RecordCouncilDecision:
        return state.decision_deadline
    return None


def deadline_refusal(state: Partnership, command: type[Command], now: datetime) -> str | None:
    """Why a passed deadline rules out `command` at `now`, or None when none does.

    Between a deadline passing and its timer firing (or while no worker runs), the stage still
    allows the steps the deadline ends; this rule refuses them, for `decide` and for the status
    view's `next_actions` alike.
    """
    closing = closing_deadline(state, command)
    if closing is None or not has_passed(closing, now):
        return None
    # Each message names the deadline that passed, as `closing_deadline` pairs them.
    if command is RespondToConsultation:
        return (
            f"the consultation deadline {closing.isoformat()} has passed, so answers "
            "are no longer accepted; the consultation is closing"
        )
    if command is ExtendDecisionDeadline:
        return (
            f"the decision deadline {closing.isoformat()} has passed; "
            "it can be extended only before it passes"
        )
    return (
        f"the decision deadline {closing.isoformat()} has passed without a decision; "
        "the partnership lapses"
    )
