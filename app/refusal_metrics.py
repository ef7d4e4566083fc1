"""A worker interceptor that counts the steps refused as Unattested.

The attestation check (workflows/attestation.py) refuses in the update's validator. This
interceptor sits outside it and counts each refusal on its way back to the caller, in
`partnerships_attestation_refusals{kind="step"}`. Validators never run on replay, and the
count changes nothing the workflow decides, so the workflow stays deterministic; the counter
itself lives outside the sandbox (activities/metrics.py is passed through). Starts refused as
Unattested are counted by the `open_stream` activity, which finds them.
"""

from __future__ import annotations

import temporalio.worker
from temporalio.exceptions import ApplicationError

from activities.metrics import count_attestation_refusal

UNATTESTED = "Unattested"


class RefusalMetrics(temporalio.worker.Interceptor):
    """Counts update validators that refuse a step as Unattested; put it before the check."""

    def workflow_interceptor_class(
        self, input: temporalio.worker.WorkflowInterceptorClassInput
    ) -> type[temporalio.worker.WorkflowInboundInterceptor]:
        """The inbound interceptor of each workflow run."""
        return _Inbound


class _Inbound(temporalio.worker.WorkflowInboundInterceptor):
    def handle_update_validator(self, input: temporalio.worker.HandleUpdateInput) -> None:
        try:
            super().handle_update_validator(input)
        except ApplicationError as error:
            if error.type == UNATTESTED:
                count_attestation_refusal("step")
            raise
