"""Two workers on the same task queue while one of them is killed again and again.

The survivor takes over what the killed one held (its workflow tasks once their sticky
timeout passes, its activities once their start-to-close timeout does); the killed one is
restarted each time and rejoins. FULL: 20 kills across batches of 20 lifecycles; SHORT: 3 across 3.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from faults.outcome import Outcome, Scale
from faults.scenario import Campaign, conclude, kill_repeatedly, seeded_rng
from faults.stack import open_stack

NAME = "two_workers"
KILLS = {Scale.FULL: 20, Scale.SHORT: 3}
LIFECYCLES = {Scale.FULL: 20, Scale.SHORT: 3}
MOMENT_S = (0.0, 2.0)
"""A kill lands this many seconds (uniform) after the record first grows since the last."""


async def run(scale: Scale, workdir: Path) -> Outcome:
    """Kill one of two workers KILLS[scale] times while LIFECYCLES[scale] lifecycles run."""
    rng = seeded_rng(NAME)
    async with open_stack(workdir) as stack:
        victim, survivor = stack.add_worker(), stack.add_worker()
        await asyncio.gather(stack.start_worker(victim), stack.start_worker(survivor))
        campaign = Campaign(await stack.connect(), LIFECYCLES[scale])

        injected = await kill_repeatedly(stack, victim, campaign, KILLS[scale], rng, MOMENT_S)
        survived = (
            "the other worker ran throughout" if survivor.running else "THE OTHER WORKER DIED"
        )
        return await conclude(
            stack,
            NAME,
            campaign.progresses,
            faults_injected=injected,
            faults_planned=KILLS[scale],
            extra=survived,
        )
