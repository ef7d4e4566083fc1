"""Health (`/healthz`: the process answers) and readiness (`/readyz`: what it depends on does).

Neither needs a token: a load balancer or an orchestrator asks them. Readiness names what is
not reachable, never where it is or why in detail (that goes to the log).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any, Final

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.service import RPCError

from activities.store_errors import DatabaseNotReady, StoreError
from app.exceptions import AppError
from interfaces.api.problems import RETRY_AFTER_S, Problem, problem_responses
from interfaces.api.resources import Held

log = logging.getLogger("pilot-partnerships.api")

router = APIRouter(tags=["health"])

CHECK_TIMEOUT_S: Final = 3.0
"""How long each readiness check may take before its dependency counts as unreachable."""


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    """200 whenever the process serves requests."""
    return {"status": "ok"}


async def _temporal(held: Held) -> str | None:
    try:
        client = (await held.partnerships()).temporal
        await client.workflow_service.get_system_info(
            GetSystemInfoRequest(), timeout=timedelta(seconds=CHECK_TIMEOUT_S)
        )
    except (AppError, RPCError, RuntimeError, TimeoutError) as error:
        log.warning("readiness: Temporal: %s", error)
        return "unreachable"
    return None


def _database(held: Held) -> str | None:
    held.store.failed()  # check it now, not as last known
    try:
        held.store.engine()
    except DatabaseNotReady as error:
        log.warning("readiness: %s", error)
        return "not at the migrations' head"
    except StoreError as error:
        log.warning("readiness: %s", error)
        return "unreachable"
    return None


def _issuer_keys(held: Held) -> str | None:
    try:
        held.authenticator.check_keys()
    except AppError as error:
        log.warning("readiness: %s", error)
        return "unreachable"
    return None


@router.get(
    "/readyz",
    summary="Temporal, the database and the issuer's keys are reachable",
    responses=problem_responses(503),
)
async def readyz(held: Held) -> Any:
    """200 when every dependency answers; 503 naming those that do not."""
    temporal, database, keys = await asyncio.gather(
        asyncio.wait_for(_temporal(held), CHECK_TIMEOUT_S * 2),
        run_in_threadpool(_database, held),
        run_in_threadpool(_issuer_keys, held),
        return_exceptions=True,
    )
    checks = {
        "temporal": _outcome(temporal),
        "database": _outcome(database),
        "issuer_keys": _outcome(keys),
    }
    failing = {name: outcome for name, outcome in checks.items() if outcome != "ok"}
    if not failing:
        return {"status": "ready", "checks": checks}
    detail = "not ready: " + "; ".join(f"{name} {why}" for name, why in failing.items())
    problem = Problem(
        503,
        "NotReady",
        detail,
        extra={"checks": checks},
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )
    return problem.response("/readyz")


def _outcome(result: object) -> str:
    if isinstance(result, BaseException):
        log.warning("readiness check failed: %r", result)
        return "unreachable"
    return "ok" if result is None else str(result)
