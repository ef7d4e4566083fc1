"""Reading the permanent record: a partnership's events, the status board and the inbox.

The board and the inbox come from read models (status_board, open_tasks), kept in each
append's transaction; a partnership's view and report, from its events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from activities.codec import to_domain_all
from activities.eventstore import EventStore
from activities.records import StoredEvent
from activities.schema import events as events_table
from activities.schema import open_tasks, status_board
from activities.schema import streams as streams_table
from activities.store_errors import StoreError
from app.exceptions import NotAccepted, NotFound, Unavailable
from app.partnerships import connected
from domain.actors import Actor, Role
from domain.deadlines import has_passed
from domain.events import Event
from domain.evolve import replay
from domain.identifiers import incarnation, latest_stream, stream_prefix
from domain.report import render_report
from domain.stages import Stage
from domain.state import MilestoneKind
from domain.tasks import UPDATE_ORDER, OpenTask, days_left, offered_at
from domain.view import StatusView, status_view
from migrations.readiness import open_ready_engine
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
        engine = open_ready_engine(settings.database_url)
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
    return Shown(view=_with_accessions(view, record), record=record, notes=notes)


def _with_accessions(view: StatusView, record: Record | None) -> StatusView:
    """The view, or the record's when it holds more: accessions to a launched partnership are
    recorded after its workflow ended (workflows/accession.py), so only the record has them."""
    if record is None or len(record.events) <= view.version:
        return view
    return status_view(replay(record.events), datetime.now(UTC))


def report(settings: Settings, country: str, milestone: MilestoneKind | None) -> str:
    """The report-back document (Markdown) of the country's latest partnership, from its events."""
    return report_from(open_engine(settings), country, milestone)


def report_from(engine: Engine, country: str, milestone: MilestoneKind | None) -> str:
    """`report`, from the store behind an engine the caller keeps (a server, for its lifetime)."""
    record = latest_record(engine, country)
    if record is None:
        raise NotFound(f"no partnership with {country} is on record", country=country)
    return render_report(record.events, milestone)


@dataclass(frozen=True)
class ListedPartnership:
    """A line of the board as the API lists it: the read model's row and when it was proposed.

    `proposal_position` is the proposal's global position in the log: it orders the board,
    newest first, and a page continues strictly below the last one it showed.
    """

    row: BoardRow
    proposed_on: date
    proposal_position: int


def board_page(
    engine: Engine,
    *,
    stage: str | None = None,
    region: str | None = None,
    country: str | None = None,
    year: int | None = None,
    limit: int = 50,
    before: int | None = None,
) -> tuple[list[ListedPartnership], int | None]:
    """One page of the board, the newest proposals first, and where the next page starts.

    `year` is the year of the proposal's business date. The proposal is the first event of
    its stream, so its position is fixed once recorded: paging by it never skips or repeats a
    partnership whose stage changes meanwhile. The second value is the position to pass as
    `before` for the next page, None after the last.
    """
    proposal = events_table.alias("proposal")
    query = sa.select(status_board, proposal.c.occurred_on, proposal.c.position).join(
        proposal,
        sa.and_(proposal.c.stream_id == status_board.c.stream_id, proposal.c.stream_version == 1),
    )
    if stage is not None:
        query = query.where(status_board.c.stage == stage)
    if region is not None:
        query = query.where(status_board.c.region == region)
    if country is not None:
        query = query.where(status_board.c.country == country)
    if year is not None:
        query = query.where(proposal.c.occurred_on.between(date(year, 1, 1), date(year, 12, 31)))
    if before is not None:
        query = query.where(proposal.c.position < before)
    # One more than asked tells whether another page follows, without counting them all.
    query = query.order_by(proposal.c.position.desc()).limit(limit + 1)
    with engine.connect() as conn:
        found = [
            ListedPartnership(
                row=BoardRow(
                    **{name: row._mapping[name] for name in BoardRow.__dataclass_fields__}
                ),
                proposed_on=row._mapping["occurred_on"],
                proposal_position=row._mapping["position"],
            )
            for row in conn.execute(query)
        ]
    page = found[:limit]
    more = len(found) > limit
    return page, (page[-1].proposal_position if more and page else None)


async def current_view(
    status: Callable[[], Awaitable[StatusView]], engine: Engine | None, country: str
) -> Shown:
    """The partnership's live status from Temporal, or folded from its record when it cannot.

    `status` asks Temporal (connecting first if need be). Like `show`, but with an engine the
    caller keeps (a server holds it for its lifetime), and the record read only when Temporal
    does not answer. The record is the permanent one: a workflow Temporal no longer keeps
    still has its view.
    """
    try:
        view = await status()
        if view.stage is Stage.LAUNCHED and engine is not None:
            launched = await asyncio.to_thread(latest_record, engine, country)
            return Shown(view=_with_accessions(view, launched), record=None, notes=[])
        return Shown(view=view, record=None, notes=[])
    except (Unavailable, NotAccepted, NotFound) as error:
        record = (
            await asyncio.to_thread(latest_record, engine, country) if engine is not None else None
        )
        if record is None:
            raise
        view = status_view(replay(record.events), datetime.now(UTC))
        return Shown(view=view, record=record, notes=[f"shown from the event store; {error}"])


@dataclass(frozen=True)
class InboxItem:
    """One step an actor may take now, on one open partnership, and the deadline it races.

    `days_left` counts from the reader's `now` (UTC) to `deadline`: 0 on its last day, negative
    once it has passed, when `overdue` is true; None, and not overdue, without a deadline.
    """

    country: str
    stream_id: str
    stage: str
    update: str
    actor: Actor
    deadline: date | None
    days_left: int | None
    overdue: bool


def inbox(engine: Engine, actors: Sequence[Actor], now: datetime) -> list[InboxItem]:
    """Every step one of `actors` may take now across open partnerships, most urgent first.

    Read from the open-tasks read model, which each append keeps in its own transaction with
    the domain's `open_tasks` (domain/tasks.py), without folding any stream:
    1. one query takes the rows of the actors' roles, offered to any Member State or to one of
       the actors' own; each item names the actor it is for, so a representative bound to PT
       is offered the consultation's answer for PT, and no step bound to another Member State;
    2. a row of a stream that a later incarnation of its country superseded is left out (an
       operator may end a workflow without an end stage; its stream stays open on the board);
    3. the domain's `offered_at` leaves out the steps a deadline passed by `now` rules out,
       the one part of `next_actions(state, now)` that time changes between two events;
    4. each step carries its stage's deadline (`stage_deadline`), and the days left to it at
       `now`; the earliest comes first, steps that race no deadline last, then by country,
       update in the lifecycle's order, and the actors' order.
    The result is the one folding each open stream and asking `next_actions(state, now)` gives
    (tests/integration/test_open_tasks.py proves it on generated lifecycles).
    """
    wanted = list(dict.fromkeys(actors))  # the same actor twice is offered each step once
    if not wanted:
        return []
    roles = {actor.role.value for actor in wanted}
    member_states = {actor.member_state for actor in wanted if actor.member_state is not None}
    query = sa.select(open_tasks).where(
        open_tasks.c.role.in_(sorted(roles)),
        sa.or_(
            open_tasks.c.member_state.is_(None),
            open_tasks.c.member_state.in_(sorted(member_states)),
        ),
    )
    with engine.connect() as conn:
        rows = list(conn.execute(query))
        latest = _latest_streams(conn, {row.country for row in rows})
    items: list[tuple[int, InboxItem]] = []
    for row in rows:
        if latest.get(row.country) != row.stream_id:
            continue
        task = OpenTask(
            role=Role(row.role),
            update=row.update_name,
            member_state=row.member_state,
            deadline=row.deadline,
            closes_on=row.closes_on,
        )
        if not offered_at(task, now):
            continue
        for number, actor in enumerate(wanted):
            if actor.role is not task.role:
                continue
            if task.member_state is not None and task.member_state != actor.member_state:
                continue
            items.append((number, _item(row, task, actor, now)))
    items.sort(
        key=lambda found: (
            found[1].deadline is None,
            found[1].deadline or date.max,
            found[1].country,
            UPDATE_ORDER.get(found[1].update, len(UPDATE_ORDER)),
            found[0],
        )
    )
    return [item for _, item in items]


def _item(row: sa.Row[Any], task: OpenTask, actor: Actor, now: datetime) -> InboxItem:
    deadline = task.deadline
    return InboxItem(
        country=row.country,
        stream_id=row.stream_id,
        stage=row.stage,
        update=task.update,
        actor=actor,
        deadline=deadline,
        days_left=None if deadline is None else days_left(deadline, now),
        overdue=deadline is not None and has_passed(deadline, now),
    )


def _latest_streams(conn: Connection, countries: set[str]) -> dict[str, str]:
    """Each country's latest stream (incarnation) in the store, by country code."""
    if not countries:
        return {}
    prefixes = {country: stream_prefix(country) for country in countries}
    query = sa.select(streams_table.c.stream_id).where(
        sa.or_(
            *(
                streams_table.c.stream_id.startswith(prefix, autoescape=True)
                for prefix in prefixes.values()
            )
        )
    )
    found = list(conn.execute(query).scalars())
    latest = {
        country: latest_stream(s for s in found if s.startswith(prefix))
        for country, prefix in prefixes.items()
    }
    return {country: stream for country, stream in latest.items() if stream is not None}
