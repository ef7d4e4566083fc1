"""A failed append, on the real stores: final or given up with a clear failure, never a silent
loop, and never half written (the log, its chains and the read models stay as they were)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.database import create_engine_from_url
from activities.eventstore import EventStore
from activities.failures import GAVE_UP, UNKNOWN_FAILURE_ATTEMPTS
from activities.messages import AppendInput, RecordedEvent
from activities.outbox import Outbox
from activities.partnership import PartnershipActivities
from activities.projections import Projections
from activities.records import StoredEvent
from activities.schema import status_board
from activities.upcasting import Upcasters
from domain import Event
from tests.integration.test_projections import snapshot
from tests.unit.strategies import at_launched

STREAM = "partnership-CV/1"


def append_of(history: Sequence[Event], version: int) -> AppendInput:
    """The append activity's input for the event at `version` (1-based) of `history`."""
    return AppendInput(
        stream_id=STREAM,
        expected_version=version - 1,
        events=[RecordedEvent(event_id=uuid.uuid4(), event=history[version - 1])],
        workflow_id="partnership-CV",
        run_id="run",
    )


def at_attempt(attempt: int) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=attempt)
    return env


def append(activities: PartnershipActivities, request: AppendInput, attempt: int = 1) -> Any:
    return at_attempt(attempt).run(activities.append_events, request)


class BuggyProjections(Projections):
    """Read models with a bug: they fold and write the rows, then raise (tests only)."""

    def apply(self, conn: Connection, stream_id: str, new: Sequence[StoredEvent]) -> None:
        super().apply(conn, stream_id, new)
        raise ZeroDivisionError("division by zero in a projection")


class RowBreakingProjections(Projections):
    """Read models that write a row the database refuses, after their own (tests only)."""

    def __init__(self, engine: Engine, row: dict[str, Any]) -> None:
        super().__init__(engine)
        self.row = row

    def apply(self, conn: Connection, stream_id: str, new: Sequence[StoredEvent]) -> None:
        super().apply(conn, stream_id, new)
        conn.execute(sa.insert(status_board), {**self.row, "stream_id": f"{stream_id}-copy"})


def a_status_row(**changes: Any) -> dict[str, Any]:
    """A status board row with every column filled, then `changes`."""
    first = at_launched().events[0]
    row = {
        "country": "CV",
        "region": "other",
        "stage": "consultation",
        "consultation_deadline": None,
        "decision_deadline": None,
        "interested_count": 0,
        "stream_version": 1,
        "last_position": 1,
        "last_event_type": "PartnershipProposed",
        "last_changed_on": first.occurred_on,
        "last_recorded_at": first.recorded_at,
    }
    return {**row, **changes}


class AppendFailureContract:
    """Subclasses provide `engine`."""

    history = at_launched().events

    def recorded_so_far(self, engine: Engine, versions: int) -> PartnershipActivities:
        """A healthy worker's activities, after it appended the first `versions` events."""
        healthy = PartnershipActivities(
            EventStore(engine, projections=Projections(engine)), Outbox(engine)
        )
        for version in range(1, versions + 1):
            append(healthy, append_of(self.history, version))
        return healthy

    def assert_unchanged(self, engine: Engine, version: int, rows: Any) -> None:
        store = EventStore(engine)
        assert store.stream_version(STREAM) == version
        report = store.verify()
        assert report.ok, report.first_break
        assert report.events_checked == version
        assert snapshot(engine) == rows, "the read models kept a failed append's rows"

    def test_a_bug_in_a_projection_is_retried_then_given_up_and_nothing_is_written(
        self, engine: Engine
    ) -> None:
        healthy = self.recorded_so_far(engine, 2)
        before = snapshot(engine)
        buggy = PartnershipActivities(
            EventStore(engine, projections=BuggyProjections(engine)), Outbox(engine)
        )
        request = append_of(self.history, 3)
        for attempt in range(1, UNKNOWN_FAILURE_ATTEMPTS):
            with pytest.raises(ApplicationError) as failed:
                append(buggy, request, attempt)
            assert not failed.value.non_retryable, f"gave up at attempt {attempt}"
            assert failed.value.type == "ZeroDivisionError"
            self.assert_unchanged(engine, 2, before)
        with pytest.raises(ApplicationError) as failed:
            append(buggy, request, UNKNOWN_FAILURE_ATTEMPTS)
        assert failed.value.non_retryable
        assert failed.value.type == GAVE_UP
        assert failed.value.message.startswith(
            f"the append to {STREAM} after version 2 gave up after {UNKNOWN_FAILURE_ATTEMPTS} "
            "attempts; the last failed with ZeroDivisionError: division by zero in a projection."
        )
        assert isinstance(failed.value.__cause__, ZeroDivisionError)
        self.assert_unchanged(engine, 2, before)
        # Once the bug is fixed, the same step goes through: nothing of it was left behind.
        result = append(healthy, request)
        assert (result.version, result.duplicate) == (3, False)

    def test_an_upcaster_yielding_an_invalid_event_is_final_and_nothing_is_written(
        self, engine: Engine
    ) -> None:
        before = snapshot(engine)
        upcasters = Upcasters()
        # A broken step: it loses the country every proposal must have.
        upcasters.add(
            "PartnershipProposed",
            1,
            lambda payload: {k: v for k, v in payload.items() if k != "country"},
        )
        broken = PartnershipActivities(
            EventStore(
                engine, upcasters=upcasters, projections=Projections(engine, upcasters=upcasters)
            ),
            Outbox(engine),
        )
        with pytest.raises(ApplicationError) as failed:
            append(broken, append_of(self.history, 1))
        assert failed.value.non_retryable
        assert failed.value.type == "ValidationError"
        assert "an event could not be read as its current schema" in failed.value.message
        assert "country: Field required" in failed.value.message
        assert "Nothing was written: the transaction rolled back." in failed.value.message
        self.assert_unchanged(engine, 0, before)

    def test_a_row_the_database_refuses_is_final_and_nothing_is_written(
        self, engine: Engine
    ) -> None:
        self.recorded_so_far(engine, 1)
        before = snapshot(engine)
        refusing = PartnershipActivities(
            EventStore(
                engine, projections=RowBreakingProjections(engine, a_status_row(country=None))
            ),
            Outbox(engine),
        )
        with pytest.raises(ApplicationError) as failed:
            append(refusing, append_of(self.history, 2))
        assert failed.value.non_retryable
        assert failed.value.type == "IntegrityError"
        assert "a database constraint refused the write" in failed.value.message
        self.assert_unchanged(engine, 1, before)


class TestSQLiteAppendFailures(AppendFailureContract):
    @pytest.fixture
    def engine(self, sqlite_engine: Engine) -> Engine:
        return sqlite_engine


@pytest.mark.postgres
class TestPostgresAppendFailures(AppendFailureContract):
    @pytest.fixture
    def engine(self, pg_engine: Engine) -> Engine:
        return pg_engine

    def test_a_value_out_of_its_columns_range_is_final_and_nothing_is_written(
        self, engine: Engine
    ) -> None:
        self.recorded_so_far(engine, 1)
        before = snapshot(engine)
        refusing = PartnershipActivities(
            EventStore(
                engine,
                projections=RowBreakingProjections(engine, a_status_row(interested_count=2**40)),
            ),
            Outbox(engine),
        )
        with pytest.raises(ApplicationError) as failed:
            append(refusing, append_of(self.history, 2))
        assert failed.value.non_retryable
        assert failed.value.type == "DataError"
        assert failed.value.message.startswith(
            f"the append to {STREAM} after version 1 failed: the database refused a value "
            "(NumericValueOutOfRange: integer out of range). Nothing was written"
        )
        self.assert_unchanged(engine, 1, before)

    def test_an_unreachable_server_is_waited_out_at_any_attempt(self) -> None:
        # Nothing listens on port 1: the connection is refused at once.
        engine = create_engine_from_url("postgresql://postgres@127.0.0.1:1/none")
        try:
            unreachable = PartnershipActivities(
                EventStore(engine, projections=Projections(engine)), Outbox(engine)
            )
            for attempt in (1, UNKNOWN_FAILURE_ATTEMPTS, 10_000):
                with pytest.raises(ApplicationError) as failed:
                    append(unreachable, append_of(self.history, 1), attempt)
                assert not failed.value.non_retryable
                assert failed.value.type == "OperationalError"
                assert "is waiting for the database" in failed.value.message
        finally:
            engine.dispose()
