"""The open-tasks read model and the inbox it feeds, on SQLite and PostgreSQL: kept in each
append's transaction, rebuilt from the log, empty at an end, read by role and Member State, and
giving what folding every open stream gives."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Connection, Engine

from activities.codec import to_new_event
from activities.eventstore import EventStore
from activities.projections import Projections
from activities.records import StoredEvent
from activities.schema import metadata, open_tasks
from app.reading import BoardRow, InboxItem, board, inbox, latest_record
from domain import Actor, Event, Partnership, Role, replay
from domain.deadlines import deadline_instant, has_passed
from domain.events import PartnershipProposed
from domain.identifiers import stream_id
from domain.stages import END_STAGES
from domain.tasks import UPDATE_ORDER, stage_deadline
from domain.tasks import open_tasks as tasks_of
from domain.view import next_actions
from migrations.append_only import guard_lifted
from tests.unit.strategies import (
    COMMISSION,
    CONSULTATION_DEADLINE,
    ENDED_STAGES,
    OPEN_STAGES,
    OPERATOR,
    PRESIDENCY,
    at_consultation,
    at_council_decision,
    at_launched,
    rep,
)
from tests.unit.test_open_tasks_rule import Lifecycle, lifecycles

ROLES_TO_TRY: list[list[Actor]] = [
    [COMMISSION],
    [PRESIDENCY],
    [OPERATOR],
    [rep("PT")],
    [rep("PT"), rep("FR")],
    [rep("FR"), COMMISSION, rep("FR"), PRESIDENCY],
    [],
]


def folded_streams(engine: Engine) -> list[tuple[BoardRow, Partnership]]:
    """The oracle's first half: each open partnership's board row and the state its latest
    stream folds to, as the inbox read them before the read model (folded once per store)."""
    ended = {stage.value for stage in END_STAGES}
    found: list[tuple[BoardRow, Partnership]] = []
    for row in [row for row in board(engine) if row.stage not in ended]:
        record = latest_record(engine, row.country)
        if record is None or record.stream_id != row.stream_id:
            continue  # a later incarnation superseded this row
        found.append((row, replay(record.events)))
    return found


def folded_inbox_of(
    folded: list[tuple[BoardRow, Partnership]], actors: Sequence[Actor], now: datetime
) -> list[InboxItem]:
    """The oracle's second half: the domain's `next_actions(state, now)` for each actor's role,
    with the days left from `now`, most urgent first."""
    items: list[InboxItem] = []
    for row, state in folded:
        deadline = stage_deadline(state)
        offered = next_actions(state, now)
        for actor in dict.fromkeys(actors):
            for update in offered.get(actor.role.value, []):
                items.append(
                    InboxItem(
                        country=row.country,
                        stream_id=row.stream_id,
                        stage=row.stage,
                        update=update,
                        actor=actor,
                        deadline=deadline,
                        days_left=None
                        if deadline is None
                        else (deadline - now.astimezone(UTC).date()).days,
                        overdue=deadline is not None and has_passed(deadline, now),
                    )
                )
    return sorted(
        items,
        key=lambda item: (
            item.deadline is None,
            item.deadline or date.max,
            item.country,
            UPDATE_ORDER.get(item.update, len(UPDATE_ORDER)),
        ),
    )


def folded_inbox(engine: Engine, actors: Sequence[Actor], now: datetime) -> list[InboxItem]:
    """The oracle: the inbox as it was computed before the read model, by folding each open
    stream and asking the domain's `next_actions(state, now)`."""
    return folded_inbox_of(folded_streams(engine), actors, now)


def of_country(history: Sequence[Event], country: str) -> list[Event]:
    """`history` as if its proposal had named `country` (the stories all propose CV)."""
    proposal = history[0]
    assert isinstance(proposal, PartnershipProposed)
    return [proposal.model_copy(update={"country": country}), *history[1:]]


def append_all(store: EventStore, stream: str, history: Sequence[Event], batch: int = 1) -> None:
    """Append `history` to a new stream, `batch` events per append."""
    for start in range(0, len(history), batch):
        store.append(
            stream,
            start,
            [
                to_new_event(uuid.uuid4(), e, {"run_id": "r"})
                for e in history[start : start + batch]
            ],
        )


def task_rows(engine: Engine, stream: str | None = None) -> list[tuple[Any, ...]]:
    query = sa.select(open_tasks).order_by(*open_tasks.primary_key)
    if stream is not None:
        query = query.where(open_tasks.c.stream_id == stream)
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def expected_rows(stream: str, history: Sequence[Event]) -> list[tuple[Any, ...]]:
    """What the domain says the stream's rows are after `history`, in primary-key order."""
    state = replay(history)
    if state.stage is None or state.stage.is_end:
        return []
    assert state.country is not None
    deadline = stage_deadline(state)
    return sorted(
        (
            stream,
            task.role.value,
            task.update,
            None,
            state.country,
            state.stage.value,
            deadline,
            task.closes_on,
            len(history),
        )
        for task in tasks_of(state)
    )


class FailingProjections(Projections):
    """Read models that write their rows, then fail, so the append rolls back (tests only)."""

    def apply(self, conn: Connection, stream: str, new: Sequence[StoredEvent]) -> None:
        super().apply(conn, stream, new)
        raise ZeroDivisionError("division by zero in a projection")


def empty_every_table(engine: Engine) -> None:
    # A scratch store between examples: the append-only trigger on events is lifted to empty it.
    with engine.begin() as conn, guard_lifted(conn):
        for table in reversed(metadata.sorted_tables):
            conn.execute(sa.delete(table))


CV1, MD1 = stream_id("CV", 1), stream_id("MD", 1)


class OpenTasksContract:
    """Subclasses provide `engine`."""

    @pytest.fixture
    def store(self, engine: Engine) -> EventStore:
        return EventStore(engine, projections=Projections(engine))

    def test_each_append_replaces_the_stream_s_tasks_with_what_its_stage_offers(
        self, engine: Engine, store: EventStore
    ) -> None:
        history = at_launched().events
        stages_with_tasks = 0
        for version, event in enumerate(history, start=1):
            store.append(CV1, version - 1, [to_new_event(uuid.uuid4(), event, {})])
            rows = task_rows(engine, CV1)
            assert rows == expected_rows(CV1, history[:version]), version
            assert {row[-1] for row in rows} <= {version}
            stages_with_tasks += bool(rows)
        assert stages_with_tasks == len(history) - 1  # all but launched, an end

    def test_an_end_stage_clears_the_partnership_s_tasks(
        self, engine: Engine, store: EventStore
    ) -> None:
        for number, (stage, build) in enumerate(ENDED_STAGES.items(), start=1):
            history = build().events
            stream = stream_id("CV", number)
            append_all(store, stream, history[:-1])
            assert task_rows(engine, stream), f"open before {stage}"
            append_all_from(store, stream, history, len(history) - 1)
            assert task_rows(engine, stream) == [], stage
        assert task_rows(engine) == []

    def test_a_failing_append_leaves_no_task_and_the_previous_ones_standing(
        self, engine: Engine, store: EventStore
    ) -> None:
        history = at_consultation().events
        append_all(store, CV1, history[:2])
        before = task_rows(engine)
        failing = EventStore(engine, projections=FailingProjections(engine))
        with pytest.raises(ZeroDivisionError):
            failing.append(CV1, 2, [to_new_event(uuid.uuid4(), history[2], {})])
        proposal = of_country(at_consultation().events, "MD")[0]
        with pytest.raises(ZeroDivisionError):
            failing.append(MD1, 0, [to_new_event(uuid.uuid4(), proposal, {})])
        assert task_rows(engine) == before
        assert store.stream_version(CV1) == 2
        assert store.stream_version(MD1) == 0

    def test_a_rebuild_and_a_catch_up_reproduce_the_tasks_the_appends_wrote(
        self, engine: Engine, store: EventStore
    ) -> None:
        for number, build in enumerate([*OPEN_STAGES.values(), *ENDED_STAGES.values()], 1):
            append_all(store, stream_id("CV", number), build().events, batch=1 + number % 3)
        written = task_rows(engine)
        assert len({row[0] for row in written}) == len(OPEN_STAGES)
        with engine.begin() as conn:  # rows lost or damaged: a rebuild brings them back
            conn.execute(sa.delete(open_tasks).where(open_tasks.c.role == "commission"))
            conn.execute(sa.update(open_tasks).values(stage="launched"))
        Projections(engine).rebuild()
        assert task_rows(engine) == written

    def test_a_log_appended_without_the_read_models_is_caught_up_to_the_same_tasks(
        self, engine: Engine
    ) -> None:
        plain = EventStore(engine)
        for number, build in enumerate(OPEN_STAGES.values(), 1):
            append_all(plain, stream_id("MD", number), of_country(build().events, "MD"))
        assert task_rows(engine) == []
        Projections(engine).catch_up()
        caught_up = task_rows(engine)
        Projections(engine).rebuild()
        assert caught_up == task_rows(engine) != []

    def test_a_member_state_sees_the_answer_for_its_own_country_only(
        self, engine: Engine, store: EventStore
    ) -> None:
        append_all(store, CV1, at_consultation().events)
        append_all(store, MD1, of_country(at_council_decision().events, "MD"))
        now = datetime(2025, 4, 1, tzinfo=UTC)
        pt, fr = rep("PT"), rep("FR")
        mine = inbox(engine, [pt], now)
        assert [(i.country, i.update, i.actor) for i in mine] == [
            ("CV", "respond_to_consultation", pt)
        ]
        both = inbox(engine, [pt, fr], now)
        assert [(i.update, i.actor.member_state) for i in both] == [
            ("respond_to_consultation", "PT"),
            ("respond_to_consultation", "FR"),
        ]
        # A step bound to one Member State (the column the reader filters on) reaches only it.
        with engine.begin() as conn:
            conn.execute(
                sa.update(open_tasks)
                .where(open_tasks.c.update_name == "respond_to_consultation")
                .values(member_state="FR")
            )
        assert inbox(engine, [pt], now) == []
        assert [i.actor for i in inbox(engine, [pt, fr], now)] == [fr]

    def test_each_role_sees_its_own_steps_and_the_operator_none(
        self, engine: Engine, store: EventStore
    ) -> None:
        append_all(store, CV1, at_consultation().events)
        append_all(store, MD1, of_country(at_council_decision().events, "MD"))
        now = datetime(2025, 4, 1, tzinfo=UTC)
        assert [(i.country, i.update) for i in inbox(engine, [COMMISSION], now)] == [
            ("CV", "close_consultation"),
            ("CV", "withdraw"),
            ("MD", "withdraw"),
        ]
        assert [(i.country, i.update) for i in inbox(engine, [PRESIDENCY], now)] == [
            ("CV", "extend_decision_deadline"),
            ("MD", "extend_decision_deadline"),
            ("MD", "record_council_decision"),
        ]
        assert inbox(engine, [OPERATOR], now) == []
        assert inbox(engine, [], now) == []

    def test_a_passed_deadline_takes_its_steps_out_and_marks_the_rest_overdue(
        self, engine: Engine, store: EventStore
    ) -> None:
        append_all(store, CV1, at_consultation().events)
        last_day = datetime.combine(CONSULTATION_DEADLINE, datetime.min.time(), UTC)
        on_time = {i.update: i for i in inbox(engine, [COMMISSION, rep("PT")], last_day)}
        assert set(on_time) == {"respond_to_consultation", "close_consultation", "withdraw"}
        assert {(i.days_left, i.overdue) for i in on_time.values()} == {(0, False)}
        passed = deadline_instant(CONSULTATION_DEADLINE)
        late = {i.update: i for i in inbox(engine, [COMMISSION, rep("PT")], passed)}
        assert set(late) == {"close_consultation", "withdraw"}
        assert {(i.days_left, i.overdue) for i in late.values()} == {(-1, True)}

    def test_a_stream_superseded_by_a_later_incarnation_offers_nothing(
        self, engine: Engine, store: EventStore
    ) -> None:
        # The first stream stays open, as when an operator ends its workflow by hand.
        append_all(store, CV1, at_consultation().events)
        append_all(store, stream_id("CV", 2), at_council_decision().events)
        now = datetime(2025, 4, 1, tzinfo=UTC)
        found = inbox(engine, [COMMISSION, PRESIDENCY, rep("PT")], now)
        assert {i.stream_id for i in found} == {stream_id("CV", 2)}
        assert found == folded_inbox(engine, [COMMISSION, PRESIDENCY, rep("PT")], now)


def append_all_from(store: EventStore, stream: str, history: Sequence[Event], start: int) -> None:
    """Append the events of `history` from index `start` on, one per append."""
    for version in range(start, len(history)):
        store.append(stream, version, [to_new_event(uuid.uuid4(), history[version], {})])


class TestSQLiteOpenTasks(OpenTasksContract):
    @pytest.fixture
    def engine(self, sqlite_engine: Engine) -> Engine:
        return sqlite_engine


@pytest.mark.postgres
class TestPostgresOpenTasks(OpenTasksContract):
    @pytest.fixture
    def engine(self, pg_engine: Engine) -> Engine:
        return pg_engine


_EQUIVALENCE = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@settings(_EQUIVALENCE, max_examples=30)
@given(data=st.data())
def test_on_sqlite_the_inbox_equals_the_one_folded_from_every_open_stream(
    sqlite_engine: Engine, data: st.DataObject
) -> None:
    the_inbox_equals_the_one_folded_from_every_open_stream(sqlite_engine, data)


@pytest.mark.postgres
@settings(_EQUIVALENCE, max_examples=10)
@given(data=st.data())
def test_on_postgresql_the_inbox_equals_the_one_folded_from_every_open_stream(
    pg_engine: Engine, data: st.DataObject
) -> None:
    the_inbox_equals_the_one_folded_from_every_open_stream(pg_engine, data)


def the_inbox_equals_the_one_folded_from_every_open_stream(
    engine: Engine, data: st.DataObject
) -> None:
    """A store of up to three generated lifecycles, written by appends (one event or a few at
    a time), by catch-up or by a rebuild: the inbox for each set of actors, at each moment
    around the deadlines, is the one folding every open stream gives."""
    empty_every_table(engine)
    walked: list[Lifecycle] = data.draw(st.lists(lifecycles(), min_size=1, max_size=3))
    how = data.draw(st.sampled_from(["appends", "batches", "catch-up", "rebuild"]))
    store = EventStore(engine, projections=None if how == "catch-up" else Projections(engine))
    incarnations: dict[str, int] = {}
    for lifecycle in walked:
        if not lifecycle.events:
            continue  # nothing was accepted: no stream
        # Some countries twice: a later incarnation supersedes the earlier stream.
        country = data.draw(st.sampled_from(["CV", "MD", "GE", "SN"]))
        incarnations[country] = incarnations.get(country, 0) + 1
        batch = data.draw(st.integers(1, 4)) if how == "batches" else 1
        history = of_country(lifecycle.events, country)
        append_all(store, stream_id(country, incarnations[country]), history, batch)
    if how == "catch-up":
        Projections(engine).catch_up()
    elif how == "rebuild":
        Projections(engine).rebuild()
    moments = {lifecycle.now for lifecycle in walked}
    for lifecycle in walked:
        for deadline in (
            lifecycle.state.consultation_deadline,
            lifecycle.state.decision_deadline,
        ):
            if deadline is not None:
                passes = deadline_instant(deadline)
                moments |= {passes - timedelta(microseconds=1), passes}
    for now in sorted(moments):
        for actors in ROLES_TO_TRY:
            assert inbox(engine, actors, now) == folded_inbox(engine, actors, now), (
                now,
                actors,
            )


def test_the_roles_the_inbox_is_tried_with_cover_every_human_role() -> None:
    tried = {actor.role for actors in ROLES_TO_TRY for actor in actors}
    assert tried == {Role.COMMISSION, Role.PRESIDENCY, Role.MEMBER_STATE, Role.OPERATOR}
