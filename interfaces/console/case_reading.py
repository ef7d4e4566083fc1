"""What a partnership's page shows, read once through the core: the view, the record with each
event's provenance, the answers with their amendments, the milestones' reports and whether the
record's hash chain holds.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy.engine import Engine

from activities.eventstore import EventStore
from activities.records import StoredEvent
from activities.schema import read_utc
from app.reading import Record, current_view, latest_record, report_from
from domain.events import ConsultationAnswered, Event, PartnershipWithdrawn
from domain.state import Answer, MilestoneKind
from domain.view import StatusView
from interfaces.console.core_parts import Parts
from interfaces.console.timeline_words import event_words

_MARKDOWN: Final = MarkdownIt("commonmark", {"html": False})
"""Raw HTML in a report is shown as text: what people wrote never becomes markup."""


@dataclass(frozen=True)
class Line:
    """One event of the record as the timeline shows it."""

    version: int
    type: str
    what: str
    occurred_on: date
    recorded_at: datetime
    actor: str
    role: str
    member_state: str | None
    channel: str
    subject: str | None
    hash: str


@dataclass(frozen=True)
class AnswerRow:
    """A Member State's latest answer, with every earlier one it amends."""

    member_state: str
    latest: Answer
    earlier: list[Answer] = field(default_factory=list)


@dataclass(frozen=True)
class MilestoneReport:
    """A milestone and its report, as HTML."""

    kind: str
    occurred_on: date
    html: Markup


@dataclass(frozen=True)
class Case:
    """Everything a partnership's page shows."""

    view: StatusView
    lines: list[Line]
    answers: list[AnswerRow]
    reports: list[MilestoneReport]
    verified: bool | None
    verify_note: str
    notes: list[str]
    ended_at: str | None = None


def report_html(markdown: str) -> Markup:
    """A report's Markdown as HTML; raw HTML in it is escaped."""
    # markdown-it was told to escape raw HTML (html=False), so its output is safe markup.
    return Markup(_MARKDOWN.render(markdown))


def _line(stored: StoredEvent, event: Event) -> Line:
    metadata: dict[str, Any] = stored.metadata
    nested = metadata.get("provenance")
    source = {**metadata, **(nested if isinstance(nested, dict) else {})}
    channel = source.get("channel")
    subject = source.get("subject")
    return Line(
        version=stored.stream_version,
        type=stored.type,
        what=event_words(event),
        occurred_on=stored.occurred_on,
        recorded_at=read_utc(stored.recorded_at),
        actor=event.actor.id,
        role=event.actor.role.value,
        member_state=event.actor.member_state,
        channel=channel if isinstance(channel, str) else "not recorded",
        subject=subject if isinstance(subject, str) else None,
        hash=stored.hash,
    )


def _answers(view: StatusView, events: list[Event]) -> list[AnswerRow]:
    given: dict[str, list[Answer]] = {}
    for event in events:
        if isinstance(event, ConsultationAnswered):
            given.setdefault(event.member_state, []).append(
                Answer(
                    member_state=event.member_state,
                    position=event.position,
                    offers=tuple(event.offers),
                    comments=event.comments,
                    answered_on=event.occurred_on,
                    answered_by=event.actor.id,
                )
            )
    rows = []
    for code, latest in sorted(view.answers.items()):
        earlier = given.get(code, [])[:-1]
        rows.append(AnswerRow(member_state=code, latest=latest, earlier=earlier))
    return rows


def _reports(engine: Engine, view: StatusView) -> list[MilestoneReport]:
    found = []
    for milestone in view.milestones:
        markdown = report_from(engine, view.country or "", MilestoneKind(milestone.kind))
        found.append(
            MilestoneReport(
                kind=milestone.kind.value,
                occurred_on=milestone.occurred_on,
                html=report_html(markdown),
            )
        )
    return found


def _from_store(
    engine: Engine, country: str, record: Record | None
) -> tuple[Record | None, bool | None, str]:
    record = record or latest_record(engine, country)
    if record is None:
        return None, None, "nothing on record yet"
    report = EventStore(engine).verify(record.stream_id)
    if report.ok:
        count = report.events_checked
        return record, True, f"{count} event{'s' if count != 1 else ''}, hash chain intact"
    return record, False, "; ".join(str(b) for b in report.breaks)


async def read_case(held: Parts, country: str) -> Case:
    """The partnership's page: its live view (from the record when Temporal cannot answer),
    its record, its answers and reports, and the verification of its hash chain."""

    async def status() -> StatusView:
        return await (await held.partnerships()).status(country)

    engine = held.store.engine()
    shown = await current_view(status, engine, country)
    record, verified, note = await asyncio.to_thread(_from_store, engine, country, shown.record)
    view = shown.view
    events = record.events if record else []
    lines = [_line(s, e) for s, e in zip(record.stored, events, strict=True)] if record else []
    reports = await asyncio.to_thread(_reports, engine, view) if record else []
    return Case(
        view=view,
        lines=lines,
        answers=_answers(view, events),
        reports=reports,
        verified=verified,
        verify_note=note,
        notes=shown.notes,
        ended_at=next(
            (e.stage.value for e in reversed(events) if isinstance(e, PartnershipWithdrawn)), None
        ),
    )
