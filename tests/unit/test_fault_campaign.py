"""How the fault campaign paces its faults against batches of lifecycles, with batches faked
as timed tasks (the scenarios run real ones: tests/e2e/test_fault_*.py)."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from faults.lifecycles import Plan, Progress
from faults.outcome import Outcome
from faults.scenario import Campaign


class TimedCampaign(Campaign):
    """A campaign whose batches take the listed seconds each and complete every lifecycle."""

    def __init__(self, durations: list[float]) -> None:
        super().__init__(client=Any, batch_size=1)  # type: ignore[arg-type]
        self.durations = durations
        self.started: list[float] = []

    def _start_batch(self) -> asyncio.Task[list[Progress]]:
        seconds = self.durations[len(self.started)]
        self.started.append(asyncio.get_running_loop().time())

        async def run() -> list[Progress]:
            await asyncio.sleep(seconds)
            return [Progress(Plan(f"country {len(self.started)}", ()), completed=True)]

        return asyncio.create_task(run())

    def _countries_left(self) -> int:
        return len(self.durations) - len(self.started)


def test_a_batch_that_ends_during_a_long_fault_is_followed_at_once_by_another() -> None:
    # The first batch ends 0.05 s into a 0.3 s fault (an outage): the next one must start
    # then, so the outage still meets steps in flight, not an idle system.
    campaign = TimedCampaign([0.1, 0.5])
    moments: list[float] = []

    async def outage(n: int) -> None:
        moments.append(asyncio.get_running_loop().time())
        await asyncio.sleep(0.3)

    async def main() -> int:
        return await campaign.inject(1, outage, random.Random(1), (0.05, 0.05))

    injected = asyncio.run(main())

    assert injected == 1
    assert len(campaign.started) == 2
    assert moments[0] < campaign.started[1] < moments[0] + 0.3
    assert campaign.completed == 2


def test_a_fault_that_fails_is_raised_to_the_scenario_and_its_batch_is_stopped() -> None:
    campaign = TimedCampaign([5.0])

    async def broken(n: int) -> None:
        raise RuntimeError("the fault could not be injected")

    async def main() -> None:
        try:
            await campaign.inject(1, broken, random.Random(1), (0.01, 0.01))
        finally:
            campaign.cancel()
        await asyncio.sleep(0)

    with pytest.raises(RuntimeError, match="could not be injected"):
        asyncio.run(main())
    assert campaign.completed == 0


def test_when_the_countries_run_out_the_campaign_ends_with_the_faults_it_made() -> None:
    # Two batches' worth of countries, each batch over before the next fault's moment: the
    # third fault never comes, and no batch is asked of countries that do not exist.
    campaign = TimedCampaign([0.01, 0.01])

    async def kill(n: int) -> None:
        await asyncio.sleep(0)

    async def main() -> int:
        return await campaign.inject(3, kill, random.Random(1), (0.05, 0.05))

    injected = asyncio.run(main())

    assert injected == 0
    assert len(campaign.started) == 2
    assert campaign.completed == 2


def test_a_scenario_that_injected_fewer_faults_than_it_planned_is_not_clean() -> None:
    found = {
        "scenario": "worker_kills",
        "lifecycles_completed": 204,
        "events_lost": 0,
        "duplicates": 0,
        "stuck_workflows": 0,
        "verified": True,
    }

    assert Outcome(faults_injected=100, faults_planned=100, **found).clean  # type: ignore[arg-type]
    assert not Outcome(faults_injected=57, faults_planned=100, **found).clean  # type: ignore[arg-type]
