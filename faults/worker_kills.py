"""SIGKILL of the worker at random moments while lifecycles run: nothing lost, nothing doubled.

FULL: 100 kills across batches of 10 concurrent lifecycles (a batch that finishes before the
kills are done is followed by another on fresh countries); SHORT: 3 kills across 3. Batches
were 20 until lifecycles got faster: 100 kills then used up the 204 third countries, each of
which can be proposed once, before the last kill. The
worker is restarted after each kill, as a service manager would, and the next kill lands at a
random moment once the record has grown again: kills faster than a worker can start would
only stop the system, not strike the steps in flight.
"""

from __future__ import annotations

from pathlib import Path

from faults.outcome import Outcome, Scale
from faults.scenario import Campaign, conclude, kill_repeatedly, seeded_rng
from faults.stack import open_stack

NAME = "worker_kills"
KILLS = {Scale.FULL: 100, Scale.SHORT: 3}
LIFECYCLES = {Scale.FULL: 10, Scale.SHORT: 3}
MOMENT_S = (0.0, 0.3)
"""A kill lands this many seconds (uniform) after the restarted worker first records."""


async def run(scale: Scale, workdir: Path) -> Outcome:
    """Kill the one worker KILLS[scale] times while LIFECYCLES[scale] lifecycles run."""
    rng = seeded_rng(NAME)
    async with open_stack(workdir) as stack:
        worker = await stack.start_worker()
        campaign = Campaign(await stack.connect(), LIFECYCLES[scale])

        injected = await kill_repeatedly(stack, worker, campaign, KILLS[scale], rng, MOMENT_S)
        return await conclude(
            stack, NAME, campaign.progresses, faults_injected=injected, faults_planned=KILLS[scale]
        )
