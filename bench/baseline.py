"""The baseline of the lifecycle benchmark: Temporal's own cost for the same shape of work.

A workflow with as many updates and activities as one partnership lifecycle, where the
activities do nothing and the updates decide nothing.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow

UPDATES = 9  # two answers, close, authorise, a round, conclude, report, decide, launch
START_ACTIVITIES = 2  # open the stream, record the proposal
MILESTONE_UPDATES = frozenset({2, 5, 6, 7, 8})  # updates that also deliver a milestone


@activity.defn(name="baseline_noop")
async def noop(payload: dict[str, object]) -> dict[str, object]:
    """Do nothing, as cheaply as an activity can."""
    return payload


@workflow.defn(name="BaselineWorkflow")
class BaselineWorkflow:
    """Nine updates, sixteen no-op activities, one lock: the shape of a lifecycle."""

    def __init__(self) -> None:
        self._done = 0
        self._started = False

    @workflow.run
    async def run(self, payload: dict[str, object]) -> int:
        """Run the start's activities, then wait for every update."""
        for _ in range(START_ACTIVITIES):
            await workflow.execute_activity(
                noop, payload, start_to_close_timeout=timedelta(seconds=10)
            )
        self._started = True
        await workflow.wait_condition(lambda: self._done >= UPDATES)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._done

    @workflow.update(name="step")
    async def step(self, payload: dict[str, object]) -> int:
        """One step: one activity, two for a milestone."""
        await workflow.wait_condition(lambda: self._started)
        index = self._done
        self._done += 1
        calls = 2 if index in MILESTONE_UPDATES else 1
        for _ in range(calls):
            await workflow.execute_activity(
                noop, payload, start_to_close_timeout=timedelta(seconds=10)
            )
        return index

    @step.validator
    def _check_step(self, payload: dict[str, object]) -> None:
        if not isinstance(payload, dict):
            raise ValueError("a step takes an object")
