"""The Temporal dev server stopped and restarted in the middle of lifecycles: they resume.

The server keeps its state in a SQLite file (`--db-filename`), and comes back on the same
port. It is stopped with SIGTERM, and once with SIGKILL (no shutdown at all); the workers stay
up and reconnect, and the clients' calls are sent again under the same ids. FULL: 3 restarts
across 20 lifecycles; SHORT: 1 restart (the SIGKILL) across 3.
"""

from __future__ import annotations

from pathlib import Path

from faults.outcome import Outcome, Scale
from faults.scenario import Campaign, conclude, seeded_rng
from faults.stack import open_stack

NAME = "temporal_restart"
RESTARTS = {Scale.FULL: 3, Scale.SHORT: 1}
LIFECYCLES = {Scale.FULL: 20, Scale.SHORT: 3}
KILLED_AT: dict[Scale, int] = {Scale.FULL: 2, Scale.SHORT: 1}
"""Which restart (counting from 1) kills the server instead of stopping it."""
MOMENT_S = (0.5, 4.0)
"""A restart begins this many seconds (uniform) after the server serves again."""


async def run(scale: Scale, workdir: Path) -> Outcome:
    """Restart the server RESTARTS[scale] times while LIFECYCLES[scale] lifecycles run."""
    rng = seeded_rng(NAME)
    async with open_stack(workdir) as stack:
        worker = await stack.start_worker()
        campaign = Campaign(await stack.connect(), LIFECYCLES[scale])
        signals: list[str] = []

        async def restart(n: int) -> None:
            kill = n == KILLED_AT[scale]
            signals.append("SIGKILL" if kill else "SIGTERM")
            await stack.server.restart(kill=kill)

        try:
            injected = await campaign.inject(RESTARTS[scale], restart, rng, MOMENT_S)
        finally:
            campaign.cancel()
        survived = "the worker ran throughout" if worker.running else "THE WORKER DIED"
        return await conclude(
            stack,
            NAME,
            campaign.progresses,
            faults_injected=injected,
            faults_planned=RESTARTS[scale],
            extra=f"stopped by {', '.join(signals)}; {survived}",
        )
