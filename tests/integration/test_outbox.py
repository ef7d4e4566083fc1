"""The milestone activity emits what the append's transaction put in the outbox."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.engine import Engine

from activities.codec import to_new_event
from activities.eventstore import EventStore
from activities.outbox import Outbox
from activities.projections import Projections
from domain import MilestoneKind, render_report
from tests.unit.strategies import at_launched

STREAM = "partnership-CV/1"


def launched(store: EventStore) -> int:
    """Append Cape Verde's whole launched history; return the launch's version."""
    history = at_launched().events
    for version, event in enumerate(history, start=1):
        store.append(STREAM, version - 1, [to_new_event(uuid.uuid4(), event, {})])
    return len(history)


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
        report = render_report(at_launched().events, MilestoneKind.LAUNCH)
        emitted = Outbox(engine).emit(STREAM, version, MilestoneKind.LAUNCH, lambda: report)
        assert emitted.report == report
        assert emitted.country == "CV"

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
