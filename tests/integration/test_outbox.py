"""The milestone activity publishes what the append's transaction put in the outbox."""

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

    def test_publishing_marks_the_milestone_delivered_and_returns_its_report(
        self, engine: Engine
    ) -> None:
        store = EventStore(engine, projections=Projections(engine))
        version = launched(store)
        outbox = Outbox(engine)
        published = outbox.publish(STREAM, version, MilestoneKind.LAUNCH, never_called)
        assert published.delivery_state == "delivered"
        assert published.report.startswith("# Launch of the pilot partnership")
        assert [m.kind for m in outbox.pending()][-1] == MilestoneKind.COUNCIL_DECISION

    def test_publishing_twice_returns_the_first_delivery(self, engine: Engine) -> None:
        store = EventStore(engine, projections=Projections(engine))
        version = launched(store)
        outbox = Outbox(engine)
        first = outbox.publish(STREAM, version, MilestoneKind.LAUNCH, never_called)
        again = outbox.publish(STREAM, version, MilestoneKind.LAUNCH, never_called)
        assert again == first

    def test_a_store_kept_without_read_models_gets_the_report_rendered(
        self, engine: Engine
    ) -> None:
        store = EventStore(engine)
        version = launched(store)
        report = render_report(at_launched().events, MilestoneKind.LAUNCH)
        published = Outbox(engine).publish(STREAM, version, MilestoneKind.LAUNCH, lambda: report)
        assert published.report == report
        assert published.country == "CV"

    def test_publishing_an_event_that_is_not_recorded_is_refused(self, engine: Engine) -> None:
        with pytest.raises(LookupError, match="no event at version 3"):
            Outbox(engine).publish(STREAM, 3, MilestoneKind.LAUNCH, never_called)


class TestOutboxOnSQLite(OutboxContract):
    @pytest.fixture
    def engine(self, sqlite_engine: Engine) -> Engine:
        return sqlite_engine


@pytest.mark.postgres
class TestOutboxOnPostgreSQL(OutboxContract):
    @pytest.fixture
    def engine(self, pg_engine: Engine) -> Engine:
        return pg_engine
