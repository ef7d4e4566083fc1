"""The stages of a partnership's life (DESIGN.md §2); their names are part of the contract."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Stage(StrEnum):
    """Where a partnership stands; the values appear in `PartnershipStage`."""

    CONSULTATION = "consultation"
    AWAITING_TALKS_AUTHORISATION = "awaiting_talks_authorisation"
    EXPLORATORY_TALKS = "exploratory_talks"
    # The Commission suspended the talks (Senegal, 2009): open, holding its programme slot,
    # with no talks round, no conclusion and no deadline timer until they resume.
    TALKS_SUSPENDED = "talks_suspended"
    REPORT_DUE = "report_due"
    COUNCIL_DECISION = "council_decision"
    LAUNCH_PREPARATION = "launch_preparation"
    NOT_PURSUED = "not_pursued"
    TALKS_FAILED = "talks_failed"
    DECLINED = "declined"
    LAPSED = "lapsed"
    WITHDRAWN = "withdrawn"
    LAUNCHED = "launched"

    @property
    def is_end(self) -> bool:
        """Whether nothing more can happen to a partnership at this stage."""
        return self in END_STAGES


END_STAGES: Final[frozenset[Stage]] = frozenset(
    {
        Stage.NOT_PURSUED,
        Stage.TALKS_FAILED,
        Stage.DECLINED,
        Stage.LAPSED,
        Stage.WITHDRAWN,
        Stage.LAUNCHED,
    }
)

# Before the Council has decided, the decision deadline is live: it can lapse or be extended.
AWAITING_DECISION: Final[frozenset[Stage]] = frozenset(
    {
        Stage.CONSULTATION,
        Stage.AWAITING_TALKS_AUTHORISATION,
        Stage.EXPLORATORY_TALKS,
        Stage.REPORT_DUE,
        Stage.COUNCIL_DECISION,
    }
)
