"""Which events give rise to which report-back milestone."""

from __future__ import annotations

from typing import Final

from domain.events import (
    ConsultationClosed,
    CouncilDecisionRecorded,
    DecisionDeadlineReminderIssued,
    Event,
    PartnershipLapsed,
    PartnershipLaunched,
    PartnershipNotPursued,
    ReportSubmitted,
    TalksConcluded,
)
from domain.state import MilestoneKind

_KIND_OF: Final[dict[type[object], MilestoneKind]] = {
    ConsultationClosed: MilestoneKind.CONSULTATION_OUTCOME,
    TalksConcluded: MilestoneKind.TALKS_OUTCOME,
    ReportSubmitted: MilestoneKind.REPORT_TO_COUNCIL,
    DecisionDeadlineReminderIssued: MilestoneKind.DEADLINE_REMINDER,
    CouncilDecisionRecorded: MilestoneKind.COUNCIL_DECISION,
    PartnershipLapsed: MilestoneKind.LAPSE,
    PartnershipLaunched: MilestoneKind.LAUNCH,
}


def milestone_kind(event: Event) -> MilestoneKind | None:
    """The milestone `event` reaches, or None when it reaches none.

    A consultation that closes with nobody interested reaches its outcome at the
    `PartnershipNotPursued` that follows, so the report says the partnership ended.
    """
    if isinstance(event, ConsultationClosed) and not event.interested_member_states:
        return None
    if isinstance(event, PartnershipNotPursued):
        return MilestoneKind.CONSULTATION_OUTCOME
    return _KIND_OF.get(type(event))
