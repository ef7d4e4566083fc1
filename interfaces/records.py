"""What the CLI reads from the permanent record: a partnership's events and the status board."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from activities.codec import to_domain_all
from activities.database import check_ready, create_engine_from_url
from activities.eventstore import EventStore
from activities.records import StoredEvent
from activities.schema import status_board
from activities.store_errors import StoreError
from domain.countries import iso_code
from domain.errors import InvalidCountry
from domain.events import Event
from domain.identifiers import incarnation, latest_stream, stream_prefix
from interfaces.errors import CliError, ExitCode
from interfaces.settings import Settings


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
    """An engine on DATABASE_URL whose schema is at the migrations' head, or CliError."""
    try:
        engine = create_engine_from_url(settings.database_url)
        check_ready(engine)
    except StoreError as error:
        raise CliError(str(error), code=ExitCode.UNAVAILABLE) from None
    return engine


def country_code(text: str) -> str:
    """A country code as the contract writes it (upper-case ISO), or CliError saying why not."""
    try:
        return iso_code(text)
    except InvalidCountry as error:
        raise CliError(str(error), code=ExitCode.USAGE) from None


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
