"""The words the console shows people: stages, steps, fields, components, regions and countries.

The contract's names (`respond_to_consultation`, `launch_preparation`) stay in URLs and forms;
people read these instead. Country names are English short names, dates are written as people
read them (5 June 2008).
"""

from __future__ import annotations

from datetime import date
from typing import Final

from domain.components import Component
from domain.regions import Region
from domain.stages import Stage
from interfaces.console import dates

STAGE_LABELS: Final[dict[str, str]] = {
    Stage.CONSULTATION: "Consultation of the Member States",
    Stage.AWAITING_TALKS_AUTHORISATION: "Awaiting the Presidency's authorisation of talks",
    Stage.EXPLORATORY_TALKS: "Exploratory talks",
    Stage.TALKS_SUSPENDED: "Talks suspended by the Commission",
    Stage.REPORT_DUE: "Report to the Council due",
    Stage.COUNCIL_DECISION: "Awaiting the Council's decision",
    Stage.LAUNCH_PREPARATION: "Preparing the launch",
    Stage.NOT_PURSUED: "Not pursued (no Member State interested)",
    Stage.TALKS_FAILED: "Talks failed",
    Stage.DECLINED: "Declined by the Council",
    Stage.LAPSED: "Lapsed (no decision by the deadline)",
    Stage.WITHDRAWN: "Withdrawn by the Commission",
    Stage.LAUNCHED: "Launched",
}

STEP_TITLES: Final[dict[str, str]] = {
    "propose": "Propose a partnership",
    "respond_to_consultation": "Answer the consultation",
    "close_consultation": "Close the consultation",
    "authorise_talks": "Authorise exploratory talks",
    "record_talks_round": "Record a round of talks",
    "suspend_talks": "Suspend the talks",
    "resume_talks": "Resume the talks",
    "conclude_talks": "Conclude the talks",
    "submit_report": "Submit the report to the Council",
    "extend_decision_deadline": "Extend the decision deadline",
    "record_council_decision": "Record the Council's decision",
    "launch_partnership": "Launch the partnership",
    "withdraw": "Withdraw the partnership",
}

_TASKS: Final[dict[str, str]] = {
    "respond_to_consultation": "Answer the consultation on {country} for {member_state}",
    "close_consultation": "Close the consultation on {country}",
    "authorise_talks": "Authorise talks with {country}",
    "record_talks_round": "Record a round of talks with {country}",
    "suspend_talks": "Suspend the talks with {country}",
    "resume_talks": "Resume the talks with {country}",
    "conclude_talks": "Conclude the talks with {country}",
    "submit_report": "Submit the report on {country} to the Council",
    "extend_decision_deadline": "Extend the decision deadline on {country}",
    "record_council_decision": "Record the Council decision on {country}",
    "launch_partnership": "Launch the partnership with {country}",
    "withdraw": "Withdraw the partnership with {country}",
}

COMPONENT_LABELS: Final[dict[str, str]] = {
    Component.LEGAL_MIGRATION: "Legal migration opportunities",
    Component.MIGRATION_AND_DEVELOPMENT: "Migration and development",
    Component.CAPACITY_BUILDING: "Capacity building to manage migration",
    Component.REINTEGRATION_OF_RETURNEES: "Reintegration of returnees",
    Component.VISA_FACILITATION: "Visa facilitation",
    Component.HUMAN_RIGHTS_PROTECTION: "Protection of human rights",
    Component.REFUGEE_PROTECTION: "Protection of refugees",
    Component.ILLEGAL_IMMIGRATION_COOPERATION: "Cooperation against illegal immigration",
    Component.READMISSION_AND_RETURN: "Readmission and return",
}

REGION_LABELS: Final[dict[str, str]] = {
    Region.AFRICA_MEDITERRANEAN: "Africa and the Mediterranean",
    Region.EASTERN_SOUTH_EASTERN: "Eastern and South-Eastern Europe",
    Region.EASTERN_MEDITERRANEAN_MIDDLE_EAST: "Eastern Mediterranean and Middle East",
    Region.CENTRAL_ASIA: "Central Asia",
    Region.ASIA_ORIGIN: "Asia (countries of origin)",
    Region.OTHER: "Other",
}

MILESTONE_LABELS: Final[dict[str, str]] = {
    "consultation_outcome": "The consultation's outcome",
    "talks_outcome": "The outcome of the talks",
    "report_to_council": "The report to the Council",
    "deadline_reminder": "Reminder of the decision deadline",
    "council_decision": "The Council's decision",
    "lapse": "The decision deadline lapsed",
    "launch": "The launch",
}

ROLE_LABELS: Final[dict[str, str]] = {
    "commission": "Commission",
    "presidency": "Presidency",
    "member_state": "Member State",
    "operator": "Operator",
    "administrator": "Administrator",
    "system": "the system",
}


def people_date(day: date | None) -> str:
    """A date as people read it: 5 June 2008 (empty for none)."""
    return "" if day is None else dates.people_date(day)


def country(code: str | None) -> str:
    """A country's English name: Moldova for MD, Greece for EL (empty for none)."""
    return dates.country_name(code) if code else ""


def stage_label(stage: str | None) -> str:
    """A stage in words."""
    if stage is None:
        return "Not proposed"
    return STAGE_LABELS.get(stage, stage.replace("_", " "))


def task(update: str, country_code: str, member_state: str | None = None) -> str:
    """One step as a task in the inbox: "Answer the consultation on Cabo Verde for Portugal"."""
    template = _TASKS.get(update, update.replace("_", " ") + " ({country})")
    return template.format(country=country(country_code), member_state=country(member_state))


def component(value: str) -> str:
    """A component in words."""
    return COMPONENT_LABELS.get(value, value.replace("_", " "))


def region(value: str | None) -> str:
    """A region in words."""
    if value is None:
        return ""
    return REGION_LABELS.get(value, value.replace("_", " "))


_NEXT: Final[dict[str, str]] = {
    Stage.CONSULTATION: "Member States answer until the consultation closes: the Commission "
    "closes it, or it closes by itself on {consultation_deadline}.",
    Stage.AWAITING_TALKS_AUTHORISATION: "The Presidency authorises exploratory talks.",
    Stage.EXPLORATORY_TALKS: "The Commission records the rounds of talks, then concludes them.",
    Stage.TALKS_SUSPENDED: "The talks are suspended: the Commission resumes them or "
    "withdraws the partnership; the decision deadline waits meanwhile.",
    Stage.REPORT_DUE: "The Commission submits its report to the Council.",
    Stage.COUNCIL_DECISION: "The Presidency records the Council's decision, due by "
    "{decision_deadline}.",
    Stage.LAUNCH_PREPARATION: "The Commission launches the partnership once the joint "
    "declaration is signed.",
}


def what_next(
    stage: str | None, consultation_deadline: date | None, decision_deadline: date | None
) -> str:
    """What happens next at `stage`, in one sentence; at an end, that nothing more does."""
    if stage is None:
        return "The Commission proposes the partnership."
    sentence = _NEXT.get(stage)
    if sentence is None:
        return "The partnership has ended: nothing more can be done to it."
    return sentence.format(
        consultation_deadline=people_date(consultation_deadline) or "its deadline",
        decision_deadline=people_date(decision_deadline) or "its deadline",
    )
