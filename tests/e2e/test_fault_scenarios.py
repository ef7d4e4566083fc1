"""The fault campaign's scenarios at their short scale: faults really strike, lifecycles still
complete, and nothing is lost, duplicated or stuck (`make faults` runs them at full scale)."""

from __future__ import annotations

from pathlib import Path

from faults import temporal_restart, two_workers, worker_kills
from faults.outcome import Outcome, Scale
from tests.e2e.devstack import needs_temporal

pytestmark = needs_temporal


def assert_clean(outcome: Outcome, *, faults: int, lifecycles: int) -> None:
    """Every fault injected, every lifecycle driven launched, the record verified, nothing
    wrong. A batch that ends before the faults are done is followed by another, so at least
    `lifecycles` were driven."""
    assert outcome.faults_injected == faults, outcome
    assert outcome.lifecycles_completed >= lifecycles, outcome
    assert f"; {outcome.lifecycles_completed} lifecycles driven" in outcome.detail, outcome
    assert outcome.verified, outcome.detail
    assert outcome.events_lost == 0, outcome
    assert outcome.duplicates == 0, outcome
    assert outcome.stuck_workflows == 0, outcome
    assert outcome.clean


async def test_a_worker_killed_three_times_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    outcome = await worker_kills.run(Scale.SHORT, tmp_path)
    assert_clean(
        outcome,
        faults=worker_kills.KILLS[Scale.SHORT],
        lifecycles=worker_kills.LIFECYCLES[Scale.SHORT],
    )


async def test_one_of_two_workers_killed_repeatedly_loses_and_duplicates_nothing(
    tmp_path: Path,
) -> None:
    outcome = await two_workers.run(Scale.SHORT, tmp_path)
    assert_clean(
        outcome,
        faults=two_workers.KILLS[Scale.SHORT],
        lifecycles=two_workers.LIFECYCLES[Scale.SHORT],
    )
    assert "the other worker ran throughout" in outcome.detail


async def test_workflows_resume_after_the_temporal_server_is_killed_and_restarted(
    tmp_path: Path,
) -> None:
    outcome = await temporal_restart.run(Scale.SHORT, tmp_path)
    assert_clean(
        outcome,
        faults=temporal_restart.RESTARTS[Scale.SHORT],
        lifecycles=temporal_restart.LIFECYCLES[Scale.SHORT],
    )
    assert "stopped by SIGKILL" in outcome.detail
