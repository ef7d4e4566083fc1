"""The e-mail that takes a report-back milestone to a subscriber: text, HTML and the PDF.

A message is built from the milestone (as the outbox holds it) and its Council-ready
document, and nothing else: no clock and no randomness, so a retried delivery sends the very
same message, with the same `Message-ID`, and a receiver can recognise a repeat.
"""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Final
from urllib.parse import quote

from activities.documents import report_html, report_pdf
from activities.outbox import OutboxMilestone
from domain.council_document import CouncilDocument, document_text

_FALLBACK_DOMAIN: Final = "pilot-partnerships.invalid"


def report_url(public_url: str, country: str, kind: str) -> str:
    """Where the API serves the milestone's report: `{public_url}/partnerships/CV/reports/launch`.

    Quoted, though a country code and a kind never need it.
    """
    return f"{public_url.rstrip('/')}/partnerships/{quote(country)}/reports/{quote(kind)}"


def attachment_name(milestone: OutboxMilestone) -> str:
    """The PDF's file name: `report-CV-launch.pdf`."""
    return f"report-{milestone.country}-{milestone.kind.replace('_', '-')}.pdf"


def message_id(milestone: OutboxMilestone, to: str, sender: str) -> str:
    """A Message-ID stable per milestone and recipient, at the sender's domain.

    The same milestone sent to the same address twice (a retry, a re-send) carries the same
    id, so a mail client shows it once; the id is a digest, so it says nothing about either.
    """
    key = f"{milestone.stream_id}\x1f{milestone.position}\x1f{milestone.kind}\x1f{to.lower()}"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
    domain = parseaddr(sender)[1].rpartition("@")[2] or _FALLBACK_DOMAIN
    return f"<milestone.{digest}@{domain}>"


def milestone_email(
    *,
    milestone: OutboxMilestone,
    document: CouncilDocument,
    to: str,
    sender: str,
    public_url: str | None = None,
    pdf: bytes | None = None,
) -> EmailMessage:
    """The milestone's e-mail to `to`: a plain-text and an HTML part, and the PDF attached.

    `document` is the milestone's Council-ready document (`activities.documents.
    milestone_document` builds it from the store); `pdf` is its rendering when the caller has
    it already (rendered here otherwise). `public_url`, the API's public address, adds a link
    to the report online. The subject is the document's title; `Date` is when the milestone
    was recorded, so a re-send is the same message.
    """
    online = report_url(public_url, milestone.country, milestone.kind) if public_url else None
    message = EmailMessage()
    message["Subject"] = document.title
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(milestone.recorded_at)
    message["Message-ID"] = message_id(milestone, to, sender)
    # An automatic message (RFC 3834): no out-of-office reply should answer it.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Partnership-Reference"] = document.reference
    cover = (
        f"The Commission's document below ({document.reference}) is attached as PDF"
        + (f" and can be read online at {online}" if online else "")
        + ".\n\n"
    )
    message.set_content(cover + document_text(document), subtype="plain", charset="utf-8")
    message.add_alternative(report_html(document, online=online), subtype="html", charset="utf-8")
    message.add_attachment(
        pdf if pdf is not None else report_pdf(document),
        maintype="application",
        subtype="pdf",
        filename=attachment_name(milestone),
    )
    # Boundaries from the Message-ID rather than random ones, so that the same milestone to
    # the same recipient is the same bytes on every attempt. "=_" never occurs in a quoted-
    # printable or base64 body, and a digest does not occur in a document by chance.
    token = message["Message-ID"].strip("<>").partition("@")[0]
    message.set_boundary(f"=_mixed.{token}")
    for part in message.iter_parts():
        if part.is_multipart():
            part.set_boundary(f"=_alternative.{token}")
    return message
