"""`MilestoneDeliveryWorkflow`: one milestone taken to one subscriber, at least once.

Its workflow id is the delivery's idempotency key (activities/delivery_messages.py), so a
second start of the same delivery is refused by Temporal and changes nothing. It writes the
delivery's row, then runs `deliver` under a retry policy that doubles the wait between
attempts (from the schedule's first interval up to its maximum), bounds each attempt, and gives
up when the schedule's period has passed since the first. Every attempt, its error and the
next retry's time show on the pending activity in the Temporal UI. A delivery that gives up is
marked failed and the run fails, so it shows as Failed in the UI and can be run again under the
same id (`partnerships deliveries retry`).

The workflow owns no rule: what an answer means is the activities' call.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, TimeoutError

with workflow.unsafe.imports_passed_through():
    from activities.delivery_messages import (
        DeliveryInput,
        DeliveryResult,
        DeliveryState,
        FailDeliveryInput,
    )

DELIVERY_WORKFLOW_TYPE: Final = "MilestoneDeliveryWorkflow"
DELIVERY_FAILED: Final = "DeliveryFailed"
"""The failure type of a delivery run that gave up."""

# The delivery's own row is the store's: an outage is waited out.
_STORE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)
)
_STORE_TIMEOUT = timedelta(seconds=15)


def _reason(error: ActivityError, period: timedelta) -> str:
    """Why the delivery gave up, in words for the operator."""
    cause = error.cause
    # Temporal stops retrying when the period has passed, or when the next attempt would
    # start after it: then the cause is the last attempt's (retryable) failure.
    if isinstance(cause, TimeoutError) or (
        isinstance(cause, ApplicationError) and not cause.non_retryable
    ):
        return f"no attempt succeeded within its retry period ({period})"
    if isinstance(cause, ApplicationError):
        return f"an attempt failed for good ({cause.type})"
    return str(cause or error)


@workflow.defn(name=DELIVERY_WORKFLOW_TYPE)
class MilestoneDeliveryWorkflow:
    """One milestone to one subscriber: attempts with backoff until delivered, stopped or failed."""

    @workflow.run
    async def run(self, request: DeliveryInput) -> DeliveryResult:
        """Deliver, or mark the delivery failed and fail the run."""
        schedule = request.schedule
        begun: DeliveryResult = await workflow.execute_activity(
            "begin_delivery",
            request,
            result_type=DeliveryResult,
            start_to_close_timeout=_STORE_TIMEOUT,
            retry_policy=_STORE_RETRY,
            summary="write the delivery's row",
        )
        if begun.state is not DeliveryState.PENDING:
            return begun
        workflow.set_current_details(
            f"Delivering **{request.kind.value}** of `{request.stream_id}` (version "
            f"{request.version}) to subscription `{request.subscription_id}`: attempts every "
            f"{schedule.first_interval} doubling up to {schedule.maximum_interval}, for "
            f"{schedule.period}. The pending activity shows the last attempt's error."
        )
        try:
            delivered: DeliveryResult = await workflow.execute_activity(
                "deliver",
                request,
                result_type=DeliveryResult,
                start_to_close_timeout=schedule.attempt_timeout,
                schedule_to_close_timeout=schedule.period,
                retry_policy=RetryPolicy(
                    initial_interval=schedule.first_interval,
                    backoff_coefficient=2.0,
                    maximum_interval=schedule.maximum_interval,
                ),
                summary=f"deliver {request.kind.value} to {request.subscription_id}",
            )
            return delivered
        except ActivityError as error:
            reason = _reason(error, schedule.period)
        failed: DeliveryResult = await workflow.execute_activity(
            "fail_delivery",
            FailDeliveryInput(delivery_id=request.delivery_id, reason=reason),
            result_type=DeliveryResult,
            start_to_close_timeout=_STORE_TIMEOUT,
            retry_policy=_STORE_RETRY,
            summary="mark the delivery failed",
        )
        workflow.set_current_details(f"**Failed** after {failed.attempts} attempts: {reason}")
        raise ApplicationError(
            f"the delivery {request.delivery_id} failed after {failed.attempts} attempts: "
            f"{reason}; the last error: {failed.detail.rstrip('.')}. Re-send it with "
            f"`partnerships deliveries retry {request.delivery_id}`",
            type=DELIVERY_FAILED,
            non_retryable=True,
        )
