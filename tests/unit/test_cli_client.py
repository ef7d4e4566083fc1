"""The CLI's client tells apart "no worker accepted the update" from "accepted, still recording"."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, cast

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.exceptions import ApplicationError

from app import partnerships as client_module
from app.exceptions import AppError
from app.partnerships import Partnerships
from domain.actors import Actor, Role
from domain.requests import WithdrawRequest
from interfaces.cli.arguments import update_request
from interfaces.terminal import CliError, explained
from settings import Settings
from workflows.contract import STAGE, TASK_QUEUE, WORKFLOW_TYPE, workflow_id_for

COMMISSION = Actor(id="alice", role=Role.COMMISSION)


class _Update:
    def __init__(self, outcome: BaseException | None, delay: float) -> None:
        self._outcome = outcome
        self._delay = delay

    async def result(self) -> Any:
        await asyncio.sleep(self._delay)
        if self._outcome is not None:
            raise self._outcome
        return {}


class _Handle:
    def __init__(self, *, accept_after: float, update: _Update) -> None:
        self.accept_after = accept_after
        self.update = update
        self.stages: list[WorkflowUpdateStage] = []

    async def start_update(
        self, name: str, request: Any, *, wait_for_stage: WorkflowUpdateStage, **_: Any
    ) -> _Update:
        self.stages.append(wait_for_stage)
        await asyncio.sleep(self.accept_after)
        return self.update


class _Client:
    def __init__(self, handle: _Handle) -> None:
        self.handle = handle
        self.ids: list[str] = []

    def get_workflow_handle(self, workflow_id: str) -> _Handle:
        self.ids.append(workflow_id)
        return self.handle


@pytest.fixture(autouse=True)
def _short_patience(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "WORKER_PATIENCE", timedelta(seconds=0.05))
    monkeypatch.setattr(client_module, "RECORDING_PATIENCE", timedelta(seconds=0.05))


def _send(handle: _Handle) -> Any:
    fake = _Client(handle)
    partnerships = Partnerships(
        cast(Client, fake), Settings(task_queue=TASK_QUEUE), worker_patience=timedelta(seconds=0.05)
    )
    request = update_request(WithdrawRequest, COMMISSION, {"reason": "talks stalled"})
    try:
        view = asyncio.run(partnerships.step("cv", request))
    except AppError as error:  # as the CLI says it
        raise explained(error) from None
    assert fake.ids == ["partnership-CV"]
    assert handle.stages == [WorkflowUpdateStage.ACCEPTED]
    return view


def test_no_acceptance_in_time_means_no_worker_answered() -> None:
    with pytest.raises(CliError) as refused:
        _send(_Handle(accept_after=5, update=_Update(None, 0)))
    assert refused.value.message.startswith(
        "no worker answered on task queue pilot-partnerships within 0 s, "
        "so withdraw was not accepted and nothing has been recorded;"
    )
    assert "partnerships worker" in refused.value.message
    assert refused.value.code == 3  # unreachable, as README documents


def test_an_accepted_update_still_recording_says_so_and_how_to_check() -> None:
    with pytest.raises(CliError) as refused:
        _send(_Handle(accept_after=0, update=_Update(None, 5)))
    message = refused.value.message
    assert message.startswith("withdraw was accepted by the partnership with CV")
    assert "still being recorded" in message
    assert "`partnerships show CV`" in message
    assert "no worker answered" not in message
    assert refused.value.code == 3  # unreachable, as README documents


def test_a_rejected_update_gives_the_validators_reason() -> None:
    failure = WorkflowUpdateFailedError(ApplicationError("cannot withdraw: ended", type="X"))
    with pytest.raises(CliError) as refused:
        _send(_Handle(accept_after=0, update=_Update(failure, 0)))
    assert refused.value.message == "rejected: cannot withdraw: ended"
    assert refused.value.code == 1  # refused


def test_the_client_speaks_the_contracts_names_from_the_workflow_package() -> None:
    names = vars(client_module)
    assert names["WORKFLOW_TYPE"] is WORKFLOW_TYPE
    assert names["workflow_id_for"] is workflow_id_for
    assert names["STAGE"] is STAGE
    assert Settings.model_fields["task_queue"].default == TASK_QUEUE
