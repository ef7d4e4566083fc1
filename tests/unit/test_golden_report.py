"""A golden report: Cape Verde's launch report, written out and checked by hand.

The record (DESIGN.md §1, README's demo): the Council invited the Commission to launch the
pilot with Cape Verde on 10 December 2007, and the joint declaration was signed on 5 June 2008
by ES, FR, LU and PT. The other business dates (the proposal, the answers, the talks, the
report-back) and each Member State's offers are not in that record; they are picked here, on
the README's example dates where it gives one, so that each line of the golden file can be
checked against an event below. Every event is recorded at noon UTC on its business date, as it
would have been recorded in 2007.

`tests/golden/cape_verde_launch_report.md` was typed by hand from these events, not produced by
the code under test. Each of its lines says what an event says: the four Member States and the
offers each made, the dates, the talks, the recommendation, the Council's decision and the
joint declaration; what people wrote is escaped as `domain.text.markdown_inert` escapes it (a
backslash before each of `-`, `.`, `(`, `)` and `&`), so the report shows it and nothing is
made of it. Should the renderer change on purpose, change the golden file by hand, line by line.
"""

from __future__ import annotations

import difflib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from domain import (
    AuthoriseTalks,
    CloseConsultation,
    Component,
    ConcludeTalks,
    LaunchPartnership,
    MilestoneKind,
    Outcome,
    Position,
    ProposePartnership,
    Recommendation,
    RecordCouncilDecision,
    RecordTalksRound,
    RespondToConsultation,
    SubmitReport,
    render_report,
)
from domain.events import EVENT_LIST_ADAPTER
from tests.unit.strategies import COMMISSION, PRESIDENCY, Story, rep

GOLDEN = Path(__file__).parents[1] / "golden" / "cape_verde_launch_report.md"

SIGNATORIES = ["ES", "FR", "LU", "PT"]
"""Who signed the joint declaration with Cape Verde on 5 June 2008 (DESIGN.md §1)."""


def _on(day: date) -> datetime:
    """Recorded at noon UTC on the day it happened."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def cape_verde() -> Story:
    """Cape Verde from the proposal to the joint declaration, one command per event."""
    story = Story()
    story.do(
        ProposePartnership(
            country="CV",
            rationale="A pilot mobility partnership under the Global Approach to Migration",
            terms_of_reference="Council conclusions of 12–13 June 2007 (point 11): "
            "legal migration and mobility against readmission",
            occurred_on=date(2007, 6, 18),
            council_target_date=date(2007, 12, 31),
        ),
        COMMISSION,
        _on(date(2007, 6, 18)),
    )
    answers = [
        ("PT", date(2007, 7, 16), [Component.LEGAL_MIGRATION]),
        ("FR", date(2007, 7, 18), [Component.LEGAL_MIGRATION, Component.MIGRATION_AND_DEVELOPMENT]),
        ("LU", date(2007, 7, 19), [Component.MIGRATION_AND_DEVELOPMENT]),
        ("ES", date(2007, 7, 20), [Component.CAPACITY_BUILDING]),
    ]
    for code, answered_on, offers in answers:
        story.do(
            RespondToConsultation(
                member_state=code,
                position=Position.INTERESTED,
                offers=offers,
                occurred_on=answered_on,
            ),
            rep(code),
            _on(answered_on),
        )
    story.do(CloseConsultation(occurred_on=date(2007, 7, 27)), COMMISSION, _on(date(2007, 7, 27)))
    story.do(
        AuthoriseTalks(note="Talks with the four", occurred_on=date(2007, 9, 20)),
        PRESIDENCY,
        _on(date(2007, 9, 20)),
    )
    story.do(
        RecordTalksRound(
            held_on=date(2007, 10, 18),
            member_states=["PT", "ES", "FR", "LU"],
            summary="First round in Praia: mobility, readmission & return",
            location="Praia",
        ),
        COMMISSION,
        _on(date(2007, 10, 18)),
    )
    story.do(
        ConcludeTalks(
            third_country_willing=True,
            commitments=[
                Component.READMISSION_AND_RETURN,
                Component.ILLEGAL_IMMIGRATION_COOPERATION,
            ],
            community_offers=[Component.VISA_FACILITATION, Component.CAPACITY_BUILDING],
            occurred_on=date(2007, 11, 16),
        ),
        COMMISSION,
        _on(date(2007, 11, 16)),
    )
    story.do(
        SubmitReport(
            recommendation=Recommendation.LAUNCH,
            summary="A basis for a pilot partnership exists.\n"
            "ES, FR, LU and PT are ready to take part.",
            reference="Report-back no. 1 (Cape Verde)",
            occurred_on=date(2007, 11, 23),
        ),
        COMMISSION,
        _on(date(2007, 11, 23)),
    )
    story.do(
        RecordCouncilDecision(
            outcome=Outcome.INVITE_LAUNCH,
            decided_on=date(2007, 12, 10),
            council_reference="GAERC conclusions of 10 December 2007",
        ),
        PRESIDENCY,
        _on(date(2007, 12, 10)),
    )
    story.do(
        LaunchPartnership(
            member_states=SIGNATORIES,
            components=[
                Component.LEGAL_MIGRATION,
                Component.MIGRATION_AND_DEVELOPMENT,
                Component.CAPACITY_BUILDING,
                Component.READMISSION_AND_RETURN,
                Component.ILLEGAL_IMMIGRATION_COOPERATION,
            ],
            signed_on=date(2008, 6, 5),
            joint_declaration_reference="Joint declaration on a mobility partnership "
            "between the EU and Cape Verde",
        ),
        COMMISSION,
        _on(date(2008, 6, 5)),
    )
    return story


def assert_matches_golden(rendered: str) -> None:
    """Byte for byte; on a mismatch, fail with a diff from the golden file to the rendering."""
    expected = GOLDEN.read_text(encoding="utf-8")
    if rendered != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True),
            rendered.splitlines(keepends=True),
            fromfile="tests/golden/cape_verde_launch_report.md",
            tofile="render_report(cape_verde().events, MilestoneKind.LAUNCH)",
        )
        pytest.fail("the launch report differs from the golden file:\n" + "".join(diff))


def test_cape_verdes_launch_report_is_the_golden_report_checked_by_hand() -> None:
    assert_matches_golden(render_report(cape_verde().events, MilestoneKind.LAUNCH))


def test_cape_verdes_launch_report_is_the_golden_report_after_the_events_go_through_json() -> None:
    # The events as the store and Temporal keep them, parsed back: the report is theirs alone.
    events = EVENT_LIST_ADAPTER.validate_json(EVENT_LIST_ADAPTER.dump_json(cape_verde().events))
    assert_matches_golden(render_report(events, MilestoneKind.LAUNCH))
