"""Event store benchmark (not a test): appends/s against two baselines, and rebuild speed.

Run by `make bench`. For SQLite (a temporary file) and PostgreSQL (a temporary database it
creates and drops), on the same database and connection settings, it measures:

- our append (one transaction of 1-3 events: head, concurrency check, hash chain, head update)
  against a raw SQLAlchemy Core INSERT of the same rows in one transaction per append;
- the same against the `eventsourcing` library's application recorder on the same database;
- the same two again from 16 threads at once, each appending to its own streams, as the worker's
  activity threads do (ACTIVITY_THREADS, 16 by default): the `concurrent` lines;
- a rebuild of the read models from a 100,000-event log.

Contenders run in interleaved rounds so drift in the machine's load hits them alike.
Set PARTNERSHIPS_BENCH_PG_URL to use another PostgreSQL server (default postgres@127.0.0.1),
PARTNERSHIPS_BENCH_ROUNDS for fewer or more rounds (default 12).
"""

from __future__ import annotations

import datetime
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa
from eventsourcing.persistence import StoredEvent as EsStoredEvent
from sqlalchemy.engine import URL, Engine

from activities.appenders import EMPTY_HEAD, prepare_rows
from activities.codec import to_new_event
from activities.database import create_engine_from_url, normalise_url
from activities.eventstore import EventStore
from activities.projections import Projections
from activities.records import NewEvent
from activities.schema import events as events_table
from domain import (
    Actor,
    AuthoriseTalks,
    CloseConsultation,
    Component,
    ConcludeTalks,
    Event,
    LaunchPartnership,
    Outcome,
    Partnership,
    Position,
    ProposePartnership,
    Recommendation,
    RecordCouncilDecision,
    RecordTalksRound,
    RespondToConsultation,
    Role,
    SubmitReport,
    decide,
    evolve,
)
from domain.identifiers import WORKFLOW_ID_PREFIX
from migrations import runner
from migrations.append_only import guard_lifted

APPENDS_PER_ROUND = 150
ROUNDS = int(os.environ.get("PARTNERSHIPS_BENCH_ROUNDS", "12"))
THREADS = 16  # the worker's default ACTIVITY_THREADS
APPENDS_PER_THREAD = 20  # per concurrent round: 16 x 20 = 320 appends
REBUILD_EVENTS = 100_000
PG_SERVER = os.environ.get(
    "PARTNERSHIPS_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


# -- a realistic history: Cape Verde, 2007-2008, driven through the domain ---------------------


def lifecycle() -> list[Event]:
    """One partnership from proposal to launch, as the domain decides it."""
    commission = Actor(id="alice", role=Role.COMMISSION)
    # Portugal held the Presidency of the Council in the second half of 2007.
    presidency = Actor(id="pedro", role=Role.PRESIDENCY, member_state="PT")

    def rep(ms: str) -> Actor:
        return Actor(id=f"rep-{ms.lower()}", role=Role.MEMBER_STATE, member_state=ms)

    def at(year: int, month: int, day: int) -> datetime.datetime:
        return datetime.datetime(year, month, day, 12, tzinfo=datetime.UTC)

    steps: list[tuple[Any, Actor, datetime.datetime]] = [
        (
            ProposePartnership(
                country="CV", rationale="Atlantic route", terms_of_reference="Mobility for return"
            ),
            commission,
            at(2007, 6, 18),
        ),
        *(
            (
                RespondToConsultation(
                    member_state=ms,
                    position=Position.INTERESTED,
                    offers=[Component.LEGAL_MIGRATION, Component.CAPACITY_BUILDING],
                ),
                rep(ms),
                at(2007, 7, day),
            )
            for ms, day in (("ES", 2), ("FR", 3), ("LU", 4), ("PT", 5))
        ),
        (CloseConsultation(), commission, at(2007, 7, 20)),
        (AuthoriseTalks(note="Go"), presidency, at(2007, 7, 25)),
        (
            RecordTalksRound(
                held_on=datetime.date(2007, 9, 10), member_states=["ES", "PT"], summary="Praia"
            ),
            commission,
            at(2007, 9, 10),
        ),
        (
            ConcludeTalks(
                third_country_willing=True,
                commitments=[
                    Component.READMISSION_AND_RETURN,
                    Component.ILLEGAL_IMMIGRATION_COOPERATION,
                ],
            ),
            commission,
            at(2007, 10, 15),
        ),
        (
            SubmitReport(recommendation=Recommendation.LAUNCH, summary="Launch it"),
            commission,
            at(2007, 11, 20),
        ),
        (
            RecordCouncilDecision(
                outcome=Outcome.INVITE_LAUNCH, decided_on=datetime.date(2007, 12, 10)
            ),
            presidency,
            at(2007, 12, 10),
        ),
        (
            LaunchPartnership(
                member_states=["ES", "FR", "LU", "PT"],
                components=[Component.LEGAL_MIGRATION, Component.READMISSION_AND_RETURN],
                signed_on=datetime.date(2008, 6, 5),
            ),
            commission,
            at(2008, 6, 5),
        ),
    ]
    state, history = Partnership(), []
    for command, actor, now in steps:
        for event in decide(state, command, actor, now):
            history.append(event)
            state = evolve(state, event)
    return history


HISTORY = lifecycle()
METADATA = {"workflow_id": "partnership-CV", "run_id": "bench", "correlation_id": "bench"}


@dataclass(frozen=True)
class Append:
    """One append of the workload: 1-3 events at a known expected version."""

    stream_id: str
    expected_version: int
    events: list[NewEvent]


def workload(tag: str, count: int) -> list[Append]:
    """`count` appends of 1, 2, 3, 1, 2, 3 ... events, walking each stream through HISTORY."""
    appends: list[Append] = []
    stream, version, size = 0, 0, 0
    while len(appends) < count:
        size = size % 3 + 1
        if version + size > len(HISTORY):
            stream, version = stream + 1, 0
        chunk = HISTORY[version : version + size]
        new = [to_new_event(uuid.uuid4(), e, METADATA) for e in chunk]
        # Partnership stream ids: the read models fold only those (domain/identifiers.py).
        appends.append(Append(f"{WORKFLOW_ID_PREFIX}{tag}-CV/{stream}", version, new))
        version += len(chunk)
    return appends


# -- contenders -------------------------------------------------------------------------------

Runner = Callable[[list[Append]], None]


def ours(store: EventStore) -> Runner:
    def run(batch: list[Append]) -> None:
        for a in batch:
            store.append(a.stream_id, a.expected_version, a.events)

    return run


def raw_core(engine: Engine) -> Runner:
    """The same rows, hashes precomputed, inserted by SQLAlchemy Core: the floor for a write."""

    def rows(a: Append) -> list[dict[str, Any]]:
        return [
            {
                "stream_id": a.stream_id,
                "stream_version": r.stream_version + a.expected_version,
                "event_id": r.event.event_id,
                "type": r.event.type,
                "schema_version": r.event.schema_version,
                "payload": r.event.payload,
                "metadata": r.event.metadata,
                "occurred_on": r.event.occurred_on,
                "recorded_at": r.recorded_at,
                "prev_hash": r.prev_hash,
                "hash": r.hash,
            }
            for r in prepare_rows(a.stream_id, EMPTY_HEAD, a.events)
        ]

    prepared: dict[int, list[dict[str, Any]]] = {}

    def run(batch: list[Append]) -> None:
        todo = [prepared.get(id(a)) or rows(a) for a in batch]  # built before timing, see below
        for values in todo:
            with engine.begin() as conn:
                conn.execute(sa.insert(events_table), values)

    def warm(batch: list[Append]) -> None:
        for a in batch:
            prepared[id(a)] = rows(a)

    run.warm = warm  # type: ignore[attr-defined]
    return run


def eventsourcing_recorder(recorder: Any, ids: dict[str, uuid.UUID] | None = None) -> Runner:
    """eventsourcing's application recorder: serialise each payload, insert in one transaction."""
    ids = {} if ids is None else ids

    def run(batch: list[Append]) -> None:
        for a in batch:
            oid = ids.setdefault(a.stream_id, uuid.uuid4())
            recorder.insert_events(
                [
                    EsStoredEvent(
                        originator_id=oid,
                        originator_version=a.expected_version + i,
                        topic=e.type,
                        state=json.dumps(e.payload).encode(),
                    )
                    for i, e in enumerate(a.events, start=1)
                ]
            )

    return run


# One append at a time per thread, for the concurrent rounds.
OneAppend = Callable[[Append], None]


def ours_one(store: EventStore) -> OneAppend:
    def run(a: Append) -> None:
        store.append(a.stream_id, a.expected_version, a.events)

    return run


def eventsourcing_one(recorder: Any) -> OneAppend:
    ids: dict[str, uuid.UUID] = {}
    run_batch = eventsourcing_recorder(recorder, ids)
    return lambda a: run_batch([a])


# -- backends ---------------------------------------------------------------------------------


@contextmanager
def sqlite_backend() -> Iterator[tuple[URL, Callable[[], Any]]]:
    from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

    with tempfile.TemporaryDirectory(prefix="partnerships-bench-") as tmp:
        path = Path(tmp) / "bench.db"

        def recorder() -> Any:
            r = SQLiteApplicationRecorder(SQLiteDatastore(str(path)), events_table_name="es_events")
            r.create_table()
            return r

        yield normalise_url(f"sqlite:///{path}"), recorder


@contextmanager
def postgres_backend() -> Iterator[tuple[URL, Callable[[], Any]]]:
    try:
        from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
    except ImportError as error:  # eventsourcing's PostgreSQL extra brings psycopg-pool
        raise SystemExit(
            f"eventsourcing's PostgreSQL recorder cannot be imported ({error}); "
            "install eventsourcing[postgres] (psycopg-pool) to run this benchmark."
        ) from None

    server = normalise_url(PG_SERVER)
    name = f"partnerships_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine_from_url(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name)
    datastores: list[Any] = []

    def recorder() -> Any:
        datastore = PostgresDatastore(
            dbname=name,
            host=url.host or "127.0.0.1",
            port=url.port or 5432,
            user=url.username or "postgres",
            password=url.password or "",
        )
        datastores.append(datastore)
        r = PostgresApplicationRecorder(datastore, events_table_name="es_events")
        r.create_table()
        return r

    try:
        yield url, recorder
    finally:
        for datastore in datastores:
            datastore.close()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- measuring --------------------------------------------------------------------------------


@dataclass
class Figures:
    backend: str
    rates: dict[str, float]
    concurrent: dict[str, float]
    rebuild_events: int
    rebuild_rate: float


def measure_appends(contenders: dict[str, Runner]) -> dict[str, float]:
    work = {
        name: workload(name.replace(" ", "_"), APPENDS_PER_ROUND * (ROUNDS + 1))
        for name in contenders
    }
    elapsed: dict[str, list[float]] = {name: [] for name in contenders}
    for round_ in range(ROUNDS + 1):
        order = list(contenders)
        order = order[round_ % len(order) :] + order[: round_ % len(order)]
        for name in order:
            batch = work[name][round_ * APPENDS_PER_ROUND : (round_ + 1) * APPENDS_PER_ROUND]
            runner = contenders[name]
            if hasattr(runner, "warm"):
                runner.warm(batch)
            start = time.perf_counter()
            runner(batch)
            if round_ > 0:  # the first round warms caches, pools and prepared statements
                elapsed[name].append(time.perf_counter() - start)
    # The median round is robust to a stray checkpoint or autovacuum in one round.
    return {name: APPENDS_PER_ROUND / statistics.median(t) for name, t in elapsed.items()}


def measure_concurrent(contenders: dict[str, OneAppend]) -> dict[str, float]:
    """Appends/s with THREADS threads appending at once, each to its own streams.

    A round gives every thread APPENDS_PER_THREAD appends and times until the last is done.
    """
    per_round = THREADS * APPENDS_PER_THREAD
    work = {
        name: [
            workload(f"{name.replace(' ', '_')}-c{thread}", APPENDS_PER_THREAD * (ROUNDS + 1))
            for thread in range(THREADS)
        ]
        for name in contenders
    }
    elapsed: dict[str, list[float]] = {name: [] for name in contenders}
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for round_ in range(ROUNDS + 1):
            order = list(contenders)
            order = order[round_ % len(order) :] + order[: round_ % len(order)]
            for name in order:
                append = contenders[name]
                lo, hi = round_ * APPENDS_PER_THREAD, (round_ + 1) * APPENDS_PER_THREAD
                slices = [appends[lo:hi] for appends in work[name]]

                def run(batch: list[Append], append: OneAppend = append) -> None:
                    for a in batch:
                        append(a)

                start = time.perf_counter()
                for future in [pool.submit(run, batch) for batch in slices]:
                    future.result()
                if round_ > 0:
                    elapsed[name].append(time.perf_counter() - start)
    return {name: per_round / statistics.median(t) for name, t in elapsed.items()}


def measure_rebuild(engine: Engine) -> tuple[int, float]:
    store = EventStore(engine)
    streams = REBUILD_EVENTS // len(HISTORY) + 1
    for s in range(streams):
        store.append(
            f"{WORKFLOW_ID_PREFIX}rebuild-CV/{s}",
            0,
            [to_new_event(uuid.uuid4(), e, METADATA) for e in HISTORY],
        )
    total = store.last_position()
    start = time.perf_counter()
    report = Projections(engine).rebuild()
    elapsed = time.perf_counter() - start
    return report.events, report.events / elapsed if total else 0.0


def run_backend(label: str, backend: Callable[[], Any]) -> Figures:
    with backend() as (url, make_recorder):
        runner.upgrade(url)
        engine = create_engine_from_url(url)
        try:
            contenders: dict[str, Runner] = {
                "ours": ours(EventStore(engine)),
                "ours, no head cache": ours(EventStore(engine, cache_heads=False)),
                "ours + read models": ours(EventStore(engine, projections=Projections(engine))),
                "raw Core INSERT": raw_core(engine),
                "eventsourcing": eventsourcing_recorder(make_recorder()),
            }
            rates = measure_appends(contenders)
            recorder = make_recorder()
            concurrent = measure_concurrent(
                {
                    "ours": ours_one(EventStore(engine)),
                    "ours + read models": ours_one(
                        EventStore(engine, projections=Projections(engine))
                    ),
                    "eventsourcing": eventsourcing_one(recorder),
                }
            )
            # the rebuild measures a log of exactly its own events (a scratch database: the
            # append-only guard is lifted to empty it)
            with engine.begin() as conn, guard_lifted(conn):
                conn.execute(sa.text("DELETE FROM events"))
                conn.execute(sa.text("DELETE FROM streams"))
            rebuilt, rebuild_rate = measure_rebuild(engine)
        finally:
            engine.dispose()
    return Figures(label, rates, concurrent, rebuilt, rebuild_rate)


_LABEL = 32  # width of the first column


def _row(label: str, cells: list[str], note: str = "") -> None:
    print(f"  {label:{_LABEL}}" + "".join(f"{c:>14}" for c in cells) + note)


# The acceptance targets of issue 16, per backend.
TARGETS = {
    "ours/raw": {"SQLite": 0.8, "PostgreSQL": 0.8},
    "ours/eventsourcing": {"SQLite": 0.9, "PostgreSQL": 1.0},
    "concurrent ours/eventsourcing": {"SQLite": 1.5, "PostgreSQL": 1.5},
}


def _ratio_row(name: str, ratios: dict[str, float]) -> None:
    targets = TARGETS[name]
    note = "   (target >= " + ", ".join(f"{targets[b]} on {b}" for b in ratios) + ")"
    _row(name, [f"{v:.2f}" for v in ratios.values()], note)


def report(results: list[Figures]) -> None:
    """Print the rates, the ratios against their targets, and the rebuild speed."""
    print()
    print(
        f"Appends/s (one transaction of 1-3 events; median of {ROUNDS} rounds of "
        f"{APPENDS_PER_ROUND}, contenders interleaved):"
    )
    _row("", [r.backend for r in results])
    for name in results[0].rates:
        _row(name, [f"{r.rates[name]:,.0f}" for r in results])
    print()
    print(
        f"Concurrent appends/s ({THREADS} threads, each to its own streams; median of {ROUNDS} "
        f"rounds of {THREADS * APPENDS_PER_THREAD}, contenders interleaved):"
    )
    _row("", [r.backend for r in results])
    for name in results[0].concurrent:
        _row(name, [f"{r.concurrent[name]:,.0f}" for r in results])
    print()
    print("Ratios (higher is better for ours):")
    for name, base in (("ours/raw", "raw Core INSERT"), ("ours/eventsourcing", "eventsourcing")):
        _ratio_row(name, {r.backend: r.rates["ours"] / r.rates[base] for r in results})
    _ratio_row(
        "concurrent ours/eventsourcing",
        {r.backend: r.concurrent["ours"] / r.concurrent["eventsourcing"] for r in results},
    )
    print()
    print("Appends/s with read models on (status board, participation, outbox, open tasks):")
    for r in results:
        print(
            f"  {r.backend:10} {r.rates['ours + read models']:,.0f} one at a time, "
            f"{r.concurrent['ours + read models']:,.0f} from {THREADS} threads"
        )
    print()
    print("Read-model rebuild (status board, participation, milestones outbox, open tasks):")
    for r in results:
        print(
            f"  {r.backend:10} {r.rebuild_events:,} events folded at {r.rebuild_rate:,.0f} events/s"
            + ("   (target >= 50,000 on SQLite)" if r.backend == "SQLite" else "")
        )


def main() -> int:
    started = time.perf_counter()
    results = []
    for label, backend in (("SQLite", sqlite_backend), ("PostgreSQL", postgres_backend)):
        print(f"measuring {label} ...", flush=True)
        results.append(run_backend(label, backend))
    report(results)
    print(f"\n(bench took {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
