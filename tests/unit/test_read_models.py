"""Read-model rows are folds of a stream by the domain's own functions (no I/O here)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from activities.codec import to_new_event
from activities.read_models import fold_stream
from activities.records import StoredEvent
from domain import Event, MilestoneKind, replay
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


def test_each_milestone_row_carries_the_report_of_its_own_milestone() -> None:
    history = at_launched().events
    rows = fold_stream("partnership-CV/1", stored(history))
    # Positions start at 101: the consultation closes with the 6th event, the talks end with
    # the 10th, the report is the 11th, the decision the 12th and the launch the 13th.
    assert [(m["position"], m["kind"], m["report"].splitlines()[0]) for m in rows.milestones] == [
        (106, "consultation_outcome", "# Outcome of the consultation of the Member States"),
        (110, "talks_outcome", "# Outcome of the exploratory talks"),
        (111, "report_to_council", "# Report to the Council"),
        (112, "council_decision", "# The Council's decision"),
        (113, "launch", "# Launch of the pilot partnership"),
    ]
    # Each report stops at its milestone: the consultation's knows nothing of the launch.
    assert "## Launch" not in rows.milestones[0]["report"]
    assert "## Exploratory talks" not in rows.milestones[0]["report"]
    assert "## Launch" in rows.milestones[-1]["report"]


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
