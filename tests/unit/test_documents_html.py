"""The Council-ready document as an HTML page: standalone, accessible, and inert."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st

from activities.documents import report_html
from domain import MilestoneKind
from domain.council_document import CouncilDocument, Items, Paragraph, Section, council_document_of
from tests.unit.test_golden_report import cape_verde

LAUNCH = council_document_of(cape_verde().events, MilestoneKind.LAUNCH, "partnership-CV/1")


@dataclass
class Page(HTMLParser):
    """What a reader (or a screen reader) finds in a page: its elements, headings and text."""

    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    headings: list[tuple[str, str]] = field(default_factory=list)
    title: str = ""
    text: list[str] = field(default_factory=list)
    _open: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._open.append(tag)
        if tag in ("h1", "h2", "h3"):
            self.headings.append((tag, ""))

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._open and self._open[-1] == "title":
            self.title += data
        elif self._open and self._open[-1] in ("h1", "h2", "h3"):
            level, words = self.headings[-1]
            self.headings[-1] = (level, words + data)

    def elements(self, tag: str) -> list[dict[str, str | None]]:
        """The attributes of each `tag` element, in order."""
        return [attrs for name, attrs in self.tags if name == tag]


def read(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def test_the_page_is_a_standalone_english_document_titled_as_the_council_reads_it() -> None:
    html = report_html(LAUNCH)
    page = read(html)
    assert html.startswith("<!doctype html>")
    assert page.elements("html") == [{"lang": "en"}]
    assert {"charset": "utf-8"} in page.elements("meta")
    assert page.title == LAUNCH.title
    assert page.headings[0] == ("h1", LAUNCH.title)


def test_the_headings_are_one_title_then_the_numbered_sections_in_order() -> None:
    page = read(report_html(LAUNCH))
    assert [level for level, _ in page.headings] == ["h1"] + ["h2"] * len(LAUNCH.sections)
    assert [words for _, words in page.headings[1:]] == [
        "1. The partnership",
        "2. Consultation of the Member States",
        "3. Exploratory talks",
        "4. Report to the Council",
        "5. Decision of the Council",
        "6. Launch",
    ]


def test_the_answers_table_has_a_caption_and_header_cells_for_columns_and_rows() -> None:
    page = read(report_html(LAUNCH))
    assert len(page.elements("table")) == 1
    assert len(page.elements("caption")) == 1
    scopes = [attrs.get("scope") for attrs in page.elements("th")]
    assert scopes == ["col"] * 4 + ["row"] * 4


def test_the_masthead_gives_the_reference_the_date_and_the_member_states() -> None:
    page = read(report_html(LAUNCH))
    text = " ".join(page.text)
    assert "partnership-CV/1 v12 launch" in text
    assert "5 June 2008" in text
    assert "Spain, France, Luxembourg and Portugal" in text
    assert page.elements("time") == [{"datetime": "2008-06-05"}]


def test_the_page_loads_nothing_and_links_only_where_it_is_read_online() -> None:
    html = report_html(LAUNCH)
    page = read(html)
    assert not page.elements("script")
    assert not page.elements("link")
    assert not page.elements("img")
    assert "url(" not in html
    assert "@import" not in html
    assert not page.elements("a")
    online = read(report_html(LAUNCH, online="https://example.eu/partnerships/CV/reports/launch"))
    assert online.elements("a") == [{"href": "https://example.eu/partnerships/CV/reports/launch"}]


MARKUP = st.text(alphabet=st.sampled_from("<>&\"'/= abcscript"), min_size=1, max_size=60)


def _written(said: str, listed: str) -> CouncilDocument:
    return replace(
        LAUNCH,
        reference=said,
        sections=(Section(said, (Paragraph(said), Items((listed,)))),),
    )


@given(MARKUP, MARKUP)
def test_whatever_people_wrote_is_shown_as_text_never_as_markup(said: str, listed: str) -> None:
    page = read(report_html(_written(said, listed)))
    plain = read(report_html(_written("x", "y")))
    # The same elements, with the same attributes, as a page of harmless words.
    assert page.tags == [
        (name, {k: (said if v == "x" else v) for k, v in attrs.items()})
        for name, attrs in plain.tags
    ]
    assert said in "".join(page.text)
    assert listed in "".join(page.text)


def test_a_milestone_not_reached_renders_its_title_and_says_so() -> None:
    document = CouncilDocument(
        title="Note from the Commission to the Council on the lapse",
        reference="partnership-CV/1 lapse",
        country="CV",
        country_name="the Republic of Cabo Verde",
        dated=None,
        participants=(),
        sections=(Section("Not reached", (Paragraph("This milestone has not been reached."),)),),
        reached=False,
    )
    page = read(report_html(document))
    assert page.elements("time") == []
    assert "This milestone has not been reached." in page.text


def test_a_dated_document_shows_its_date_as_people_read_it() -> None:
    page = read(report_html(replace(LAUNCH, dated=date(2007, 12, 10))))
    assert "10 December 2007" in page.text
