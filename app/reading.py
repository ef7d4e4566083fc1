"""Reading the permanent record: a partnership's events and the status board (read model)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from activities.codec import to_domain_all
from activities.eventstore import EventStore
from activities.records import StoredEvent
from activities.schema import events as events_table
from activities.schema import status_board
from activities.store_errors import StoreError
from app.exceptions import NotAccepted, NotFound, Unavailable
from app.partnerships import connected
from domain.actors import Actor
from domain.commands import USER_COMMANDS, CloseConsultation, LapseDecisionDeadline
from domain.events import Event
from domain.evolve import replay
from domain.identifiers import incarnation, latest_stream, stream_prefix
from domain.policy import allowed_at
from domain.report import render_report
from domain.stages import END_STAGES
from domain.state import MilestoneKind, Partnership
from domain.view import StatusView, next_actions, status_view
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
    return Shown(view=view, record=record, notes=notes)


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
        return Shown(view=await status(), record=None, notes=[])
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
    """One step an actor may take now, on one open partnership, and the deadline it races."""

    country: str
    stream_id: str
    stage: str
    update: str
    actor: Actor
    deadline: date | None


def stage_deadline(state: Partnership) -> date | None:
    """The earliest deadline that ends the partnership's stage unless someone acts first.

    The consultation's deadline closes it, and the decision deadline lapses a partnership
    still awaiting the Council: the policy's tables say at which stages each of these
    deadline-driven commands is armed, as they do for the workflow's timers.
    """
    stage = state.stage
    if stage is None or stage.is_end:
        return None
    live: list[date | None] = []
    if allowed_at(stage, CloseConsultation):
        live.append(state.consultation_deadline)
    if allowed_at(stage, LapseDecisionDeadline):
        live.append(state.decision_deadline)
    return min((deadline for deadline in live if deadline is not None), default=None)


def inbox(engine: Engine, actors: Sequence[Actor], now: datetime) -> list[InboxItem]:
    """Every step one of `actors` may take now across open partnerships, most urgent first.

    How it is worked out, with the domain's own functions only:
    1. the status board (read model) names the open partnerships: those not at an end stage;
    2. each one's latest stream is read from the store and folded with `replay`, so the state
       is the record's, even when Temporal is not reachable;
    3. the domain's `next_actions(state, now)` lists the updates each role may send now: the
       policy's roles and stages, without the steps a passed deadline or a count cap rules out;
    4. each actor takes the updates listed for its role; an item names the actor it is for,
       so a representative bound to PT is offered the consultation's answer for PT;
    5. each step carries its stage's deadline (`stage_deadline`); the earliest comes first, steps
       that race no deadline last, then by country and update in the lifecycle's order.
    """
    ended = {stage.value for stage in END_STAGES}
    open_rows = [row for row in board(engine) if row.stage not in ended]
    order = {command.name: number for number, command in enumerate(USER_COMMANDS)}
    items: list[InboxItem] = []
    for row in open_rows:
        record = latest_record(engine, row.country)
        if record is None or record.stream_id != row.stream_id:
            continue  # a later incarnation superseded this row; its own row lists it
        state = replay(record.events)
        offered = next_actions(state, now)
        for actor in dict.fromkeys(actors):  # the same actor twice is offered each step once
            for update in offered.get(actor.role.value, []):
                items.append(
                    InboxItem(
                        country=row.country,
                        stream_id=row.stream_id,
                        stage=row.stage,
                        update=update,
                        actor=actor,
                        deadline=stage_deadline(state),
                    )
                )
    return sorted(
        items,
        key=lambda item: (
            item.deadline is None,
            item.deadline or date.max,
            item.country,
            order.get(item.update, len(order)),
        ),
    )
