"""The report-back document: a pure rendering, in Markdown, of a partnership's own events.

Everything people wrote (summaries, reasons, references, places) goes through `markdown_inert`,
so a report shows it as written and nobody can put a link, a heading or HTML into a report.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from domain.countries import country_name
from domain.events import Event
from domain.evolve import replay
from domain.milestones import milestone_kind
from domain.narration import listed
from domain.presidencies import presidency_on, term_on
from domain.state import MilestoneKind, Partnership
from domain.text import markdown_inert
from domain.view import answers_given

_TITLES: dict[MilestoneKind, str] = {
    MilestoneKind.CONSULTATION_OUTCOME: "Outcome of the consultation of the Member States",
    MilestoneKind.TALKS_OUTCOME: "Outcome of the exploratory talks",
    MilestoneKind.REPORT_TO_COUNCIL: "Report to the Council",
    MilestoneKind.DEADLINE_REMINDER: "Reminder: the Council's decision deadline approaches",
    MilestoneKind.COUNCIL_DECISION: "The Council's decision",
    MilestoneKind.LAPSE: "The decision deadline passed without a decision",
    MilestoneKind.LAUNCH: "Launch of the pilot partnership",
    MilestoneKind.TALKS_SUSPENDED: "Suspension of the exploratory talks",
    MilestoneKind.TALKS_RESUMED: "Resumption of the exploratory talks",
    MilestoneKind.WITHDRAWAL: "Withdrawal of the pilot partnership by the Commission",
}


def _consultation(state: Partnership) -> list[str]:
    lines = ["## Consultation of the Member States", ""]
    latest = state.latest_answers
    if not latest:
        return [*lines, "No Member State has answered.", ""]
    lines += [
        "| Member State | Position | Offers | Answered on | Answers given |",
        "|---|---|---|---|---|",
    ]
    given = answers_given(state)
    # Components are StrEnums, so `listed` joins their values (here and below).
    for ms, answer in latest.items():
        count = given[ms]
        offers = listed(answer.offers)
        lines.append(
            f"| {ms} | {answer.position.value} | {offers} | "
            f"{answer.answered_on.isoformat()} | {count} |"
        )
    closed = state.consultation_closed_on
    lines += [
        "",
        f"Interested Member States: {listed(state.interested_member_states)}.",
        f"Consultation {'closed on ' + closed.isoformat() if closed else 'still open'}.",
        "",
    ]
    return lines


def _by_the_presidency(day: date) -> str:
    """The Presidency with the Member State that held it on `day`, where the order is known."""
    held = presidency_on(day)
    return f"the Presidency ({held})" if held else "the Presidency"


def _talks(state: Partnership) -> list[str]:
    if state.talks_authorised_on is None:
        return []
    lines = [
        "## Exploratory talks",
        "",
        f"Authorised by {_by_the_presidency(state.talks_authorised_on)} on "
        f"{state.talks_authorised_on.isoformat()}.",
        "",
    ]
    for r in state.rounds:
        where = f" in {markdown_inert(r.location)}" if r.location else ""
        lines.append(
            f"- Round {r.number}, {r.held_on.isoformat()}{where} "
            f"({listed(r.member_states)}): {markdown_inert(r.summary)}"
        )
    for late in state.late_interest:
        offers = listed(late.offers)
        lines.append(
            f"- {late.member_state} declared interest on {late.declared_on.isoformat()}, "
            f"joining late (offers: {offers})."
        )
    for suspension in state.suspensions:
        until = (
            f"resumed on {suspension.resumed_on.isoformat()}"
            if suspension.resumed_on
            else "still suspended"
        )
        lines.append(
            f"- Talks suspended on {suspension.suspended_on.isoformat()} ({until}): "
            f"{markdown_inert(suspension.reason)}"
        )
    if state.talks is not None:
        willing = "willing" if state.talks.third_country_willing else "not willing"
        lines += [
            "",
            f"Concluded on {state.talks.concluded_on.isoformat()}: the third country is "
            f"{willing}. Commitments: {listed(state.talks.commitments)}.",
        ]
        if state.talks.community_offers:
            offered = listed(state.talks.community_offers)
            lines.append(f"The Community offers: {offered}.")
    return [*lines, ""]


def _outcome(state: Partnership) -> list[str]:
    lines: list[str] = []
    if state.report is not None:
        ref = f" ({markdown_inert(state.report.reference)})" if state.report.reference else ""
        lines += [
            "## Report-back",
            "",
            f"Submitted on {state.report.submitted_on.isoformat()}{ref}. "
            f"Recommendation: **{state.report.recommendation.value}**.",
            "",
            markdown_inert(state.report.summary, block=True),
            "",
        ]
    if state.decision is not None:
        council = state.decision.council_reference
        ref = f" ({markdown_inert(council)})" if council else ""
        lines += [
            "## Council decision",
            "",
            f"On {state.decision.decided_on.isoformat()}{ref}, recorded by "
            f"{_by_the_presidency(state.decision.decided_on)}: "
            f"**{state.decision.outcome.value}**.",
            "",
        ]
    if state.lapsed_on is not None:
        lines += ["## Lapse", "", f"No decision by {state.lapsed_on.isoformat()}.", ""]
    if state.launch is not None:
        jd = state.launch.joint_declaration_reference
        lines += [
            "## Launch",
            "",
            f"Joint declaration signed on {state.launch.signed_on.isoformat()}"
            f"{' (' + markdown_inert(jd) + ')' if jd else ''} by "
            f"{listed(state.launch.member_states)}.",
            f"Components: {listed(state.launch.components)}.",
            "",
        ]
        lines += [
            f"- {a.member_state} acceded on {a.acceded_on.isoformat()}." for a in state.accessions
        ]
        if state.accessions:
            lines += ["", f"Parties to the joint declaration: {listed(state.signatories)}.", ""]
    return lines


def _deadlines(state: Partnership) -> list[str]:
    """The deadlines, each as what it is: the Council's own target date is a business fact;
    the operational deadline is the engine's timer on recorded time (for a back-filled
    partnership, years after the Council's own date)."""
    consultation = state.consultation_deadline
    operational = state.decision_deadline
    lines = [
        f"Proposed on {state.proposed_on.isoformat() if state.proposed_on else '?'}. "
        f"Consultation deadline {consultation.isoformat() if consultation else '?'}; "
        f"operational decision deadline {operational.isoformat() if operational else '?'} "
        "(the engine's timer for the reminder and the lapse).",
    ]
    if state.council_target_date is not None:
        lines.append(
            f"The Council's own target: a decision by {state.council_target_date.isoformat()}."
        )
    return lines


def _presidency(as_of: date | None) -> list[str]:
    term = term_on(as_of) if as_of is not None else None
    if as_of is None or term is None:
        return []
    return [f"Presidency of the Council on {as_of.isoformat()}: {term}.", ""]


def _latest_business_date(state: Partnership) -> date | None:
    return max((m.occurred_on for m in state.milestones), default=state.proposed_on)


def render_state(
    state: Partnership, kind: MilestoneKind | None = None, *, as_of: date | None = None
) -> str:
    """Render a folded partnership as the report-back document for `kind`.

    The Presidency named is the one in office on `as_of` (by default, the business date of
    the latest milestone, or of the proposal).
    """
    if state.country is None:
        return "# No partnership has been proposed\n"
    title = _TITLES[kind] if kind else "Status of the pilot partnership"
    lines = [
        f"# {title}",
        "",
        f"**Pilot mobility partnership with {country_name(state.country)} ({state.country})**, "
        f"region {state.region.value if state.region else 'unknown'}; "
        f"stage **{state.stage.value if state.stage else 'unknown'}**.",
        "",
        *_deadlines(state),
        "",
        *_presidency(as_of if as_of is not None else _latest_business_date(state)),
        f"Terms of reference: {markdown_inert(state.terms_of_reference or '', block=True)}",
        "",
    ]
    lines += _consultation(state) + _talks(state) + _outcome(state)
    if state.end_reason and state.stage is not None and state.stage.is_end:
        lines += [f"Ended ({state.stage.value}): {markdown_inert(state.end_reason)}", ""]
    return "\n".join(lines).rstrip() + "\n"


def render_report(events: Sequence[Event], kind: MilestoneKind | None = None) -> str:
    """The report for milestone `kind` (as of its latest occurrence), or for the whole log."""
    upto = len(events)
    if kind is not None:
        reached = [i for i, e in enumerate(events, start=1) if milestone_kind(e) is kind]
        if not reached:
            return f"# {_TITLES[kind]}\n\nThis milestone has not been reached.\n"
        upto = reached[-1]
    # A milestone's report names the Presidency in office on the milestone's own date.
    as_of = events[upto - 1].occurred_on if kind is not None and upto else None
    return render_state(replay(events[:upto]), kind, as_of=as_of)
