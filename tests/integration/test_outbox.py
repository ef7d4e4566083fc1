"""The milestone activity emits what the append's transaction put in the outbox."""

from __future__ import annotations

import datetime
import uuid

import pytest
from sqlalchemy.engine import Engine

from activities.codec import to_new_event
from activities.eventstore import EventStore
from activities.outbox import Outbox, OutboxMilestone
from activities.projections import Projections
from domain import MilestoneKind
from tests.unit.strategies import at_launched
from tests.unit.test_golden_report import assert_matches_golden, cape_verde

STREAM = "partnership-CV/1"


def launched(store: EventStore) -> int:
    """Append Cape Verde's whole launched history; return the launch's version."""
    history = at_launched().events
    for version, event in enumerate(history, start=1):
        store.append(STREAM, version - 1, [to_new_event(uuid.uuid4(), event, {})])
    return len(history)


RENDERED_BY_THE_CALLER = "# Launch of the pilot partnership\n\nAs the caller rendered it.\n"
"""What `render` hands the outbox: a text of its own, so the outbox must keep what it got."""


def never_called() -> str:
    raise AssertionError("the report was already in the outbox; nothing should render it")


class OutboxContract:
    """Subclasses provide `engine`."""

    def test_emitting_returns_the_report_and_leaves_it_pending_for_subscribers(
        self, engine: Engine
    ) -> None:
        store = EventStore(engine, projections=Projections(engine))
        version = launched(store)
        outbox = Outbox(engine)
        emitted = outbox.emit(STREAM, version, MilestoneKind.LAUNCH, never_called)
        assert emitted.delivery_state == "pending"
        assert emitted.report.startswith("# Launch of the pilot partnership")
        assert outbox.pending()[-1] == emitted

    def test_the_launch_milestone_of_cape_verde_carries_the_golden_report(
        self, engine: Engine
    ) -> None:
        store = EventStore(engine, projections=Projections(engine))
        history = cape_verde().events
        for version, event in enumerate(history):
            store.append(STREAM, version, [to_new_event(uuid.uuid4(), event, {})])
        emitted = Outbox(engine).emit(STREAM, len(history), MilestoneKind.LAUNCH, never_called)
        assert emitted.business_date == datetime.date(2008, 6, 5)
        assert_matches_golden(emitted.report)

    def test_emitting_twice_changes_nothing(self, engine: Engine) -> None:
        store = EventStore(engine, projections=Projections(engine))
        version = launched(store)
        outbox = Outbox(engine)
        first = outbox.emit(STREAM, version, MilestoneKind.LAUNCH, never_called)
        assert outbox.emit(STREAM, version, MilestoneKind.LAUNCH, never_called) == first
        assert len(outbox.all(STREAM)) == 5

    def test_a_store_kept_without_read_models_gets_the_report_rendered(
        self, engine: Engine
    ) -> None:
        store = EventStore(engine)
        version = launched(store)
        calls: list[str] = []

        def render() -> str:
            calls.append("rendered")
            return RENDERED_BY_THE_CALLER

        outbox = Outbox(engine)
        emitted = outbox.emit(STREAM, version, MilestoneKind.LAUNCH, render)
        assert calls == ["rendered"]
        # The milestone is the launch's, as the 13th event of at_launched recorded it.
        assert emitted == OutboxMilestone(
            stream_id=STREAM,
            position=store.read_stream(STREAM, from_version=13)[0].position,
            kind="launch",
            country="CV",
            business_date=datetime.date(2026, 2, 10),
            recorded_at=datetime.datetime(2026, 2, 10, 12, tzinfo=datetime.UTC),
            report=RENDERED_BY_THE_CALLER,
            delivery_state="pending",
            delivered_at=None,
        )
        # Kept, not rendered again: a second emit finds it in the outbox.
        assert outbox.emit(STREAM, version, MilestoneKind.LAUNCH, never_called) == emitted
        assert outbox.pending() == [emitted]

    def test_emitting_for_an_event_that_is_not_recorded_is_refused(self, engine: Engine) -> None:
        with pytest.raises(LookupError, match="no event at version 3"):
            Outbox(engine).emit(STREAM, 3, MilestoneKind.LAUNCH, never_called)


class TestOutboxOnSQLite(OutboxContract):
    @pytest.fixture
    def engine(self, sqlite_engine: Engine) -> Engine:
        return sqlite_engine


@pytest.mark.postgres
class TestOutboxOnPostgreSQL(OutboxContract):
    @pytest.fixture
    def engine(self, pg_engine: Engine) -> Engine:
        return pg_engine
