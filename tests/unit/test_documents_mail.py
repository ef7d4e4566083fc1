"""The milestone's e-mail: text and HTML alternatives, the PDF attached, a stable Message-ID."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

from activities.mail_messages import attachment_name, message_id, milestone_email, report_url
from activities.outbox import OutboxMilestone
from domain import MilestoneKind
from domain.council_document import council_document_of
from tests.unit.test_golden_report import cape_verde

LAUNCH = OutboxMilestone(
    stream_id="partnership-CV/1",
    position=412,
    kind="launch",
    country="CV",
    business_date=date(2008, 6, 5),
    recorded_at=datetime(2008, 6, 5, 12, tzinfo=UTC),
    report="# Launch of the pilot partnership\n",
    delivery_state="pending",
    delivered_at=None,
)
DOCUMENT = council_document_of(cape_verde().events, MilestoneKind.LAUNCH, "partnership-CV/1")
PDF = b"%PDF-1.7 the rendered report\n%%EOF\n"
"""The attachment's bytes, given: the real rendering is tested in tests/integration."""


def sent(to: str = "secretariat@consilium.example", **changes: object) -> EmailMessage:
    """The message as a receiver parses it from the bytes on the wire."""
    arguments: dict[str, object] = {
        "milestone": LAUNCH,
        "document": DOCUMENT,
        "to": to,
        "sender": "Pilot Partnerships <noreply@partnerships.example.eu>",
        "public_url": "https://partnerships.example.eu/",
        "pdf": PDF,
        **changes,
    }
    message = milestone_email(**arguments)  # type: ignore[arg-type]
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_the_message_is_text_and_html_alternatives_with_the_report_attached() -> None:
    message = sent()
    assert message.get_content_type() == "multipart/mixed"
    body, attachment = message.iter_parts()
    assert body.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in body.iter_parts()] == ["text/plain", "text/html"]
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "report-CV-launch.pdf"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_payload(decode=True) == PDF


def test_the_subject_is_the_documents_title_in_the_councils_manner() -> None:
    assert sent()["Subject"] == (
        "Report from the Commission to the Council on the launch of the pilot mobility "
        "partnership with the Republic of Cabo Verde"
    )


def test_the_text_part_says_the_facts_and_where_to_read_the_report_online() -> None:
    message = sent()
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    content = text.get_content()
    assert "partnership-CV/1 v12 launch" in content
    assert "https://partnerships.example.eu/partnerships/CV/reports/launch" in content
    assert "signed on 5 June 2008 by Spain, France, Luxembourg and Portugal" in content


def test_the_html_part_is_the_document_with_its_link() -> None:
    html = sent().get_body(preferencelist=("html",))
    assert html is not None
    content = html.get_content()
    assert content.startswith("<!doctype html>")
    assert '<a href="https://partnerships.example.eu/partnerships/CV/reports/launch">' in content


def test_without_a_public_url_the_message_has_no_link() -> None:
    message = sent(public_url=None)
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    assert "online" not in text.get_content().split("\n\n")[0]
    assert "http" not in message.as_string()


def test_the_same_milestone_to_the_same_recipient_is_the_same_message() -> None:
    first, again = sent(), sent()
    assert first["Message-ID"] == again["Message-ID"]
    assert first.as_bytes() == again.as_bytes()
    assert parsedate_to_datetime(first["Date"]) == LAUNCH.recorded_at


def test_each_recipient_and_each_milestone_has_its_own_message_id() -> None:
    sender = "noreply@partnerships.example.eu"
    ids = {
        message_id(LAUNCH, "a@example.org", sender),
        message_id(LAUNCH, "b@example.org", sender),
        message_id(
            OutboxMilestone(**{**LAUNCH.__dict__, "kind": "council_decision"}),
            "a@example.org",
            sender,
        ),
    }
    assert len(ids) == 3
    assert all(i.startswith("<milestone.") and i.endswith("@partnerships.example.eu>") for i in ids)
    # The address's case does not make another message.
    assert message_id(LAUNCH, "A@Example.org", sender) == message_id(
        LAUNCH, "a@example.org", sender
    )


def test_the_attachment_and_the_link_are_named_for_the_country_and_milestone() -> None:
    decision = OutboxMilestone(**{**LAUNCH.__dict__, "kind": "council_decision"})
    assert attachment_name(decision) == "report-CV-council-decision.pdf"
    assert report_url("https://x.example/api/", "CV", "council_decision") == (
        "https://x.example/api/partnerships/CV/reports/council_decision"
    )
