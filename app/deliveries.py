"""Deliveries of milestones to subscribers: the sweeper that starts them, listing, re-sending.

The outbox (`milestones`) is the source of truth for what is owed. Every few seconds each
worker sweeps it: for each milestone and each active subscription whose filter matches it (and
that takes it: recorded after the subscription was added, or any time when it asked for
history), a delivery that was never started is started as a `MilestoneDeliveryWorkflow` whose
id is the delivery's idempotency key. A second start of the same delivery (another worker's
sweep, a sweep after a crash) is refused by Temporal and changes nothing. The sweep also keeps
the outbox's `delivery_state` truthful: a milestone is `delivered` once every subscriber it is
owed to has it; it stays `pending` while any has not, and while none is owed it.

The CLI (and the API) list deliveries with their attempts and re-send a failed one through the
functions here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.delivery_log import Attempt, Delivery, DeliveryLog, OwedMilestone
from activities.delivery_messages import (
    DeliveryInput,
    DeliveryState,
    RetrySchedule,
    delivery_id,
)
from activities.directory_store import DirectoryStore
from activities.milestone_payloads import outbox_milestone
from activities.outbox import Outbox
from app.exceptions import AppError
from domain.regions import Region
from domain.state import MilestoneKind
from domain.subscriptions import Subscription, matches
from settings import Settings
from workflows.contract import COUNTRY
from workflows.delivery import DELIVERY_WORKFLOW_TYPE

log = logging.getLogger("pilot-partnerships.deliveries")

MAX_STARTS_PER_SWEEP: Final = 200
"""How many deliveries one sweep starts at most; the next sweep starts the rest."""


class UnknownDelivery(AppError):
    """No delivery has that id."""


class NotRetryable(AppError):
    """The delivery is not one that can be re-sent now (delivered, stopped, or running)."""


@dataclass(frozen=True)
class DueDelivery:
    """A delivery owed and never started: a milestone and the subscription it is owed to."""

    milestone: OwedMilestone
    subscription: Subscription

    @property
    def delivery_id(self) -> str:
        """The delivery's idempotency key."""
        m = self.milestone
        return delivery_id(m.stream_id, m.version, m.kind, self.subscription.subscription_id)


@dataclass(frozen=True)
class SweepResult:
    """What one sweep did."""

    started: int
    settled: int


def retry_schedule(settings: Settings) -> RetrySchedule:
    """The DELIVERY_* settings as the schedule a delivery workflow runs by."""
    return RetrySchedule(
        first_interval=settings.delivery_retry_initial,
        maximum_interval=max(settings.delivery_retry_maximum, settings.delivery_retry_initial),
        attempt_timeout=settings.delivery_attempt_timeout,
        period=settings.delivery_retry_period,
    )


def public_url(settings: Settings) -> str:
    """The API's base address for links: PUBLIC_URL, else the development issuer's origin."""
    if settings.public_url:
        return settings.public_url
    parts = urlsplit(settings.dev_issuer_url)
    return f"{parts.scheme}://{parts.netloc}"


def _owed_to(milestone: OwedMilestone, subscription: Subscription) -> bool:
    """Whether `milestone` is owed to `subscription`: it takes it, and its filter lets it in."""
    try:
        kind = MilestoneKind(milestone.kind)
        region = Region(milestone.region)
    except ValueError:  # a kind or region of a newer release: not this worker's to judge
        return False
    return subscription.takes(milestone.recorded_at) and matches(
        subscription, kind, region, milestone.country
    )


def plan(
    owed: Sequence[OwedMilestone],
    subscriptions: Sequence[Subscription],
    started: dict[tuple[str, int, str, str], DeliveryState],
) -> tuple[list[DueDelivery], list[OwedMilestone]]:
    """The deliveries to start, and the pending milestones every subscriber now has.

    `started` is each started delivery's state by (stream, version, kind, subscription).
    """
    due: list[DueDelivery] = []
    settled: list[OwedMilestone] = []
    for milestone in owed:
        key = (milestone.stream_id, milestone.version, milestone.kind)
        owed_to = [s for s in subscriptions if s.active and _owed_to(milestone, s)]
        states = [started.get((*key, s.subscription_id)) for s in owed_to]
        due += [
            DueDelivery(milestone, s)
            for s, state in zip(owed_to, states, strict=True)
            if state is None
        ]
        if (
            milestone.delivery_state == "pending"
            and owed_to
            and all(state is DeliveryState.DELIVERED for state in states)
        ):
            settled.append(milestone)
    return due, settled


class DeliverySweeper:
    """Starts the deliveries the outbox owes, and settles the milestones delivered to all."""

    def __init__(self, client: Client, settings: Settings, engine: Engine) -> None:
        self._client = client
        self._settings = settings
        self._log = DeliveryLog(engine)
        self._outbox = Outbox(engine)
        self._directory = DirectoryStore(engine)

    def _plan(self) -> tuple[list[DueDelivery], list[OwedMilestone]]:
        subscriptions = self._directory.subscriptions()
        if not subscriptions:
            return [], []
        owed = self._log.owed(include_delivered=any(s.history for s in subscriptions))
        if not owed:
            return [], []
        return plan(owed, subscriptions, self._log.started({m.stream_id for m in owed}))

    async def sweep(self) -> SweepResult:
        """One sweep: start what is due (at most MAX_STARTS_PER_SWEEP), settle what is done."""
        due, settled = await asyncio.to_thread(self._plan)
        for milestone in settled:
            await asyncio.to_thread(
                self._outbox.mark_delivered, milestone.stream_id, milestone.position, milestone.kind
            )
        started = 0
        for item in due[:MAX_STARTS_PER_SWEEP]:
            if await start_delivery(self._client, self._settings, item):
                started += 1
        return SweepResult(started=started, settled=len(settled))

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep every DELIVERY_SWEEP_INTERVAL until `stop` is set; a failed sweep is logged."""
        interval = self._settings.delivery_sweep_interval.total_seconds()
        while not stop.is_set():
            try:
                result = await self.sweep()
                if result.started or result.settled:
                    log.info(
                        "deliveries: %s started, %s milestones delivered to every subscriber",
                        result.started,
                        result.settled,
                    )
            except Exception as error:  # the next sweep tries again; the outbox keeps all
                log.warning("the delivery sweep failed, and is tried again: %r", error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)


async def start_delivery(client: Client, settings: Settings, item: DueDelivery) -> bool:
    """Start the delivery's workflow; False when it was started already (nothing changes)."""
    m = item.milestone
    request = DeliveryInput(
        delivery_id=item.delivery_id,
        stream_id=m.stream_id,
        version=m.version,
        kind=MilestoneKind(m.kind),
        subscription_id=item.subscription.subscription_id,
        schedule=retry_schedule(settings),
    )
    return await _start(client, settings, request, m.country)


async def _start(
    client: Client, settings: Settings, request: DeliveryInput, country: str | None
) -> bool:
    # Operators filter deliveries by country as they do partnerships: PartnershipCountry="CV".
    attributes = TypedSearchAttributes([SearchAttributePair(COUNTRY, country)] if country else [])
    try:
        await client.start_workflow(
            DELIVERY_WORKFLOW_TYPE,
            request,
            id=request.delivery_id,
            task_queue=settings.task_queue,
            # Only a run that failed (or was terminated) may be followed by another: a delivery
            # running or delivered is never started twice.
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            search_attributes=attributes,
            static_summary=(
                f"{request.kind.value} of {request.stream_id} v{request.version} "
                f"to {request.subscription_id}"
            ),
        )
    except WorkflowAlreadyStartedError:
        return False
    return True


@dataclass(frozen=True)
class DeliveryRecord:
    """A delivery and its attempts, as listed."""

    delivery: Delivery
    attempts: list[Attempt]


def deliveries(
    engine: Engine, *, state: DeliveryState | None = None, limit: int = 200
) -> list[DeliveryRecord]:
    """Deliveries (only those in `state` when given), newest first, each with its attempts."""
    delivery_log = DeliveryLog(engine)
    return [
        DeliveryRecord(d, delivery_log.attempts(d.delivery_id))
        for d in delivery_log.recent(state, limit)
    ]


def retryable(engine: Engine, key: str) -> Delivery:
    """The delivery `key` if it may be re-sent: UnknownDelivery or NotRetryable otherwise.

    A failed delivery may, and a pending one whose run is gone (terminated); one delivered or
    stopped may not.
    """
    found = DeliveryLog(engine).get(key)
    if found is None:
        raise UnknownDelivery(
            f"no delivery has the id {key!r}; `partnerships deliveries` lists them"
        )
    if found.state in (DeliveryState.DELIVERED, DeliveryState.STOPPED):
        raise NotRetryable(
            f"the delivery {key} is {found.state.value}; only a failed delivery can be re-sent"
        )
    return found


async def retry(client: Client, settings: Settings, engine: Engine, key: str) -> Delivery:
    """Re-send a failed delivery: a new run of its workflow under the same id.

    Refused as `retryable` says, and while its workflow still runs (NotRetryable). Returns the
    delivery as it was.
    """
    found = await asyncio.to_thread(retryable, engine, key)
    request = DeliveryInput(
        delivery_id=found.delivery_id,
        stream_id=found.stream_id,
        version=found.version,
        kind=MilestoneKind(found.kind),
        subscription_id=found.subscription_id,
        schedule=retry_schedule(settings),
    )
    milestone = await asyncio.to_thread(
        outbox_milestone, engine, found.stream_id, found.version, found.kind
    )
    if not await _start(client, settings, request, milestone.country if milestone else None):
        raise NotRetryable(
            f"the delivery {key} is still being attempted (its workflow is running); see it "
            "in the Temporal UI"
        )
    return found
