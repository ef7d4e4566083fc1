"""The read models' rows for one stream, folded from its events by the domain's own functions.

No business rule lives here: the stage, the deadlines, the latest answers, who is interested,
which events are milestones and what their reports say, and which steps are open to whom all
come from `domain`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from activities.codec import to_domain
from activities.records import StoredEvent
from domain import Event, Partnership, evolve
from domain.report import render_state
from domain.tasks import open_tasks

Row = dict[str, Any]


@dataclass(frozen=True)
class StreamRows:
    """Everything the read models hold about one stream."""

    stream_id: str
    status: Row | None
    participation: list[Row] = field(default_factory=list)
    milestones: list[Row] = field(default_factory=list)
    tasks: list[Row] = field(default_factory=list)


def fold_stream(
    stream_id: str, stored: Sequence[StoredEvent], *, milestones_after: int = 0
) -> StreamRows:
    """Fold a whole stream, in version order, into its read-model rows.

    Milestone rows (and their rendered reports) are made only for events at positions after
    `milestones_after`: an append that knows the earlier ones are stored skips rendering them.
    """
    return fold_onto(EMPTY_FOLD, stream_id, stored, milestones_after=milestones_after)[1]


@dataclass(frozen=True)
class Fold:
    """A stream folded up to its event `last`: the domain's state, and that event."""

    state: Partnership
    last: StoredEvent | None


EMPTY_FOLD = Fold(Partnership(), None)
"""The fold of a stream with no events."""


class Recorded(Protocol):
    """What the read models take from a logged event beside its domain event: its place in
    the log and the store's own dates (a StoredEvent is one)."""

    @property
    def position(self) -> int: ...
    @property
    def stream_version(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def occurred_on(self) -> date: ...
    @property
    def recorded_at(self) -> datetime: ...


def fold_onto(
    fold: Fold, stream_id: str, stored: Sequence[StoredEvent], *, milestones_after: int = 0
) -> tuple[Fold, StreamRows]:
    """Fold `stored`, the events that follow `fold` in `stream_id`, onto it.

    Returns the new fold and the rows it shows, with milestone rows for the folded events at
    positions after `milestones_after`. Folding a stream in pieces gives the same rows as
    folding it whole: the state is the domain's, and each row depends only on the state and
    the event that reached it.
    """
    state, milestones = fold_events(
        fold.state,
        stream_id,
        [(record, to_domain(record)) for record in stored],
        milestones_after=milestones_after,
    )
    last = stored[-1] if stored else fold.last
    return Fold(state, last), stream_rows(stream_id, state, last, milestones)


def fold_events(
    state: Partnership,
    stream_id: str,
    logged: Iterable[tuple[Recorded, Event]],
    *,
    milestones_after: int = 0,
) -> tuple[Partnership, list[Row]]:
    """Fold `logged`, each event of `stream_id` beside its record, onto `state`.

    Returns the state reached and the milestone rows of the events at positions after
    `milestones_after`, each with its report rendered from the state it reached.
    """
    milestones: list[Row] = []
    for record, event in logged:
        reached = len(state.milestones)
        state = evolve(state, event)
        # The fold lists each milestone an event reaches (`milestone_kind`): read it there.
        kind = state.milestones[-1].kind if len(state.milestones) > reached else None
        if kind is not None and state.country is not None and record.position > milestones_after:
            milestones.append(
                {
                    "stream_id": stream_id,
                    "position": record.position,
                    "kind": kind.value,
                    "country": state.country,
                    "business_date": record.occurred_on,
                    "recorded_at": record.recorded_at,
                    # The report as of this milestone, rendered from the state it reached.
                    "report": render_state(state, kind),
                }
            )
    return state, milestones


def stream_rows(
    stream_id: str, state: Partnership, last: Recorded | None, milestones: list[Row]
) -> StreamRows:
    """The rows of `stream_id` folded to `state` by its event `last` (None: no event), beside
    its `milestones` rows."""
    if last is None or state.country is None or state.stage is None:
        return StreamRows(stream_id, None, [], milestones)
    status = {
        "stream_id": stream_id,
        "country": state.country,
        "region": state.region.value if state.region else "other",
        "stage": state.stage.value,
        "consultation_deadline": state.consultation_deadline,
        "decision_deadline": state.decision_deadline,
        "interested_count": len(state.interested_member_states),
        "stream_version": last.stream_version,
        "last_position": last.position,
        "last_event_type": last.type,
        "last_changed_on": last.occurred_on,
        "last_recorded_at": last.recorded_at,
    }
    return StreamRows(
        stream_id,
        status,
        _participation(stream_id, state),
        milestones,
        _tasks(status, state),
    )


def _participation(stream_id: str, state: Partnership) -> list[Row]:
    answers = state.latest_answers
    in_talks = {ms for round_ in state.rounds for ms in round_.member_states}
    signatories = set(state.launch.member_states) if state.launch else set()
    rows = []
    for ms in sorted(set(answers) | in_talks | signatories):
        answer = answers.get(ms)
        rows.append(
            {
                "stream_id": stream_id,
                "member_state": ms,
                "latest_answer": answer.position.value if answer else None,
                "offers": [offer.value for offer in answer.offers] if answer else [],
                "took_part_in_talks": ms in in_talks,
                "signatory": ms in signatories,
            }
        )
    return rows


def _tasks(status: Row, state: Partnership) -> list[Row]:
    """The open-tasks rows beside the stream's `status` row: what `open_tasks` offers then."""
    return [
        {
            "stream_id": status["stream_id"],
            "role": task.role.value,
            "update_name": task.update,
            "member_state": task.member_state,
            "country": status["country"],
            "stage": status["stage"],
            "deadline": task.deadline,
            "closes_on": task.closes_on,
            "stream_version": status["stream_version"],
        }
        for task in open_tasks(state)
    ]
