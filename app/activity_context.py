"""The worker's activity interceptor that names each activity's work in its log lines.

Every line an activity logs (the store, the outbox, the delivery senders, the failure
classifier) carries the workflow id, the run id, the activity's name and, when its input names
one, the stream. The SDK copies the context into the activity's thread, so the fields set here
reach the synchronous activities too (app/log_context.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import temporalio.worker
from temporalio import activity

from app.log_context import bound


def _stream_of(args: Sequence[Any]) -> str | None:
    first = args[0] if args else None
    stream = getattr(first, "stream_id", None)
    return stream if isinstance(stream, str) else None


class ActivityLogContext(temporalio.worker.Interceptor):
    """Binds workflow_id, run_id, activity and stream for the activity being executed."""

    def intercept_activity(
        self, next: temporalio.worker.ActivityInboundInterceptor
    ) -> temporalio.worker.ActivityInboundInterceptor:
        """Wrap each activity's execution in its log context."""
        return _Inbound(next)


class _Inbound(temporalio.worker.ActivityInboundInterceptor):
    async def execute_activity(self, input: temporalio.worker.ExecuteActivityInput) -> Any:
        info = activity.info()
        with bound(
            workflow_id=info.workflow_id,
            run_id=info.workflow_run_id,
            activity=info.activity_type,
            stream=_stream_of(input.args),
        ):
            return await super().execute_activity(input)
