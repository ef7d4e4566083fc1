"""The bounds on what a caller may send: dates and counts, each with the reason it exists.

A partnership's record is kept for years and shown whole in its status view, and its workflow
turns every date into an instant on a timer. These bounds keep every accepted input inside what
the record, the view and the timers can carry, and refuse a typo before anything is recorded.
`decide` applies each of them, once, and its refusals name the allowed range or the cap.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

from domain.commands import Command, ExtendDecisionDeadline, RecordTalksRound
from domain.deadlines import date_plus
from domain.state import Partnership

EARLIEST_BUSINESS_DATE: Final = date(2005, 12, 15)
"""The earliest business date (`occurred_on`, `held_on`, `decided_on`, `signed_on`...) accepted.

The European Council of 15-16 December 2005 adopted the Global Approach to Migration, under
which the Council's conclusions of June 2007 set up pilot mobility partnerships. Nothing in a
partnership can have happened before the approach it belongs to existed, so an earlier date is
a typo (or a Member State of the 1950s proposed as a third country).
"""

DEADLINE_HORIZON_YEARS: Final = 10
"""How many years after the day it is recorded a deadline may lie, at most.

The 2007 conclusions gave the Council half a year to decide; a consultation or decision
deadline further out than ten years is a typo (2062 for 2026), not a plan. The horizon moves
with the recorded date, so the bound never goes stale, and it keeps every deadline far from the
end of the calendar (`date.max`), where the instant a deadline passes cannot be represented.
"""

MAX_ANSWERS_PER_MEMBER_STATE: Final = 20
"""How many answers to the consultation one Member State may give: its first and amendments.

Every answer stays in the record and in the status view's history; the cap keeps one
partnership's record and view bounded whatever a representative sends. The latest answer is the
one that counts, so a refused 21st answer leaves the 20th standing.
"""

MAX_TALKS_ROUNDS: Final = 30
"""How many rounds of exploratory talks one partnership may record.

The pilots of 2008-2009 needed a handful of rounds; thirty leaves room for long talks and keeps
the record and the status view, which lists every round, bounded.
"""

MAX_DEADLINE_EXTENSIONS: Final = 10
"""How many times the Presidency may extend one partnership's decision deadline.

Each extension re-arms the deadline's reminder, which adds a milestone to the record and the
status view; ten extensions leave room for a Council that keeps postponing, and keep both
bounded.
"""


def latest_deadline(today: date) -> date:
    """The latest deadline that may be set on `today`: `DEADLINE_HORIZON_YEARS` years later.

    29 February maps to 28 February when the target year has none; near the end of the
    calendar the bound is `date.max`, so this never raises.
    """
    year = today.year + DEADLINE_HORIZON_YEARS
    if year > date.max.year:
        return date.max
    try:
        return today.replace(year=year)
    except ValueError:  # 29 February, in a year that has none
        return date(year, 2, 28)


def fits_within_horizon(period: timedelta, today: date) -> bool:
    """Whether a deadline `period` after `today` lies within the horizon (`latest_deadline`).

    The one rule for a configured default period (the consultation's): `decide` checks the
    period it is given before it defaults a deadline with it, and the settings refuse at
    start-up a period that would not fit, so a bad configuration is not blamed on a user's
    input. Where the calendar runs out the deadline is held at `date.max`, which fits.
    """
    return date_plus(today, period) <= latest_deadline(today)


def longest_period_within_horizon(today: date) -> timedelta:
    """The longest period that `fits_within_horizon` on `today`: to `latest_deadline(today)`."""
    return latest_deadline(today) - today


def limit_refusal(state: Partnership, command: type[Command]) -> str | None:
    """Why a count cap above rules out `command`, or None when none does.

    The stage still allows a step whose cap is used up, so this rule refuses it, for `decide`
    and for the status view's `next_actions` alike. The cap on a Member State's answers depends
    on which Member State answers, so `decide` checks it with the answer; this covers the caps
    that hold for the whole partnership.
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
