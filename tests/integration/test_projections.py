"""Read models: current after every append, rebuildable to the same rows, never skipping."""

from __future__ import annotations

import datetime
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from activities.codec import to_new_event
from activities.eventstore import EventStore
from activities.outbox import Outbox
from activities.projections import READ_MODELS, CatchUpProjector, Projections
from activities.records import StoredEvent
from activities.schema import (
    READ_MODEL_TABLES,
    participation,
    projector_checkpoints,
    status_board,
)
from domain import Event, MilestoneKind
from tests.integration.helpers import events
from tests.unit.strategies import ENDED_STAGES, OPEN_STAGES, at_launched, at_not_pursued

Snapshot = dict[str, list[tuple[Any, ...]]]


# The status board's row after each event of `at_launched` (tests/unit/strategies.py), written
# out by hand: the stage, how many Member States are interested, and the last event's type.
BOARD_AFTER_EACH_EVENT: list[tuple[str, int, str]] = [
    ("consultation", 0, "PartnershipProposed"),
    ("consultation", 1, "ConsultationAnswered"),  # FR, interested
    ("consultation", 2, "ConsultationAnswered"),  # ES, interested
    ("consultation", 2, "ConsultationAnswered"),  # DE, not interested
    ("consultation", 3, "ConsultationAnswered"),  # PT, interested
    ("awaiting_talks_authorisation", 3, "ConsultationClosed"),
    ("exploratory_talks", 3, "TalksAuthorised"),
    ("exploratory_talks", 3, "TalksRoundRecorded"),
    ("exploratory_talks", 3, "TalksRoundRecorded"),
    ("report_due", 3, "TalksConcluded"),
    ("council_decision", 3, "ReportSubmitted"),
    ("launch_preparation", 3, "CouncilDecisionRecorded"),
    ("launched", 3, "PartnershipLaunched"),
]


def stories() -> dict[str, list[Event]]:
    """One stream per lifecycle the domain knows, ended or still open."""
    builders: list[Callable[[], Any]] = [*ENDED_STAGES.values(), *OPEN_STAGES.values()]
    return {f"partnership-CV/{i}": b().events for i, b in enumerate(builders, start=1)}


def append_one_by_one(store: EventStore, stream_id: str, history: Sequence[Event]) -> None:
    for version, event in enumerate(history):
        store.append(stream_id, version, [to_new_event(uuid.uuid4(), event, {"run_id": "r"})])


def snapshot(engine: Engine) -> Snapshot:
    with engine.connect() as conn:
        return {
            table.name: sorted(
                tuple(row) for row in conn.execute(sa.select(table).order_by(*table.primary_key))
            )
            for table in READ_MODEL_TABLES
        }


def raw_snapshot(engine: Engine) -> Snapshot:
    """The rows as the database stores them (on SQLite: the very text of dates and JSON)."""
    with engine.connect() as conn:
        return {
            table.name: sorted(
                tuple(row)
                for row in conn.exec_driver_sql(
                    f"SELECT * FROM {table.name} ORDER BY "
                    + ", ".join(c.name for c in table.primary_key)
                )
            )
            for table in READ_MODEL_TABLES
        }


class ProjectionContract:
    """Subclasses provide `engine`."""

    @pytest.fixture
    def projections(self, engine: Engine) -> Projections:
        return Projections(engine)

    @pytest.fixture
    def store(self, engine: Engine, projections: Projections) -> EventStore:
        return EventStore(engine, projections=projections)

    def test_the_status_board_is_current_as_soon_as_each_append_returns(
        self, engine: Engine, store: EventStore
    ) -> None:
        history = at_launched().events
        assert len(history) == len(BOARD_AFTER_EACH_EVENT)
        for version, event in enumerate(history, start=1):
            store.append("partnership-CV/1", version - 1, [to_new_event(uuid.uuid4(), event, {})])
            with engine.connect() as conn:
                row = conn.execute(sa.select(status_board)).one()
            stage, interested, last_type = BOARD_AFTER_EACH_EVENT[version - 1]
            assert (row.stream_version, row.stage, row.interested_count, row.last_event_type) == (
                version,
                stage,
                interested,
                last_type,
            )
            assert row.decision_deadline == datetime.date(2025, 12, 31)

    def test_participation_shows_answers_talks_and_signatories(
        self, engine: Engine, store: EventStore
    ) -> None:
        append_one_by_one(store, "partnership-CV/1", at_launched().events)
        with engine.connect() as conn:
            rows = {r.member_state: r for r in conn.execute(sa.select(participation)).all()}
        assert set(rows) == {"DE", "ES", "FR", "PT"}
        assert rows["DE"].latest_answer == "not_interested"
        assert not rows["DE"].took_part_in_talks
        assert not rows["DE"].signatory
        assert rows["FR"].latest_answer == "interested"
        assert rows["FR"].offers == ["legal_migration", "capacity_building"]
        assert all(rows[ms].signatory and rows[ms].took_part_in_talks for ms in ("FR", "ES", "PT"))

    def test_each_milestone_lands_once_in_the_outbox_with_its_report(
        self, engine: Engine, store: EventStore
    ) -> None:
        append_one_by_one(store, "partnership-CV/1", at_launched().events)
        outbox = Outbox(engine)
        kinds = [m.kind for m in outbox.pending()]
        assert kinds == [
            MilestoneKind.CONSULTATION_OUTCOME,
            MilestoneKind.TALKS_OUTCOME,
            MilestoneKind.REPORT_TO_COUNCIL,
            MilestoneKind.COUNCIL_DECISION,
            MilestoneKind.LAUNCH,
        ]
        launch = outbox.pending()[-1]
        assert launch.report.startswith("# Launch of the pilot partnership")
        assert "Cabo Verde" in launch.report
        # The milestone activity putting the same milestone again changes nothing.
        version = store.stream_version("partnership-CV/1")
        outbox.deliver("partnership-CV/1", version, MilestoneKind.LAUNCH, "another text")
        assert outbox.pending()[-1] == launch
        assert outbox.mark_delivered(launch.stream_id, launch.position, launch.kind)
        assert not outbox.mark_delivered(launch.stream_id, launch.position, launch.kind)
        assert [m.kind for m in outbox.pending()][-1] == MilestoneKind.COUNCIL_DECISION

    def test_rebuild_yields_exactly_the_rows_kept_incrementally(
        self, engine: Engine, store: EventStore, projections: Projections
    ) -> None:
        for stream_id, history in stories().items():
            append_one_by_one(store, stream_id, history)
        outbox = Outbox(engine)
        first = outbox.pending()[0]
        outbox.mark_delivered(first.stream_id, first.position, first.kind)
        incremental = snapshot(engine)
        stored = raw_snapshot(engine)
        assert len(incremental["status_board"]) == len(stories())
        report = projections.rebuild()
        assert snapshot(engine) == incremental
        # The append's statements and the rebuild's store the same values the same way.
        assert raw_snapshot(engine) == stored
        assert report.streams == len(stories())
        assert report.checkpoint == store.last_position()
        assert projections.projector().checkpoint() == store.last_position()

    def test_catch_up_folds_a_log_written_without_read_models_to_the_same_rows(
        self, engine: Engine, store: EventStore, projections: Projections
    ) -> None:
        histories = stories()
        for stream_id, history in histories.items():
            append_one_by_one(store, stream_id, history)
        incremental = snapshot(engine)
        with engine.begin() as conn:
            for table in (*READ_MODEL_TABLES, projector_checkpoints):
                conn.execute(sa.delete(table))
        assert projections.catch_up() == sum(len(h) for h in histories.values())
        assert snapshot(engine) == incremental
        assert projections.catch_up() == 0

    def rebuilt(self, engine: Engine, projections: Projections) -> Snapshot:
        """The rows a rebuild from the log yields (rebuild replaces whatever was there)."""
        projections.rebuild()
        return snapshot(engine)

    def test_a_fold_from_an_append_that_rolled_back_is_never_built_upon(
        self, engine: Engine, projections: Projections
    ) -> None:
        class FailingOnce(Projections):
            fail = True

            def apply(self, conn: Connection, stream_id: str, new: Sequence[StoredEvent]) -> None:
                super().apply(conn, stream_id, new)
                if self.fail:
                    self.fail = False
                    raise RuntimeError("the transaction dies after the read models were folded")

        launched, not_pursued = at_launched().events, at_not_pursued().events
        failing = FailingOnce(engine)
        store = EventStore(engine, projections=failing)
        failing.fail = False
        store.append("partnership-CV/1", 0, [to_new_event(uuid.uuid4(), launched[0], {})])
        failing.fail = True
        with pytest.raises(RuntimeError, match="transaction dies"):
            store.append("partnership-CV/1", 1, [to_new_event(uuid.uuid4(), not_pursued[1], {})])
        for version, event in enumerate(launched[1:], start=1):
            store.append("partnership-CV/1", version, [to_new_event(uuid.uuid4(), event, {})])
        incremental = snapshot(engine)
        assert incremental == self.rebuilt(engine, projections)

    def test_two_processes_taking_turns_on_one_stream_keep_the_rows_of_the_log(
        self, engine: Engine, projections: Projections
    ) -> None:
        # Each has its own folds; each append of the other makes its fold of the stream stale.
        stores = [EventStore(engine, projections=Projections(engine)) for _ in range(2)]
        history = at_launched().events
        for version, event in enumerate(history):
            stores[version % 3 % 2].append(
                "partnership-CV/1", version, [to_new_event(uuid.uuid4(), event, {})]
            )
            with engine.connect() as conn:
                row = conn.execute(sa.select(status_board)).one()
            assert row.stream_version == version + 1
            assert row.stage == BOARD_AFTER_EACH_EVENT[version][0]
        incremental = snapshot(engine)
        assert incremental == self.rebuilt(engine, projections)

    def test_appends_with_read_models_after_appends_without_then_catch_up_match_a_rebuild(
        self, engine: Engine, projections: Projections
    ) -> None:
        history = at_launched().events
        half = len(history) // 2
        append_one_by_one(EventStore(engine), "partnership-CV/1", history[:half])
        store = EventStore(engine, projections=projections)
        for version, event in enumerate(history[half:], start=half):
            store.append("partnership-CV/1", version, [to_new_event(uuid.uuid4(), event, {})])
        projections.catch_up()
        incremental = snapshot(engine)
        assert incremental == self.rebuilt(engine, projections)

    def test_one_store_with_read_models_shared_by_many_threads_keeps_the_rows_of_the_log(
        self, engine: Engine, projections: Projections
    ) -> None:
        # More threads than the store keeps connections for; each folds its own stream.
        store = EventStore(engine, projections=projections)
        histories = {f"partnership-CV/{n}": at_launched().events for n in range(8)}
        failures: list[BaseException] = []

        def write(stream_id: str) -> None:
            try:
                append_one_by_one(store, stream_id, histories[stream_id])
            except BaseException as exc:  # reported below
                failures.append(exc)

        threads = [threading.Thread(target=write, args=(sid,)) for sid in histories]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not failures
        incremental = snapshot(engine)
        assert len(incremental["status_board"]) == len(histories)
        assert incremental == self.rebuilt(engine, projections)

    def test_the_catch_up_projector_never_skips_or_repeats_under_concurrent_writers(
        self, engine: Engine
    ) -> None:
        seen: list[int] = []

        def record(_conn: Connection, batch: list[StoredEvent]) -> None:
            seen.extend(e.position for e in batch)

        projector = CatchUpProjector(EventStore(engine), "recorder", record, batch_size=7)
        done = threading.Event()
        failures: list[BaseException] = []

        def write(n: int) -> None:
            store = EventStore(engine)
            try:
                for i in range(15):
                    store.append(f"w{n}", i * 2, events(2))
            except BaseException as exc:  # reported below
                failures.append(exc)

        def project() -> None:
            try:
                while not done.is_set():
                    projector.run_once()
            except BaseException as exc:  # reported below
                failures.append(exc)

        writers = [threading.Thread(target=write, args=(n,)) for n in range(4)]
        reader = threading.Thread(target=project)
        reader.start()
        for t in writers:
            t.start()
        for t in writers:
            t.join(timeout=60)
        done.set()
        reader.join(timeout=60)
        projector.run_until_idle()
        assert not failures
        everything = [e.position for e in EventStore(engine).iter_all()]
        assert len(everything) == 4 * 15 * 2
        assert seen == everything


def waiting_on_the_append_lock(engine: Engine) -> bool:
    """Whether, within 10 s, some transaction waits on an advisory lock (the append lock)."""
    deadline = time.monotonic() + 10
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            ).scalar_one()
            conn.rollback()
            if waiting:
                return True
            time.sleep(0.01)
    return False


class TestSQLiteProjections(ProjectionContract):
    @pytest.fixture
    def engine(self, sqlite_engine: Engine) -> Engine:
        return sqlite_engine


@pytest.mark.postgres
class TestPostgresProjections(ProjectionContract):
    @pytest.fixture
    def engine(self, pg_engine: Engine) -> Engine:
        return pg_engine

    def test_a_reader_never_overtakes_a_slow_transaction_holding_an_earlier_position(
        self, engine: Engine
    ) -> None:
        """The Marten 3321 pitfall: B commits position N+1 while A still holds N uncommitted."""

        class Stalling:
            def __init__(self) -> None:
                self.inside, self.release = threading.Event(), threading.Event()

            def apply(self, conn: Connection, stream_id: str, new: Sequence[StoredEvent]) -> None:
                self.inside.set()
                assert self.release.wait(timeout=30)

            def committed(self, stream_id: str, new: Sequence[StoredEvent]) -> None:
                """Nothing is kept between appends."""

        stalling = Stalling()
        seen: list[int] = []
        projector = CatchUpProjector(
            EventStore(engine), READ_MODELS, lambda _c, b: seen.extend(e.position for e in b)
        )
        slow = threading.Thread(
            target=EventStore(engine, projections=stalling).append, args=("a", 0, events(1))
        )
        fast = threading.Thread(target=EventStore(engine).append, args=("b", 0, events(1)))
        slow.start()
        assert stalling.inside.wait(timeout=30)
        fast.start()
        try:
            assert waiting_on_the_append_lock(engine), "the second append never queued"
            assert fast.is_alive(), "the second append committed while the first was in flight"
            assert projector.run_once() == 0
        finally:
            stalling.release.set()
            slow.join(timeout=30)
            fast.join(timeout=30)
        projector.run_until_idle()
        a, b = EventStore(engine).read_all()
        assert (a.stream_id, b.stream_id) == ("a", "b")
        assert seen == [a.position, b.position]
