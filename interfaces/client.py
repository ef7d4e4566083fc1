"""The CLI's side of the public contract: start the workflow, send updates, query `status`.

Every Temporal failure a user can cause or meet is turned into a `CliError` here, with the
domain's own reason for a rejection and the fix for an unreachable server.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
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

from domain.requests import StartPartnership
from domain.view import StatusView
from interfaces.errors import CliError, ExitCode
from interfaces.settings import Settings
from workflows.contract import STAGE, WORKFLOW_TYPE, workflow_id_for
from workflows.converter import DATA_CONVERTER

CONNECT_TIMEOUT = timedelta(seconds=5)
# An update waits for a worker to accept it; past this, the worker is presumed missing.
WORKER_PATIENCE = timedelta(seconds=60)
# Once accepted, an update records its events; past this, the CLI stops waiting for it.
RECORDING_PATIENCE = timedelta(seconds=60)
QUERY_TIMEOUT = timedelta(seconds=15)


def _unreachable(settings: Settings, detail: str) -> CliError:
    return CliError(
        f"cannot reach Temporal at {settings.temporal_address} "
        f"(namespace {settings.temporal_namespace}): {detail}. "
        "Start the local stack with `make run` (or `partnerships dev`), "
        "or set TEMPORAL_ADDRESS to a running Temporal frontend.",
        code=ExitCode.UNAVAILABLE,
    )


def _no_worker(settings: Settings, *, unaccepted: str | None = None) -> CliError:
    waited = f"within {int(WORKER_PATIENCE.total_seconds())} s"
    if unaccepted is not None:
        waited += f", so {unaccepted} was not accepted and nothing has been recorded"
    return CliError(
        f"no worker answered on task queue {settings.task_queue} {waited}; start one with "
        "`partnerships worker` (or `make run`, which starts one for you).",
        code=ExitCode.UNAVAILABLE,
    )


def _still_recording(settings: Settings, country: str, name: str) -> CliError:
    return CliError(
        f"{name} was accepted by the partnership with {country} but is still being recorded "
        f"after {int(RECORDING_PATIENCE.total_seconds())} s; the worker on task queue "
        f"{settings.task_queue} keeps retrying until the event store answers. Check with "
        f"`partnerships show {country}` before sending it again.",
        code=ExitCode.UNAVAILABLE,
    )


def _root_message(error: BaseException) -> str:
    """The reason inside a Temporal failure: the validator's ApplicationError carries it."""
    current: BaseException | None = error
    innermost = error
    while current is not None:
        if isinstance(current, ApplicationError):
            return current.message
        innermost = current
        current = getattr(current, "cause", None) or current.__cause__
    return innermost.message if isinstance(innermost, FailureError) else str(innermost)


class Partnerships:
    """A connected client for partnership workflows, speaking the contract's names."""

    def __init__(self, client: Client, settings: Settings) -> None:
        self._client = client
        self._settings = settings

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
            stage = await self.stage(country)
            at = f" (stage {stage})" if stage else ""
            raise CliError(
                f"a partnership with {country} is already open{at}: workflow "
                f"{workflow_id_for(country)}. It can be proposed again only after it ends; "
                f"see `partnerships show {country}`."
            ) from None
        return await self._until_recorded(handle)

    async def _until_recorded(self, handle: WorkflowHandle[Any, Any]) -> StatusView:
        # The proposal is recorded by the workflow's first activity; the start call returns
        # before that, so ask until the status shows it (or the run fails and says why).
        delay = 0.05
        waited = 0.0
        while waited < WORKER_PATIENCE.total_seconds():
            description = await handle.describe()
            if description.status == WorkflowExecutionStatus.FAILED:
                try:
                    await handle.result()
                except Exception as error:
                    raise CliError(f"rejected: {_root_message(error)}") from None
            view = await self._query(handle)
            if view.version > 0:
                return view
            await asyncio.sleep(delay)
            waited += delay
            delay = min(delay * 2, 1.0)
        raise _no_worker(self._settings)

    async def update(self, country: str, name: str, request: BaseModel) -> StatusView:
        """Send update `name` with its request to the country's partnership; return the view.

        Two waits, told apart: until a worker accepts the update (its validator passed; none
        in time means no worker answered and nothing was recorded), then until it has been
        recorded (too long means it was accepted and will finish on its own).
        """
        code = country.strip().upper()
        handle = self.handle(code)
        try:
            accepted: WorkflowUpdateHandle[Any] = await asyncio.wait_for(
                handle.start_update(
                    name,
                    request,
                    wait_for_stage=WorkflowUpdateStage.ACCEPTED,
                    result_type=StatusView,
                ),
                timeout=WORKER_PATIENCE.total_seconds(),
            )
        except WorkflowUpdateFailedError as error:
            raise CliError(f"rejected: {_root_message(error)}") from None
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            raise _no_worker(self._settings, unaccepted=name) from None
        except RPCError as error:
            raise await self._explain_rpc(code, error) from None
        try:
            # A rejection by the validator is already known here: result() raises it at once.
            result = await asyncio.wait_for(
                accepted.result(), timeout=RECORDING_PATIENCE.total_seconds()
            )
        except WorkflowUpdateFailedError as error:
            raise CliError(f"rejected: {_root_message(error)}") from None
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            raise _still_recording(self._settings, code, name) from None
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
                timeout=WORKER_PATIENCE.total_seconds(),
            )
        except TimeoutError:
            raise _no_worker(self._settings) from None
        except RPCError as error:
            if error.status != RPCStatusCode.DEADLINE_EXCEEDED:
                raise
            raise CliError(
                f"workflow {handle.id} did not answer its status query within "
                f"{int(QUERY_TIMEOUT.total_seconds())} s: no worker is polling task queue "
                f"{self._settings.task_queue} (start one with `partnerships worker` or "
                "`make run`), or the workflow's task is failing (open it in the Temporal UI)",
                code=ExitCode.UNAVAILABLE,
            ) from None
        except WorkflowQueryFailedError as error:
            raise CliError(f"the status query failed: {error}", code=ExitCode.UNAVAILABLE) from None
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

    async def _explain_rpc(self, country: str, error: RPCError) -> CliError:
        code = country.strip().upper()
        if error.status == RPCStatusCode.UNAVAILABLE:
            return _unreachable(self._settings, error.message)
        if error.status == RPCStatusCode.NOT_FOUND and "completed" in error.message.lower():
            stage = await self.stage(code)
            ended = f" ({stage})" if stage else ""
            return CliError(
                f"the partnership with {code} has ended{ended}; nothing more can be done "
                f"to it. `partnerships propose {code} …` opens a new one.",
                code=ExitCode.REJECTED,
            )
        if error.status == RPCStatusCode.NOT_FOUND:
            return CliError(
                f"no partnership with {code} has been proposed (no workflow "
                f"{workflow_id_for(code)} in namespace {self._settings.temporal_namespace}); "
                f"propose one with `partnerships propose {code} …`.",
                code=ExitCode.NOT_FOUND,
            )
        return CliError(f"Temporal refused the request: {error.message}")


async def connect(settings: Settings) -> Partnerships:
    """Connect with the contract's JSON converter, or raise CliError with the fix."""
    try:
        client = await Client.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            data_converter=DATA_CONVERTER,
            connect_timeout=CONNECT_TIMEOUT,
        )
    except RuntimeError as error:  # the SDK reports every connection failure this way
        raise temporal_unreachable(settings, error) from None
    return Partnerships(client, settings)


def temporal_unreachable(settings: Settings, error: BaseException) -> CliError:
    """The one sentence for a failed connection to Temporal, from the SDK's error.

    The CLI, `partnerships dev` and the worker all say it the same way, with exit code 3.
    """
    detail = str(error).removeprefix("Failed client connect: ")
    return _unreachable(settings, _short(detail))


@asynccontextmanager
async def connected(settings: Settings) -> AsyncIterator[Partnerships]:
    """`async with connected(settings) as partnerships:` with errors mapped for people."""
    partnerships = await connect(settings)
    try:
        yield partnerships
    except RPCError as error:
        if error.status == RPCStatusCode.UNAVAILABLE:
            raise _unreachable(settings, error.message) from None
        raise CliError(f"Temporal refused the request: {error.message}") from None


def _short(detail: str) -> str:
    if "Connection refused" in detail:
        return "connection refused"
    if "dns error" in detail.lower() or "resolve" in detail.lower():
        return "the host name does not resolve"
    return detail.splitlines()[0][:200]
