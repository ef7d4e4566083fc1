"""The accession activity: a Member State joins a launched partnership's signatories.

The partnership's workflow ends at the launch, so an accession is recorded by its own short
workflow (workflows/accession.py) through this one activity. It reads the country's latest
stream, folds it, lets the domain decide (`decide_accession`) and appends the event at the
version it read. It is idempotent: the event id comes from the workflow, so a retry after a
commit finds the event on the stream and answers as the first attempt did; a concurrent append
moves the stream on, and the activity reads it again and decides anew.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict
from temporalio import activity

from activities.codec import to_domain_all, to_new_event
from activities.failures import classified_failures, final_failure
from activities.records import AppendResult, NewEvent, StoredEvent
from activities.store_errors import ConcurrencyError
from domain.commands import AccedeToPartnership
from domain.decide import decide_accession
from domain.errors import DomainError
from domain.events import MemberStateAcceded
from domain.evolve import replay
from domain.identifiers import latest_stream, stream_prefix
from domain.provenance import START, UNATTESTED, Attestation, Provenance, Unattested, verified
from domain.requests import AccedeRequest

log = logging.getLogger("pilot-partnerships.activities")

# A launched stream takes only accessions, so a collision is rare; a few fresh reads settle it.
_COLLISIONS_TRIED = 5


class AccessionInput(BaseModel):
    """What the accession workflow hands its activity."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    country: str
    request: AccedeRequest
    event_id: uuid.UUID
    now: AwareDatetime
    workflow_id: str
    run_id: str
    # The API's attestation of the workflow's start, as the worker's interceptor found it, and
    # the start input it vouches for (checked here, where Temporal never replays).
    attestation: Attestation | None = None
    start: dict[str, Any] | None = None


class AccessionOutput(BaseModel):
    """The accession as recorded: where, at which version, and the parties it leaves."""

    model_config = ConfigDict(frozen=True)

    stream_id: str
    version: int
    member_state: str
    acceded_on: date
    recorded_at: datetime
    signatories: tuple[str, ...]
    already_recorded: bool = False


class AccessionLog(Protocol):
    """What the accession activity needs of the event store."""

    def append(
        self, stream_id: str, expected_version: int, events: list[NewEvent]
    ) -> AppendResult: ...

    def read_stream(self, stream_id: str, from_version: int = 1) -> list[StoredEvent]: ...

    def streams(self, prefix: str | None = None) -> list[str]: ...


class AccessionActivities:
    """The accession activity, bound to the event store."""

    def __init__(
        self,
        log: AccessionLog,
        *,
        attestation_keys: Mapping[str, bytes] | None = None,
        require_attestation: bool = False,
    ) -> None:
        self._log = log
        self._keys = dict(attestation_keys or {})
        self._required = require_attestation

    def registered(self) -> list[Callable[..., Any]]:
        """The bound activities a worker registers."""
        return [self.record_accession]

    @activity.defn(name="record_accession")
    def record_accession(self, request: AccessionInput) -> AccessionOutput:
        """Decide and append the accession at the version read; refusals are final."""
        what = f"the accession of {request.request.member_state} to {request.country}"
        with classified_failures(what):
            for _ in range(_COLLISIONS_TRIED):
                try:
                    return self._record(request)
                except ConcurrencyError:
                    continue  # the stream moved on: read it again and decide anew
            return self._record(request)
        raise AssertionError("unreachable")  # pragma: no cover

    def _provenance(self, request: AccessionInput) -> Provenance:
        """Who the start's attestation vouches for; refused as Unattested when it must hold."""
        try:
            if request.attestation is None:
                raise Unattested("the start carries no attestation")
            return verified(
                self._keys,
                request.attestation,
                workflow_id=request.workflow_id,
                name=START,
                update_id=None,
                request=request.start,
            )
        except Unattested as why:
            if self._required:
                raise final_failure(
                    f"this accession is not attested by the API: {why}; send it through the "
                    "HTTP API (PARTNERSHIPS_API) with a token. Nothing was recorded",
                    "Unattested",
                ) from None
            return UNATTESTED

    def _record(self, request: AccessionInput) -> AccessionOutput:
        provenance = self._provenance(request)
        stream = latest_stream(self._log.streams(stream_prefix(request.country)))
        if stream is None:
            raise final_failure(
                f"no partnership with {request.country} has been proposed, so no Member State "
                "can accede to it",
                "NotFound",
            )
        stored = self._log.read_stream(stream)
        events = to_domain_all(stored)
        state = replay(events)
        for position, row in enumerate(stored, start=1):
            if row.event_id == request.event_id:  # a retry after the commit
                recorded = events[position - 1]
                assert isinstance(recorded, MemberStateAcceded)
                return _output(stream, position, recorded, state.signatories, already=True)
        command = request.request.command()
        assert isinstance(command, AccedeToPartnership)
        try:
            decided = decide_accession(state, command, request.request.actor, request.now)
        except DomainError as error:
            raise final_failure(error.message, type(error).__name__) from None
        metadata = {
            "workflow_id": request.workflow_id,
            "run_id": request.run_id,
            "correlation_id": f"{request.workflow_id}/{request.run_id}",
            **provenance.metadata(),
        }
        [event] = decided
        assert isinstance(event, MemberStateAcceded)
        rows = [to_new_event(request.event_id, event, metadata)]
        self._log.append(stream, state.version, rows)
        log.info("recorded the accession of %s on %s", event.member_state, stream)
        after = replay(decided, state)
        return _output(stream, after.version, event, after.signatories, already=False)


def _output(
    stream: str,
    version: int,
    event: MemberStateAcceded,
    signatories: tuple[str, ...],
    *,
    already: bool,
) -> AccessionOutput:
    return AccessionOutput(
        stream_id=stream,
        version=version,
        member_state=event.member_state,
        acceded_on=event.occurred_on,
        recorded_at=event.recorded_at,
        signatories=signatories,
        already_recorded=already,
    )
