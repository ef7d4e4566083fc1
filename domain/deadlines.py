"""Deadlines on recorded time: when a deadline date passes, and when its reminder is due."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Final

REMINDER_LEAD: Final = timedelta(days=14)
DEFAULT_CONSULTATION_PERIOD: Final = timedelta(days=42)


def deadline_instant(deadline: date) -> datetime:
    """The moment a deadline date passes: the end of that day, UTC."""
    return datetime.combine(deadline + timedelta(days=1), time.min, tzinfo=UTC)


def reminder_instant(deadline: date) -> datetime:
    """When the reminder for a decision deadline is due: 14 days before it passes."""
    return deadline_instant(deadline) - REMINDER_LEAD


def has_passed(deadline: date, now: datetime) -> bool:
    """Whether `deadline` has passed at `now`."""
    return now >= deadline_instant(deadline)


def default_decision_deadline(start: date, consultation_deadline: date) -> date:
    """31 December of the start year, as in the 2007 conclusions.

    When the consultation itself runs past that date, the year after, so a defaulted
    deadline never contradicts the consultation's.
    """
    deadline = date(start.year, 12, 31)
    if consultation_deadline > deadline:
        deadline = date(start.year + 1, 12, 31)
    return deadline
