"""Report-back milestones and their Markdown reports, rendered from the events alone."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from markdown_it import MarkdownIt

from domain import (
    EVENT_TYPES,
    AuthoriseTalks,
    CloseConsultation,
    Component,
    ConcludeTalks,
    ExtendDecisionDeadline,
    IssueDeadlineReminder,
    LaunchPartnership,
    MilestoneKind,
    Outcome,
    Position,
    Recommendation,
    RecordCouncilDecision,
    RecordTalksRound,
    SubmitReport,
    Withdraw,
    milestone_kind,
    reminder_instant,
    render_report,
    render_state,
)
from domain.commands import ResumeTalks
from domain.events import (
    EVENT_LIST_ADAPTER,
    ConsultationClosed,
    CouncilDecisionRecorded,
    DecisionDeadlineReminderIssued,
    PartnershipLapsed,
    PartnershipLaunched,
    PartnershipNotPursued,
    PartnershipWithdrawn,
    ReportSubmitted,
    TalksConcluded,
    TalksResumed,
    TalksSuspended,
)
from tests.unit.strategies import (
    AUTHORISED,
    CLOSED,
    COMMISSION,
    COMMITMENTS,
    CONCLUDED,
    DECIDED,
    DECISION_DEADLINE,
    PRESIDENCY,
    PROPOSED,
    REPORTED,
    ROUND_1,
    SIGNED,
    SUSPENDED,
    SYSTEM,
    Story,
    answer,
    at,
    at_consultation,
    at_council_decision,
    at_declined,
    at_lapsed,
    at_launch_preparation,
    at_launched,
    at_not_pursued,
    at_talks_failed,
    at_talks_suspended,
    at_withdrawn,
    propose,
    rep,
)

MILESTONE_OF = {
    ConsultationClosed: MilestoneKind.CONSULTATION_OUTCOME,
    TalksConcluded: MilestoneKind.TALKS_OUTCOME,
    ReportSubmitted: MilestoneKind.REPORT_TO_COUNCIL,
    DecisionDeadlineReminderIssued: MilestoneKind.DEADLINE_REMINDER,
    CouncilDecisionRecorded: MilestoneKind.COUNCIL_DECISION,
    PartnershipLapsed: MilestoneKind.LAPSE,
    PartnershipLaunched: MilestoneKind.LAUNCH,
    TalksSuspended: MilestoneKind.TALKS_SUSPENDED,
    TalksResumed: MilestoneKind.TALKS_RESUMED,
    # Only from council_decision or launch_preparation (tests/unit/test_suspension.py).
    PartnershipWithdrawn: MilestoneKind.WITHDRAWAL,
}


def test_each_milestone_comes_from_exactly_one_kind_of_event() -> None:
    story = at_launched()
    reminded = at_council_decision()
    reminded.do(IssueDeadlineReminder(), SYSTEM, reminder_instant(DECISION_DEADLINE))
    suspended = at_talks_suspended()
    suspended.do(ResumeTalks(), COMMISSION, SUSPENDED + timedelta(days=5))
    withdrawn = at_launch_preparation()
    withdrawn.do(Withdraw(reason="No signature"), COMMISSION, DECIDED + timedelta(days=5))
    events = story.events + reminded.events[-1:] + at_lapsed().events[-1:]
    events += suspended.events[-2:] + withdrawn.events[-1:]

    assert {type(e) for e in events} >= set(MILESTONE_OF)
    for recorded in events:
        assert milestone_kind(recorded) is MILESTONE_OF.get(type(recorded))


def test_a_consultation_nobody_was_interested_in_reaches_its_outcome_with_the_end() -> None:
    story = at_not_pursued()
    closed, not_pursued = story.events[-2:]

    assert isinstance(closed, ConsultationClosed)
    assert milestone_kind(closed) is None
    assert isinstance(not_pursued, PartnershipNotPursued)
    assert milestone_kind(not_pursued) is MilestoneKind.CONSULTATION_OUTCOME
    [milestone] = story.state.milestones
    assert milestone.kind is MilestoneKind.CONSULTATION_OUTCOME
    assert milestone.version == story.state.version
    assert milestone.occurred_on == CLOSED.date()


def test_every_milestone_kind_has_an_event_that_reaches_it() -> None:
    assert set(MILESTONE_OF.values()) == set(MilestoneKind)
    assert set(MILESTONE_OF) <= set(EVENT_TYPES)


def test_the_consultation_report_says_who_answered_what_and_who_is_interested() -> None:
    story = at_consultation()
    story.do(answer("ES", Position.NOT_INTERESTED), rep("ES"), at(2025, 3, 20))
    story.do(answer("ES"), rep("ES"), at(2025, 3, 21))
    story.do(CloseConsultation(), COMMISSION, CLOSED)
    report = render_report(story.events, MilestoneKind.CONSULTATION_OUTCOME)

    assert report.startswith("# Outcome of the consultation of the Member States\n")
    assert "Pilot mobility partnership with Cabo Verde (CV)" in report
    assert "| FR | interested | legal_migration, capacity_building | 2025-03-10 | 1 |" in report
    assert "| DE | not_interested | none | 2025-03-12 | 1 |" in report
    # ES amended twice: its latest answer counts, and all three are counted.
    assert "| ES | interested | none | 2025-03-21 | 3 |" in report
    assert "Interested Member States: ES, FR, PT." in report
    assert "Consultation closed on 2025-04-01." in report


def test_the_talks_report_gives_the_rounds_and_the_commitments() -> None:
    story = at_launched()
    report = render_report(story.events, MilestoneKind.TALKS_OUTCOME)

    assert report.startswith("# Outcome of the exploratory talks\n")
    # The Presidency in office on the day: Poland, in the first half of 2025.
    assert "Authorised by the Presidency (PL) on 2025-04-08." in report
    assert "- Round 1, 2025-05-05 (FR, ES): Talks held" in report
    assert "- Round 2, 2025-06-02 (FR, ES, PT): Talks held" in report
    assert (
        "Concluded on 2025-07-01: the third country is willing. "
        "Commitments: readmission_and_return, illegal_immigration_cooperation." in report
    )
    # A report is as of its milestone: nothing that came later.
    assert "Report-back" not in report
    assert "Council decision" not in report.replace("Council decision deadline", "")
    assert "stage **report_due**" in report


def test_the_report_to_the_council_gives_the_recommendation() -> None:
    report = render_report(at_launched().events, MilestoneKind.REPORT_TO_COUNCIL)

    assert report.startswith("# Report to the Council\n")
    # The reference is what someone typed: its parentheses are escaped, shown as written.
    assert "Submitted on 2025-09-01 (COM\\(2025\\) 1). Recommendation: **launch**." in report
    assert "Launch it" in report
    assert "Interested Member States: ES, FR, PT." in report


def test_the_decision_report_gives_the_councils_decision() -> None:
    report = render_report(at_launched().events, MilestoneKind.COUNCIL_DECISION)

    assert report.startswith("# The Council's decision\n")
    # Denmark held the Presidency in the second half of 2025.
    assert (
        "On 2025-11-20 (Council 1234/25), recorded by the Presidency (DK): **invite_launch**."
        in report
    )
    assert (
        "Presidency of the Council on 2025-11-20: Denmark (DK), 2025-07-01 to 2025-12-31." in report
    )
    assert "Joint declaration" not in report


def test_a_decline_is_reported_with_the_end() -> None:
    report = render_report(at_declined().events, MilestoneKind.COUNCIL_DECISION)

    assert "On 2025-11-20, recorded by the Presidency (DK): **decline**." in report
    assert "stage **declined**" in report


def test_the_launch_report_gives_signatories_components_and_the_joint_declaration() -> None:
    report = render_report(at_launched().events, MilestoneKind.LAUNCH)

    assert report.startswith("# Launch of the pilot partnership\n")
    assert "Joint declaration signed on 2026-02-10 (JD 9876/26) by FR, ES, PT." in report
    assert "Components: legal_migration, readmission_and_return." in report
    # The whole record is in it: answers, talks, recommendation and decision.
    assert "| PT | interested |" in report
    assert "Recommendation: **launch**" in report
    assert "**invite_launch**" in report


def test_the_lapse_report_says_no_decision_came_by_the_deadline() -> None:
    report = render_report(at_lapsed().events, MilestoneKind.LAPSE)

    assert report.startswith("# The decision deadline passed without a decision\n")
    assert "No decision by 2025-12-31." in report
    assert "stage **lapsed**" in report


def test_the_reminder_report_is_as_of_the_latest_reminder() -> None:
    story = at_council_decision()
    story.do(IssueDeadlineReminder(), SYSTEM, reminder_instant(DECISION_DEADLINE))
    story.do(
        ExtendDecisionDeadline(new_deadline=date(2026, 3, 31), reason="More time"),
        PRESIDENCY,
        at(2025, 12, 20),
    )
    first = render_report(story.events, MilestoneKind.DEADLINE_REMINDER)
    assert first.startswith("# Reminder: the Council's decision deadline approaches\n")
    # The engine's deadline is named for what it is: an operational one, not the Council's.
    assert "operational decision deadline 2025-12-31 (the engine's timer" in first
    assert "Council decision deadline" not in first

    story.do(IssueDeadlineReminder(), SYSTEM, reminder_instant(date(2026, 3, 31)))
    second = render_report(story.events, MilestoneKind.DEADLINE_REMINDER)
    assert "operational decision deadline 2026-03-31 (the engine's timer" in second


@pytest.mark.parametrize(
    "kind",
    [
        MilestoneKind.TALKS_OUTCOME,
        MilestoneKind.REPORT_TO_COUNCIL,
        MilestoneKind.DEADLINE_REMINDER,
        MilestoneKind.COUNCIL_DECISION,
        MilestoneKind.LAPSE,
        MilestoneKind.LAUNCH,
    ],
)
def test_a_milestone_not_reached_says_so(kind: MilestoneKind) -> None:
    report = render_report(at_consultation().events, kind)

    assert "This milestone has not been reached." in report
    assert "Cabo Verde" not in report


def test_a_partnership_not_pursued_reports_that_nobody_was_interested_and_that_it_ended() -> None:
    report = render_report(at_not_pursued().events, MilestoneKind.CONSULTATION_OUTCOME)

    assert "stage **not_pursued**" in report
    assert "| DE | not_interested |" in report
    assert "Interested Member States: none." in report
    assert "Ended (not_pursued): no Member State declared interest \\(1 answered\\)" in report


def test_failed_talks_are_reported_as_unwilling() -> None:
    report = render_report(at_talks_failed().events, MilestoneKind.TALKS_OUTCOME)

    assert "the third country is not willing. Commitments: none." in report
    assert "stage **talks_failed**" in report


def test_the_whole_record_renders_as_the_status_document() -> None:
    report = render_report(at_launched().events)

    assert report.startswith("# Status of the pilot partnership\n")
    assert "Terms of reference: Legal migration against readmission" in report
    assert "## Launch" in report


def test_a_withdrawal_is_reported_with_its_reason() -> None:
    report = render_report(at_withdrawn().events)

    assert "Ended (withdrawn): Priorities changed" in report
    assert "Consultation still open." in report


def test_nothing_to_report_before_a_proposal() -> None:
    assert render_report([]) == "# No partnership has been proposed\n"


NOT_PURSUED_STATUS = """\
# Status of the pilot partnership

**Pilot mobility partnership with Cabo Verde (CV)**, region africa_mediterranean; stage **not_pursued**.

Proposed on 2025-03-03. Consultation deadline 2025-04-14; operational decision deadline 2025-12-31 (the engine's timer for the reminder and the lapse).

Presidency of the Council on 2025-04-01: Poland (PL), 2025-01-01 to 2025-06-30.

Terms of reference: Legal migration against readmission

## Consultation of the Member States

| Member State | Position | Offers | Answered on | Answers given |
|---|---|---|---|---|
| DE | not_interested | none | 2025-03-12 | 1 |

Interested Member States: none.
Consultation closed on 2025-04-01.

Ended (not_pursued): no Member State declared interest \\(1 answered\\)
"""  # noqa: E501
"""The whole record of `at_not_pursued`, written out by hand from its four events."""


def test_a_report_is_the_events_rendered_as_written_out_by_hand() -> None:
    story = at_not_pursued()
    # The events as the store keeps them, parsed back: nothing but them goes into the report.
    events = EVENT_LIST_ADAPTER.validate_json(EVENT_LIST_ADAPTER.dump_json(story.events))

    assert render_report(events) == NOT_PURSUED_STATUS
    assert render_state(story.state) == NOT_PURSUED_STATUS
    # The consultation's outcome is the same record under its own title.
    assert render_report(events, MilestoneKind.CONSULTATION_OUTCOME) == NOT_PURSUED_STATUS.replace(
        "# Status of the pilot partnership", "# Outcome of the consultation of the Member States"
    )


# --- What people wrote is inert ---------------------------------------------------------------

LINK = "[click](http://evil)"
SCRIPT = "<script>alert(1)</script>"
HEADING = "# Heading"
BOLD = "**bold**"
LIST = "see below\n- item"
TABLE = "| a | b |\n|---|---|\n| c | d |"
COMMONMARK = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _hostile_story() -> Story:
    """A launched partnership whose every free text and label is hostile Markdown."""
    story = Story()
    story.do(
        propose(rationale=LINK, terms_of_reference=f"{HEADING}\n{TABLE}"), COMMISSION, PROPOSED
    )
    story.do(
        answer("FR", offers=(Component.LEGAL_MIGRATION,), comments=SCRIPT),
        rep("FR"),
        at(2025, 3, 10),
    )
    story.do(CloseConsultation(), COMMISSION, CLOSED)
    story.do(AuthoriseTalks(note=BOLD), PRESIDENCY, AUTHORISED)
    story.do(
        RecordTalksRound(held_on=ROUND_1.date(), member_states=["FR"], summary=LIST, location=BOLD),
        COMMISSION,
        ROUND_1,
    )
    story.do(
        ConcludeTalks(third_country_willing=True, commitments=list(COMMITMENTS)),
        COMMISSION,
        CONCLUDED,
    )
    story.do(
        SubmitReport(
            recommendation=Recommendation.LAUNCH,
            summary=f"{SCRIPT}\n\n{LIST}\n{TABLE}",
            reference=LINK,
        ),
        COMMISSION,
        REPORTED,
    )
    story.do(
        RecordCouncilDecision(
            outcome=Outcome.INVITE_LAUNCH, decided_on=DECIDED.date(), council_reference=HEADING
        ),
        PRESIDENCY,
        DECIDED,
    )
    story.do(
        LaunchPartnership(
            member_states=["FR"],
            components=[Component.LEGAL_MIGRATION, Component.READMISSION_AND_RETURN],
            signed_on=SIGNED.date(),
            joint_declaration_reference=SCRIPT,
        ),
        COMMISSION,
        SIGNED,
    )
    return story


def _html(markdown: str) -> str:
    return COMMONMARK.render(markdown)


def test_a_report_shows_hostile_markdown_escaped_and_never_active() -> None:
    report = render_report(_hostile_story().events)

    # A block keeps its lines apart with hard line breaks (a backslash at the end of a line).
    assert "Terms of reference: \\# Heading\\\n\\| a \\| b \\|\\\n" in report
    assert r"in \*\*bold\*\* (FR): see below ↵ \- item" in report
    assert r"(\[click\]\(http://evil\))" in report
    assert r"On 2025-11-20 (\# Heading)" in report
    assert r"(\<script\>alert\(1\)\</script\>) by FR" in report
    for active in (LINK, SCRIPT, BOLD, "\n# Heading", "\n- item", "\n| a | b |"):
        assert active not in report


def test_a_report_with_hostile_text_renders_only_its_own_structure() -> None:
    hostile = _html(render_report(_hostile_story().events))
    plain = _html(render_report(at_launched().events))

    for tag in ("<a ", "<script", "<img", "<em>", "<h3"):
        assert tag not in hostile
    # The same headings, tables and emphasis as a report of plain text, all the report's own,
    # and one list item for its one round: nothing is made of what people wrote.
    for tag in ("<h1>", "<h2>", "<table>", "<strong>"):
        assert hostile.count(tag) == plain.count(tag), tag
    assert hostile.count("<li>") == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile
    assert "[click](http://evil)" in hostile


def test_a_control_or_format_character_in_a_recorded_reason_is_shown_by_its_code_point() -> None:
    # Recorded before the rule refused it: the event holds plain text and still renders.
    story = at_consultation()
    [withdrawn] = story.do(Withdraw(reason="Priorities changed"), COMMISSION, at(2025, 3, 20))
    recorded = withdrawn.model_copy(update={"reason": "abc\u202edcba\x07"})
    report = render_report([*story.events[:-1], recorded])

    assert "Ended (withdrawn): abc⟨U+202E⟩dcba⟨U+0007⟩" in report
    assert "\u202e" not in report
