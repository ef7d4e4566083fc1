"""Council-ready documents: a report-back document as an HTML page and as a PDF (WeasyPrint).

The words come from `domain.council_document`; this module only lays them out. Every piece of
text is HTML-escaped, so what people wrote is shown as written and never becomes markup, and
the page carries its own style sheet: rendering loads nothing, and the URL fetcher given to
WeasyPrint refuses every URL (fonts are the machine's own, found through fontconfig).
"""

from __future__ import annotations

from html import escape
from typing import Any, Final, NoReturn

from activities.codec import to_domain_all
from activities.eventstore import EventStore
from domain.council_document import (
    Block,
    CouncilDocument,
    Facts,
    Items,
    Paragraph,
    Table,
    council_document_of,
    in_words,
    long_date,
)
from domain.state import MilestoneKind

AUTHOR: Final = "European Commission"

# Print first: A4 with the Council's margins, the reference at the top of each page and the
# page count at the bottom; on screen the same page, centred and readable.
_CSS: Final = """
@page {
  size: A4;
  margin: 25mm 22mm 25mm 22mm;
  @top-right { content: string(reference); font-size: 8.5pt; color: #333; }
  @bottom-center { content: counter(page) " / " counter(pages); font-size: 8.5pt; color: #333; }
}
html { font-family: "Liberation Serif", "DejaVu Serif", "Times New Roman", serif;
       font-size: 11.5pt; line-height: 1.4; color: #111; background: #fff; }
body { margin: 0 auto; max-width: 46rem; padding: 1.5rem; }
header.masthead { border-bottom: 1.5pt solid #1a3a6b; padding-bottom: 0.6rem;
                  margin-bottom: 1.2rem; }
.institution { font-weight: bold; letter-spacing: 0.03em; color: #1a3a6b; margin: 0; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 0.1rem 0.8rem;
        margin: 0.6rem 0 0; }
.meta dt { font-weight: bold; }
.meta dd { margin: 0; }
.reference { string-set: reference content(); }
h1 { font-size: 15pt; line-height: 1.25; margin: 1rem 0 1.2rem; color: #111; }
h2 { font-size: 12.5pt; margin: 1.4rem 0 0.5rem; color: #1a3a6b; break-after: avoid; }
p { margin: 0 0 0.6rem; }
.written { white-space: pre-line; }
dl.facts { margin: 0 0 0.8rem; }
dl.facts div { display: flex; gap: 0.6rem; }
dl.facts dt { font-weight: bold; min-width: 14rem; }
dl.facts dd { margin: 0; }
table { border-collapse: collapse; width: 100%; margin: 0.4rem 0 0.8rem; font-size: 10.5pt; }
caption { text-align: left; font-style: italic; padding-bottom: 0.3rem; }
th, td { border: 0.75pt solid #555; padding: 0.25rem 0.4rem; text-align: left;
         vertical-align: top; }
th { background: #e8edf5; }
thead th, td:last-child { white-space: nowrap; }
tr { break-inside: avoid; }
ul.items { margin: 0 0 0.8rem; padding-left: 1.2rem; }
ul.items li { margin-bottom: 0.3rem; }
footer { border-top: 0.75pt solid #555; margin-top: 1.6rem; padding-top: 0.4rem;
         font-size: 9pt; color: #333; }
@media print { body { max-width: none; padding: 0; } }
"""


def _text(value: str) -> str:
    return escape(value, quote=True)


def _block_html(block: Block) -> str:
    match block:
        case Paragraph(text=text):
            return f'<p class="written">{_text(text)}</p>'
        case Facts(items=items):
            rows = "".join(
                f"<div><dt>{_text(label)}</dt><dd>{_text(value)}</dd></div>"
                for label, value in items
            )
            return f'<dl class="facts">{rows}</dl>'
        case Table(caption=caption, header=header, rows=rows):
            head = "".join(f'<th scope="col">{_text(h)}</th>' for h in header)
            body = "".join(
                "<tr>"
                + "".join(
                    (f'<th scope="row">{_text(cell)}</th>' if n == 0 else f"<td>{_text(cell)}</td>")
                    for n, cell in enumerate(row)
                )
                + "</tr>"
                for row in rows
            )
            return (
                f"<table><caption>{_text(caption)}</caption>"
                f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            )
        case Items(items=items):
            return '<ul class="items">' + "".join(f"<li>{_text(i)}</li>" for i in items) + "</ul>"
    raise TypeError(f"not a block of a document: {type(block).__name__}")


def milestone_document(
    store: EventStore, stream_id: str, position: int, kind: MilestoneKind
) -> CouncilDocument:
    """The document of the milestone reached by the event at global `position` of a stream.

    The milestones outbox names a milestone by its stream, its event's position and its kind;
    the document is rendered from the stream's events up to that one.
    """
    upto = [s for s in store.read_stream(stream_id) if s.position <= position]
    return council_document_of(to_domain_all(upto), kind, stream_id)


def report_html(document: CouncilDocument, *, online: str | None = None) -> str:
    """The document as a standalone, accessible HTML page with its own print style sheet.

    One `h1` (the title), an `h2` per numbered section, tables with captions and header cells,
    `lang="en"`; nothing is loaded from anywhere. `online`, an address where the document can
    be read (an e-mail gives it), is shown as a link under the reference.
    """
    meta = [("Reference", f'<span class="reference">{_text(document.reference)}</span>')]
    if document.dated is not None:
        day = document.dated
        meta.append(("Date", f'<time datetime="{day.isoformat()}">{long_date(day)}</time>'))
    if document.participants:
        meta.append(("Member States taking part", _text(in_words(document.participants))))
    if online is not None:
        meta.append(("Online", f'<a href="{_text(online)}">{_text(online)}</a>'))
    meta_html = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in meta)
    sections = "".join(
        f'<section aria-labelledby="s{n}"><h2 id="s{n}">{n}. {_text(s.heading)}</h2>'
        + "".join(_block_html(b) for b in s.blocks)
        + "</section>"
        for n, s in enumerate(document.sections, start=1)
    )
    title = _text(document.title)
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n"
        f'<meta name="author" content="{AUTHOR}">\n'
        f'<meta name="description" content="{_text(document.reference)}">\n'
        f"<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<header class="masthead"><p class="institution">{AUTHOR}</p>'
        f'<dl class="meta">{meta_html}</dl></header>\n'
        f"<main>\n<h1>{title}</h1>\n{sections}\n</main>\n"
        f"<footer><p>Rendered from the partnership's record ({_text(document.reference)}); "
        "the event store holds the original.</p></footer>\n"
        "</body>\n</html>\n"
    )


class RemoteResourceRefused(RuntimeError):
    """A document asked to load a URL while rendering; documents load nothing."""


def _refuse(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise RemoteResourceRefused(
        f"a report document may load nothing while it renders, but it asked for {url[:200]!r}"
    )


def _fetcher() -> Any:
    # Imported here: WeasyPrint loads Pango and its fonts, which only rendering needs.
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    class NoFetching(URLFetcher):  # type: ignore[misc]
        """Refuses every URL, fatally, so that a page that asks for one fails to render."""

        def fetch(self, url: str, headers: Any = None) -> NoReturn:
            try:
                _refuse(url)
            except RemoteResourceRefused as error:
                raise FatalURLFetchingError(str(error)) from error

    return NoFetching()


PDF_VARIANT: Final = "pdf/ua-1"
"""PDF/UA-1 (ISO 14289-1): a tagged PDF whose structure, language and title a screen reader
reads, as a public body's documents must be accessible; it costs a few kilobytes."""


def pdf_of_html(html: str) -> bytes:
    """An HTML page as accessible PDF bytes, with WeasyPrint, loading nothing.

    The same page gives the same bytes: no creation date or random identifier is written.
    """
    from weasyprint import HTML

    pdf = HTML(string=html, base_url=None, url_fetcher=_fetcher()).write_pdf(
        pdf_variant=PDF_VARIANT
    )
    if not isinstance(pdf, bytes):  # write_pdf returns bytes when given no target
        raise TypeError("WeasyPrint returned no PDF")
    return pdf


def report_pdf(document: CouncilDocument) -> bytes:
    """The document as a PDF: its HTML page, printed on A4."""
    return pdf_of_html(report_html(document))
