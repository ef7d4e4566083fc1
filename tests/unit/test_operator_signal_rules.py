"""Rules of the operator signals that hold for every input: request ids and the stage gauges."""

from __future__ import annotations

import datetime
import re

from hypothesis import given
from hypothesis import strategies as st

from activities.operator_gauges import Snapshot, snapshot_metrics
from domain.stages import END_STAGES, Stage
from interfaces.api.request_ids import request_id

NOW = datetime.datetime(2026, 12, 2, 12, 0, tzinfo=datetime.UTC)


@given(st.text(max_size=200))
def test_a_request_id_is_the_callers_when_safe_else_a_new_one(given_id: str) -> None:
    chosen = request_id(given_id)
    if re.fullmatch(r"[A-Za-z0-9._:-]{1,128}", given_id):
        assert chosen == given_id
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", chosen)


def test_a_log_line_cannot_be_broken_by_a_request_id() -> None:
    assert "\n" not in request_id("abc\nlevel=ERROR forged")


@given(st.dictionaries(st.sampled_from([s.value for s in Stage]), st.integers(0, 10_000)))
def test_every_stage_is_exposed_once_open_or_ended(counts: dict[str, int]) -> None:
    families = {m.name: m for m in snapshot_metrics(Snapshot(stages=counts), NOW)}
    opened = {
        s.labels["stage"]: s.value for s in families["partnerships_open_partnerships"].samples
    }
    ended = {
        s.labels["stage"]: s.value for s in families["partnerships_ended_partnerships"].samples
    }
    assert set(opened) | set(ended) == {s.value for s in Stage}
    assert set(ended) == {s.value for s in END_STAGES}
    for stage in Stage:
        assert {**opened, **ended}[stage.value] == counts.get(stage.value, 0)


def test_a_pending_milestones_age_is_measured_from_when_it_was_recorded() -> None:
    snap = Snapshot(
        milestones_pending=2,
        oldest_milestone_pending=NOW - datetime.timedelta(hours=3),
        deliveries={"pending": 1, "failed": 4},
        oldest_delivery_pending=NOW - datetime.timedelta(minutes=5),
    )
    values = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in snapshot_metrics(snap, NOW)
        for s in family.samples
    }
    assert values[("partnerships_outbox_oldest_pending_age_seconds", ())] == 3 * 3600
    assert values[("partnerships_delivery_oldest_pending_age_seconds", ())] == 300
    assert values[("partnerships_deliveries", (("state", "failed"),))] == 4


def test_a_database_without_the_deliveries_table_has_no_delivery_gauges() -> None:
    names = {family.name for family in snapshot_metrics(Snapshot(), NOW)}
    assert "partnerships_deliveries" not in names
    assert "partnerships_outbox_milestones_pending" in names
