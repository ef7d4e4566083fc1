"""The API-kill scenario at its short scale: the API process was really SIGKILLed with step
requests in flight, each retried with its Idempotency-Key, and every step recorded once."""

from __future__ import annotations

from pathlib import Path

from faults import api_kills
from faults.outcome import Scale
from tests.e2e.devstack import needs_temporal

pytestmark = needs_temporal


async def test_steps_cut_off_by_api_kills_and_retried_with_their_key_record_once(
    tmp_path: Path,
) -> None:
    run = await api_kills.api_kills(Scale.SHORT, tmp_path)

    outcome = run.outcome
    assert outcome.faults_injected == api_kills.KILLS[Scale.SHORT], outcome
    # A batch that ends before the kills are done is followed by another: all must launch.
    assert run.lifecycles_driven >= api_kills.LIFECYCLES[Scale.SHORT], run
    assert outcome.lifecycles_completed == run.lifecycles_driven, outcome
    assert outcome.verified, outcome.detail
    assert (outcome.events_lost, outcome.duplicates, outcome.stuck_workflows) == (0, 0, 0)
    assert outcome.clean
    # Each kill caught at least one step request in flight, and those got no answer from it.
    assert run.caught >= api_kills.KILLS[Scale.SHORT], run
    assert run.cut_off >= 1, run
