"""The partnership activities: every side effect the workflow needs, each idempotent.

Dependencies are injected, so the worker wires the real store and tests may wire another; the
worker registers the bound methods. Every failure is classified in activities/failures.py:
an outage is waited out, a permanent error is final at once, anything else gives up after a few
attempts, so no step retries for ever in silence while the workflow holds its lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Protocol

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.checkpoints import Checkpointer
from activities.codec import to_domain_all, to_new_event
from activities.failures import classified_failures
from activities.messages import (
    AppendInput,
    AppendOutput,
    MilestoneInput,
    MilestoneOutput,
    OpenStreamInput,
    OpenStreamResult,
)
from activities.metrics import count_attestation_refusal, observed_append
from activities.outbox import OutboxMilestone
from activities.records import AppendResult, NewEvent, StoredEvent
from domain.deadlines import DEFAULT_CONSULTATION_PERIOD
from domain.identifiers import next_stream, stream_prefix
from domain.provenance import START, UNATTESTED, Provenance, Unattested, verified
from domain.report import render_report
from domain.state import MilestoneKind

# Each line carries the workflow, run and stream of its activity (app/activity_context.py).
log = logging.getLogger("pilot-partnerships.activities")


class EventLog(Protocol):
    """What the activities need of the event store."""

    def append(
        self, stream_id: str, expected_version: int, events: list[NewEvent]
    ) -> AppendResult: ...

    def read_stream(self, stream_id: str, from_version: int = 1) -> list[StoredEvent]: ...

    def streams(self, prefix: str | None = None) -> list[str]: ...


class MilestoneOutbox(Protocol):
    """Where report-back milestones wait for their subscribers."""

    def emit(
        self, stream_id: str, version: int, kind: MilestoneKind, render: Callable[[], str]
    ) -> OutboxMilestone: ...


class PartnershipActivities:
    """The activities of `PilotPartnershipWorkflow`, bound to a store and an outbox."""

    def __init__(
        self,
        log: EventLog,
        outbox: MilestoneOutbox,
        *,
        consultation_period_days: int = DEFAULT_CONSULTATION_PERIOD.days,
        attestation_keys: Mapping[str, bytes] | None = None,
        require_attestation: bool = False,
        checkpoints: Checkpointer | None = None,
    ) -> None:
        self._log = log
        self._outbox = outbox
        self._consultation_period_days = consultation_period_days
        self._attestation_keys = dict(attestation_keys or {})
        self._require_attestation = require_attestation
        self._checkpoints = checkpoints  # signs the log every CHECKPOINT_EVERY appends

    @activity.defn(name="open_stream")
    def open_stream(self, request: OpenStreamInput) -> OpenStreamResult:
        """Name the stream of a new incarnation: a country proposed again gets a new one.

        Retrying is safe: nothing is written until the first append, so the answer holds.
        """
        with classified_failures(f"opening the record of {request.country!r}"):
            prefix = stream_prefix(request.country)
            stream = next_stream(request.country, self._log.streams(prefix))
        provenance, unattested = self._start_provenance(request)
        if unattested is not None:  # the workflow refuses the start as Unattested
            count_attestation_refusal("start")
        return OpenStreamResult(
            stream_id=stream,
            consultation_period_days=self._consultation_period_days,
            provenance=provenance,
            unattested=unattested,
        )

    def _start_provenance(self, request: OpenStreamInput) -> tuple[Provenance, str | None]:
        """Who the start's attestation vouches for, and why it is refused when it must hold."""
        if request.attestation is None:
            why = "the start carries no attestation"
        else:
            try:
                provenance = verified(
                    self._attestation_keys,
                    request.attestation,
                    workflow_id=request.workflow_id or "",
                    name=START,
                    update_id=None,
                    request=request.start,
                )
            except Unattested as error:
                why = str(error)
            else:
                return provenance, None
        return UNATTESTED, (why if self._require_attestation else None)

    @activity.defn(name="append_events")
    def append_events(self, request: AppendInput) -> AppendOutput:
        """Append decided events, then emit the milestones they reach with their reports.

        A retry after a commit returns the first result and emits the milestones again, which
        changes nothing that is there.
        """
        metadata = {
            "workflow_id": request.workflow_id,
            "run_id": request.run_id,
            "correlation_id": f"{request.workflow_id}/{request.run_id}",
            # How the actor was established; hash-chained with the event like all metadata.
            **(request.provenance or UNATTESTED).metadata(),
        }
        what = f"the append to {request.stream_id} after version {request.expected_version}"
        with classified_failures(what):
            rows = [to_new_event(r.event_id, r.event, metadata) for r in request.events]
            with observed_append() as recorded:  # partnerships_appends and their latency
                result = self._log.append(request.stream_id, request.expected_version, rows)
                recorded(result.duplicate)
        log.info(
            "%s %d event(s) on %s, now at version %d",
            "already recorded" if result.duplicate else "recorded",
            len(rows),
            result.stream_id,
            result.version,
        )
        if self._checkpoints is not None and not result.duplicate:
            self._checkpoints.appended()  # after the commit; never fails the append
        reports, unreported = self._emit_all(request.milestones)
        return AppendOutput(
            stream_id=result.stream_id,
            version=result.version,
            positions=list(result.positions),
            duplicate=result.duplicate,
            head_hash=result.events[-1].hash,
            milestones=reports,
            unreported=unreported,
        )

    def _emit_all(self, requests: list[MilestoneInput]) -> tuple[list[MilestoneOutput], list[str]]:
        """Emit the milestones an append reached, after its commit: their reports, and why any
        could not be shown.

        A final failure must not fail the append, which is recorded: it is returned for the
        workflow to log. A failure still being retried (the database away) is raised, so
        Temporal retries the activity: the append answers as already recorded, and the
        milestones are emitted again, which changes nothing that is there.
        """
        reports: list[MilestoneOutput] = []
        unreported: list[str] = []
        for request in requests:
            try:
                reports.append(self.emit_milestone(request))
            except ApplicationError as failure:
                if not failure.non_retryable:
                    raise
                log.error("%s", failure.message)
                unreported.append(failure.message)
        return reports, unreported

    @activity.defn(name="emit_milestone")
    def emit_milestone(self, request: MilestoneInput) -> MilestoneOutput:
        """Emit the milestone's report (rendered by the domain from the stream's events).

        The read models put it in the outbox in the append's own transaction; this reads it
        back, and renders and writes it only for a store kept without them.
        """

        def render() -> str:
            stored = self._log.read_stream(request.stream_id)
            upto = [s for s in stored if s.stream_version <= request.version]
            return render_report(to_domain_all(upto), request.kind)

        what = f"the {request.kind.value} milestone of {request.stream_id} v{request.version}"
        with classified_failures(what):
            emitted = self._outbox.emit(request.stream_id, request.version, request.kind, render)
        return MilestoneOutput(
            stream_id=request.stream_id,
            version=request.version,
            kind=request.kind,
            report=emitted.report,
        )

    @activity.defn(name="deliver_milestone")
    def deliver_milestone(self, request: MilestoneInput) -> MilestoneOutput:
        """The name the milestone activity had until commit 7609fef; runs started before then may
        still have one scheduled under that name. Does exactly what `emit_milestone` does."""
        return self.emit_milestone(request)
