"""Starting partnerships and sending their steps through Temporal, as the contract names them.

Every Temporal failure a caller can cause or meet becomes one of `app.exceptions`: the domain's own
reason for a rejection, a missing worker, an unreachable server.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateHandle,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, FailureError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from app.exceptions import (
    AlreadyOpen,
    AppError,
    Ended,
    NotAccepted,
    NotFound,
    Refused,
    Rejected,
    StillRecording,
    Unavailable,
)
from app.temporal import connect, unreachable
from domain.decide import decide
from domain.errors import DomainError
from domain.requests import StartPartnership, UserRequest
from domain.state import Partnership
from domain.view import StatusView
from settings import Settings
from workflows.contract import STAGE, WORKFLOW_TYPE, workflow_id_for

# An update waits for a worker to accept it; past this, the worker is presumed missing.
WORKER_PATIENCE = timedelta(seconds=60)
# Once accepted, an update records its events; past this, the caller stops waiting for it.
RECORDING_PATIENCE = timedelta(seconds=60)
QUERY_TIMEOUT = timedelta(seconds=15)


class QueryUnanswered(Unavailable):
    """The workflow did not answer its `status` query in time."""

    def __init__(self, workflow_id: str, waited_s: int, task_queue: str) -> None:
        super().__init__(
            f"workflow {workflow_id} did not answer its status query within {waited_s} s: no "
            f"worker is polling task queue {task_queue}, or the workflow's task is failing"
        )
        self.workflow_id = workflow_id
        self.waited_s = waited_s
        self.task_queue = task_queue


def _refusal(error: BaseException) -> Rejected:
    """The reason inside a Temporal failure: the validator's ApplicationError carries it."""
    current: BaseException | None = error
    innermost = error
    while current is not None:
        if isinstance(current, ApplicationError):
            return Rejected(current.message, kind=current.type or "Rejected")
        innermost = current
        current = getattr(current, "cause", None) or current.__cause__
    message = innermost.message if isinstance(innermost, FailureError) else str(innermost)
    return Rejected(message, kind="Rejected")


def update_name(request: UserRequest) -> str:
    """The update that carries `request`, taken from its type (never typed by hand)."""
    return type(request).command_type.name


def check_proposal(
    request: StartPartnership, *, consultation_period_days: int, now: datetime
) -> None:
    """Raise Rejected (its kind the domain error's type) when the domain refuses the proposal.

    A proposal is the workflow's first step, so a refusal there would fail the new workflow
    instead of answering the caller: a front door checks it here first. The worker decides
    again with its own consultation period; this one serves only the check.
    """
    try:
        decide(
            Partnership(),
            request.command(),
            request.actor,
            now,
            consultation_period=timedelta(days=consultation_period_days),
        )
    except DomainError as error:
        raise Rejected(error.message, kind=type(error).__name__) from None


class Partnerships:
    """A connected client for partnership workflows, speaking the contract's names."""

    def __init__(
        self, client: Client, settings: Settings, *, worker_patience: timedelta = WORKER_PATIENCE
    ) -> None:
        self._client = client
        self._settings = settings
        # How long a step or proposal waits for a worker; an HTTP front door waits less.
        self._patience = worker_patience

    @property
    def temporal(self) -> Client:
        """The underlying Temporal client."""
        return self._client

    def handle(self, country: str) -> WorkflowHandle[Any, Any]:
        """The handle of the country's latest partnership workflow run."""
        return self._client.get_workflow_handle(workflow_id_for(country))

    async def propose(self, request: StartPartnership) -> StatusView:
        """Start a country's partnership workflow and wait until the proposal is recorded."""
        country = request.country.strip().upper()
        try:
            handle = await self._client.start_workflow(
                WORKFLOW_TYPE,
                request,
                id=workflow_id_for(country),
                task_queue=self._settings.task_queue,
                # A country may be proposed again after an end, never twice at once.
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                result_type=StatusView,
            )
        except WorkflowAlreadyStartedError:
            raise AlreadyOpen(
                country, workflow_id_for(country), await self.stage(country)
            ) from None
        return await self._until_recorded(handle)

    async def _until_recorded(self, handle: WorkflowHandle[Any, Any]) -> StatusView:
        # The proposal is recorded by the workflow's first activity; the start call returns
        # before that, so ask until the status shows it (or the run fails and says why).
        delay = 0.05
        waited = 0.0
        while waited < self._patience.total_seconds():
            description = await handle.describe()
            if description.status == WorkflowExecutionStatus.FAILED:
                try:
                    await handle.result()
                except Exception as error:
                    raise _refusal(error) from None
            view = await self._query(handle)
            if view.version > 0:
                return view
            await asyncio.sleep(delay)
            waited += delay
            delay = min(delay * 2, 1.0)
        raise self._not_accepted()

    async def step(
        self, country: str, request: UserRequest, *, update_id: str | None = None
    ) -> StatusView:
        """Send `request` to the country's partnership as its update; return the new view.

        Two waits, told apart: until a worker accepts the update (its validator passed; none
        in time means no worker answered and nothing was recorded), then until it has been
        recorded (too long means it was accepted and will finish on its own).

        `update_id` names the update: Temporal runs one update per id in a run, so a request
        retried with the same id records once and answers with the first one's outcome.
        """
        code = country.strip().upper()
        name = update_name(request)
        handle = self.handle(code)
        try:
            accepted: WorkflowUpdateHandle[Any] = await asyncio.wait_for(
                handle.start_update(
                    name,
                    request,
                    id=update_id,
                    wait_for_stage=WorkflowUpdateStage.ACCEPTED,
                    result_type=StatusView,
                    # The server stops waiting for a worker too, so no call outlives the wait.
                    rpc_timeout=self._patience,
                ),
                timeout=self._patience.total_seconds(),
            )
        except WorkflowUpdateFailedError as error:
            raise _refusal(error) from None
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            raise self._not_accepted(name) from None
        except RPCError as error:
            raise await self._explain_rpc(code, error) from None
        try:
            # A rejection by the validator is already known here: result() raises it at once.
            result = await asyncio.wait_for(
                accepted.result(), timeout=RECORDING_PATIENCE.total_seconds()
            )
        except WorkflowUpdateFailedError as error:
            raise _refusal(error) from None
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            raise StillRecording(
                code, name, int(RECORDING_PATIENCE.total_seconds()), self._settings.task_queue
            ) from None
        except RPCError as error:
            raise await self._explain_rpc(code, error) from None
        if not isinstance(result, StatusView):
            return StatusView.model_validate(result)
        return result

    async def status(self, country: str) -> StatusView:
        """The `status` query of the country's latest partnership run."""
        try:
            return await self._query(self.handle(country))
        except RPCError as error:
            raise await self._explain_rpc(country, error) from None

    async def _query(self, handle: WorkflowHandle[Any, Any]) -> StatusView:
        try:
            result = await asyncio.wait_for(
                handle.query("status", result_type=StatusView, rpc_timeout=QUERY_TIMEOUT),
                timeout=self._patience.total_seconds(),
            )
        except TimeoutError:
            raise self._not_accepted() from None
        except RPCError as error:
            if error.status != RPCStatusCode.DEADLINE_EXCEEDED:
                raise
            raise QueryUnanswered(
                handle.id, int(QUERY_TIMEOUT.total_seconds()), self._settings.task_queue
            ) from None
        except WorkflowQueryFailedError as error:
            raise Unavailable(f"the status query failed: {error}") from None
        if not isinstance(result, StatusView):
            return StatusView.model_validate(result)
        return result

    async def stage(self, country: str) -> str | None:
        """The stage recorded in the search attributes of the country's latest run, if any."""
        try:
            description = await self.handle(country).describe()
        except RPCError:
            return None
        return description.typed_search_attributes.get(STAGE)

    def _not_accepted(self, update: str | None = None) -> NotAccepted:
        return NotAccepted(self._settings.task_queue, int(self._patience.total_seconds()), update)

    async def _explain_rpc(self, country: str, error: RPCError) -> AppError:
        code = country.strip().upper()
        if error.status == RPCStatusCode.UNAVAILABLE:
            return unreachable(self._settings, error.message)
        if error.status == RPCStatusCode.NOT_FOUND and "completed" in error.message.lower():
            return Ended(code, await self.stage(code))
        if error.status == RPCStatusCode.NOT_FOUND:
            return NotFound(
                f"no partnership with {code} has been proposed (no workflow "
                f"{workflow_id_for(code)} in namespace {self._settings.temporal_namespace})",
                country=code,
            )
        return Refused(f"Temporal refused the request: {error.message}")


@asynccontextmanager
async def connected(settings: Settings) -> AsyncIterator[Partnerships]:
    """`async with connected(settings) as partnerships:` with Temporal's errors typed."""
    partnerships = Partnerships(await connect(settings), settings)
    try:
        yield partnerships
    except RPCError as error:
        if error.status == RPCStatusCode.UNAVAILABLE:
            raise unreachable(settings, error.message) from None
        raise Refused(f"Temporal refused the request: {error.message}") from None
