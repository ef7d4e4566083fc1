"""Inputs and results of the delivery activities and workflow: one Pydantic model each.

A delivery takes one report-back milestone to one subscriber. Its id is the idempotency key:
the milestone's stream, version and kind, and the subscription's id. The same key names the
`MilestoneDeliveryWorkflow` that runs it, its row in `deliveries`, and the `webhook-id` header
the subscriber receives on every attempt, so a repeat is recognisable as one.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Final

from pydantic import BaseModel, ConfigDict

from domain.state import MilestoneKind

DELIVERY_ID_PREFIX: Final = "delivery"


def delivery_id(
    stream_id: str, version: int, kind: MilestoneKind | str, subscription_id: str
) -> str:
    """The idempotency key of `kind`, reached at `version` of `stream_id`, for one subscription.

    E.g. `delivery:partnership-CV/1:12:launch:3f2a9c`: readable, and the same on every attempt
    and every run of the delivery.
    """
    milestone = f"{stream_id}:{version}:{MilestoneKind(kind).value}"
    return f"{DELIVERY_ID_PREFIX}:{milestone}:{subscription_id}"


class DeliveryState(StrEnum):
    """Where a delivery stands."""

    PENDING = "pending"
    """Started, not yet delivered: attempts are being made (or about to be)."""
    DELIVERED = "delivered"
    """The subscriber accepted it (a 2xx answer, or the SMTP server took the message)."""
    FAILED = "failed"
    """Every attempt of the retry period failed, or one failed for good (an SMTP 5xx)."""
    STOPPED = "stopped"
    """The subscription ended: the receiver answered 410 Gone, or it was removed."""


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True)


class RetrySchedule(_Message):
    """How a delivery's attempts are spaced and bounded; fixed in the workflow's input."""

    first_interval: timedelta
    """The wait before the first retry; each later wait doubles, up to `maximum_interval`."""
    maximum_interval: timedelta
    attempt_timeout: timedelta
    """How long one attempt may take before it is abandoned (and retried)."""
    period: timedelta
    """How long attempts go on, from the first; then the delivery is marked failed."""


class DeliveryInput(_Message):
    """Deliver the milestone `kind` at `version` of `stream_id` to one subscription."""

    delivery_id: str
    stream_id: str
    version: int
    kind: MilestoneKind
    subscription_id: str
    schedule: RetrySchedule


class DeliveryResult(_Message):
    """How a delivery ended (a failed one fails its workflow instead)."""

    delivery_id: str
    state: DeliveryState
    attempts: int
    detail: str = ""


class FailDeliveryInput(_Message):
    """Mark a delivery failed, with why."""

    delivery_id: str
    reason: str
