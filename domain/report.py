"""The report-back document: a pure rendering, in Markdown, of a partnership's own events.

Everything people wrote (summaries, reasons, references, places) goes through `markdown_inert`,
so a report shows it as written and nobody can put a link, a heading or HTML into a report.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.countries import country_name
from domain.events import Event
from domain.evolve import replay
from domain.milestones import milestone_kind
from domain.narration import listed
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
    for ms, answer in latest.items():
        count = given[ms]
        offers = listed([o.value for o in answer.offers])
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


def _talks(state: Partnership) -> list[str]:
    if state.talks_authorised_on is None:
        return []
    lines = [
        "## Exploratory talks",
        "",
        f"Authorised by the Presidency on {state.talks_authorised_on.isoformat()}.",
        "",
    ]
    for r in state.rounds:
        where = f" in {markdown_inert(r.location)}" if r.location else ""
        lines.append(
            f"- Round {r.number}, {r.held_on.isoformat()}{where} "
            f"({listed(r.member_states)}): {markdown_inert(r.summary)}"
        )
    if state.talks is not None:
        willing = "willing" if state.talks.third_country_willing else "not willing"
        lines += [
            "",
            f"Concluded on {state.talks.concluded_on.isoformat()}: the third country is "
            f"{willing}. Commitments: {listed([c.value for c in state.talks.commitments])}.",
        ]
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
            f"On {state.decision.decided_on.isoformat()}{ref}: **{state.decision.outcome.value}**.",
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
            f"Components: {listed([c.value for c in state.launch.components])}.",
            "",
        ]
    return lines


def render_state(state: Partnership, kind: MilestoneKind | None = None) -> str:
    """Render a folded partnership as the report-back document for `kind`."""
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
        f"Proposed on {state.proposed_on.isoformat() if state.proposed_on else '?'}. "
        f"Consultation deadline "
        f"{state.consultation_deadline.isoformat() if state.consultation_deadline else '?'}; "
        f"Council decision deadline "
        f"{state.decision_deadline.isoformat() if state.decision_deadline else '?'}.",
        "",
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
    return render_state(replay(events[:upto]), kind)
