"""The fuzzing scenario's own steps, through the HTTP API: partnerships brought to several
stages before the fuzzing, and afterwards one valid step on each, to show it still answers.

The steps are faults.lifecycles' (`Plan`), sent through the API with a real token of each
step's actor, so the store records them as that user; what they record is counted as the
lifecycles count it (`Progress`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import requests

from domain.policy import allowed_at
from domain.requests import REQUEST_FOR
from domain.stages import Stage
from faults.checks import EventKey
from faults.dev_tokens import DevTokens
from faults.fuzz_send import REQUEST_TIMEOUT_S
from faults.lifecycles import COMMISSION, Plan, Progress, Step, today

WITHDRAWN: Final = (EventKey("PartnershipWithdrawn"),)
"""What the closing withdrawal records in the partnership's stream."""


class SetupFailed(RuntimeError):
    """A step of the scenario's own was not recorded: the scenario cannot go on."""


@dataclass
class Live:
    """A partnership the scenario set up, the steps it took, and what it recorded."""

    plan: Plan
    depth: int
    """How many of the plan's steps after the proposal were taken."""
    progress: Progress
    stage: Stage | None = None

    @property
    def steps(self) -> list[Step]:
        """The plan's steps after the proposal, in order."""
        return [*self.plan.answers(), *self.plan.later_steps(today())]


@dataclass
class Reply:
    """An API answer: its status and JSON body (None when the body is no JSON)."""

    status: int
    body: Any
    text: str


@dataclass
class Api:
    """The API process's URL and the tokens its callers carry."""

    url: str
    tokens: DevTokens
    server_errors: list[str] = field(default_factory=list)

    def send(self, method: str, path: str, actor: dict[str, str], body: Any = None) -> Reply:
        """One request; a 5xx is kept in `server_errors`."""
        response = requests.request(
            method,
            self.url + path,
            json=body,
            headers=self.tokens.for_actor(actor),
            timeout=REQUEST_TIMEOUT_S,
        )
        try:
            parsed = response.json()
        except ValueError:
            parsed = None
        if response.status_code >= 500:
            self.server_errors.append(f"{method} {path}: {response.status_code} {response.text}")
        return Reply(response.status_code, parsed, response.text[:500])


def _recorded(reply: Reply, what: str) -> None:
    if reply.status not in (200, 201):
        raise SetupFailed(f"{what}: {reply.status} {reply.text}")


def propose(api: Api, live: Live) -> None:
    """Propose the plan's partnership through the API, as the Commission."""
    start = live.plan.start().model_dump(mode="json", exclude={"actor"}, exclude_none=True)
    live.progress.attempt(live.plan.proposal_records())
    _recorded(api.send("POST", "/partnerships", COMMISSION, start), f"propose {live.plan.country}")
    live.progress.acknowledge(live.plan.proposal_records())


def take(api: Api, live: Live, step: Step) -> Reply:
    """One of the plan's steps through the API; its records acknowledged if it was recorded."""
    path = f"/partnerships/{live.plan.country}/{step.name}"
    live.progress.attempt(step.records)
    reply = api.send("POST", path, step.actor, step.fields)
    if reply.status == 200:
        live.progress.acknowledge(step.records)
        live.stage = Stage(reply.body["stage"])
    return reply


async def set_up(api: Api, plans: Sequence[Plan], depths: Sequence[int]) -> list[Live]:
    """Each plan's partnership proposed and taken `depth` steps on (its answers first,
    together), all partnerships at once."""

    async def one(plan: Plan, depth: int) -> Live:
        live = Live(plan, depth, Progress(plan), Stage.CONSULTATION)
        await asyncio.to_thread(propose, api, live)
        steps = live.steps[:depth]
        answers = [s for s in steps if s.name == "respond_to_consultation"]
        replies = await asyncio.gather(*(asyncio.to_thread(take, api, live, s) for s in answers))
        for step in steps[len(answers) :]:
            replies.append(await asyncio.to_thread(take, api, live, step))
        for step, reply in zip(steps, replies, strict=True):
            _recorded(reply, f"{plan.country} {step.name}")
        return live

    return list(await asyncio.gather(*(one(p, d) for p, d in zip(plans, depths, strict=True))))


@dataclass(frozen=True)
class NextStep:
    """What a partnership did when asked for its next step after the fuzzing."""

    country: str
    answered: bool
    said: str


def next_step(api: Api, live: Live) -> NextStep:
    """The partnership's next valid step, and then its withdrawal if it is still open.

    The next step is the plan's next one if the stage allows it (the fuzzing may have moved
    the partnership on), else the latest one it allows. A partnership the fuzzing ended
    answers its status instead.
    """
    country = live.plan.country
    status = api.send("GET", f"/partnerships/{country}", COMMISSION)
    if status.status != 200:
        return NextStep(country, False, f"status: {status.status} {status.text}")
    stage = Stage(status.body["stage"])
    if stage.is_end:
        return NextStep(country, True, f"ended at {stage} during the fuzzing; status answered")
    allowed = [
        index
        for index, step in enumerate(live.steps)
        if allowed_at(stage, REQUEST_FOR[step.name].command_type)
    ]
    said = [f"at {stage}"]
    answered = False
    if allowed:
        # The plan's next step if the stage allows it, else the latest one it allows.
        ahead = [index for index in allowed if index >= live.depth]
        step = live.steps[ahead[0] if ahead else allowed[-1]]
        reply = take(api, live, step)
        answered = reply.status == 200
        said.append(f"{step.name}: {reply.status}" + ("" if answered else f" {reply.text}"))
        stage = live.stage if answered and live.stage else stage
    if not stage.is_end:
        withdrawn = withdraw(api, live.progress, country)
        answered = answered or withdrawn.status == 200
        said.append(f"withdraw: {withdrawn.status}")
    return NextStep(country, answered, "; ".join(said))


def withdraw(api: Api, progress: Progress | None, country: str) -> Reply:
    """Withdraw an open partnership, as the Commission, so that no workflow stays running."""
    if progress is not None:
        progress.attempt(WITHDRAWN)
    reply = api.send(
        "POST", f"/partnerships/{country}/withdraw", COMMISSION, {"reason": "fuzzing ended"}
    )
    if reply.status == 200 and progress is not None:
        progress.acknowledge(WITHDRAWN)
    return reply
