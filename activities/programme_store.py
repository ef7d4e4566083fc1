"""The programme of pilot partnerships in the event store: the stream `programme`.

Every change (the cap, the terms of reference, a slot taken or freed, a Council decision that
names several partnerships) is an event of that one stream, in the same `events` table and hash
chain as the partnerships, so `partnerships verify` checks it. A change folds the stream, asks
the domain (domain/programme.py) and appends at the version it folded. The append is optimistic
on that version, so two proposals racing for the last slot cannot both win, whichever process
each runs in: the one that appends second finds the stream moved on (ConcurrencyError), folds
again, and the domain refuses it (CapReached) when the slot is gone, or takes another slot when
one is still free. A slot taken or freed twice records once: the domain returns nothing to
record for a stream that holds its slot already or holds none.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final, TypeVar

from sqlalchemy.engine import Engine

from activities.eventstore import EventStore
from activities.records import NewEvent, StoredEvent
from activities.store_errors import ConcurrencyError, UnknownSchemaVersion
from domain.actors import Actor
from domain.programme import (
    EMPTY_PROGRAMME,
    PROGRAMME_SCHEMA_VERSIONS,
    PROGRAMME_STREAM,
    JointDecision,
    Programme,
    ProgrammeEvent,
    ProgrammeEventBase,
    RecordJointDecision,
    SetCap,
    SetTermsOfReference,
    Slot,
    decide_free_slot,
    decide_joint_decision,
    decide_release_slot,
    decide_set_cap,
    decide_set_terms,
    decide_take_slot,
    evolve_programme,
    parse_programme_event,
    programme_event_payload,
)
from domain.stages import Stage

__all__ = ["ProgrammeStore", "to_programme_event"]

_MAX_ATTEMPTS: Final = 50
"""How often a change folds and decides again after another writer's append. Proposals are
rare; writers that collide back off for a random few milliseconds, so one that keeps losing
to busy neighbours still gets its turn, and then the rule decides (CapReached when full)."""

E = TypeVar("E", bound=ProgrammeEventBase)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def to_programme_event(stored: StoredEvent) -> ProgrammeEvent:
    """The programme event a stored row of the `programme` stream holds.

    Raises UnknownSchemaVersion for a row written by a newer release.
    """
    newest = PROGRAMME_SCHEMA_VERSIONS.get(stored.type)
    if newest is not None and stored.schema_version > newest:
        raise UnknownSchemaVersion(
            stored.type,
            stored.schema_version,
            newest,
            where=f"{stored.stream_id} version {stored.stream_version}",
        )
    return parse_programme_event(
        {**stored.payload, "type": stored.type, "schema_version": stored.schema_version}
    )


@dataclass(frozen=True)
class _ProgrammeFold:
    """The programme folded up to the stream's `version`, whose event has `last_hash`."""

    programme: Programme
    version: int
    last_hash: str


_EMPTY_FOLD: Final = _ProgrammeFold(EMPTY_PROGRAMME, 0, "")


def _fold_onto(fold: _ProgrammeFold, stored: Sequence[StoredEvent]) -> _ProgrammeFold:
    """`fold` with `stored`, the stream's events after it in order, folded on."""
    if not stored:
        return fold
    programme = fold.programme
    for event in stored:
        programme = evolve_programme(programme, to_programme_event(event))
    return _ProgrammeFold(programme, stored[-1].stream_version, stored[-1].hash)


def _new_event(
    event: ProgrammeEventBase, actor: Mapping[str, Any], provenance: Mapping[str, Any]
) -> NewEvent:
    payload = programme_event_payload(event)
    return NewEvent(
        event_id=uuid.uuid4(),
        type=payload["type"],
        schema_version=event.schema_version,
        payload=payload,
        # The actor keeps the shape of a partnership event's, so `partnerships events
        # programme` shows who changed the programme the way it shows who took a step.
        metadata={"actor": dict(actor), **provenance},
        occurred_on=event.occurred_on,
        recorded_at=event.recorded_at,
    )


class ProgrammeStore:
    """Reads and changes the programme; the `programme` stream is its record.

    `clock` gives the recording time of each change (UTC), a parameter so tests can fix it.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        log: EventStore | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.engine = engine
        self._log = log if log is not None else EventStore(engine)
        self._clock = clock
        self._fold: _ProgrammeFold | None = None
        self._fold_lock = threading.Lock()
        self._change_lock = threading.Lock()

    def programme(self) -> tuple[Programme, int]:
        """The programme folded from its stream, and the stream's version it was folded at.

        Only the events after the last fold are read and folded onto it: every proposal takes
        a slot and every ending frees one, so a whole fold each time would grow with every
        partnership ever proposed. The last folded event is read again and must be the one
        folded (same hash); otherwise (a store restored from a backup, say) the whole stream
        is folded afresh.
        """
        with self._fold_lock:
            fold = self._fold
        if fold is not None and fold.version > 0:
            stored = self._log.read_stream(PROGRAMME_STREAM, fold.version)
            if stored and stored[0].hash == fold.last_hash:
                return self._keep(_fold_onto(fold, stored[1:]))
        return self._keep(_fold_onto(_EMPTY_FOLD, self._log.read_stream(PROGRAMME_STREAM)))

    def _keep(self, fold: _ProgrammeFold) -> tuple[Programme, int]:
        """Remember `fold` for the next read to go on from. Whichever thread's fold is kept
        last, it is right to go on from: the next read checks its last event by hash first.
        (Keeping only later versions would keep, after a restore to an older record, a fold
        of a version the stream no longer reaches, and fold the whole stream on every read.)"""
        with self._fold_lock:
            self._fold = fold
        return fold.programme, fold.version

    def set_cap(
        self, command: SetCap, *, role: str, provenance: Mapping[str, Any] | None = None
    ) -> Programme:
        """Record a new cap; return the programme after it. NotPermitted unless administrator."""
        self._record(
            lambda p: decide_set_cap(p, command, role=role, now=self._clock()),
            actor={"id": command.set_by, "role": role},
            provenance=provenance,
        )
        return self.programme()[0]

    def set_terms(
        self,
        command: SetTermsOfReference,
        *,
        role: str,
        provenance: Mapping[str, Any] | None = None,
    ) -> Programme:
        """Record the terms of reference (nothing when unchanged); return the programme."""
        self._record(
            lambda p: decide_set_terms(p, command, role=role, now=self._clock()),
            actor={"id": command.set_by, "role": role},
            provenance=provenance,
        )
        return self.programme()[0]

    def take_slot(
        self,
        country: str,
        stream_id: str,
        *,
        taken_on: date,
        actor: Actor,
        provenance: Mapping[str, Any] | None = None,
    ) -> Slot:
        """Take a slot for the partnership recorded to `stream_id` and return it.

        Raises CapReached (naming the cap and the holders) when every slot is held; a stream
        that holds its slot already gets it back and nothing is recorded.
        """
        self._record(
            lambda p: decide_take_slot(p, country, stream_id, taken_on=taken_on, now=self._clock()),
            actor=actor.model_dump(mode="json", exclude_none=True),
            provenance=provenance,
        )
        held = self.programme()[0].holder(stream_id)
        assert held is not None  # taken just now, or before
        return held

    def free_slot(
        self,
        stream_id: str,
        end_stage: Stage,
        *,
        occurred_on: date | None = None,
        actor: Actor,
        provenance: Mapping[str, Any] | None = None,
    ) -> bool:
        """Free the slot of a partnership that ended at `end_stage`; whether one was freed.

        Nothing is recorded when the stream holds no slot (freed already, or never taken) or
        when it ended at a stage that keeps its slot (none does; domain/programme.py). The slot
        is freed on `occurred_on`, by default the business date of the partnership's latest
        event: its end.
        """
        if occurred_on is None:
            recorded = self._log.read_stream(stream_id)
            occurred_on = recorded[-1].occurred_on if recorded else self._clock().date()
        day = occurred_on
        freed = self._record(
            lambda p: decide_free_slot(p, stream_id, end_stage, occurred_on=day, now=self._clock()),
            actor=actor.model_dump(mode="json", exclude_none=True),
            provenance=provenance,
        )
        return freed is not None

    def release_slot(
        self,
        stream_id: str,
        *,
        reason: str,
        occurred_on: date,
        actor: Actor,
        provenance: Mapping[str, Any] | None = None,
    ) -> bool:
        """Give back the slot of a proposal that was never recorded; whether one was.

        Nothing is released when the partnership's stream holds any event: a recorded
        proposal keeps its slot until the partnership ends (free_slot).
        """
        if self._log.stream_version(stream_id) > 0:
            return False
        released = self._record(
            lambda p: decide_release_slot(
                p, stream_id, reason=reason, occurred_on=occurred_on, now=self._clock()
            ),
            actor=actor.model_dump(mode="json", exclude_none=True),
            provenance=provenance,
        )
        return released is not None

    def record_joint_decision(
        self,
        command: RecordJointDecision,
        actor: Actor,
        *,
        provenance: Mapping[str, Any] | None = None,
    ) -> JointDecision:
        """Record a Council decision once (again: nothing recorded) and return it.

        Raises DecisionConflict when its reference is recorded with other content.
        """
        self._record(
            lambda p: decide_joint_decision(p, command, actor, now=self._clock()),
            actor=actor.model_dump(mode="json", exclude_none=True),
            provenance=provenance,
        )
        return self.programme()[0].decisions[command.reference]

    def _record(
        self,
        decide: Callable[[Programme], E | None],
        *,
        actor: Mapping[str, Any],
        provenance: Mapping[str, Any] | None,
    ) -> E | None:
        """Fold, decide and append at the folded version; again if another writer was first.

        A decision of None records nothing. A refusal by the domain propagates as it is.

        The threads of this process take turns (`_change_lock`): racing, they would all fold
        the same version, and all but one would have their append refused, fold again and
        retry; under a burst of proposals (the worker runs 16 activity threads) those retries
        were most of what a slot cost. Writers in other processes are still kept apart by the
        append's version check, and retry as before.
        """
        with self._change_lock:
            for attempt in range(_MAX_ATTEMPTS):
                programme, version = self.programme()
                event = decide(programme)
                if event is None:
                    return None
                try:
                    self._log.append(
                        PROGRAMME_STREAM, version, [_new_event(event, actor, provenance or {})]
                    )
                except ConcurrencyError:
                    if attempt == _MAX_ATTEMPTS - 1:
                        raise
                    time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
                    continue
                return event
        raise AssertionError("unreachable: the last attempt returns or raises")
