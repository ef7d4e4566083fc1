"""The milestone activity answers to its old name too: runs started before commit 7609fef may
still have a `deliver_milestone` scheduled, and it must do exactly what `emit_milestone` does."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.messages import MilestoneInput, MilestoneOutput
from activities.outbox import OutboxMilestone
from activities.partnership import PartnershipActivities
from activities.store_errors import UnrecordedEvent
from domain.state import MilestoneKind

MILESTONE = MilestoneInput(
    stream_id="partnership-CV/1", version=5, kind=MilestoneKind.CONSULTATION_OUTCOME
)


class RecordingOutbox:
    """A fake outbox (unit tests only): records each emit and answers with a fixed report, or
    raises the error it was given."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error
        self.calls: list[tuple[str, int, MilestoneKind]] = []

    def emit(
        self, stream_id: str, version: int, kind: MilestoneKind, render: Callable[[], str]
    ) -> OutboxMilestone:
        self.calls.append((stream_id, version, kind))
        if self.error is not None:
            raise self.error
        return OutboxMilestone(
            stream_id=stream_id,
            position=41,
            kind=kind.value,
            country="CV",
            business_date=datetime.date(2026, 4, 1),
            recorded_at=datetime.datetime(2026, 4, 1, 16, 0, tzinfo=datetime.UTC),
            report="# Outcome of the consultation\n",
            delivery_state="pending",
            delivered_at=None,
        )


class UnusedLog:
    """A fake event log (unit tests only): the outbox above never renders, so never read."""

    def append(self, *_: Any) -> Any:
        raise AssertionError("not called")

    def read_stream(self, *_: Any) -> list[Any]:
        raise AssertionError("not called")

    def streams(self, *_: Any) -> list[str]:
        raise AssertionError("not called")


def test_the_old_activity_name_is_registered_beside_the_new_one() -> None:
    activities = PartnershipActivities(UnusedLog(), RecordingOutbox())
    names = {
        method: activity._Definition.must_from_callable(getattr(activities, method)).name
        for method in ("deliver_milestone", "emit_milestone")
    }
    assert names == {"deliver_milestone": "deliver_milestone", "emit_milestone": "emit_milestone"}


def test_deliver_milestone_emits_the_milestone_and_returns_what_emit_milestone_returns() -> None:
    outbox = RecordingOutbox()
    activities = PartnershipActivities(UnusedLog(), outbox)

    delivered = ActivityEnvironment().run(activities.deliver_milestone, MILESTONE)
    emitted = ActivityEnvironment().run(activities.emit_milestone, MILESTONE)

    assert delivered == MilestoneOutput(
        stream_id="partnership-CV/1",
        version=5,
        kind=MilestoneKind.CONSULTATION_OUTCOME,
        report="# Outcome of the consultation\n",
    )
    assert emitted == delivered
    assert outbox.calls == [
        ("partnership-CV/1", 5, MilestoneKind.CONSULTATION_OUTCOME),
        ("partnership-CV/1", 5, MilestoneKind.CONSULTATION_OUTCOME),
    ]


def test_deliver_milestone_fails_as_emit_milestone_does() -> None:
    activities = PartnershipActivities(
        UnusedLog(), RecordingOutbox(UnrecordedEvent("partnership-CV/1", 5))
    )
    with pytest.raises(ApplicationError) as failed:
        ActivityEnvironment().run(activities.deliver_milestone, MILESTONE)
    assert failed.value.non_retryable
    assert failed.value.type == "UnrecordedEvent"
    assert failed.value.message.startswith(
        "the consultation_outcome milestone of partnership-CV/1 v5 failed: "
        "partnership-CV/1 has no event at version 5."
    )
