"""A partnership's report-back documents in the format a reader asks for: Markdown, HTML, PDF.

The one place every front door (CLI, API, console) gets a report from: the latest stream of
the country is read from the store, and the document is rendered from its events alone.
Markdown is the record's working copy (`domain.report`); HTML and PDF are the Council-ready
document (`domain.council_document`, laid out by `activities.documents`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.engine import Engine

from activities.documents import report_html, report_pdf
from app.exceptions import NotFound
from app.reading import Record, latest_record
from domain.council_document import CouncilDocument, council_document_of
from domain.report import render_report
from domain.state import MilestoneKind


class ReportFormat(StrEnum):
    """The formats a report renders in."""

    MARKDOWN = "markdown"
    HTML = "html"
    PDF = "pdf"

    @property
    def media_type(self) -> str:
        """The format's media type, as HTTP names it."""
        return _MEDIA_TYPES[self]

    @property
    def suffix(self) -> str:
        """The file name extension of a document in this format."""
        return {"markdown": ".md", "html": ".html", "pdf": ".pdf"}[self.value]


_MEDIA_TYPES = {
    ReportFormat.MARKDOWN: "text/markdown",
    ReportFormat.HTML: "text/html",
    ReportFormat.PDF: "application/pdf",
}


@dataclass(frozen=True)
class RenderedReport:
    """A report rendered: its bytes, its format and a file name to save it under."""

    content: bytes
    format: ReportFormat
    filename: str


def _record(engine: Engine, country: str) -> Record:
    record = latest_record(engine, country)
    if record is None:
        raise NotFound(f"no partnership with {country} is on record", country=country)
    return record


def report_document(
    engine: Engine, country: str, milestone: MilestoneKind | None
) -> CouncilDocument:
    """The Council-ready document of the country's latest partnership, as of `milestone`."""
    record = _record(engine, country)
    return council_document_of(record.events, milestone, record.stream_id)


def report_page(engine: Engine, country: str, milestone: MilestoneKind | None) -> str:
    """The Council-ready document as a standalone HTML page (what the console shows)."""
    return report_html(report_document(engine, country, milestone))


def report_file_name(country: str, milestone: MilestoneKind | None, fmt: ReportFormat) -> str:
    """A file name for the report: `report-CV-launch.pdf`, `report-CV.md` for the whole record."""
    kind = f"-{milestone.value.replace('_', '-')}" if milestone is not None else ""
    return f"report-{country}{kind}{fmt.suffix}"


def render_report_as(
    engine: Engine, country: str, milestone: MilestoneKind | None, fmt: ReportFormat
) -> RenderedReport:
    """The report of the country's latest partnership, as of `milestone`, in format `fmt`."""
    record = _record(engine, country)
    if fmt is ReportFormat.MARKDOWN:
        content = render_report(record.events, milestone).encode("utf-8")
    else:
        document = council_document_of(record.events, milestone, record.stream_id)
        if fmt is ReportFormat.HTML:
            content = report_html(document).encode("utf-8")
        else:
            content = report_pdf(document)
    return RenderedReport(content, fmt, report_file_name(country, milestone, fmt))
