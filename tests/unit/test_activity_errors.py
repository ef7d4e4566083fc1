"""Which store errors the append activity gives up on, and which it lets Temporal retry."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from activities.contract import AppendInput, RecordedEvent
from activities.partnership import PartnershipActivities
from activities.store_errors import ConcurrencyError, DatabaseUnreachable, StoreError
from domain import Actor, Partnership, ProposePartnership, decide


class FailingLog:
    """A fake event log (unit tests only) whose append raises the error it was given."""

    def __init__(self, error: StoreError) -> None:
        self.error = error

    def append(self, *_: Any) -> Any:
        raise self.error

    def read_stream(self, *_: Any) -> list[Any]:
        return []

    def streams(self, *_: Any) -> list[str]:
        return []


def an_append() -> AppendInput:
    actor = Actor(id="alice", role="commission")
    proposal = ProposePartnership(country="CV", rationale="r", terms_of_reference="t")
    events = decide(Partnership(), proposal, actor, datetime(2026, 1, 5, tzinfo=UTC))
    return AppendInput(
        stream_id="partnership-CV/1",
        expected_version=0,
        events=[RecordedEvent(event_id=uuid.uuid4(), event=e) for e in events],
        workflow_id="partnership-CV",
        run_id="run",
    )


def test_a_stale_writer_is_final_and_named() -> None:
    activities = PartnershipActivities(FailingLog(ConcurrencyError("s", 0, 1)), outbox=None)  # type: ignore[arg-type]
    with pytest.raises(ApplicationError) as failed:
        activities.append_events(an_append())
    assert failed.value.non_retryable
    assert failed.value.type == "ConcurrencyError"


def test_an_unreachable_database_is_left_to_temporal_to_retry() -> None:
    error = DatabaseUnreachable("sqlite:///x.db", "disk gone")
    activities = PartnershipActivities(FailingLog(error), outbox=None)  # type: ignore[arg-type]
    with pytest.raises(DatabaseUnreachable):
        activities.append_events(an_append())
