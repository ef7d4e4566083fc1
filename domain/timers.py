"""The engine's own steps: which deadline-driven command is due, and when to wake next."""

from __future__ import annotations

from datetime import datetime

from domain.commands import (
    CloseConsultation,
    Command,
    IssueDeadlineReminder,
    LapseDecisionDeadline,
)
from domain.deadlines import deadline_instant, reminder_instant
from domain.policy import allowed_at
from domain.state import Partnership


def _timers(state: Partnership) -> list[tuple[datetime, Command]]:
    """Every deadline-driven command still armed, with the moment it becomes due."""
    stage = state.stage
    if stage is None or stage.is_end:
        return []
    armed: list[tuple[datetime, Command]] = []
    if allowed_at(stage, CloseConsultation) and state.consultation_deadline is not None:
        armed.append((deadline_instant(state.consultation_deadline), CloseConsultation()))
    deadline = state.decision_deadline
    if deadline is not None and allowed_at(stage, LapseDecisionDeadline):
        if deadline not in state.reminded_deadlines:
            armed.append((reminder_instant(deadline), IssueDeadlineReminder()))
        armed.append((deadline_instant(deadline), LapseDecisionDeadline()))
    return armed


def armed_reminder(state: Partnership) -> datetime | None:
    """When the deadline reminder will go out, if one is still armed."""
    return next(
        (at for at, command in _timers(state) if isinstance(command, IssueDeadlineReminder)),
        None,
    )


def next_wakeup(state: Partnership) -> datetime | None:
    """The earliest moment at which a deadline-driven command becomes due, if any."""
    return min((at for at, _ in _timers(state)), default=None)


def due_command(state: Partnership, now: datetime) -> Command | None:
    """The deadline-driven command to issue at `now`, earliest first, or None.

    A reminder whose deadline has already passed is skipped: the lapse says more.
    """
    armed = sorted(_timers(state), key=lambda timer: timer[0])
    lapse_due = any(isinstance(c, LapseDecisionDeadline) and at <= now for at, c in armed)
    for at, command in armed:
        if at > now:
            return None
        if isinstance(command, IssueDeadlineReminder) and lapse_due:
            continue
        return command
    return None
