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
    PartnershipWithdrawn,
    ReportSubmitted,
    TalksConcluded,
    TalksResumed,
    TalksSuspended,
)
from domain.stages import Stage
from domain.state import MilestoneKind

WITHDRAWAL_REPORTED_FROM: Final[frozenset[Stage]] = frozenset(
    {Stage.COUNCIL_DECISION, Stage.LAUNCH_PREPARATION}
)
"""Where a withdrawal is owed to the Council: once it has the Commission's report before it,
or has invited the launch. An earlier withdrawal is in the record, not in a report-back."""

_KIND_OF: Final[dict[type[object], MilestoneKind]] = {
    ConsultationClosed: MilestoneKind.CONSULTATION_OUTCOME,
    TalksConcluded: MilestoneKind.TALKS_OUTCOME,
    ReportSubmitted: MilestoneKind.REPORT_TO_COUNCIL,
    DecisionDeadlineReminderIssued: MilestoneKind.DEADLINE_REMINDER,
    CouncilDecisionRecorded: MilestoneKind.COUNCIL_DECISION,
    PartnershipLapsed: MilestoneKind.LAPSE,
    PartnershipLaunched: MilestoneKind.LAUNCH,
    TalksSuspended: MilestoneKind.TALKS_SUSPENDED,
    TalksResumed: MilestoneKind.TALKS_RESUMED,
}


def milestone_kind(event: Event) -> MilestoneKind | None:
    """The milestone `event` reaches, or None when it reaches none.

    A consultation that closes with nobody interested reaches its outcome at the
    `PartnershipNotPursued` that follows, so the report says the partnership ended. Talks
    that fail (an unwilling third country) reach the talks' outcome; a withdrawal reaches one
    from the stages of `WITHDRAWAL_REPORTED_FROM`.
    """
    if isinstance(event, PartnershipWithdrawn):
        return MilestoneKind.WITHDRAWAL if event.stage in WITHDRAWAL_REPORTED_FROM else None
    if isinstance(event, ConsultationClosed) and not event.interested_member_states:
        return None
    if isinstance(event, PartnershipNotPursued):
        return MilestoneKind.CONSULTATION_OUTCOME
    return _KIND_OF.get(type(event))
