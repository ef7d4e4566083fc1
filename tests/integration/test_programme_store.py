"""The programme in the event store, on SQLite and PostgreSQL: the cap, slots taken and freed,
and proposals racing for the last slot from many threads and processes: exactly one wins."""

from __future__ import annotations

import multiprocessing
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from activities.database import create_engine_from_url
from activities.eventstore import EventStore
from activities.programme_store import ProgrammeStore
from activities.records import NewEvent
from activities.store_errors import ConcurrencyError
from domain.actors import Actor, Role
from domain.commands import Outcome
from domain.errors import NotPermitted
from domain.programme import (
    PROGRAMME_STREAM,
    CapReached,
    DecisionConflict,
    NamedPartnership,
    RecordJointDecision,
    SetCap,
    SetTermsOfReference,
)
from domain.stages import Stage
from migrations.append_only import guard_lifted

NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
COMMISSION = Actor(id="alice", role=Role.COMMISSION)
SYSTEM = Actor(id="system", role=Role.SYSTEM)
PRESIDENCY = Actor(id="joao", role=Role.PRESIDENCY, member_state="PT")
RACERS = ("GE", "SN", "AM", "MA", "UA", "TN", "EG", "GH")


def _cap(store: ProgrammeStore, cap: int) -> None:
    store.set_cap(SetCap(cap=cap, reason="pilots", set_by="ada"), role="administrator")


def _take(store: ProgrammeStore, country: str) -> str:
    """`won` or the refusal's type, for one racer."""
    try:
        store.take_slot(
            country, f"partnership-{country}/1", taken_on=date(2008, 1, 1), actor=COMMISSION
        )
    except CapReached:
        return "CapReached"
    return "won"


def append_proposal(engine: Engine, stream_id: str) -> None:
    """A first event on a partnership's stream, as a recorded proposal would be."""
    EventStore(engine).append(
        stream_id,
        0,
        [
            NewEvent(
                event_id=uuid.uuid4(),
                type="Marker",
                schema_version=1,
                payload={},
                metadata={},
                occurred_on=date(2008, 1, 1),
                recorded_at=NOW,
            )
        ],
    )


def race(store_of: Callable[[str], ProgrammeStore]) -> dict[str, str]:
    """Every one of RACERS takes a slot at the same moment, each from a thread of its own with
    the store `store_of` gives it; what each got (`won` or the refusal's type)."""
    barrier = threading.Barrier(len(RACERS))
    results: dict[str, str] = {}

    def run(country: str) -> None:
        store = store_of(country)
        store.programme()  # connected and folded before the start line
        barrier.wait()
        results[country] = _take(store, country)

    threads = [threading.Thread(target=run, args=(c,)) for c in RACERS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def race_in_process(url: str, country: str, barrier: Any, results: Any) -> None:
    """One racer in a process of its own: its own engine, its own store, the same database."""
    engine = create_engine_from_url(url)
    try:
        store = ProgrammeStore(engine)
        store.programme()  # connect before the start line
        barrier.wait()
        results.put((country, _take(store, country)))
    finally:
        engine.dispose()


class CountingLog(EventStore):
    """The event store, counting the appends it refused for a stale expected version and
    noting the version each read of a stream began at."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.stale = 0
        self.read_from: list[int] = []

    def read_stream(self, stream_id: str, from_version: int = 1, **kwargs: Any) -> Any:
        self.read_from.append(from_version)
        return super().read_stream(stream_id, from_version, **kwargs)

    def append(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().append(*args, **kwargs)
        except ConcurrencyError:
            self.stale += 1
            raise


class ProgrammeContract:
    @pytest.fixture
    def store(self, engine: Engine) -> ProgrammeStore:
        return ProgrammeStore(engine, clock=lambda: NOW)

    def test_without_a_cap_every_proposal_takes_a_slot(self, store: ProgrammeStore) -> None:
        for country in ("CV", "MD", "GE"):
            assert _take(store, country) == "won"
        assert store.programme()[0].held == 3

    def test_a_proposal_beyond_the_cap_is_refused_naming_who_holds_the_slots(
        self, store: ProgrammeStore
    ) -> None:
        _cap(store, 2)
        assert _take(store, "CV") == "won"
        assert _take(store, "MD") == "won"
        with pytest.raises(CapReached, match=r"limited to 2 .*partnership-CV/1.*partnership-MD/1"):
            store.take_slot("GE", "partnership-GE/1", taken_on=date(2008, 1, 1), actor=COMMISSION)
        programme, version = store.programme()
        assert programme.held == 2
        assert version == 3  # the cap and two slots; the refusal recorded nothing

    def test_a_slot_freed_by_an_end_is_taken_again_and_freeing_twice_records_once(
        self, store: ProgrammeStore
    ) -> None:
        _cap(store, 1)
        _take(store, "CV")
        freed = store.free_slot(
            "partnership-CV/1", Stage.WITHDRAWN, occurred_on=date(2008, 1, 1), actor=COMMISSION
        )
        again = store.free_slot(
            "partnership-CV/1", Stage.WITHDRAWN, occurred_on=date(2008, 1, 1), actor=COMMISSION
        )
        assert (freed, again) == (True, False)
        assert _take(store, "MD") == "won"
        assert store.programme()[1] == 4

    def test_a_slot_whose_proposal_was_never_recorded_is_released_and_a_recorded_one_is_not(
        self, store: ProgrammeStore, engine: Engine
    ) -> None:
        _cap(store, 2)
        _take(store, "CV")
        _take(store, "MD")
        append_proposal(engine, "partnership-MD/1")
        why = "the proposal's record could not be written"
        released = store.release_slot(
            "partnership-CV/1", reason=why, occurred_on=date(2008, 1, 1), actor=SYSTEM
        )
        kept = store.release_slot(
            "partnership-MD/1", reason=why, occurred_on=date(2008, 1, 1), actor=SYSTEM
        )
        assert (released, kept) == (True, False)
        assert list(store.programme()[0].slots) == ["partnership-MD/1"]

    def test_a_slot_is_freed_on_the_business_date_of_the_partnerships_end_by_default(
        self, store: ProgrammeStore, engine: Engine
    ) -> None:
        _take(store, "CV")
        append_proposal(engine, "partnership-CV/1")
        assert store.free_slot("partnership-CV/1", Stage.LAPSED, actor=SYSTEM)
        freed = EventStore(engine).read_stream(PROGRAMME_STREAM)[-1]
        assert (freed.type, freed.occurred_on) == ("SlotFreed", date(2008, 1, 1))

    def test_a_launched_partnership_frees_its_slot(self, store: ProgrammeStore) -> None:
        _cap(store, 1)
        _take(store, "CV")
        assert store.free_slot(
            "partnership-CV/1", Stage.LAUNCHED, occurred_on=date(2008, 6, 5), actor=SYSTEM
        )
        assert _take(store, "MD") == "won"

    def test_a_retried_take_records_nothing_twice(self, store: ProgrammeStore) -> None:
        _cap(store, 1)
        first = store.take_slot(
            "CV", "partnership-CV/1", taken_on=date(2007, 6, 18), actor=COMMISSION
        )
        again = store.take_slot(
            "CV", "partnership-CV/1", taken_on=date(2007, 6, 18), actor=COMMISSION
        )
        assert first == again
        assert store.programme()[1] == 2

    def test_only_an_administrator_sets_the_cap(self, store: ProgrammeStore) -> None:
        with pytest.raises(NotPermitted):
            store.set_cap(SetCap(cap=1, reason="r", set_by="alice"), role="commission")
        assert store.programme()[1] == 0

    def test_terms_and_decisions_are_in_the_hash_chained_record(
        self, store: ProgrammeStore, engine: Engine
    ) -> None:
        store.set_terms(
            SetTermsOfReference(terms="Pilots on point 10", reference="SEC(2007) 1", set_by="ada"),
            role="administrator",
        )
        decision = RecordJointDecision(
            reference="16454/07",
            decided_on=date(2007, 12, 10),
            outcome=Outcome.INVITE_LAUNCH,
            partnerships=[
                NamedPartnership(country="CV", stream_id="partnership-CV/1"),
                NamedPartnership(country="MD", stream_id="partnership-MD/1"),
            ],
        )
        store.record_joint_decision(decision, PRESIDENCY, provenance={"channel": "api"})
        store.record_joint_decision(decision, PRESIDENCY)  # a retry records nothing
        with pytest.raises(DecisionConflict):
            store.record_joint_decision(
                decision.model_copy(update={"outcome": Outcome.DECLINE}), PRESIDENCY
            )
        log = EventStore(engine)
        stored = log.read_stream(PROGRAMME_STREAM)
        assert [s.type for s in stored] == ["TermsOfReferenceSet", "JointCouncilDecisionRecorded"]
        assert stored[1].metadata["actor"] == {
            "id": "joao",
            "role": "presidency",
            "member_state": "PT",
        }
        assert log.verify(PROGRAMME_STREAM).ok

    def test_a_store_that_folded_before_reads_the_changes_others_made_since(
        self, store: ProgrammeStore, engine: Engine
    ) -> None:
        _cap(store, 3)
        _take(store, "CV")
        elsewhere = ProgrammeStore(engine, clock=lambda: NOW)  # another worker, say
        _take(elsewhere, "MD")
        elsewhere.free_slot(
            "partnership-CV/1", Stage.WITHDRAWN, occurred_on=date(2008, 1, 1), actor=COMMISSION
        )

        assert store.programme() == ProgrammeStore(engine).programme()
        assert set(store.programme()[0].slots) == {"partnership-MD/1"}
        # and its next decision is taken on that programme: two slots are left, not one
        assert _take(store, "GE") == "won"
        assert _take(store, "SN") == "won"
        assert _take(store, "AM") == "CapReached"

    def test_a_store_whose_last_folded_event_was_replaced_folds_the_whole_stream_afresh(
        self, engine: Engine
    ) -> None:
        # A store restored from an older backup, then written again: the version the store
        # folded to holds another event, or none, and the fold it kept describes a record now
        # gone. It folds the whole stream once, and goes on from that fold.
        log = CountingLog(engine)
        store = ProgrammeStore(engine, log=log, clock=lambda: NOW)
        _cap(store, 2)
        _take(store, "CV")
        _take(store, "GE")
        with engine.begin() as conn, guard_lifted(conn):
            conn.execute(
                sa.text("DELETE FROM events WHERE stream_id = :s AND stream_version >= 2"),
                {"s": PROGRAMME_STREAM},
            )
            conn.execute(
                sa.text("UPDATE streams SET version = 1, head_hash = :h WHERE stream_id = :s"),
                {
                    "s": PROGRAMME_STREAM,
                    "h": EventStore(engine).read_stream(PROGRAMME_STREAM)[0].hash,
                },
            )
        _take(ProgrammeStore(engine), "MD")

        log.read_from.clear()
        assert store.programme() == ProgrammeStore(engine).programme()
        assert set(store.programme()[0].slots) == {"partnership-MD/1"}
        # from the version it had folded to (3: found gone), from the start, then from 2
        assert log.read_from == [3, 1, 2]

    def test_threads_of_one_process_take_turns_so_no_append_of_theirs_is_stale(
        self, engine: Engine
    ) -> None:
        log = CountingLog(engine)
        store = ProgrammeStore(engine, log=log)
        _cap(store, len(RACERS))

        results = race(lambda country: store)

        assert sorted(results.values()) == ["won"] * len(RACERS)
        assert log.stale == 0  # each folded the version the one before it recorded
        assert store.programme() == ProgrammeStore(engine).programme()

    def test_racers_from_many_threads_for_the_last_slot_exactly_one_wins(
        self, engine: Engine
    ) -> None:
        setup = ProgrammeStore(engine)
        _cap(setup, 2)
        _take(setup, "CV")  # one slot left
        # Each racer has its own engine and store: its own connections and group commit, as
        # a process of its own would.
        url = engine.url
        engines = [create_engine_from_url(url) for _ in RACERS]
        stores = dict(zip(RACERS, (ProgrammeStore(e) for e in engines), strict=True))
        results = race(stores.__getitem__)
        for e in engines:
            e.dispose()
        assert sorted(results.values()) == ["CapReached"] * (len(RACERS) - 1) + ["won"]
        programme, _ = setup.programme()
        assert programme.held == 2
        winner = next(c for c, r in results.items() if r == "won")
        assert set(programme.slots) == {"partnership-CV/1", f"partnership-{winner}/1"}

    def test_racers_for_two_free_slots_two_win_and_the_losers_retry_before_refusal(
        self, engine: Engine
    ) -> None:
        setup = ProgrammeStore(engine)
        _cap(setup, 2)
        results = race(lambda country: ProgrammeStore(engine))
        assert sorted(results.values()) == ["CapReached"] * (len(RACERS) - 2) + ["won"] * 2
        assert setup.programme()[0].held == 2


class TestSQLiteProgramme(ProgrammeContract):
    @pytest.fixture
    def engine(self, sqlite_engine: Engine) -> Engine:
        return sqlite_engine


class TestPostgresProgramme(ProgrammeContract):
    @pytest.fixture
    def engine(self, pg_engine: Engine) -> Engine:
        return pg_engine

    def test_racers_in_separate_processes_for_the_last_slot_exactly_one_wins(
        self, engine: Engine
    ) -> None:
        setup = ProgrammeStore(engine)
        _cap(setup, 2)
        _take(setup, "CV")
        context = multiprocessing.get_context("spawn")
        racers = RACERS[:4]
        barrier = context.Barrier(len(racers))
        results = context.Queue()
        url = engine.url.render_as_string(hide_password=False)
        processes = [
            context.Process(target=race_in_process, args=(url, c, barrier, results)) for c in racers
        ]
        for process in processes:
            process.start()
        try:
            outcomes = dict(results.get(timeout=60) for _ in racers)
        finally:
            for process in processes:
                process.join(timeout=30)
                if process.is_alive():
                    process.kill()
        assert sorted(outcomes.values()) == ["CapReached"] * (len(racers) - 1) + ["won"]
        assert setup.programme()[0].held == 2
