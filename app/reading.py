"""Reading the permanent record: a partnership's events and the status board (read model)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from activities.codec import to_domain_all
from activities.database import create_engine_from_url
from activities.eventstore import EventStore
from activities.records import StoredEvent
from activities.schema import status_board
from activities.store_errors import StoreError
from app.exceptions import NotAccepted, NotFound, Unavailable
from app.partnerships import connected
from domain.events import Event
from domain.evolve import replay
from domain.identifiers import incarnation, latest_stream, stream_prefix
from domain.report import render_report
from domain.state import MilestoneKind
from domain.view import StatusView, status_view
from migrations.readiness import check_ready
from settings import Settings


@dataclass(frozen=True)
class Record:
    """One incarnation of a country's partnership as the store holds it."""

    stream_id: str
    stored: list[StoredEvent]
    events: list[Event]


@dataclass(frozen=True)
class BoardRow:
    """A line of the status board read model."""

    stream_id: str
    country: str
    region: str
    stage: str
    consultation_deadline: date | None
    decision_deadline: date | None
    interested_count: int
    stream_version: int
    last_event_type: str
    last_changed_on: date
    last_recorded_at: datetime


def open_engine(settings: Settings) -> Engine:
    """An engine on DATABASE_URL whose schema is at the migrations' head, or Unavailable."""
    try:
        engine = create_engine_from_url(settings.database_url)
        check_ready(engine)
    except StoreError as error:
        raise Unavailable(str(error)) from None
    return engine


def latest_record(engine: Engine, country: str) -> Record | None:
    """The events of the country's latest partnership stream, or None when it has none."""
    store = EventStore(engine)
    stream_id = latest_stream(store.streams(stream_prefix(country)))
    if stream_id is None:
        return None
    stored = store.read_stream(stream_id)
    return Record(stream_id=stream_id, stored=stored, events=to_domain_all(stored))


def board(engine: Engine, *, stage: str | None = None, region: str | None = None) -> list[BoardRow]:
    """The status board, filtered by stage and region, ordered by country and incarnation."""
    query = sa.select(status_board)
    if stage is not None:
        query = query.where(status_board.c.stage == stage)
    if region is not None:
        query = query.where(status_board.c.region == region)
    with engine.connect() as conn:
        rows = [
            BoardRow(**{name: row._mapping[name] for name in BoardRow.__dataclass_fields__})
            for row in conn.execute(query)
        ]
    return sorted(rows, key=lambda r: (r.country, incarnation(r.stream_id)))


@dataclass(frozen=True)
class Shown:
    """One partnership as a reader sees it: its view, its record, and notes on their sources."""

    view: StatusView
    record: Record | None
    notes: list[str]


async def show(settings: Settings, country: str) -> Shown:
    """The partnership's live status, with its record; from the record alone without Temporal.

    The store is the permanent record: when Temporal cannot answer (or no longer keeps the
    workflow), the view is folded from the events instead, and a note says so.
    """
    notes: list[str] = []
    record: Record | None = None
    try:
        record = latest_record(open_engine(settings), country)
    except Unavailable as error:
        notes.append(f"timeline unavailable: {error.message}")
    try:
        async with connected(settings) as partnerships:
            view = await partnerships.status(country)
    except (Unavailable, NotAccepted, NotFound) as error:
        if record is None:
            raise
        view = status_view(replay(record.events), datetime.now(UTC))
        notes.append(f"shown from the event store; {error.message}")
    return Shown(view=view, record=record, notes=notes)


def report(settings: Settings, country: str, milestone: MilestoneKind | None) -> str:
    """The report-back document (Markdown) of the country's latest partnership, from its events."""
    record = latest_record(open_engine(settings), country)
    if record is None:
        raise NotFound(f"no partnership with {country} is on record", country=country)
    return render_report(record.events, milestone)
