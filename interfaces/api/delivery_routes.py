"""`GET /deliveries?state=failed`: the deliveries of milestones to subscribers, each with its
attempts, for operators and administrators (read only; re-sending is the CLI's
`partnerships deliveries retry`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from activities.delivery_messages import DeliveryState
from app.deliveries import DeliveryRecord, deliveries
from app.identity import Caller
from domain.directory import BindingRole
from interfaces.api.problems import ProblemError, problem_responses
from interfaces.api.resources import Authenticated, Held

router = APIRouter(tags=["deliveries"])

DELIVERIES_PAGE_MAX: Final = 500
_WATCHERS: Final = frozenset({BindingRole.OPERATOR, BindingRole.ADMINISTRATOR})


class AttemptOut(BaseModel):
    """One attempt at a delivery: when, the HTTP status or SMTP reply, how long, what failed."""

    model_config = ConfigDict(frozen=True)

    attempt: int
    attempted_at: datetime
    outcome: str
    status_code: int | None
    reply: str | None
    duration_ms: int
    error: str | None


class DeliveryOut(BaseModel):
    """A milestone's delivery to one subscriber, with its attempts."""

    model_config = ConfigDict(frozen=True)

    delivery_id: str
    stream_id: str
    version: int
    kind: str
    subscription_id: str
    subscriber: str
    destination: str
    state: DeliveryState
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    log: list[AttemptOut]


class DeliveryList(BaseModel):
    """Deliveries, newest first."""

    model_config = ConfigDict(frozen=True)

    items: list[DeliveryOut]


def watcher(caller: Authenticated) -> Caller:
    """The caller, when they hold an operator or administrator binding; 403 otherwise."""
    if not any(b.role in _WATCHERS for b in caller.bindings):
        held = ", ".join(b.label() for b in caller.bindings) or "no role"
        raise ProblemError(
            403,
            "NotPermitted",
            f"{caller.subject} holds {held}; only operators and administrators see deliveries",
        )
    return caller


Watcher = Annotated[Caller, Depends(watcher)]


def _out(record: DeliveryRecord) -> DeliveryOut:
    d = record.delivery
    return DeliveryOut(
        delivery_id=d.delivery_id,
        stream_id=d.stream_id,
        version=d.version,
        kind=d.kind,
        subscription_id=d.subscription_id,
        subscriber=d.subscriber,
        destination=d.destination,
        state=d.state,
        attempts=d.attempts,
        last_error=d.last_error,
        created_at=d.created_at,
        updated_at=d.updated_at,
        finished_at=d.finished_at,
        log=[
            AttemptOut(
                attempt=a.attempt,
                attempted_at=a.attempted_at,
                outcome=a.outcome,
                status_code=a.status_code,
                reply=a.reply,
                duration_ms=a.duration_ms,
                error=a.error,
            )
            for a in record.attempts
        ],
    )


@router.get(
    "/deliveries",
    response_model=DeliveryList,
    summary="Deliveries of milestones to subscribers (operators, administrators)",
    responses=problem_responses(400, 401, 403, 422, 503),
)
async def list_deliveries(
    caller: Watcher,
    held: Held,
    state: Annotated[
        DeliveryState | None, Query(description="Only those in this state, e.g. failed")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=DELIVERIES_PAGE_MAX)] = 50,
) -> DeliveryList:
    """Deliveries, newest first, each with every attempt logged."""
    records = await run_in_threadpool(deliveries, held.store.engine(), state=state, limit=limit)
    return DeliveryList(items=[_out(r) for r in records])
