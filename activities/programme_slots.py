"""The programme's activities for `PilotPartnershipWorkflow`: take a slot when a partnership is
proposed, free it when the partnership ends (domain/programme.py says which ends free it).

Both are idempotent, so a retried activity records nothing twice: a stream that holds its slot
gets it back, and a slot freed already is not freed again. A full programme is not a failure of
the activity but its answer (`refusal`, recorded in the workflow's history), so the workflow
refuses the proposal with the domain's own message and type, and nothing is retried.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict
from temporalio import activity

from activities.failures import classified_failures
from activities.programme_store import ProgrammeStore
from domain.actors import Actor
from domain.programme import CapReached
from domain.provenance import Provenance
from domain.stages import Stage


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True)


class TakeSlotInput(_Message):
    """Take a slot for the partnership just proposed to `stream_id`."""

    country: str
    stream_id: str
    taken_on: date
    actor: Actor
    workflow_id: str
    run_id: str
    provenance: Provenance | None = None


class TakeSlotOutput(_Message):
    """The slot taken, or why not (`refusal` and its type, e.g. CapReached)."""

    taken: bool
    refusal: str | None = None
    refusal_type: str | None = None


class FreeSlotInput(_Message):
    """Free the slot of a partnership that ended at `end_stage` (on `occurred_on`, by default
    the business date of its latest event)."""

    stream_id: str
    end_stage: Stage
    occurred_on: date | None = None
    actor: Actor
    workflow_id: str
    run_id: str


class FreeSlotOutput(_Message):
    """Whether a slot was freed now (False: none held, freed already, or kept at launch)."""

    freed: bool


class ReleaseSlotInput(_Message):
    """Give back the slot taken for a proposal whose record could not be written."""

    stream_id: str
    reason: str
    occurred_on: date
    actor: Actor
    workflow_id: str
    run_id: str


class ProgrammeSlots:
    """The programme's activities, bound to its store; the worker registers the methods."""

    def __init__(self, store: ProgrammeStore) -> None:
        self._store = store

    @activity.defn(name="take_programme_slot")
    def take_programme_slot(self, request: TakeSlotInput) -> TakeSlotOutput:
        """Take a slot for a new partnership, or say why the programme has none for it."""
        metadata = {
            "workflow_id": request.workflow_id,
            "run_id": request.run_id,
            **(request.provenance.metadata() if request.provenance else {}),
        }
        with classified_failures(f"taking a programme slot for {request.stream_id}"):
            try:
                self._store.take_slot(
                    request.country,
                    request.stream_id,
                    taken_on=request.taken_on,
                    actor=request.actor,
                    provenance=metadata,
                )
            except CapReached as refused:
                return TakeSlotOutput(
                    taken=False, refusal=refused.message, refusal_type=type(refused).__name__
                )
        return TakeSlotOutput(taken=True)

    @activity.defn(name="free_programme_slot")
    def free_programme_slot(self, request: FreeSlotInput) -> FreeSlotOutput:
        """Free the slot of an ended partnership (nothing when it holds none, or launched)."""
        metadata = {
            "workflow_id": request.workflow_id,
            "run_id": request.run_id,
            "channel": "system",
        }
        with classified_failures(f"freeing the programme slot of {request.stream_id}"):
            freed = self._store.free_slot(
                request.stream_id,
                request.end_stage,
                occurred_on=request.occurred_on,
                actor=request.actor,
                provenance=metadata,
            )
        return FreeSlotOutput(freed=freed)

    @activity.defn(name="release_programme_slot")
    def release_programme_slot(self, request: ReleaseSlotInput) -> FreeSlotOutput:
        """Give back a slot whose proposal was never recorded (nothing when it was)."""
        metadata = {
            "workflow_id": request.workflow_id,
            "run_id": request.run_id,
            "channel": "system",
        }
        with classified_failures(f"releasing the programme slot of {request.stream_id}"):
            released = self._store.release_slot(
                request.stream_id,
                reason=request.reason,
                occurred_on=request.occurred_on,
                actor=request.actor,
                provenance=metadata,
            )
        return FreeSlotOutput(freed=released)

    def registered(self) -> list[Callable[..., Any]]:
        """The activities a worker registers."""
        return [self.take_programme_slot, self.free_programme_slot, self.release_programme_slot]
