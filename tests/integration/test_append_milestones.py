"""The append emits the milestones its events reach, on the real stores: its result carries
each report as the outbox holds it (pending for its subscribers), a retry writes nothing twice,
and a milestone that cannot be shown never fails an append that is recorded."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Sequence

import pytest
from sqlalchemy.engine import Engine
from temporalio.exceptions import ApplicationError

from activities.codec import to_domain_all
from activities.eventstore import EventStore
from activities.messages import AppendInput, AppendOutput, MilestoneInput, RecordedEvent
from activities.outbox import Outbox, OutboxMilestone
from activities.partnership import PartnershipActivities
from activities.projections import Projections
from domain import Event
from domain.milestones import milestone_kind
from domain.report import render_report
from domain.state import MilestoneKind
from tests.integration.test_append_failures import STREAM, append, append_of
from tests.unit.strategies import at_launched


def with_milestones(request: AppendInput, *milestones: tuple[int, MilestoneKind]) -> AppendInput:
    """`request`, asking the append to emit `milestones` (version, kind)."""
    asked = [MilestoneInput(stream_id=STREAM, version=v, kind=k) for v, k in milestones]
    return request.model_copy(update={"milestones": asked})


def reached(history: Sequence[Event], version: int) -> list[tuple[int, MilestoneKind]]:
    """The milestone the event at `version` reaches, as the workflow asks for it."""
    kind = milestone_kind(history[version - 1])
    return [] if kind is None else [(version, kind)]


class LockedOnceOutbox(Outbox):
    """The real outbox, which finds the database locked the first time it emits (tests only)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.locked = True

    def emit(
        self, stream_id: str, version: int, kind: MilestoneKind, render: Callable[[], str]
    ) -> OutboxMilestone:
        if self.locked:
            self.locked = False
            raise sqlite3.OperationalError("database is locked")
        return super().emit(stream_id, version, kind, render)


class AppendMilestonesContract:
    """Subclasses provide `engine`."""

    history = at_launched().events

    def activities(self, engine: Engine, *, read_models: bool = True) -> PartnershipActivities:
        projections = Projections(engine) if read_models else None
        return PartnershipActivities(EventStore(engine, projections=projections), Outbox(engine))

    def test_each_append_returns_the_reports_of_its_milestones_as_the_outbox_holds_them(
        self, engine: Engine
    ) -> None:
        activities = self.activities(engine)
        outputs: list[AppendOutput] = []
        for version in range(1, len(self.history) + 1):
            request = with_milestones(
                append_of(self.history, version), *reached(self.history, version)
            )
            outputs.append(append(activities, request))
        shown = [m for output in outputs for m in output.milestones]
        assert [m.kind for m in shown] == [
            MilestoneKind.CONSULTATION_OUTCOME,
            MilestoneKind.TALKS_OUTCOME,
            MilestoneKind.REPORT_TO_COUNCIL,
            MilestoneKind.COUNCIL_DECISION,
            MilestoneKind.LAUNCH,
        ]
        assert not any(output.unreported for output in outputs)
        positions = {e.stream_version: e.position for e in EventStore(engine).read_stream(STREAM)}
        outbox = Outbox(engine).all(STREAM)
        assert [(m.kind, m.position, m.report, m.delivery_state) for m in outbox] == [
            (s.kind.value, positions[s.version], s.report, "pending") for s in shown
        ]

    def test_a_retried_append_shows_the_same_reports_and_writes_nothing_twice(
        self, engine: Engine
    ) -> None:
        activities = self.activities(engine)
        version = next(v for v in range(1, len(self.history) + 1) if reached(self.history, v))
        for earlier in range(1, version):
            append(activities, append_of(self.history, earlier))
        request = with_milestones(append_of(self.history, version), *reached(self.history, version))
        first = append(activities, request)
        again = append(activities, request, attempt=2)
        assert (first.duplicate, again.duplicate) == (False, True)
        assert again.milestones == first.milestones
        assert len(first.milestones) == 1
        assert len(Outbox(engine).all(STREAM)) == 1
        assert EventStore(engine).stream_version(STREAM) == version

    def test_without_read_models_the_append_renders_the_report_and_puts_it_in_the_outbox(
        self, engine: Engine
    ) -> None:
        activities = self.activities(engine, read_models=False)
        version = next(v for v in range(1, len(self.history) + 1) if reached(self.history, v))
        for earlier in range(1, version):
            append(activities, append_of(self.history, earlier))
        [(_, kind)] = reached(self.history, version)
        output = append(
            activities, with_milestones(append_of(self.history, version), (version, kind))
        )
        recorded = to_domain_all(EventStore(engine).read_stream(STREAM))
        [milestone] = Outbox(engine).all(STREAM)
        assert milestone.report == render_report(recorded, kind)
        assert [m.report for m in output.milestones] == [milestone.report]
        assert milestone.delivery_state == "pending"

    def test_a_milestone_that_cannot_be_shown_is_named_and_the_recorded_append_stands(
        self, engine: Engine
    ) -> None:
        # Without read models nothing put it in the outbox, and its event is not recorded:
        # emitting it is refused for good, which must not make a recorded step look unrecorded.
        activities = self.activities(engine, read_models=False)
        request = with_milestones(append_of(self.history, 1), (7, MilestoneKind.LAUNCH))
        output = append(activities, request)
        assert (output.version, output.duplicate, output.milestones) == (1, False, [])
        [why] = output.unreported
        assert why.startswith(f"the launch milestone of {STREAM} v7 failed: ")
        assert EventStore(engine).stream_version(STREAM) == 1
        assert Outbox(engine).all(STREAM) == []

    def test_a_milestone_waiting_for_the_database_retries_the_append_which_records_once(
        self, engine: Engine
    ) -> None:
        store = EventStore(engine, projections=Projections(engine))
        locked = PartnershipActivities(store, LockedOnceOutbox(engine))
        version = next(v for v in range(1, len(self.history) + 1) if reached(self.history, v))
        for earlier in range(1, version):
            append(locked, append_of(self.history, earlier))
        request = with_milestones(append_of(self.history, version), *reached(self.history, version))
        with pytest.raises(ApplicationError) as waiting:
            append(locked, request)
        assert not waiting.value.non_retryable  # Temporal retries the activity
        retried = append(locked, request, attempt=2)
        assert retried.duplicate
        assert [m.version for m in retried.milestones] == [version]
        assert len(Outbox(engine).all(STREAM)) == 1
        assert len(EventStore(engine).read_stream(STREAM)) == version


class TestSQLiteAppendMilestones(AppendMilestonesContract):
    @pytest.fixture
    def engine(self, sqlite_engine: Engine) -> Engine:
        return sqlite_engine


@pytest.mark.postgres
class TestPostgresAppendMilestones(AppendMilestonesContract):
    @pytest.fixture
    def engine(self, pg_engine: Engine) -> Engine:
        return pg_engine


def test_an_append_input_recorded_before_milestones_were_added_asks_for_none() -> None:
    old = {
        "stream_id": STREAM,
        "expected_version": 0,
        "events": [RecordedEvent(event_id=uuid.uuid4(), event=at_launched().events[0])],
        "workflow_id": "partnership-CV",
        "run_id": "run",
    }
    assert AppendInput.model_validate(old).milestones == []
