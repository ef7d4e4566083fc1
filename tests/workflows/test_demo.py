"""`partnerships demo` plays the real history through a live server and worker, once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from app.partnerships import connected
from domain.events import PartnershipLaunched, TalksSuspended
from settings import load_settings
from tests.workflows.harness import Harness, today, unique_task_queue
from tools.demo import run_demo, stories
from worker import build_worker, wire


@pytest.fixture
async def demo_harness(
    dev_env: WorkflowEnvironment, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Harness]:
    """A real worker on the dev server, and the CLI's settings pointing at both."""
    queue = unique_task_queue()
    monkeypatch.setenv("TEMPORAL_ADDRESS", dev_env.client.service_client.config.target_host)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TASK_QUEUE", queue)
    wiring = wire(load_settings())
    async with build_worker(dev_env.client, wiring, queue):
        yield Harness(dev_env.client, queue, database_url)
    wiring.executor.shutdown(wait=True)


async def ids_at(h: Harness, stage: str, expected: list[str]) -> list[str]:
    """Workflow ids at `stage`, waiting (up to 30 s) until visibility shows all `expected`."""
    ids: list[str] = []
    for _ in range(300):
        ids = sorted([w.id async for w in h.client.list_workflows(f'PartnershipStage="{stage}"')])
        if ids == expected:
            break
        await asyncio.sleep(0.1)
    return ids


def recorded(h: Harness) -> Counter[str]:
    """How many events each country's first partnership has recorded."""
    return Counter({cc: len(h.events(cc)) for cc in ("CV", "MD", "GE", "SN")})


async def test_the_demo_launches_cape_verde_and_moldova_and_leaves_georgia_and_senegal_open(
    demo_harness: Harness,
) -> None:
    await run_demo()
    launched = ["partnership-CV", "partnership-MD"]
    assert await ids_at(demo_harness, "launched", launched) == launched
    assert await ids_at(demo_harness, "council_decision", ["partnership-GE"]) == ["partnership-GE"]
    launch = demo_harness.events("MD")[-1]
    assert isinstance(launch, PartnershipLaunched)
    assert len(launch.member_states) == 15
    assert launch.occurred_on.isoformat() == "2008-06-05"
    # Senegal's talks were suspended in 2009 and stay suspended.
    suspended = ["partnership-SN"]
    assert await ids_at(demo_harness, "talks_suspended", suspended) == suspended
    suspension = demo_harness.events("SN")[-1]
    assert isinstance(suspension, TalksSuspended)
    assert suspension.occurred_on.year == 2009
    assert demo_harness.store().verify().ok


async def test_running_the_demo_twice_records_nothing_more(demo_harness: Harness) -> None:
    await run_demo()
    first = recorded(demo_harness)
    await run_demo()
    assert recorded(demo_harness) == first


async def test_an_interrupted_demo_picks_its_story_up_where_it_stopped(
    demo_harness: Harness,
) -> None:
    cape_verde = stories(today())[0]
    async with connected(load_settings()) as partnerships:
        await partnerships.propose(cape_verde.start)
        for step in cape_verde.steps[:3]:
            await partnerships.step(cape_verde.country, step.request)
    await run_demo()
    assert len(demo_harness.events("CV")) == 1 + len(cape_verde.steps)
    launched = ["partnership-CV", "partnership-MD"]
    assert await ids_at(demo_harness, "launched", launched) == launched
