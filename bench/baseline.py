"""The baselines of the lifecycle benchmark: Temporal's own cost for a lifecycle's work.

Workflows with as many updates as one partnership lifecycle, where the activities do nothing
and the updates decide nothing. Two shapes:

- `SAME_SHAPE`: as many activities as the lifecycle used to run (two at the start, one per
  update and one more for each of five milestones: sixteen);
- `MINIMAL`: one activity per step (the start's recording and each update: ten), the least a
  workflow that records every step through an activity can do.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict
from temporalio import activity, workflow

UPDATES = 9  # two answers, close, authorise, a round, conclude, report, decide, launch


class Shape(BaseModel):
    """How many no-op activities a baseline run makes, and where."""

    model_config = ConfigDict(frozen=True)

    name: str
    start_activities: int
    # Updates (by their order, from 0) that run a second activity, as a milestone did.
    milestone_updates: frozenset[int] = frozenset()

    @property
    def activities(self) -> int:
        """The activities of one run."""
        return self.start_activities + UPDATES + len(self.milestone_updates)


SAME_SHAPE = Shape(
    name="same-shape", start_activities=2, milestone_updates=frozenset({2, 5, 6, 7, 8})
)
MINIMAL = Shape(name="minimal", start_activities=1)


@activity.defn(name="baseline_noop")
async def noop(payload: dict[str, object]) -> dict[str, object]:
    """Do nothing, as cheaply as an activity can."""
    return payload


async def _noop_activity() -> None:
    await workflow.execute_activity(noop, {}, start_to_close_timeout=timedelta(seconds=10))


@workflow.defn(name="BaselineWorkflow")
class BaselineWorkflow:
    """Nine updates and the no-op activities of its `Shape`: a lifecycle's shape."""

    def __init__(self) -> None:
        self._done = 0
        self._started = False
        self._milestones: frozenset[int] = frozenset()

    @workflow.run
    async def run(self, shape: Shape) -> int:
        """Run the start's activities, then wait for every update."""
        self._milestones = shape.milestone_updates
        for _ in range(shape.start_activities):
            await _noop_activity()
        self._started = True
        await workflow.wait_condition(lambda: self._done >= UPDATES)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._done

    @workflow.update(name="step")
    async def step(self, payload: dict[str, object]) -> int:
        """One step: one activity, two for a milestone of the shape."""
        await workflow.wait_condition(lambda: self._started)
        index = self._done
        self._done += 1
        await _noop_activity()
        if index in self._milestones:
            await _noop_activity()
        return index

    @step.validator
    def _check_step(self, payload: dict[str, object]) -> None:
        if not isinstance(payload, dict):
            raise ValueError("a step takes an object")
