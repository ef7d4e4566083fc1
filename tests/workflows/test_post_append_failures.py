"""Once the store has recorded a step, nothing that follows can fail it or wedge the workflow.

Folding, milestones, search attributes, current details and the status view all run after the
append commits. Each test here breaks one of them on purpose, in the real worker, and shows the
step stands, the `status` query answers and the next step is recorded at the next version.
The harness fixture then checks that no workflow task failed.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import temporalio.api.sdk.v1
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from activities.codec import to_new_event
from domain.actors import Actor
from domain.events import Event, TalksAuthorised
from domain.stages import Stage
from tests.workflows.harness import COMMISSION, PRESIDENCY, Harness, member, today

# `domain` re-exports functions under its modules' names, so the modules are looked up by name.
EVOLVE = importlib.import_module("domain.evolve")
VIEW = importlib.import_module("domain.view")
SEARCH = importlib.import_module("workflows.search")
NARRATION = importlib.import_module("domain.narration")

# What the saboteurs break right now; each is switched on and off inside a test, because a
# workflow keeps the functions it imported for the whole of its run.
BROKEN: set[str] = set()


@pytest.fixture(autouse=True)
def saboteurs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Wrap the post-append functions so a test can make each raise on demand."""

    def breakable(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if name in BROKEN:
                raise RuntimeError(f"{name} broken on purpose")
            return real(*args, **kwargs)

        return wrapper

    real_evolve = EVOLVE.evolve

    def evolve(state: Any, event: Event) -> Any:
        if "fold answers" in BROKEN and event.type == "ConsultationAnswered":
            raise RuntimeError("folding broken on purpose")
        return real_evolve(state, event)

    monkeypatch.setattr(EVOLVE, "evolve", evolve)
    monkeypatch.setattr(
        SEARCH,
        "search_attribute_updates",
        breakable("search attributes", SEARCH.search_attribute_updates),
    )
    monkeypatch.setattr(
        NARRATION,
        "current_details",
        breakable("current details", NARRATION.current_details),
    )
    monkeypatch.setattr(VIEW, "status_view", breakable("status view", VIEW.status_view))
    BROKEN.clear()
    yield
    BROKEN.clear()


async def answer(h: Harness, handle: Any, ms: str) -> Any:
    return await h.update(
        handle, "respond_to_consultation", member(ms), member_state=ms, position="interested"
    )


async def test_an_event_that_cannot_be_folded_still_counts_and_the_next_step_is_recorded(
    harness: Harness,
) -> None:
    handle = await harness.propose("CV")
    BROKEN.add("fold answers")
    status = await answer(harness, handle, "PT")
    assert status.version == 2, "the workflow stays at the store's version"
    BROKEN.clear()
    status = await answer(harness, handle, "ES")
    assert status.version == 3
    assert (await harness.status(handle)).version == 3
    assert harness.event_types("CV") == [
        "PartnershipProposed",
        "ConsultationAnswered",
        "ConsultationAnswered",
    ]
    assert harness.store().verify().ok


async def test_failing_search_attributes_and_current_details_do_not_touch_the_steps(
    harness: Harness,
) -> None:
    handle = await harness.propose("CV")
    BROKEN.update({"search attributes", "current details"})
    await answer(harness, handle, "PT")
    status = await harness.update(handle, "close_consultation", COMMISSION)
    assert status.stage is Stage.AWAITING_TALKS_AUTHORISATION
    BROKEN.clear()
    status = await harness.update(handle, "authorise_talks", PRESIDENCY)
    assert status.stage is Stage.EXPLORATORY_TALKS
    assert harness.event_types("CV")[-1] == "TalksAuthorised"


async def test_a_status_view_that_cannot_be_built_says_the_step_was_recorded(
    harness: Harness,
) -> None:
    handle = await harness.propose("CV")
    BROKEN.add("status view")
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await answer(harness, handle, "PT")
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "ViewUnavailable"
    assert "is at version 2" in cause.message
    assert harness.event_types("CV")[-1] == "ConsultationAnswered"
    BROKEN.clear()
    status = await answer(harness, handle, "ES")
    assert status.version == 3
    assert tuple(status.answers) == ("ES", "PT")


async def current_details(handle: Any) -> str:
    """The Markdown the Temporal UI shows as the workflow's current details."""
    metadata = await handle.query(
        "__temporal_workflow_metadata", result_type=temporalio.api.sdk.v1.WorkflowMetadata
    )
    return str(metadata.current_details)


def append_behind_the_workflows_back(h: Harness, country: str) -> None:
    """Another writer appends to the partnership's stream, as a second engine might."""
    stream = f"partnership-{country}/1"
    version = len(h.store().read_stream(stream))
    intruder = TalksAuthorised(
        actor=Actor(id="intruder", role="presidency"),
        occurred_on=today(),
        recorded_at=datetime.now(UTC),
        note="written around the workflow",
    )
    h.store().append(stream, version, [to_new_event(uuid.uuid4(), intruder, {})])


async def test_a_step_the_store_refuses_is_refused_clearly_and_the_workflow_still_answers(
    harness: Harness,
) -> None:
    handle = await harness.propose("CV")
    append_behind_the_workflows_back(harness, "CV")
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await answer(harness, handle, "PT")
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "ConcurrencyError"
    assert cause.non_retryable
    assert cause.message.startswith("respond_to_consultation was not recorded: ")
    assert "nothing was written" in cause.message.lower()
    assert (await harness.status(handle)).version == 1
    assert len(harness.event_types("CV")) == 2, "only the intruder's event is there"


async def test_a_deadline_step_the_store_refuses_is_shown_to_operators_and_nothing_spins(
    harness: Harness,
) -> None:
    handle = await harness.propose("CV", consultation_deadline=today() + timedelta(days=3))
    append_behind_the_workflows_back(harness, "CV")
    await harness.skip(days=5)
    details = ""
    for _ in range(200):
        details = await current_details(handle)
        if "Attention" in details:
            break
        await harness.skip(days=0.01)
    assert "A deadline step is waiting for the next recorded step" in details
    assert "close_consultation was not recorded" in details
    assert (await harness.status(handle)).stage is Stage.CONSULTATION
