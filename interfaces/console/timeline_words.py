"""What each recorded event did, in a sentence people read on a partnership's timeline:
countries and Member States by their English names, components and dates in words."""

from __future__ import annotations

from collections.abc import Iterable

from domain.events import (
    ConsultationAnswered,
    ConsultationClosed,
    CouncilDecisionRecorded,
    DecisionDeadlineExtended,
    DecisionDeadlineReminderIssued,
    Event,
    PartnershipLapsed,
    PartnershipLaunched,
    PartnershipNotPursued,
    PartnershipProposed,
    PartnershipWithdrawn,
    ReportSubmitted,
    TalksAuthorised,
    TalksConcluded,
    TalksRoundRecorded,
)
from domain.narration import what_happened
from interfaces.console import wording


def _listed(items: Iterable[str]) -> str:
    named = list(items)
    if len(named) <= 1:
        return "".join(named)
    return ", ".join(named[:-1]) + " and " + named[-1]


def _countries(codes: Iterable[str]) -> str:
    return _listed(wording.country(code) for code in codes)


def _components(values: Iterable[str]) -> str:
    return _listed(wording.component(value).lower() for value in values)


def event_words(event: Event) -> str:
    """One sentence for `event`; the domain's own narration for any kind not worded here."""
    match event:
        case PartnershipProposed():
            return f"The Commission proposed a partnership with {wording.country(event.country)}."
        case ConsultationAnswered():
            said = "interested" if event.position == "interested" else "not interested"
            offers = f", offering {_components(event.offers)}" if event.offers else ""
            return f"{wording.country(event.member_state)} answered: {said}{offers}."
        case ConsultationClosed():
            how = "at its deadline" if event.by_deadline else "by the Commission"
            who = _countries(event.interested_member_states) or "no Member State"
            return f"The consultation was closed {how}; interested: {who}."
        case PartnershipNotPursued():
            return "Not pursued: no Member State was interested."
        case TalksAuthorised():
            return "The Presidency authorised exploratory talks."
        case TalksRoundRecorded():
            return f"A round of talks was held with {_countries(event.member_states)}."
        case TalksConcluded():
            willing = "willing" if event.third_country_willing else "not willing"
            commits = (
                f", committing to {_components(event.commitments)}" if event.commitments else ""
            )
            return f"The talks were concluded: the third country is {willing}{commits}."
        case ReportSubmitted():
            advice = "launch" if event.recommendation == "launch" else "not to launch"
            return f"The Commission reported to the Council, recommending {advice}."
        case DecisionDeadlineExtended():
            return (
                "The decision deadline was extended from "
                f"{wording.people_date(event.previous_deadline)} to "
                f"{wording.people_date(event.new_deadline)}."
            )
        case DecisionDeadlineReminderIssued():
            return f"Reminder: the decision is due by {wording.people_date(event.deadline)}."
        case CouncilDecisionRecorded():
            if event.outcome == "invite_launch":
                return "The Council invited the Commission to launch the partnership."
            return "The Council declined the partnership."
        case PartnershipLapsed():
            return f"Lapsed: no decision by the deadline of {wording.people_date(event.deadline)}."
        case PartnershipLaunched():
            return (
                "Launched: the joint declaration was signed with "
                f"{_countries(event.member_states)}."
            )
        case PartnershipWithdrawn():
            return f"Withdrawn by the Commission at the stage {wording.stage_label(event.stage)}."
    return what_happened(event)
