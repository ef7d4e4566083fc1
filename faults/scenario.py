"""What every scenario does around its own fault: batches of lifecycles, faults at random
moments while they run, and the checks at the end turned into the scenario's Outcome."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.client import Client

from faults.checks import Streams, check, merge
from faults.lifecycles import Progress, countries_available, drive_all, plans
from faults.outcome import Outcome
from faults.processes import WorkerProcess
from faults.stack import FaultStack

log = logging.getLogger("faults")


def seeded_rng(scenario: str) -> random.Random:
    """The scenario's random numbers, seeded from FAULTS_SEED or afresh; the seed is printed
    so a run can be repeated."""
    given = os.environ.get("FAULTS_SEED")
    seed = int(given) if given else random.SystemRandom().randrange(2**32)
    print(f"{scenario}: seed {seed} (FAULTS_SEED={seed} repeats it)", file=sys.stderr, flush=True)
    return random.Random(seed)


def growth_between_faults(batch_size: int) -> int:
    """Events the record must gain between two faults: a quarter of a batch's lifecycles
    (each records 12 events, and 2 in the programme's stream), so every fault strikes a
    system that is working, not one still recovering from the last."""
    return max(1, batch_size // 4)


@dataclass
class Campaign:
    """Batches of lifecycles on fresh countries, driven while faults are injected."""

    client: Client
    batch_size: int
    progresses: list[Progress] = field(default_factory=list)
    _next_country: int = 0
    _batch: asyncio.Task[list[Progress]] | None = None

    def _start_batch(self) -> asyncio.Task[list[Progress]]:
        size = min(self.batch_size, self._countries_left())
        batch = plans(size, first=self._next_country)
        self._next_country += size
        return asyncio.create_task(drive_all(self.client, batch))

    def _countries_left(self) -> int:
        """Third countries no batch has taken yet: each can be proposed once."""
        return countries_available() - self._next_country

    def _ran_out(self, injected: int, faults: int) -> int:
        """Say that the countries ran out before the faults were done; return those made."""
        log.warning(
            "the %d third countries ran out after %d faults of %d: the outcome counts the "
            "faults made",
            countries_available(),
            injected,
            faults,
        )
        self._batch = None
        return injected

    async def inject(
        self,
        faults: int,
        fault: Callable[[int], Awaitable[None]],
        rng: random.Random,
        moment: tuple[float, float],
        *,
        recorded: Callable[[], Awaitable[int]] | None = None,
        growth: int = 1,
    ) -> int:
        """Inject `faults` faults at random moments while batches of lifecycles run; then let
        the last batch finish. Returns the faults injected.

        Each fault lands `moment` seconds (uniform) after the previous one's recovery, or, with
        `recorded` (the store's last position), after the record has grown by `growth` events
        since it: faults faster than the system recovers would only stop it, and prove nothing
        about the steps in flight (a first full run with kills one event apart recorded only
        proposals in five minutes and thirty kills). A batch that ends before the faults are
        done is followed by another on fresh countries; a batch that completes no lifecycle at
        all ends the injection (the checks then report why), so a wedged system cannot keep the
        campaign running. So does running out of third countries (each can be proposed once):
        the faults made so far are returned, and the outcome shows them.
        """
        injected = 0
        batch = self._batch = self._start_batch()
        mark = await recorded() if recorded is not None else 0
        while injected < faults:
            if recorded is not None:
                await self._until_grown(batch, recorded, mark + growth - 1)
            if not batch.done():
                await asyncio.wait({batch}, timeout=rng.uniform(*moment))
            if batch.done():
                finished = batch.result()
                self.progresses += finished
                if not any(p.completed for p in finished):
                    log.warning("a batch completed no lifecycle: no further faults")
                    self._batch = None
                    return injected
                if self._countries_left() == 0:
                    return self._ran_out(injected, faults)
                batch = self._batch = self._start_batch()
                continue
            batch = await self._drive_through(fault(injected + 1), batch)
            injected += 1
            mark = await recorded() if recorded is not None else 0
        self.progresses += await batch
        self._batch = None
        return injected

    async def _drive_through(
        self, fault: Awaitable[None], batch: asyncio.Task[list[Progress]]
    ) -> asyncio.Task[list[Progress]]:
        """Await `fault` while lifecycles keep running: a batch that ends while the fault
        lasts (it finished just as the fault struck) is followed at once by another, so a
        long fault, such as an outage, always meets steps in flight. Returns the running batch."""
        striking = asyncio.ensure_future(fault)
        try:
            while not striking.done():
                waiting = {striking} if batch.done() else {striking, batch}
                await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                # A batch that cannot be followed (no country left) stays done for `inject`.
                if batch.done() and not striking.done() and self._countries_left() > 0:
                    self.progresses += batch.result()
                    batch = self._batch = self._start_batch()
        finally:
            if not striking.done():  # the batch failed: the fault is not left running alone
                striking.cancel()
        striking.result()
        return batch

    @staticmethod
    async def _until_grown(
        batch: asyncio.Task[list[Progress]], recorded: Callable[[], Awaitable[int]], mark: int
    ) -> None:
        """Wait until the record has grown past `mark`, or the batch is over."""
        while not batch.done() and await recorded() <= mark:
            await asyncio.wait({batch}, timeout=0.2)

    def cancel(self) -> None:
        """Stop driving the running batch (after a failure elsewhere)."""
        if self._batch is not None:
            self._batch.cancel()

    @property
    def completed(self) -> int:
        """How many lifecycles reached their launch."""
        return sum(1 for p in self.progresses if p.completed)


async def kill_repeatedly(
    stack: FaultStack,
    victim: WorkerProcess,
    campaign: Campaign,
    kills: int,
    rng: random.Random,
    moment_s: tuple[float, float],
) -> int:
    """SIGKILL `victim` `kills` times while the campaign's lifecycles run, restarting it after
    each kill as a service manager would; each kill waits until the record has grown again.
    Returns the kills made; the campaign's batch is cancelled if anything fails."""

    async def kill(n: int) -> None:
        await asyncio.to_thread(victim.kill)
        await stack.start_worker(victim)

    try:
        return await campaign.inject(
            kills,
            kill,
            rng,
            moment_s,
            recorded=stack.events_recorded,
            growth=growth_between_faults(campaign.batch_size),
        )
    finally:
        campaign.cancel()


async def conclude(
    stack: FaultStack,
    scenario: str,
    progresses: Sequence[Progress],
    *,
    faults_injected: int,
    faults_planned: int = 0,
    extra: str = "",
    also_expected: Streams | None = None,
) -> Outcome:
    """Check the scenario's store and server; write what was found to `findings.txt`.

    `also_expected` holds events the scenario records besides its lifecycles' (e.g. the
    directory's RoleGranted of each development token's binding): they must be recorded, and
    no more often. A scenario that injected fewer than its `faults_planned` is not clean.
    """
    client = await stack.connect()
    besides = [also_expected] if also_expected else []
    findings = await check(
        client,
        stack.database_url,
        merge([*(p.acknowledged_by_stream() for p in progresses), *besides]),
        merge([*(p.attempted_by_stream() for p in progresses), *besides]),
    )
    lines = [f"{p.plan.country}: {p.error}" for p in progresses if p.error] + findings.lines
    _write_findings(stack.workdir, findings.verification.output, lines)
    for line in lines:
        log.warning("%s: %s", scenario, line)
    completed = sum(1 for p in progresses if p.completed)
    retries = sum(p.retries for p in progresses)
    short = (
        f"only {faults_injected} of the {faults_planned} faults planned"
        if faults_injected < faults_planned
        else ""
    )
    return findings.outcome(
        scenario,
        faults_injected=faults_injected,
        faults_planned=faults_planned,
        lifecycles_completed=completed,
        extra="; ".join(
            part
            for part in (
                short,
                f"{len(progresses)} lifecycles driven, {retries} client retries",
                extra,
            )
            if part
        ),
    )


def _write_findings(workdir: Path, verify_output: str, lines: list[str]) -> None:
    text = [f"partnerships verify: {verify_output}", *lines] if lines else [verify_output]
    (workdir / "findings.txt").write_text("\n".join(text) + "\n")
