"""A partnership whose history grows long continues as new, and loses nothing on the way.

The dev server is told to suggest continuing as new after a few dozen history events (the
production default is 4,096), so a test can cross several hand-overs in seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from temporalio.client import WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from domain.stages import Stage
from settings import Settings
from tests.workflows.harness import (
    COMMISSION,
    PRESIDENCY,
    Harness,
    member,
    today,
    unique_task_queue,
    venv_binary,
)
from tests.workflows.task_failures import all_workflow_ids, failed_tasks
from worker import build_worker, wire
from workflows.continuation import Continuation
from workflows.contract import SEARCH_ATTRIBUTE_KEYS
from workflows.converter import DATA_CONVERTER

SUGGEST_AFTER_EVENTS = 40


async def start_dev_server_suggesting_continue_as_new(after_events: int) -> WorkflowEnvironment:
    """A dev server that suggests continuing as new once a history has `after_events` events."""
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=venv_binary("temporal"),
        search_attributes=list(SEARCH_ATTRIBUTE_KEYS),
        data_converter=DATA_CONVERTER,
        dev_server_log_level="error",
        dev_server_extra_args=[
            "--dynamic-config-value",
            f"limit.historyCount.suggestContinueAsNew={after_events}",
        ],
    )


@pytest.fixture
async def short_history_harness(database_url: str) -> AsyncIterator[Harness]:
    """A real worker on a dev server whose histories are suggested to continue early."""
    env = await start_dev_server_suggesting_continue_as_new(SUGGEST_AFTER_EVENTS)
    try:
        settings = Settings(database_url=database_url, task_queue=unique_task_queue())
        wiring = wire(settings)
        async with build_worker(env.client, wiring, settings.task_queue):
            yield Harness(env.client, settings.task_queue, database_url)
        wiring.executor.shutdown(wait=True)
        failures = await failed_tasks(env.client, await all_workflow_ids(env.client))
        assert not failures, "workflow tasks failed:\n" + "\n".join(failures)
    finally:
        await env.shutdown()


async def runs_of(
    h: Harness, workflow_id: str, until: Callable[[list[Any]], bool] = bool
) -> list[Any]:
    """Every run of `workflow_id`, oldest first, once the visibility index shows `until`.

    Visibility lags the runs a little, more so on a loaded machine: poll for up to 30 s.
    """
    runs: list[Any] = []
    for _ in range(300):
        listed = [r async for r in h.client.list_workflows(f'WorkflowId="{workflow_id}"')]
        runs = sorted(listed, key=lambda r: r.start_time)
        if until(runs):
            break
        await asyncio.sleep(0.1)
    return runs


def continued(runs: list[Any]) -> bool:
    return len(runs) >= 2


def all_closed(runs: list[Any]) -> bool:
    return continued(runs) and all(r.status is not WorkflowExecutionStatus.RUNNING for r in runs)


async def test_a_long_consultation_continues_as_new_and_every_step_is_recorded_once(
    short_history_harness: Harness,
) -> None:
    h = short_history_harness
    handle = await h.propose("CV")
    answers = [("PT", "interested"), ("ES", "interested"), ("FR", "not_interested")] * 4
    for ms, position in answers:
        await h.update(
            handle, "respond_to_consultation", member(ms), member_state=ms, position=position
        )
    # The hand-overs are already behind us: every later step goes to a continued run.
    assert continued(await runs_of(h, handle.id, continued)), "it never continued as new"
    status = await h.update(handle, "close_consultation", COMMISSION)
    assert status.stage is Stage.AWAITING_TALKS_AUTHORISATION
    assert status.interested_member_states == ("ES", "PT")
    assert status.version == 1 + len(answers) + 1
    # The continued run decides by the rules its first run took up (the point-11 patch,
    # carried in the Continuation): a Presidency naming no Member State is refused.
    with pytest.raises(WorkflowUpdateFailedError) as nameless:
        await h.update(handle, "authorise_talks", {"id": "joao", "role": "presidency"})
    assert "names no Member State" in str(nameless.value.cause)
    status = await h.update(handle, "authorise_talks", PRESIDENCY)
    status = await h.update(
        handle,
        "record_talks_round",
        COMMISSION,
        held_on=today(),
        member_states=["PT"],
        summary="first round",
    )
    assert status.talks[0].member_states == ("PT",)
    status = await h.update(handle, "withdraw", COMMISSION, reason="done")
    assert status.stage is Stage.WITHDRAWN

    runs = await runs_of(h, handle.id, all_closed)
    assert len(runs) >= 2, "the workflow never continued as new"
    assert all(r.status is WorkflowExecutionStatus.CONTINUED_AS_NEW for r in runs[:-1])
    assert runs[-1].status is WorkflowExecutionStatus.COMPLETED
    # One event per step, in order, each once: nothing lost or decided twice at a hand-over.
    stored = h.store().read_stream("partnership-CV/1")
    assert [e.stream_version for e in stored] == list(range(1, status.version + 1))
    assert len({e.event_id for e in stored}) == len(stored)
    assert h.event_types("CV").count("ConsultationAnswered") == len(answers)
    assert h.store().verify("partnership-CV/1").ok
    # The continued runs take steps as lean as the first: the Continuation carries the choice.
    for run in runs[1:]:
        history = await h.client.get_workflow_handle(handle.id, run_id=run.run_id).fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        [carried] = await h.client.data_converter.decode(started.input.payloads, [Continuation])
        assert isinstance(carried, Continuation)
        assert carried.lean_steps


async def test_a_continued_run_keeps_its_deadlines_and_its_search_attributes(
    short_history_harness: Harness,
) -> None:
    h = short_history_harness
    handle = await h.propose("MD", decision_deadline=today().replace(month=12, day=31))
    for _ in range(8):
        await h.update(
            handle,
            "respond_to_consultation",
            member("RO"),
            member_state="RO",
            position="interested",
        )
    latest = h.client.get_workflow_handle(handle.id)
    status = await h.status(latest)
    runs = await runs_of(h, handle.id, continued)
    assert len(runs) >= 2
    described = await latest.describe()
    assert described.typed_search_attributes is not None
    attributes = {p.key.name: p.value for p in described.typed_search_attributes}
    assert attributes["PartnershipStage"] == "consultation"
    assert attributes["PartnershipCountry"] == "MD"
    assert status.decision_deadline == today().replace(month=12, day=31)
    assert status.consultation_deadline is not None
    assert status.reminder_due_at is not None
