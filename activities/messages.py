"""Inputs and results of the partnership activities: one Pydantic model each, JSON on the wire."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.events import Event
from domain.provenance import Attestation, Provenance
from domain.state import MilestoneKind


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True)


class OpenStreamInput(_Message):
    """Open the event stream of a new incarnation of a country's partnership.

    With the start's attestation (and what it attests: the workflow id and the start input),
    the activity checks it: its outcome, recorded in the history, never depends on the keys a
    later replay would have.
    """

    country: str
    workflow_id: str | None = None
    start: dict[str, Any] | None = None
    attestation: Attestation | None = None


class OpenStreamResult(_Message):
    """The stream to write to and the settings the workflow needs, fixed in its history."""

    stream_id: str
    consultation_period_days: int
    provenance: Provenance | None = None
    unattested: str | None = None  # why the start is refused, when attestation is required


class RecordedEvent(_Message):
    """A decided event with the id that makes its append idempotent."""

    event_id: uuid.UUID
    event: Event


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


class AppendInput(_Message):
    """Append decided events at the version the workflow last saw.

    `milestones` are those the events reach: the append emits them once the events are
    recorded and returns their reports (none in inputs recorded before it was added).
    """

    stream_id: str
    expected_version: int
    events: list[RecordedEvent]
    workflow_id: str
    run_id: str
    provenance: Provenance | None = None
    milestones: list[MilestoneInput] = []


class AppendOutput(_Message):
    """Where the events landed."""

    stream_id: str
    version: int
    positions: list[int]
    duplicate: bool
    # The stream's head hash at `version`: Temporal's history keeps a second, independent copy
    # of the chain's heads (`partnerships verify --against-temporal`). None in results recorded
    # before it was added.
    head_hash: str | None = None
    # The reports of the milestones the input named, in its order; and why any other could not
    # be shown (it is in the outbox all the same when the read models wrote it with its event).
    milestones: list[MilestoneOutput] = []
    unreported: list[str] = []
