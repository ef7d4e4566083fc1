"""A rebuild of the read models yields exactly the rows the live projection kept.

The rebuild reads, decodes, folds and writes the log its own faster way (activities/projections.py,
`Projections.rebuild`); the live projection folds each append in its own transaction. For
lifecycles drawn by hypothesis (random walks through the domain, tests/unit/strategies.py), from
nothing or from a story at an open stage, appended command by command with the read models on,
the rows a rebuild writes are those the appends wrote, down to the stored text of every value.
"""

from __future__ import annotations

import itertools
import uuid

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from activities.codec import to_new_event
from activities.eventstore import EventStore
from activities.outbox import Outbox
from activities.projections import Projections
from activities.schema import status_board
from domain import DomainError, Event, Partnership, Stage, decide, replay
from tests.integration.test_projections import raw_snapshot, snapshot
from tests.unit.strategies import OPEN_STAGES, START_TIMES, walk_steps

Batches = list[list[Event]]
"""A stream's history as appended: the events of each accepted command, in order."""


@st.composite
def lifecycles(draw: st.DrawFn) -> Batches:
    """A partnership's history, command by command: a story at an open stage (or nothing),
    then steps drawn by `walk_steps` that `decide` accepts, until an end or the walk's length."""
    start = draw(st.sampled_from([None, *OPEN_STAGES]))
    batches: Batches = []
    state, now = Partnership(), draw(START_TIMES)
    if start is not None:
        story = OPEN_STAGES[start]()
        state, batches = story.state, [list(story.events)]
        now = max(e.recorded_at for e in story.events)
    for _ in range(draw(st.integers(0, 25))):
        step = draw(walk_steps(state, now))
        try:
            decided = decide(state, step.command, step.actor, step.at)
        except DomainError:
            continue  # refused: nothing recorded, as in a run
        batches.append(decided)
        state, now = replay(decided, state), step.at
        if state.stage is not None and state.stage.is_end:
            break
    return batches


_streams = itertools.count(1)


def append(store: EventStore, history: Batches) -> str:
    """Append `history` to a new stream, one append per command; return the stream's id."""
    stream_id = f"partnership-CV/{next(_streams)}"
    version = 0
    for batch in history:
        new = [to_new_event(uuid.uuid4(), event, {"run_id": "r"}) for event in batch]
        store.append(stream_id, version, new)
        version += len(batch)
    return stream_id


@pytest.fixture
def store(sqlite_engine: Engine) -> EventStore:
    return EventStore(sqlite_engine, projections=Projections(sqlite_engine))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(histories=st.lists(lifecycles(), min_size=1, max_size=3))
def test_a_rebuild_of_drawn_lifecycles_stores_exactly_the_rows_their_appends_kept(
    sqlite_engine: Engine, store: EventStore, histories: list[Batches]
) -> None:
    # One database for every example: each example adds its streams, and the rebuild refolds
    # them all, those of earlier examples included.
    for history in histories:
        append(store, history)
    live, stored = snapshot(sqlite_engine), raw_snapshot(sqlite_engine)
    report = Projections(sqlite_engine).rebuild()
    assert raw_snapshot(sqlite_engine) == stored
    assert snapshot(sqlite_engine) == live
    assert report.checkpoint == store.last_position()
    assert report.events == store.last_position()


def test_a_rebuild_keeps_a_delivered_milestone_delivered_and_refolds_tampered_rows(
    sqlite_engine: Engine, store: EventStore
) -> None:
    # At the Council's decision: three milestones in the outbox (consultation, talks, report).
    stream_id = append(store, [list(OPEN_STAGES[Stage.COUNCIL_DECISION]().events)])
    outbox = Outbox(sqlite_engine)
    first = outbox.pending()[0]
    assert outbox.mark_delivered(first.stream_id, first.position, first.kind)
    live = snapshot(sqlite_engine)
    with sqlite_engine.begin() as conn:
        conn.execute(sa.update(status_board).values(stage="lapsed", interested_count=99))
    assert snapshot(sqlite_engine) != live
    Projections(sqlite_engine).rebuild()
    assert snapshot(sqlite_engine) == live
    delivered = [m for m in live["milestones"] if m[0] == stream_id and m[7] == "delivered"]
    assert len(delivered) == 1


@pytest.mark.postgres
def test_a_rebuild_on_postgresql_stores_the_rows_the_appends_kept(pg_engine: Engine) -> None:
    store = EventStore(pg_engine, projections=Projections(pg_engine))
    for stage in OPEN_STAGES:
        append(store, [list(OPEN_STAGES[stage]().events)])
    live, stored = snapshot(pg_engine), raw_snapshot(pg_engine)
    assert live["status_board"]
    report = Projections(pg_engine).rebuild()
    assert snapshot(pg_engine) == live
    assert raw_snapshot(pg_engine) == stored
    assert report.streams == len(OPEN_STAGES)
