"""Read-model rows are folds of a stream by the domain's own functions (no I/O here)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from activities.codec import to_new_event
from activities.read_models import fold_stream
from activities.records import StoredEvent
from domain import Event, MilestoneKind, milestone_kind, replay
from domain.report import render_report
from tests.unit.strategies import at_launched, at_not_pursued


def stored(history: Sequence[Event], stream_id: str = "partnership-CV/1") -> list[StoredEvent]:
    rows = []
    for version, event in enumerate(history, start=1):
        new = to_new_event(uuid.UUID(int=version), event, {})
        rows.append(
            StoredEvent(
                event_id=new.event_id,
                type=new.type,
                schema_version=new.schema_version,
                payload=new.payload,
                metadata=new.metadata,
                occurred_on=new.occurred_on,
                recorded_at=new.recorded_at,
                position=100 + version,
                stream_id=stream_id,
                stream_version=version,
                prev_hash="",
                hash="",
            )
        )
    return rows


def test_the_status_row_says_what_the_domain_says() -> None:
    history = at_launched().events
    rows = fold_stream("partnership-CV/1", stored(history))
    state = replay(history)
    assert rows.status is not None
    assert rows.status["stage"] == "launched"
    assert rows.status["country"] == state.country
    assert rows.status["interested_count"] == len(state.interested_member_states)
    assert rows.status["stream_version"] == len(history)
    assert rows.status["last_position"] == 100 + len(history)


def test_each_milestone_row_carries_the_report_the_domain_renders_for_it() -> None:
    history = at_launched().events
    rows = fold_stream("partnership-CV/1", stored(history))
    reached = [(i, k) for i, e in enumerate(history, start=1) if (k := milestone_kind(e))]
    assert [(m["position"], m["kind"]) for m in rows.milestones] == [
        (100 + i, k.value) for i, k in reached
    ]
    for milestone, (i, kind) in zip(rows.milestones, reached, strict=True):
        assert milestone["report"] == render_report(history[:i], kind)


def test_a_member_state_that_only_said_no_is_listed_without_talks_or_signature() -> None:
    rows = fold_stream("partnership-CV/1", stored(at_not_pursued().events))
    (de,) = rows.participation
    assert (de["member_state"], de["latest_answer"], de["offers"]) == ("DE", "not_interested", [])
    assert not de["took_part_in_talks"]
    assert not de["signatory"]
    assert [m["kind"] for m in rows.milestones] == [MilestoneKind.CONSULTATION_OUTCOME]


def test_an_empty_stream_has_no_rows() -> None:
    rows = fold_stream("partnership-CV/9", [])
    assert rows.status is None
    assert rows.participation == []
    assert rows.milestones == []
