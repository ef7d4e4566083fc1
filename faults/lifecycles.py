"""Lifecycles driven through the Temporal client while faults strike, and what each must record.

A lifecycle goes from the proposal through the consultation's answers, its close, the talks'
authorisation, a round, their conclusion, the report and the Council's decision to the launch
(as tests/workflows/test_worker_crash.py drives one). Each call that fails because a worker or
the server is gone is sent again, and an update is sent again under the SAME update id, which
Temporal deduplicates within a run: a retry can never record a step twice, so any duplicate
the checks find is the engine's.

Beside the steps, `Progress` keeps what the client saw: the events of every step the server
acknowledged (which must be in the store) and of every step sent at all (the most the store
may hold). For a lifecycle that completed the two are the same: its whole expected stream.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final, TypeVar

from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from domain.countries import member_states_on, third_country
from domain.errors import DomainError
from domain.presidencies import presidency_on
from domain.requests import REQUEST_FOR, StartPartnership
from domain.stages import Stage
from domain.view import StatusView
from faults.checks import EventKey
from workflows.contract import TASK_QUEUE, WORKFLOW_TYPE, workflow_id_for

log = logging.getLogger("faults.lifecycles")

T = TypeVar("T")

STEP_DEADLINE_S: Final = 900.0
"""How long one step may wait out faults (a server restart, a worker's replacement, task
timeouts) before its lifecycle is given up as not completed. The four answers of a
consultation are sent together but recorded one after another (the workflow's lock), each
waiting out the kills that strike it: on a 2-core machine at load 20, 300 s was not enough
for the fourth (activities waited up to 29 s for a restarted worker), though it went through
seconds later."""

INTERESTED: Final = 4
"""How many Member States answer each consultation, concurrently (Temporal admits at most ten
in-flight updates per workflow)."""

# What a worker's or the server's absence looks like to a client call: worth sending again.
RETRYABLE: Final = frozenset(
    {
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.CANCELLED,
        RPCStatusCode.UNKNOWN,
        RPCStatusCode.INTERNAL,
        RPCStatusCode.RESOURCE_EXHAUSTED,
        RPCStatusCode.ABORTED,
        # A server that restarted may not know an update it had admitted but not accepted.
        RPCStatusCode.NOT_FOUND,
        # "Unable to perform workflow execution update due to Workflow Task in failed state":
        # the server refuses updates while a workflow task is on its third attempt, as after
        # two kills in a row during one task; once a task completes it takes them again.
        RPCStatusCode.FAILED_PRECONDITION,
    }
)

COMMISSION: Final = {"id": "alice", "role": "commission"}


def today() -> date:
    """Today in UTC by the wall clock: the dev server's clock, which the workflows read."""
    return datetime.now(UTC).date()


def third_countries(on: date) -> list[str]:
    """Every code the domain accepts as a third country on `on`, sorted."""
    import pycountry

    accepted: list[str] = []
    for code in sorted(c.alpha_2 for c in pycountry.countries):
        try:
            third_country(code, on)
        except DomainError:
            continue
        accepted.append(code)
    return accepted


@dataclass(frozen=True)
class Step:
    """One update of a lifecycle: its name, actor, fields, id, and the events it records."""

    name: str
    actor: dict[str, str]
    fields: dict[str, Any]
    update_id: str
    records: tuple[EventKey, ...]


@dataclass(frozen=True)
class Plan:
    """One lifecycle to drive: the third country and the Member States that take part."""

    country: str
    interested: tuple[str, ...]

    @property
    def workflow_id(self) -> str:
        """The contract's workflow id of the partnership."""
        return workflow_id_for(self.country)

    @property
    def stream_id(self) -> str:
        """The partnership's stream (its first incarnation: the store is the scenario's own)."""
        return f"{self.workflow_id}/1"

    def start(self) -> StartPartnership:
        """The start input; the decision deadline far enough off that no reminder falls due."""
        return StartPartnership.model_validate(
            {
                "country": self.country,
                "actor": COMMISSION,
                "rationale": "Prove the engine under faults",
                "terms_of_reference": "Council conclusions of June 2007, point 11",
                "decision_deadline": date(today().year + 1, 6, 30).isoformat(),
            }
        )

    def proposal_records(self) -> tuple[EventKey, ...]:
        """What the proposal records: its event, and the programme's slot taken."""
        return (EventKey("PartnershipProposed"), EventKey("SlotTaken", self.stream_id))

    def answers(self) -> list[Step]:
        """The consultation's answers, one per interested Member State."""
        return [
            self._step(
                "respond_to_consultation",
                {"id": f"rep-{ms.lower()}", "role": "member_state", "member_state": ms},
                {"member_state": ms, "position": "interested", "offers": ["legal_migration"]},
                EventKey("ConsultationAnswered", ms),
                suffix=ms,
            )
            for ms in self.interested
        ]

    def later_steps(self, day: date) -> list[Step]:
        """The steps after the answers, in order, dated `day`."""
        held = presidency_on(day)
        if held is None:
            raise RuntimeError(f"the Council's order of Presidencies does not reach {day}")
        presidency = {"id": "joao", "role": "presidency", "member_state": held}
        members = list(self.interested)
        return [
            self._step("close_consultation", COMMISSION, {}, EventKey("ConsultationClosed")),
            self._step("authorise_talks", presidency, {}, EventKey("TalksAuthorised")),
            self._step(
                "record_talks_round",
                COMMISSION,
                {"held_on": day.isoformat(), "member_states": members, "summary": "round one"},
                EventKey("TalksRoundRecorded"),
            ),
            self._step(
                "conclude_talks",
                COMMISSION,
                {
                    "third_country_willing": True,
                    "commitments": ["illegal_immigration_cooperation", "readmission_and_return"],
                    "community_offers": ["visa_facilitation"],
                },
                EventKey("TalksConcluded"),
            ),
            self._step(
                "submit_report",
                COMMISSION,
                {"recommendation": "launch", "summary": "go"},
                EventKey("ReportSubmitted"),
            ),
            self._step(
                "record_council_decision",
                presidency,
                {"outcome": "invite_launch", "decided_on": day.isoformat()},
                EventKey("CouncilDecisionRecorded"),
            ),
            self._step(
                "launch_partnership",
                COMMISSION,
                {
                    "member_states": members,
                    "components": [
                        "legal_migration",
                        "visa_facilitation",
                        "readmission_and_return",
                    ],
                    "signed_on": day.isoformat(),
                },
                EventKey("PartnershipLaunched"),
            ),
        ]

    def end_records(self) -> tuple[EventKey, ...]:
        """What the run records as it ends after the launch: the programme's slot freed."""
        return (EventKey("SlotFreed", self.stream_id),)

    def _step(
        self,
        name: str,
        actor: dict[str, str],
        fields: dict[str, Any],
        records: EventKey,
        suffix: str = "",
    ) -> Step:
        # One id per step of this partnership, the same on every attempt.
        update_id = f"faults-{self.country}-{name}" + (f"-{suffix}" if suffix else "")
        return Step(name, actor, fields, update_id, (records,))


def countries_available() -> int:
    """How many distinct third countries lifecycles can be driven on (one partnership each)."""
    return len(third_countries(today()))


def plans(count: int, *, first: int = 0) -> list[Plan]:
    """`count` lifecycles on distinct third countries, from the `first`-th on.

    Each takes `INTERESTED` Member States in turn from today's Union, so answers vary.
    """
    day = today()
    countries = third_countries(day)
    if first + count > len(countries):
        raise ValueError(
            f"{first + count} lifecycles asked for, but only {len(countries)} third countries "
            "exist; use fewer lifecycles per scenario"
        )
    union = member_states_on(day)
    chosen: list[Plan] = []
    for index in range(first, first + count):
        start = (index * INTERESTED) % len(union)
        members = tuple(union[(start + k) % len(union)] for k in range(INTERESTED))
        chosen.append(Plan(countries[index], tuple(sorted(members))))
    return chosen


def expected_events(plan: Plan) -> dict[str, Counter[EventKey]]:
    """The events a completed lifecycle records, by stream: its own and the programme's."""
    progress = Progress(plan)
    for keys in (
        plan.proposal_records(),
        *(s.records for s in plan.answers()),
        *(s.records for s in plan.later_steps(today())),
        plan.end_records(),
    ):
        progress.acknowledge(keys)
    return progress.acknowledged_by_stream()


PROGRAMME_EVENTS: Final = frozenset({"SlotTaken", "SlotFreed", "SlotReleased"})
PROGRAMME_STREAM: Final = "programme"


@dataclass
class Progress:
    """What the client saw of one lifecycle while driving it."""

    plan: Plan
    acknowledged: Counter[EventKey] = field(default_factory=Counter)
    attempted: Counter[EventKey] = field(default_factory=Counter)
    completed: bool = False
    retries: int = 0
    error: str | None = None

    def attempt(self, keys: Sequence[EventKey]) -> None:
        """A step is being sent (once, however often it is retried): it may record its events."""
        for key in keys:
            self.attempted[key] += 1

    def acknowledge(self, keys: Sequence[EventKey]) -> None:
        """The server acknowledged a step: its events must be recorded, once."""
        for key in keys:
            self.acknowledged[key] += 1
            self.attempted[key] = max(self.attempted[key], self.acknowledged[key])

    def acknowledged_by_stream(self) -> dict[str, Counter[EventKey]]:
        """The acknowledged events, split into the partnership's stream and the programme's."""
        return _by_stream(self.plan, self.acknowledged)

    def attempted_by_stream(self) -> dict[str, Counter[EventKey]]:
        """The attempted events, split into the partnership's stream and the programme's."""
        return _by_stream(self.plan, self.attempted)


def _by_stream(plan: Plan, keys: Counter[EventKey]) -> dict[str, Counter[EventKey]]:
    split: dict[str, Counter[EventKey]] = {plan.stream_id: Counter(), PROGRAMME_STREAM: Counter()}
    for key, n in keys.items():
        stream = PROGRAMME_STREAM if key.type in PROGRAMME_EVENTS else plan.stream_id
        split[stream][key] += n
    return split


class StepTimedOut(RuntimeError):
    """A step could not get through within STEP_DEADLINE_S of faults."""


async def _persist(progress: Progress, what: str, call: Callable[[], Awaitable[T]]) -> T:
    """`call` until it gets through: sent again after every failure a fault explains."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STEP_DEADLINE_S
    delay = 0.2
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise StepTimedOut(f"{what} did not get through within {STEP_DEADLINE_S:.0f} s")
        try:
            async with asyncio.timeout(remaining):
                return await call()
        except TimeoutError:
            continue  # the loop's deadline check gives up with StepTimedOut
        except WorkflowUpdateRPCTimeoutOrCancelledError:
            pass
        except RPCError as error:
            if error.status not in RETRYABLE:
                raise
        progress.retries += 1
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


async def _update(
    progress: Progress, handle: WorkflowHandle[Any, StatusView], step: Step
) -> StatusView:
    request = REQUEST_FOR[step.name].model_validate({"actor": step.actor, **step.fields})
    progress.attempt(step.records)
    view: StatusView = await _persist(
        progress,
        f"{progress.plan.country} {step.name}",
        lambda: handle.execute_update(
            step.name, request, id=step.update_id, result_type=StatusView
        ),
    )
    progress.acknowledge(step.records)
    return view


async def drive(client: Client, plan: Plan) -> Progress:
    """Drive `plan` from proposal to launch, waiting out faults; report what the client saw.

    Never raises for a lifecycle that fails: its Progress says why (`error`) and how far the
    server acknowledged it.
    """
    progress = Progress(plan)
    try:
        await _drive(client, plan, progress)
    except (StepTimedOut, WorkflowUpdateFailedError, RPCError) as error:
        cause = getattr(error, "cause", None)
        progress.error = f"{type(error).__name__}: {error}" + (f" ({cause})" if cause else "")
        log.warning("lifecycle %s not completed: %s", plan.country, progress.error)
    return progress


async def _drive(client: Client, plan: Plan, progress: Progress) -> None:
    start = plan.start()
    progress.attempt(plan.proposal_records())
    # An existing run of this id is ours (a start whose answer a fault swallowed): use it.
    await _persist(
        progress,
        f"{plan.country} start",
        lambda: client.start_workflow(
            WORKFLOW_TYPE,
            start,
            id=plan.workflow_id,
            task_queue=TASK_QUEUE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        ),
    )
    handle = client.get_workflow_handle(plan.workflow_id, result_type=StatusView)
    # The answers go in together; each update waits for the proposal's record in the workflow.
    await asyncio.gather(*(_update(progress, handle, step) for step in plan.answers()))
    progress.acknowledge(plan.proposal_records())  # an update got through: the proposal is in
    for step in plan.later_steps(today()):
        await _update(progress, handle, step)
    progress.attempt(plan.end_records())
    result = await _persist(progress, f"{plan.country} result", handle.result)
    progress.acknowledge(plan.end_records())
    progress.completed = result.stage is Stage.LAUNCHED
    if not progress.completed:
        progress.error = f"ended at {result.stage}, not launched"


async def drive_all(client: Client, batch: Sequence[Plan]) -> list[Progress]:
    """Drive every plan of `batch` concurrently; one Progress per plan, in order."""
    return list(await asyncio.gather(*(drive(client, plan) for plan in batch)))
