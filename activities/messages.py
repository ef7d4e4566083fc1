"""Inputs and results of the partnership activities: one Pydantic model each, JSON on the wire."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict

from domain.events import Event
from domain.state import MilestoneKind


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True)


class OpenStreamInput(_Message):
    """Open the event stream of a new incarnation of a country's partnership."""

    country: str


class OpenStreamResult(_Message):
    """The stream to write to and the settings the workflow needs, fixed in its history."""

    stream_id: str
    consultation_period_days: int


class RecordedEvent(_Message):
    """A decided event with the id that makes its append idempotent."""

    event_id: uuid.UUID
    event: Event


class AppendInput(_Message):
    """Append decided events at the version the workflow last saw."""

    stream_id: str
    expected_version: int
    events: list[RecordedEvent]
    workflow_id: str
    run_id: str


class AppendOutput(_Message):
    """Where the events landed."""

    stream_id: str
    version: int
    positions: list[int]
    duplicate: bool


class MilestoneInput(_Message):
    """Deliver the milestone reached by the event at `version` of `stream_id`."""

    stream_id: str
    version: int
    kind: MilestoneKind


class MilestoneOutput(_Message):
    """The delivered milestone and its rendered report (shown in the Temporal UI)."""

    stream_id: str
    version: int
    kind: MilestoneKind
    report: str
