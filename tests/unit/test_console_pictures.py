"""The console's pictures: the programme and the lifecycle, as inline SVG drawn on the server."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from app.reading import BoardRow, ListedPartnership
from domain.commands import USER_COMMANDS, Command, LapseDecisionDeadline
from domain.policy import STAGES_FOR
from domain.stages import END_STAGES, Stage
from interfaces.console.lifecycle_graph import lifecycle_transitions
from interfaces.console.pictures import (
    INK,
    MUTED,
    OVERDUE_COLOUR,
    STAGE_COLOURS,
    TODAY_COLOUR,
    UNKNOWN_COLOUR,
    lifecycle_svg,
    programme_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
TODAY = date(2026, 12, 2)


def row(
    country: str = "CV",
    stage: str = "consultation",
    last_changed_on: date = date(2008, 6, 5),
    consultation_deadline: date | None = None,
    decision_deadline: date | None = None,
) -> BoardRow:
    return BoardRow(
        stream_id=f"partnership-{country}",
        country=country,
        region="africa_mediterranean",
        stage=stage,
        consultation_deadline=consultation_deadline,
        decision_deadline=decision_deadline,
        interested_count=1,
        stream_version=4,
        last_event_type="PartnershipProposed",
        last_changed_on=last_changed_on,
        last_recorded_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def parsed(picture: Markup) -> ET.Element:
    """The picture as XML: it must parse, whatever the rows held."""
    return ET.fromstring(str(picture))


def all_text(element: ET.Element) -> str:
    return "".join(element.itertext())


def by_class(root: ET.Element, tag: str, css: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}{tag}") if css in e.get("class", "").split()]


def labelled_by_its_title_and_desc(root: ET.Element) -> None:
    assert root.get("role") == "img"
    # Drawn at its natural size, which the viewBox lets a page's CSS scale.
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    ids = {e.get("id") for e in root.iter() if e.get("id")}
    for ident in root.get("aria-labelledby", "").split():
        assert ident in ids
    assert root.find(f"{SVG}title") is not None
    assert root.find(f"{SVG}desc") is not None


def contrast_with_white(colour: str) -> float:
    """WCAG 2's contrast ratio of an sRGB colour ("#rrggbb") against white."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (luminance + 0.05)


# --- the programme ----------------------------------------------------------------------

HOSTILE = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()), max_size=40
) | st.sampled_from(["<script>alert(1)</script>", "]]>", "&amp;", '"><x y="', "\x00\ud800"])
BOARD_ROWS = st.builds(
    row,
    country=HOSTILE | st.sampled_from(["CV", "MD", "GE", "EL"]),
    stage=HOSTILE | st.sampled_from([stage.value for stage in Stage]),
    last_changed_on=st.dates(),
    consultation_deadline=st.none() | st.dates(),
    decision_deadline=st.none() | st.dates(),
)
LISTED_ROWS = st.builds(
    ListedPartnership,
    row=BOARD_ROWS,
    proposed_on=st.dates(),
    proposal_position=st.integers(min_value=1, max_value=10**9),
)
ROWS = st.lists(BOARD_ROWS | LISTED_ROWS, max_size=8)


@given(ROWS, st.dates())
def test_the_programme_parses_as_xml_with_one_bar_per_row_whatever_the_rows_say(
    rows: list[BoardRow | ListedPartnership], today: date
) -> None:
    root = parsed(programme_svg(rows, today))

    labelled_by_its_title_and_desc(root)
    assert len(by_class(root, "rect", "bar")) == len(rows)
    assert len(by_class(root, "g", "row")) == len(rows)
    assert not list(root.iter("script"))
    assert not list(root.iter(f"{SVG}script"))


@given(ROWS, st.dates())
def test_the_programme_is_the_same_bytes_for_the_same_rows(
    rows: list[BoardRow | ListedPartnership], today: date
) -> None:
    assert str(programme_svg(rows, today)) == str(programme_svg(list(rows), today))


@given(st.lists(st.dates(min_value=date(2005, 12, 15), max_value=date(2040, 1, 1)), max_size=8))
def test_a_partnership_proposed_earlier_starts_further_left(proposals: list[date]) -> None:
    today = date(2040, 1, 1)
    rows = [
        ListedPartnership(row=row(last_changed_on=today), proposed_on=day, proposal_position=n)
        for n, day in enumerate(proposals)
    ]
    bars = by_class(parsed(programme_svg(rows, today)), "rect", "bar")
    starts = [float(str(bar.get("x"))) for bar in bars]

    for (day, x), (other_day, other_x) in itertools.combinations(
        zip(proposals, starts, strict=True), 2
    ):
        if day < other_day:
            assert x <= other_x
        elif day == other_day:
            assert x == other_x


def test_each_bar_says_country_stage_and_date_in_its_tooltip_and_its_stage_in_text() -> None:
    rows = [
        row("CV", "launched", date(2008, 6, 5)),
        row("MD", "council_decision", date(2026, 10, 1), decision_deadline=date(2026, 12, 31)),
    ]
    root = parsed(programme_svg(rows, TODAY))
    cape_verde, moldova = by_class(root, "g", "row")

    title = cape_verde.find(f"{SVG}title")
    assert title is not None
    assert (title.text or "").startswith("Cabo Verde \u2014 launched, 5 June 2008")
    # Not by colour alone: each row says its stage in words.
    assert [t.text for t in cape_verde.iter(f"{SVG}text")] == ["Cabo Verde", "launched"]
    assert [t.text for t in moldova.iter(f"{SVG}text")] == ["Moldova", "council decision"]


def test_hostile_text_is_shown_escaped_not_run() -> None:
    rows = [row("<script>alert(1)</script>", "<b>odd</b> & \x00")]
    picture = str(programme_svg(rows, TODAY))
    root = parsed(programme_svg(rows, TODAY))

    assert "<script>" not in picture
    assert "<b>" not in picture
    assert "&lt;script&gt;" in picture
    assert "<b>odd</b> & \ufffd" in all_text(root)


def test_a_row_that_carries_its_proposal_starts_its_bar_at_the_proposal() -> None:
    listed = ListedPartnership(
        row=row("CV", "launched", date(2009, 6, 5)),
        proposed_on=date(2008, 1, 1),
        proposal_position=1,
    )
    root = parsed(programme_svg([listed], date(2010, 6, 1)))
    [bar] = by_class(root, "rect", "bar")
    year_lines = [line for line in root.iter(f"{SVG}line") if line.get("stroke") == "#d0d0d0"]

    assert bar.get("x") == year_lines[0].get("x1")  # 1 January 2008, the axis's first tick
    assert "proposed 1 January 2008" in all_text(root)


def test_a_live_deadline_that_passed_is_marked_overdue_and_an_ended_one_is_not() -> None:
    passed = date(2026, 11, 29)
    rows = [
        row("MD", "council_decision", date(2026, 10, 1), decision_deadline=passed),
        row("GE", "declined", date(2026, 10, 1), decision_deadline=passed),
    ]
    root = parsed(programme_svg(rows, TODAY))
    open_row, ended_row = by_class(root, "g", "row")

    [overdue] = by_class(open_row, "polygon", "overdue")
    assert all_text(overdue) == "Decision deadline: 29 November 2026 (3 days overdue)"
    assert not by_class(ended_row, "polygon", "overdue")
    assert all_text(by_class(ended_row, "polygon", "diamond")[0]) == (
        "Decision deadline: 29 November 2026"
    )


def test_a_deadline_still_ahead_says_the_days_left() -> None:
    rows = [row("CV", "consultation", TODAY, consultation_deadline=date(2026, 12, 14))]
    root = parsed(programme_svg(rows, TODAY))

    [only_row] = by_class(root, "g", "row")
    [mark] = by_class(only_row, "polygon", "triangle")
    assert "live" in (mark.get("class") or "").split()
    assert all_text(mark) == "Consultation deadline: 14 December 2026 (12 days left)"


def test_the_programme_marks_today_and_the_years_and_has_a_key() -> None:
    rows = [row("CV", "launched", date(2008, 6, 5)), row("MD", "consultation", date(2026, 3, 1))]
    root = parsed(programme_svg(rows, TODAY))

    assert by_class(root, "g", "today")
    years = {t.text for t in root.iter(f"{SVG}text")}
    assert {"2008", "2026"} <= years
    [legend] = by_class(root, "g", "legend")
    assert {"launched", "consultation", "consultation deadline"} <= {
        t.text for t in legend.iter(f"{SVG}text")
    }
    desc = root.find(f"{SVG}desc")
    assert desc is not None
    assert "2 partnerships from 2008 to 2026" in (desc.text or "")
    assert "today, 2 December 2026" in (desc.text or "")


def test_an_empty_programme_says_so() -> None:
    root = parsed(programme_svg([], TODAY))

    assert "No partnership to show." in all_text(root)
    assert not by_class(root, "rect", "bar")


@pytest.mark.parametrize(
    "colour",
    [*STAGE_COLOURS.values(), UNKNOWN_COLOUR, OVERDUE_COLOUR, TODAY_COLOUR, INK, MUTED],
)
def test_every_colour_reaches_wcag_aa_contrast_against_white(colour: str) -> None:
    assert contrast_with_white(colour) >= 4.5


def test_every_stage_has_a_colour_of_its_own() -> None:
    assert set(STAGE_COLOURS) == set(Stage)
    assert len(set(STAGE_COLOURS.values())) == len(Stage)


# --- the lifecycle ----------------------------------------------------------------------

CURRENT = st.none() | st.sampled_from([stage.value for stage in Stage]) | HOSTILE


def test_every_stage_of_the_domain_is_drawn_once_in_the_lifecycle() -> None:
    root = parsed(lifecycle_svg(None))
    drawn = [str(g.get("data-stage")) for g in by_class(root, "g", "stage")]

    assert sorted(drawn) == sorted(stage.value for stage in Stage)
    for box in by_class(root, "g", "stage"):
        words = str(box.get("data-stage")).replace("_", " ")
        assert words in [t.text for t in box.iter(f"{SVG}text")]  # its name, not a colour


@given(CURRENT, st.none() | st.sampled_from([stage.value for stage in Stage]) | HOSTILE)
def test_the_current_stage_is_marked_exactly_once_and_said_in_the_description(
    current: str | None, ended_at: str | None
) -> None:
    root = parsed(lifecycle_svg(current, ended_at))
    marked = by_class(root, "g", "current")
    desc = root.find(f"{SVG}desc")
    assert desc is not None

    labelled_by_its_title_and_desc(root)
    if current in {stage.value for stage in Stage}:
        [box] = marked
        assert box.get("data-stage") == current
        assert box.get("aria-current") == "step"
        assert "current" in all_text(box)
        assert f"The current stage is {str(current).replace('_', ' ')}." in (desc.text or "")
        assert len([e for e in root.iter() if e.get("aria-current")]) == 1
    else:
        assert not marked
        assert not [e for e in root.iter() if e.get("aria-current")]


def test_every_step_between_stages_that_the_domain_allows_is_drawn() -> None:
    root = parsed(lifecycle_svg("consultation"))
    drawn = {
        (line.get("data-from"), line.get("data-to")) for line in by_class(root, "line", "step")
    }

    assert drawn == {(t.source.value, t.target.value) for t in lifecycle_transitions()}


def test_the_lifecycle_found_in_the_domain_is_the_one_of_design_section_2() -> None:
    found = {(t.source, t.target) for t in lifecycle_transitions()}
    spine = [
        Stage.CONSULTATION,
        Stage.AWAITING_TALKS_AUTHORISATION,
        Stage.EXPLORATORY_TALKS,
        Stage.REPORT_DUE,
        Stage.COUNCIL_DECISION,
        Stage.LAUNCH_PREPARATION,
        Stage.LAUNCHED,
    ]
    branches = {
        (Stage.CONSULTATION, Stage.NOT_PURSUED),
        (Stage.EXPLORATORY_TALKS, Stage.TALKS_FAILED),
        (Stage.COUNCIL_DECISION, Stage.DECLINED),
        (Stage.COUNCIL_DECISION, Stage.LAPSED),
    }
    withdrawals = {(stage, Stage.WITHDRAWN) for stage in Stage if not stage.is_end}

    assert set(itertools.pairwise(spine)) <= found
    assert branches <= found
    assert withdrawals <= found
    assert not {source for source, _ in found} & END_STAGES  # nothing leaves an end


def test_each_step_drawn_is_one_the_policy_allows_at_the_stage_it_leaves() -> None:
    every: tuple[type[Command], ...] = (*USER_COMMANDS, LapseDecisionDeadline)
    commands = {command.name: command for command in every}

    for transition in lifecycle_transitions():
        assert transition.source in STAGES_FOR[commands[transition.step]], transition


def test_a_partnership_that_ended_says_where_it_ended_and_draws_that_step_thicker() -> None:
    root = parsed(lifecycle_svg("withdrawn", "exploratory_talks"))
    [left] = [g for g in by_class(root, "g", "stage") if "ended here" in all_text(g)]
    thick = [line for line in by_class(root, "line", "step") if line.get("stroke-width") == "3"]
    desc = root.find(f"{SVG}desc")

    assert left.get("data-stage") == "exploratory_talks"
    assert {(line.get("data-from"), line.get("data-to")) for line in thick} == {
        ("exploratory_talks", "withdrawn")
    }
    assert desc is not None
    assert "It ended at exploratory talks." in (desc.text or "")


def test_an_end_reached_from_one_stage_implies_where_it_ended() -> None:
    root = parsed(lifecycle_svg("launched"))
    [left] = [g for g in by_class(root, "g", "stage") if "ended here" in all_text(g)]

    assert left.get("data-stage") == "launch_preparation"


@given(CURRENT)
def test_the_lifecycle_is_the_same_bytes_for_the_same_stage(current: str | None) -> None:
    assert str(lifecycle_svg(current)) == str(lifecycle_svg(current))


def test_two_pictures_on_one_page_have_ids_of_their_own() -> None:
    first = parsed(lifecycle_svg("consultation", ident="a"))
    second = parsed(lifecycle_svg("consultation", ident="b"))
    ids_first = {e.get("id") for e in first.iter() if e.get("id")}
    ids_second = {e.get("id") for e in second.iter() if e.get("id")}

    assert ids_first
    assert not ids_first & ids_second


def test_a_stage_it_could_not_have_ended_at_marks_nothing() -> None:
    root = parsed(lifecycle_svg("launched", "consultation"))
    thick = [line for line in by_class(root, "line", "step") if line.get("stroke-width") == "3"]

    assert not [g for g in by_class(root, "g", "stage") if "ended here" in all_text(g)]
    assert not thick
