"""SIGKILL of the API in the middle of step requests that carry `Idempotency-Key`.

Lifecycles are driven through the HTTP API (DESIGN.md §3b) with tokens of the development
issuer, as any client would: the body never names the actor, the token says who acts. Every
step carries an `Idempotency-Key` fixed for that step; a request the kill cut off (no answer,
a reset connection, a 503 or 504) is sent again with the same key until it gets an answer,
and the checks afterwards count every event: each step must be recorded exactly once.

A kill lands while at least one step request is in flight, a random moment into it. The
killed API is replaced by a process started while it still served (faults/api_replicas.py):
a retry reaches a process that never saw the first attempt, and must still get the first
attempt's outcome. Afterwards the histories say how many of the requests caught in flight
Temporal had already accepted: kills that struck in the middle of the step itself.

FULL: 12 kills while 20 lifecycles run (another batch on fresh countries if they finish
first); SHORT: 2 kills across 2 lifecycles.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import httpx
from temporalio.client import Client

from app.identity import Caller
from domain.directory import DIRECTORY_STREAM
from faults.api_driver import (
    ANSWER_TIMEOUT_S,
    CONNECT_TIMEOUT_S,
    ApiDriver,
)
from faults.api_replicas import Kill, Replicas
from faults.checks import check, merge
from faults.dev_tokens import GRANTED, DevTokens
from faults.lifecycles import Progress, plans, today
from faults.outcome import Outcome, Scale
from faults.scenario import seeded_rng
from faults.stack import open_stack
from interfaces.api.inputs import update_id_for
from workflows.contract import workflow_id_for

log = logging.getLogger("faults")

NAME: Final = "api_kills"
KILLS: Final = {Scale.FULL: 12, Scale.SHORT: 2}
SPARES: Final = {Scale.FULL: 2, Scale.SHORT: 2}
"""Replacement API processes kept warm: an API takes seconds to import on a busy machine."""
LIFECYCLES: Final = {Scale.FULL: 20, Scale.SHORT: 2}
PAUSE_S: Final = (0.2, 2.0)
"""Between a replacement API serving and the next kill's aim, uniform: faults spread out."""
INTO_REQUEST_S: Final = (0.0, 0.3)
"""How far into an in-flight step request a kill lands, uniform (a step takes 0.2-0.8 s)."""
WATCH_S: Final = 0.01
"""How often the killer looks for a request in flight (it reads our own client's state)."""


async def _kill_mid_request(
    replicas: Replicas,
    driver: ApiDriver,
    rng: random.Random,
    driving: asyncio.Future[list[Progress]],
) -> Kill | None:
    """Kill the active API a random moment into a step request in flight; None if the
    lifecycles ended before one was caught in flight."""
    await replicas.ready()
    await asyncio.sleep(rng.uniform(*PAUSE_S))
    while not driving.done():
        port = replicas.active.port
        if driver.in_flight.steps_at(port):
            await asyncio.sleep(rng.uniform(*INTO_REQUEST_S))
            if driver.in_flight.steps_at(port):
                return await replicas.kill_active(driver.in_flight)
        await asyncio.sleep(WATCH_S)
    return None


async def handed_over(client: Client, issuer: str, kills: Sequence[Kill]) -> int:
    """How many step requests a kill caught had already been accepted by Temporal before it.

    Those are the kills that struck in the middle of the step itself: the first attempt's
    update ran on without the API, and its retry (another process, the same key, so the same
    update id) was answered with that update's outcome instead of running it again.
    """
    accepted: dict[str, datetime] = {}
    for country in sorted({a.country for kill in kills for a in kill.caught}):
        history = await client.get_workflow_handle(workflow_id_for(country)).fetch_history()
        for event in history.events:
            if event.HasField("workflow_execution_update_accepted_event_attributes"):
                attributes = event.workflow_execution_update_accepted_event_attributes
                moment = event.event_time.ToDatetime(tzinfo=UTC)
                accepted[attributes.accepted_request.meta.update_id] = moment
    count = 0
    for kill in kills:
        for attempt in kill.caught:
            caller = Caller(issuer, attempt.actor.user, None, ())
            update_id = update_id_for(caller, attempt.country, attempt.update, attempt.key)
            if update_id in accepted and accepted[update_id] <= kill.at:
                count += 1
    return count


Killer = Callable[["asyncio.Future[list[Progress]]"], Awaitable[Kill | None]]
"""Kills the API once while the lifecycles it is given run; the kill, or None if they ended."""


async def _drive_batches(
    driver: ApiDriver, client: Client, count: int, kills_wanted: int, killer: Killer
) -> tuple[list[Progress], list[Kill]]:
    """Batches of `count` lifecycles on fresh countries until `kills_wanted` kills landed."""
    progresses: list[Progress] = []
    kills: list[Kill] = []
    first = 0
    while True:
        batch = plans(count, first=first)
        first += count
        day = today()
        driving = asyncio.ensure_future(
            asyncio.gather(*(driver.drive(client, plan, day) for plan in batch))
        )
        while len(kills) < kills_wanted and not driving.done():
            if (kill := await killer(driving)) is not None:
                kills.append(kill)
        progresses += await driving
        if len(kills) >= kills_wanted:
            return progresses, kills


@dataclass(frozen=True)
class KillsRun:
    """The scenario's Outcome, and what the client saw of the kills."""

    outcome: Outcome
    lifecycles_driven: int
    cut_off: int
    """Attempts the kills left without an answer (each sent again with its key)."""
    caught: int
    """Step requests in flight to an API process when it was killed."""
    handed_over: int
    """Of those, the ones Temporal had accepted before the kill (answered from that outcome)."""


async def api_kills(scale: Scale, workdir: Path) -> KillsRun:
    """Run the scenario at `scale` in `workdir`; the Outcome and what the client saw."""
    rng = seeded_rng(NAME)
    async with open_stack(workdir) as stack:
        _, replicas = await asyncio.gather(
            stack.start_worker(), Replicas.start(stack, SPARES[scale])
        )
        client = await stack.connect()
        timeout = httpx.Timeout(ANSWER_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
        async with httpx.AsyncClient(timeout=timeout) as http:
            tokens = DevTokens.for_api(replicas.active)
            driver = ApiDriver(lambda: replicas.active, tokens, http)
            try:
                progresses, kills = await _drive_batches(
                    driver,
                    client,
                    LIFECYCLES[scale],
                    KILLS[scale],
                    lambda driving: _kill_mid_request(replicas, driver, rng, driving),
                )
            finally:
                tokens.close()
        await replicas.settle()
        caught = sum(len(kill.caught) for kill in kills)
        handed = await handed_over(client, replicas.issuer, kills)
        # The tokens' bindings are recorded too: one RoleGranted each in the directory's stream.
        granted = {DIRECTORY_STREAM: Counter({GRANTED: tokens.grants})}
        findings = await check(
            client,
            stack.database_url,
            merge([*(p.acknowledged_by_stream() for p in progresses), granted]),
            merge([*(p.attempted_by_stream() for p in progresses), granted]),
        )
        for line in [f"{p.plan.country}: {p.error}" for p in progresses if p.error]:
            log.warning("%s: %s", NAME, line)
        for line in findings.lines:
            log.warning("%s: %s", NAME, line)
        outcome = findings.outcome(
            NAME,
            faults_injected=len(kills),
            lifecycles_completed=sum(1 for p in progresses if p.completed),
            extra=f"{len(progresses)} lifecycles driven through the API, {tokens.grants} "
            f"bindings granted to their users; {caught} step requests caught in flight by the "
            f"kills, {handed} of them already accepted by Temporal; {driver.cut_off} attempts "
            f"cut off and {sum(driver.not_now.values())} answered 503/504 "
            f"({_kinds(driver.not_now)}), each sent again with its Idempotency-Key",
        )
        outcome = dataclasses.replace(outcome, server_errors=driver.server_errors)
        return KillsRun(outcome, len(progresses), driver.cut_off, caught, handed)


def _kinds(answers: Counter[str]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in answers.most_common()) or "none"


async def run(scale: Scale, workdir: Path) -> Outcome:
    """Kill the API KILLS[scale] times mid-request while LIFECYCLES[scale] lifecycles run."""
    return (await api_kills(scale, workdir)).outcome
