"""The report-back document in the Council's manner: its title, reference, dates and names."""

from __future__ import annotations

from datetime import date

import pycountry
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import ExtendDecisionDeadline, IssueDeadlineReminder, MilestoneKind, reminder_instant
from domain.council_document import (
    Facts,
    Items,
    Paragraph,
    Table,
    council_document_of,
    document_reference,
    document_text,
    document_title,
    formal_name,
    in_series,
    in_words,
    long_date,
    member_states_named,
)
from tests.unit.strategies import (
    DECISION_DEADLINE,
    PRESIDENCY,
    SYSTEM,
    at,
    at_council_decision,
    at_lapsed,
    at_not_pursued,
)
from tests.unit.test_golden_report import cape_verde

STREAM = "partnership-CV/1"
MONTHS = "January February March April May June July August September October November December"
MONTHS_LIST = MONTHS.split()


def test_a_business_date_reads_as_people_write_it() -> None:
    assert long_date(date(2008, 6, 5)) == "5 June 2008"
    assert long_date(date(2007, 12, 31)) == "31 December 2007"


@given(st.dates())
def test_every_date_reads_day_month_year_without_a_leading_zero(day: date) -> None:
    shown = long_date(day)
    number, month, year = shown.split(" ")
    assert (int(number), int(year)) == (day.day, day.year)
    assert MONTHS_LIST.index(month) + 1 == day.month
    assert not number.startswith("0")


def test_a_title_names_the_third_country_by_its_formal_name() -> None:
    assert document_title(MilestoneKind.REPORT_TO_COUNCIL, "MD") == (
        "Report from the Commission to the Council on the outcome of the consultations on a "
        "pilot mobility partnership with the Republic of Moldova"
    )
    assert document_title(MilestoneKind.LAUNCH, "CV").endswith(
        "on the launch of the pilot mobility partnership with the Republic of Cabo Verde"
    )


def test_each_milestone_kind_has_its_own_title() -> None:
    titles = {document_title(kind, "CV") for kind in (*MilestoneKind, None)}
    assert len(titles) == len(MilestoneKind) + 1


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("CV", "the Republic of Cabo Verde"),
        ("MA", "the Kingdom of Morocco"),
        ("GE", "Georgia"),
        ("UA", "Ukraine"),
        ("XK", "Kosovo"),
        ("KR", "the Republic of Korea"),
        ("gm", "the Republic of the Gambia"),
        ("CD", "the Democratic Republic of the Congo"),
        ("TW", "Taiwan"),
        ("PS", "the State of Palestine"),
        ("SY", "the Syrian Arab Republic"),
        ("LA", "the Lao People's Democratic Republic"),
        ("SB", "the Solomon Islands"),
        ("SH", "Saint Helena, Ascension and Tristan da Cunha"),
    ],
)
def test_a_formal_name_has_its_article_or_is_the_short_name(code: str, name: str) -> None:
    assert formal_name(code) == name


def test_member_states_are_named_in_the_councils_protocol_order() -> None:
    assert member_states_named(["PT", "ES", "LU", "FR", "EL", "NL"]) == (
        "Greece",
        "Spain",
        "France",
        "Luxembourg",
        "the Netherlands",
        "Portugal",
    )


def test_names_in_a_sentence_end_with_and() -> None:
    assert in_words(["Spain"]) == "Spain"
    assert in_words(["Spain", "France", "Portugal"]) == "Spain, France and Portugal"
    assert in_words([]) == "none"
    assert in_series(["legal migration", "migration and development"]) == (
        "legal migration; and migration and development"
    )


def test_a_reference_names_the_stream_the_version_and_the_milestone() -> None:
    assert document_reference(STREAM, 12, MilestoneKind.LAUNCH) == "partnership-CV/1 v12 launch"
    assert document_reference(STREAM, 12, None) == "partnership-CV/1 v12"


def test_cape_verdes_launch_document_holds_the_facts_of_the_record() -> None:
    document = council_document_of(cape_verde().events, MilestoneKind.LAUNCH, STREAM)
    assert document.reference == "partnership-CV/1 v12 launch"
    assert document.dated == date(2008, 6, 5)
    assert document.participants == ("Spain", "France", "Luxembourg", "Portugal")
    assert [s.heading for s in document.sections] == [
        "The partnership",
        "Consultation of the Member States",
        "Exploratory talks",
        "Report to the Council",
        "Decision of the Council",
        "Launch",
    ]
    text = document_text(document)
    assert "Date: 5 June 2008" in text
    assert "The consultation closed on 27 July 2007." in text
    assert (
        "The joint declaration (Joint declaration on a mobility partnership between the EU "
        "and Cape Verde) was signed on 5 June 2008 by Spain, France, Luxembourg and Portugal."
    ) in text
    assert "invited the Commission to launch the partnership" in text
    # What people wrote is kept as written, line breaks included: renderers escape it.
    assert "First round in Praia: mobility, readmission & return" in text
    assert "A basis for a pilot partnership exists.\nES, FR, LU and PT are ready" in text


def test_a_milestone_document_shows_the_record_as_it_was_then() -> None:
    document = council_document_of(cape_verde().events, MilestoneKind.CONSULTATION_OUTCOME, STREAM)
    assert document.dated == date(2007, 7, 27)
    assert document.reference == "partnership-CV/1 v6 consultation_outcome"
    assert [s.heading for s in document.sections] == [
        "The partnership",
        "Consultation of the Member States",
    ]
    table = document.sections[1].blocks[0]
    assert isinstance(table, Table)
    assert table.rows[0] == ("Spain", "interested", "capacity building", "20 July 2007")


def test_a_milestone_not_reached_says_so_under_its_title() -> None:
    document = council_document_of(cape_verde().events, MilestoneKind.LAPSE, STREAM)
    assert not document.reached
    assert document.title.startswith("Note from the Commission to the Council on the lapse")
    assert "This milestone has not been reached" in document_text(document)


def test_a_lapse_and_an_end_are_told_in_words() -> None:
    lapsed = council_document_of(at_lapsed().events, MilestoneKind.LAPSE, STREAM)
    assert "The Council took no decision by 31 December 2025" in document_text(lapsed)
    ended = council_document_of(at_not_pursued().events, None, STREAM)
    assert ended.sections[-1].heading == "End of the partnership"
    assert "No Member State declared an interest" in document_text(ended)


def test_the_document_holds_plain_text_blocks_only() -> None:
    document = council_document_of(cape_verde().events, None, STREAM)
    for section in document.sections:
        for block in section.blocks:
            assert isinstance(block, Paragraph | Facts | Table | Items)


def test_an_empty_record_has_no_document() -> None:
    with pytest.raises(ValueError, match="nothing to report"):
        council_document_of([], None, STREAM)


def test_the_reminder_tells_the_council_its_deadline_and_moves_with_an_extension() -> None:
    story = at_council_decision()
    story.do(IssueDeadlineReminder(), SYSTEM, reminder_instant(DECISION_DEADLINE))
    first = council_document_of(story.events, MilestoneKind.DEADLINE_REMINDER, STREAM)
    assert first.title.startswith("Note from the Commission to the Council on the approaching")
    assert first.sections[-1].heading == "The deadline for the Council's decision"
    assert "is due by 31 December 2025" in document_text(first)
    story.do(
        ExtendDecisionDeadline(new_deadline=date(2026, 3, 31), reason="More time"),
        PRESIDENCY,
        at(2025, 12, 20),
    )
    story.do(IssueDeadlineReminder(), SYSTEM, reminder_instant(date(2026, 3, 31)))
    second = council_document_of(story.events, MilestoneKind.DEADLINE_REMINDER, STREAM)
    text = document_text(second)
    assert "is due by 31 March 2026" in text
    assert "Operational decision deadline: 31 March 2026 (extended once)" in text
    assert second.reference == f"{STREAM} v{len(story.events)} deadline_reminder"


@given(st.sampled_from(sorted(c.alpha_2 for c in pycountry.countries)))
def test_a_formal_name_never_doubles_its_article(code: str) -> None:
    name = formal_name(code)
    assert not name.lower().startswith("the the "), name
    assert ", The " not in name, name
