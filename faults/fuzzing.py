"""The fuzzing scenario (issue 14): generated hostile requests through the HTTP API and through
the `temporal` CLI against live partnerships in several stages.

The stack is real: a persistent Temporal dev server, a worker and the API process on loopback.
Partnerships are brought to several stages through the API (faults.fuzz_setup), then the
requests of faults.fuzz_plan are sent (faults.fuzz_send): FULL 1,000, SHORT 60, half through
each channel. Afterwards each partnership is asked for its next valid step and withdrawn if
still open, so no workflow need run on; then the checks: `partnerships verify`, the record
against what every request was told (faults.fuzz_record), and no stuck workflow
(faults.checks). `faults_injected` is the number of requests sent; `lifecycles_completed` the
number of partnerships that answered their next step.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

import requests
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.service import RPCError

from domain.directory import DIRECTORY_STREAM
from domain.stages import Stage
from faults.checks import EventKey, Stuck, Verification, merge, stuck_workflows, verify_store
from faults.dev_tokens import GRANTED, DevTokens
from faults.fuzz_plan import CliRequest, FuzzRequest, plan
from faults.fuzz_record import compare_all, read_record
from faults.fuzz_send import REQUEST_TIMEOUT_S, Answer, send_all
from faults.fuzz_setup import WITHDRAWN, Api, Live, NextStep, next_step, set_up, withdraw
from faults.lifecycles import COMMISSION, INTERESTED, plans
from faults.outcome import Outcome, Scale
from faults.scenario import seeded_rng
from faults.stack import FaultStack, open_stack
from interfaces.api.server import create_app
from settings import Settings

SCENARIO: Final = "fuzzing"

REQUESTS: Final[dict[Scale, tuple[int, int]]] = {Scale.FULL: (500, 500), Scale.SHORT: (30, 30)}
"""Requests through the API and through the CLI, at each scale."""

DEPTHS: Final[dict[Scale, tuple[int, ...]]] = {
    # Proposed; answered (consultation); closed (awaiting the talks' authorisation); authorised
    # (exploratory talks); a round held; concluded (report due); reported (Council decision);
    # decided (launch preparation).
    Scale.FULL: tuple(INTERESTED + k for k in (-INTERESTED, 0, 1, 2, 3, 4, 5, 6)),
    # Consultation, exploratory talks, Council decision.
    Scale.SHORT: (INTERESTED, INTERESTED + 2, INTERESTED + 5),
}
"""How many steps after its proposal each partnership takes before the fuzzing."""

CONCURRENCY: Final = 4
"""Requests in flight at once: the CLI's calls spend most of their time starting up."""

CLOSE_WAIT_S: Final = 120.0
"""How long every workflow has to end once its partnership is withdrawn or launched."""


@dataclass
class FuzzReport:
    """Everything the scenario saw; `outcome` is its line of the campaign's table."""

    outcome: Outcome
    answers: list[Answer]
    next_steps: list[NextStep]
    server_errors: list[str]
    lines: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """The outcome is clean, no server error occurred, and every partnership answered."""
        return (
            self.outcome.clean
            and not self.server_errors
            and all(step.answered for step in self.next_steps)
        )


async def run(scale: Scale, workdir: Path) -> Outcome:
    """The scenario at `scale` in `workdir`: its outcome (server errors named in its detail)."""
    report = await fuzz(scale, workdir)
    for line in report.lines:
        print(f"{SCENARIO}: {line}", flush=True)
    return report.outcome


async def fuzz(scale: Scale, workdir: Path) -> FuzzReport:
    """Run the scenario at `scale` in `workdir` and report all it saw."""
    seed = seeded_rng(SCENARIO).randrange(2**31)
    clock = Clock()
    chosen = plans(len(DEPTHS[scale]))
    # Drawn while the processes start: the draw needs only the countries and the document.
    drawing = asyncio.create_task(
        asyncio.to_thread(draw_requests, scale, [p.country for p in chosen], seed)
    )
    try:
        async with open_stack(workdir) as stack:
            # The worker and the API start together: each spends its start importing.
            _, process = await asyncio.gather(stack.start_worker(), stack.start_api())
            client = await stack.connect()
            clock.lap("start")
            tokens = DevTokens.for_api(process)
            try:
                api = Api(process.url, tokens)
                lives = await set_up(api, chosen, DEPTHS[scale])
                clock.lap("set-up")
                document, drawn = await drawing
                clock.lap("drawing (the rest of it)")
                served = await asyncio.to_thread(_document, api.url)
                if served != document:
                    raise RuntimeError("the API process serves another OpenAPI document")
                return await _fuzz(stack, client, api, lives, drawn, seed, clock)
            finally:
                tokens.close()
    finally:
        drawing.cancel()


def draw_requests(
    scale: Scale, countries: Sequence[str], seed: int
) -> tuple[dict[str, Any], list[FuzzRequest]]:
    """The API's OpenAPI document (of the app the API process serves), and the requests."""
    document = create_app(Settings(database_url="sqlite://")).openapi()
    through_api, through_cli = REQUESTS[scale]
    return document, plan(document, countries, api=through_api, cli=through_cli, seed=seed)


async def _fuzz(
    stack: FaultStack,
    client: Client,
    api: Api,
    lives: Sequence[Live],
    drawn: Sequence[FuzzRequest],
    seed: int,
    clock: Clock,
) -> FuzzReport:
    answers = await asyncio.to_thread(
        send_all,
        drawn,
        api_url=api.url,
        temporal_address=stack.server.address,
        tokens=api.tokens,
        scratch=stack.workdir / "payloads",
        concurrency=CONCURRENCY,
    )
    answers = await settle_started_updates(client, drawn, answers)
    clock.lap("sending")
    next_steps = [await asyncio.to_thread(next_step, api, live) for live in lives]
    own = merge(live.progress.acknowledged_by_stream() for live in lives)
    own = merge([own, await asyncio.to_thread(_close_the_rest, api, lives, stack)])
    own[DIRECTORY_STREAM] = Counter({GRANTED: api.tokens.grants})
    await wait_for_ends(client)
    clock.lap("next steps")
    verification = await asyncio.to_thread(verify_store, stack.database_url)
    record = await asyncio.to_thread(read_record, stack.database_url)
    comparison = compare_all(answers, record, own)
    stuck = await stuck_workflows(client)
    clock.lap("checks")
    server_errors = [
        f"{a.tag} {a.what}: {a.status} {a.detail}" for a in answers if a.server_error
    ] + api.server_errors
    lines = [*_lines(seed, answers, next_steps, verification, stuck), clock.said()]
    lines += list(comparison.lines) + server_errors
    outcome = Outcome(
        scenario=SCENARIO,
        faults_injected=len(answers),
        lifecycles_completed=sum(step.answered for step in next_steps),
        events_lost=comparison.lost,
        duplicates=comparison.duplicates,
        stuck_workflows=len(stuck.workflows),
        server_errors=len(server_errors),
        verified=verification.ok,
        detail=_detail(answers, next_steps, server_errors),
    )
    return FuzzReport(outcome, answers, next_steps, server_errors, lines)


@dataclass
class Clock:
    """How long each phase took, for the scenario's log."""

    started: float = field(default_factory=time.monotonic)
    laps: list[str] = field(default_factory=list)

    def lap(self, phase: str) -> None:
        """`phase` just ended."""
        now = time.monotonic()
        self.laps.append(f"{phase} {now - self.started:.1f} s")
        self.started = now

    def said(self) -> str:
        """The phases and their times, on one line."""
        return "times: " + ", ".join(self.laps)


def _document(api_url: str) -> dict[str, Any]:
    """The API process's own OpenAPI document."""
    response = requests.get(f"{api_url}/openapi.json", timeout=REQUEST_TIMEOUT_S)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


async def settle_started_updates(
    client: Client, drawn: Sequence[FuzzRequest], answers: Sequence[Answer]
) -> list[Answer]:
    """Each `update start` the server admitted, settled by its outcome: accepted when it
    completed, refused when it failed (its update id is the request's tag)."""
    by_tag = {r.tag: r for r in drawn}
    settled: list[Answer] = []
    for answer in answers:
        request = by_tag[answer.tag]
        if (
            isinstance(request, CliRequest)
            and request.command == "start"
            and answer.status == "exit 0"
        ):
            handle = client.get_workflow_handle(request.workflow_id)
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT_S):
                    await handle.get_update_handle(answer.tag).result()
                accepted: bool | None = True
            except WorkflowUpdateFailedError:
                accepted = False
            except (TimeoutError, RPCError) as error:
                answer = replace(answer, server_error=True, detail=f"no outcome: {error}")
                accepted = None
            answer = replace(answer, accepted=accepted)
        settled.append(answer)
    return settled


def _close_the_rest(
    api: Api, lives: Sequence[Live], stack: FaultStack
) -> dict[str, Counter[EventKey]]:
    """Withdraw the open partnerships the fuzzing proposed itself (so none runs on); what
    the withdrawals record."""
    ours = {live.plan.workflow_id for live in lives}
    recorded: dict[str, Counter[EventKey]] = {}
    for stream in read_record(stack.database_url).partnership_streams:
        workflow_id, _, _ = stream.partition("/")
        country = workflow_id.removeprefix("partnership-")
        if workflow_id in ours or not workflow_id.startswith("partnership-"):
            continue
        status = api.send("GET", f"/partnerships/{country}", COMMISSION)
        if status.status != 200 or _ended(status.body):
            continue
        if withdraw(api, None, country).status == 200:
            recorded.setdefault(stream, Counter()).update(WITHDRAWN)
    return recorded


def _ended(view: object) -> bool:
    return isinstance(view, dict) and Stage(view["stage"]).is_end


async def wait_for_ends(client: Client) -> None:
    """Wait (at most CLOSE_WAIT_S) for every running workflow to end: a withdrawn or launched
    partnership's run ends once its last activity is done."""
    try:
        async with asyncio.timeout(CLOSE_WAIT_S):
            async for execution in client.list_workflows():
                if execution.status != WorkflowExecutionStatus.RUNNING:
                    continue
                handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
                # How it ends is the stuck check's business, not this wait's.
                with contextlib.suppress(Exception):
                    await handle.result(follow_runs=False)
    except TimeoutError:
        return


def _lines(
    seed: int,
    answers: Sequence[Answer],
    next_steps: Sequence[NextStep],
    verification: Verification,
    stuck: Stuck,
) -> list[str]:
    by_status = Counter(f"{a.channel} {a.status}" for a in answers)
    lines = [
        f"hypothesis seed {seed}",
        "answers: " + json.dumps(dict(sorted(by_status.items()))),
    ]
    lines += [f"{s.country}: {s.said}" for s in next_steps]
    if not verification.ok:
        lines.append(f"partnerships verify failed: {verification.output}")
    lines += [f"{name}: {'; '.join(why)}" for name, why in sorted(stuck.workflows.items())]
    return lines


def _detail(
    answers: Sequence[Answer],
    next_steps: Sequence[NextStep],
    server_errors: Sequence[str],
) -> str:
    api = sum(a.channel == "api" for a in answers)
    cli = len(answers) - api
    recorded = sum(a.accepted is True for a in answers)
    local = sum(not a.reached_server for a in answers)
    return "; ".join(
        [
            f"{api} via the API, {cli} via the temporal CLI ({local} refused by the CLI itself)",
            f"{recorded} recorded",
            f"{len(server_errors)} server errors",
            f"{sum(s.answered for s in next_steps)}/{len(next_steps)} partnerships answered "
            "their next step",
        ]
    )
