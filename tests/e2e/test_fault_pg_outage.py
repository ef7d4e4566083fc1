"""The PostgreSQL outage scenario at its short scale: the proxy really cut the worker off its
store mid-lifecycle, and the lifecycles still launched with nothing lost, doubled or stuck."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from activities.database import create_engine_from_url
from faults import pg_outage
from faults.outcome import Scale
from tests.e2e.devstack import needs_temporal

pytestmark = [needs_temporal, pytest.mark.postgres]


def scenario_databases() -> set[str]:
    engine = create_engine_from_url(pg_outage.pg_server_url())
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT datname FROM pg_database WHERE datname LIKE 'partnerships_faults_%'"
                )
            )
            return {row[0] for row in rows}
    finally:
        engine.dispose()


async def test_workflows_wait_out_a_postgresql_outage_and_lose_nothing(tmp_path: Path) -> None:
    before = scenario_databases()

    run = await pg_outage.outage(Scale.SHORT, tmp_path)

    outcome = run.outcome
    assert outcome.faults_injected == pg_outage.OUTAGES[Scale.SHORT], outcome
    # A batch that ends before the outage is followed by another on fresh countries, so more
    # may run; every lifecycle driven must have completed.
    assert outcome.lifecycles_completed >= pg_outage.LIFECYCLES[Scale.SHORT], outcome
    assert f"; {outcome.lifecycles_completed} lifecycles driven" in outcome.detail, outcome
    assert outcome.verified, outcome.detail
    assert (outcome.events_lost, outcome.duplicates, outcome.stuck_workflows) == (0, 0, 0)
    assert outcome.clean
    # The outage hit the worker: connections it held were closed and some it tried refused.
    assert run.connections_cut >= 1, run
    assert run.connections_refused >= 1, run
    # The run's own database is gone again.
    assert scenario_databases() <= before
