"""A client that drives lifecycles through the HTTP API as its callers would, and keeps at it.

Each request carries a development token for the step's actor (the body never names who acts;
the token does) and, for a step, an `Idempotency-Key` fixed for that step. An attempt that gets
no answer (a reset or refused connection) or a "not now" (502, 503, 504) is sent again with the
same key until an answer comes, to whichever API process serves then. The client also knows
which requests are in flight to which process, so a fault can be aimed at one.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final, NamedTuple

import httpx
from temporalio.client import Client

from domain.directory import BindingRole
from domain.stages import Stage
from faults.dev_tokens import DevTokens, bearer
from faults.lifecycles import STEP_DEADLINE_S, Plan, Progress, Step
from faults.processes import ApiProcess

CONNECT_TIMEOUT_S: Final = 10.0
ANSWER_TIMEOUT_S: Final = 120.0
"""How long one attempt may wait for an answer; the API answers 503/504 well before it."""
RETRY_S: Final = 0.1
RETRY_STATUSES: Final = frozenset({503, 504})
"""The contract's "not now" (DESIGN.md §3b: Temporal or the store unreachable or refusing for
the moment, no worker in time, still recording): send it again with the same key. Any other
5xx is a server error."""


class StepRefused(RuntimeError):
    """The API answered a step with a refusal (a 4xx other than those retried)."""


class Acting(NamedTuple):
    """Who sends a request: the role, the user (the token's subject) and the Member State."""

    role: BindingRole
    user: str
    member_state: str | None

    @classmethod
    def of(cls, actor: Mapping[str, str]) -> Acting:
        """From the contract's actor object (`{"id", "role", "member_state"?}`)."""
        return cls(BindingRole(actor["role"]), actor["id"], actor.get("member_state"))


@dataclass(frozen=True)
class Attempt:
    """One attempt at a request: to which partnership, which update ("" for a proposal), as
    whom, with which `Idempotency-Key` ("" for none)."""

    country: str
    update: str
    actor: Acting
    key: str


@dataclass
class InFlight:
    """The attempts our client has sent and not yet had answered, per API port."""

    by_port: dict[int, dict[int, Attempt]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def steps_at(self, port: int) -> list[Attempt]:
        """The step requests (those with an `Idempotency-Key`) to `port` awaiting an answer."""
        return [a for a in self.by_port.get(port, {}).values() if a.key]

    def add(self, port: int, attempt: Attempt) -> int:
        """Note `attempt` as sent to `port`; returns its ticket for `remove`."""
        ticket = next(self._ids)
        self.by_port.setdefault(port, {})[ticket] = attempt
        return ticket

    def remove(self, port: int, ticket: int) -> None:
        """The attempt of `ticket` has its answer (or failed)."""
        del self.by_port[port][ticket]


@dataclass
class ApiDriver:
    """Sends lifecycles' requests to whichever API process answers now, retrying each one."""

    serving: Callable[[], ApiProcess]
    """The API process that answers now (a fault may replace it between attempts)."""
    tokens: DevTokens
    http: httpx.AsyncClient
    in_flight: InFlight = field(default_factory=InFlight)
    cut_off: int = 0
    """Attempts that got no answer: the connection reset, refused or closed by a kill."""
    not_now: Counter[str] = field(default_factory=Counter)
    """Attempts answered 503/504 and sent again, by status and problem type."""
    server_errors: int = 0
    """Answers with any other 5xx: the API failed (the lifecycle stops there)."""

    async def send(
        self, progress: Progress, path: str, body: dict[str, Any], attempt: Attempt
    ) -> httpx.Response:
        """POST `body` to `path` as `actor` until an answer other than "not now" comes back."""
        headers = bearer(await asyncio.to_thread(self.tokens.kept, *attempt.actor))
        if attempt.key:
            headers["Idempotency-Key"] = attempt.key
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STEP_DEADLINE_S
        while loop.time() < deadline:
            api = self.serving()
            ticket = self.in_flight.add(api.port, attempt)
            try:
                response = await self.http.post(api.url + path, json=body, headers=headers)
            except httpx.TransportError:
                self.cut_off += 1
                response = None
            finally:
                self.in_flight.remove(api.port, ticket)
            if response is not None and response.status_code not in RETRY_STATUSES:
                if response.status_code >= 500:
                    self.server_errors += 1
                return response
            if response is not None:
                self.not_now[f"{response.status_code} {_problem(response)}"] += 1
            progress.retries += 1
            await asyncio.sleep(RETRY_S)
        raise StepRefused(f"{path} got no answer within {STEP_DEADLINE_S:.0f} s of retries")

    async def propose(self, progress: Progress, plan: Plan) -> None:
        """`POST /partnerships`; a retry that finds the partnership open found its own start."""
        start = plan.start()
        body = start.model_dump(mode="json", exclude={"actor"}, exclude_none=True)
        progress.attempt(plan.proposal_records())
        actor = Acting.of(start.actor.model_dump(mode="json", exclude_none=True))
        attempt = Attempt(plan.country, "", actor, "")
        answer = await self.send(progress, "/partnerships", body, attempt)
        retried = progress.retries > 0
        if not (answer.status_code == 201 or (retried and _problem(answer) == "AlreadyOpen")):
            raise StepRefused(f"propose {plan.country}: {answer.status_code} {answer.text}")

    async def step(self, progress: Progress, plan: Plan, step: Step) -> None:
        """One step with its own `Idempotency-Key`, sent until it is answered."""
        progress.attempt(step.records)
        path = f"/partnerships/{plan.country}/{step.name}"
        attempt = Attempt(plan.country, step.name, Acting.of(step.actor), step.update_id)
        answer = await self.send(progress, path, step.fields, attempt)
        if answer.status_code != 200:
            raise StepRefused(f"{plan.country} {step.name}: {answer.status_code} {answer.text}")
        progress.acknowledge(step.records)

    async def drive(self, client: Client, plan: Plan, day: date) -> Progress:
        """`plan` from proposal to launch through the API; Progress says how far it got."""
        progress = Progress(plan)
        try:
            await self.propose(progress, plan)
            await asyncio.gather(*(self.step(progress, plan, s) for s in plan.answers()))
            progress.acknowledge(plan.proposal_records())
            for step in plan.later_steps(day):
                await self.step(progress, plan, step)
            # The run ends by itself after the launch (freeing the programme's slot).
            progress.attempt(plan.end_records())
            handle = client.get_workflow_handle(plan.workflow_id)
            async with asyncio.timeout(STEP_DEADLINE_S):
                ended = await handle.result()
            progress.acknowledge(plan.end_records())
            progress.completed = ended.get("stage") == Stage.LAUNCHED.value
            if not progress.completed:
                progress.error = f"ended at {ended.get('stage')}, not launched"
        except (StepRefused, TimeoutError) as error:
            progress.error = f"{type(error).__name__}: {error}"
        return progress


def _problem(answer: httpx.Response) -> str:
    try:
        kind = answer.json().get("type", "")
    except ValueError:
        return ""
    return str(kind)
