"""The milestones outbox: report-back milestones waiting for their subscribers.

The read models put each milestone here, pending, in the append's transaction (a transactional
outbox: the milestone exists exactly when its event does). The workflow's milestone activity
emits it — makes sure it is there and shows its report in the Temporal UI — and subscribers
take pending milestones and mark them delivered.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from activities.database import begin_write
from activities.projections import dialect_insert
from activities.schema import events, milestones, read_utc
from activities.store_errors import UnrecordedEvent
from domain.state import MilestoneKind

# Built once: the milestone activity runs this for every milestone, and building the
# expression costs more than executing it.
_FIND = sa.select(milestones).where(
    milestones.c.stream_id == sa.bindparam("b_stream_id"),
    milestones.c.kind == sa.bindparam("b_kind"),
    milestones.c.position
    == sa.select(events.c.position)
    .where(
        events.c.stream_id == sa.bindparam("b_stream_id"),
        events.c.stream_version == sa.bindparam("b_version"),
    )
    .scalar_subquery(),
)


@dataclass(frozen=True)
class OutboxMilestone:
    """One milestone in the outbox."""

    stream_id: str
    position: int
    kind: str
    country: str
    business_date: datetime.date
    recorded_at: datetime.datetime
    report: str
    delivery_state: str
    delivered_at: datetime.datetime | None


class Outbox:
    """Reads and writes the `milestones` table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def deliver(self, stream_id: str, version: int, kind: MilestoneKind, report: str) -> None:
        """Put the milestone reached by `stream_id`'s event at `version` in the outbox, pending.

        Does nothing when it is already there (whatever its delivery state).
        """
        with begin_write(self.engine) as conn:
            self._put(conn, stream_id, version, kind, report, "pending")

    def emit(
        self, stream_id: str, version: int, kind: MilestoneKind, render: Callable[[], str]
    ) -> OutboxMilestone:
        """The outbox's milestone for `stream_id`'s event at `version`, put there if missing.

        The read models normally wrote it, report included and pending for its subscribers,
        in the append's own transaction; when they did not (a store kept without them),
        `render` supplies the report. Emitting again changes nothing.
        """
        params = {"b_stream_id": stream_id, "b_version": version, "b_kind": kind.value}
        with self.engine.connect() as conn:
            row = conn.execute(_FIND, params).first()
        if row is None:
            with begin_write(self.engine) as conn:
                self._position(conn, stream_id, version)  # refuses an unrecorded event
                self._put(conn, stream_id, version, kind, render(), "pending")
                row = conn.execute(_FIND, params).one()
        return _milestone(row)

    @staticmethod
    def _position(conn: Connection, stream_id: str, version: int) -> int:
        position = conn.execute(
            sa.select(events.c.position).where(
                events.c.stream_id == stream_id, events.c.stream_version == version
            )
        ).scalar_one_or_none()
        if position is None:
            raise UnrecordedEvent(stream_id, version)
        return int(position)

    @staticmethod
    def _put(
        conn: Connection,
        stream_id: str,
        version: int,
        kind: MilestoneKind,
        report: str,
        state: str,
    ) -> None:
        event = conn.execute(
            sa.select(events.c.position, events.c.occurred_on, events.c.recorded_at).where(
                events.c.stream_id == stream_id, events.c.stream_version == version
            )
        ).one()
        first = conn.execute(
            sa.select(events.c.payload).where(
                events.c.stream_id == stream_id, events.c.stream_version == 1
            )
        ).scalar_one()
        conn.execute(
            dialect_insert(conn, milestones)
            .values(
                stream_id=stream_id,
                position=event.position,
                kind=MilestoneKind(kind).value,
                country=str(first.get("country", "")),
                business_date=event.occurred_on,
                recorded_at=read_utc(event.recorded_at),
                report=report,
                delivery_state=state,
            )
            .on_conflict_do_nothing()
        )

    def pending(self, limit: int = 100) -> list[OutboxMilestone]:
        """Milestones not yet delivered, oldest first."""
        return self._select(milestones.c.delivery_state == "pending", limit)

    def all(self, stream_id: str | None = None) -> list[OutboxMilestone]:
        """Every milestone (of one stream when given), in log order."""
        condition = sa.true() if stream_id is None else milestones.c.stream_id == stream_id
        return self._select(condition, None)

    def mark_delivered(self, stream_id: str, position: int, kind: str) -> bool:
        """Record delivery; False when there is no such pending milestone."""
        with begin_write(self.engine) as conn:
            result = conn.execute(
                sa.update(milestones)
                .where(
                    milestones.c.stream_id == stream_id,
                    milestones.c.position == position,
                    milestones.c.kind == kind,
                    milestones.c.delivery_state == "pending",
                )
                .values(
                    delivery_state="delivered", delivered_at=datetime.datetime.now(datetime.UTC)
                )
            )
            return result.rowcount == 1

    def _select(
        self, condition: sa.ColumnElement[bool], limit: int | None
    ) -> list[OutboxMilestone]:
        query = (
            sa.select(milestones)
            .where(condition)
            .order_by(milestones.c.position, milestones.c.kind)
        )
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_milestone(r) for r in conn.execute(query)]


def _milestone(r: sa.Row[Any]) -> OutboxMilestone:
    return OutboxMilestone(
        stream_id=r.stream_id,
        position=r.position,
        kind=r.kind,
        country=r.country,
        business_date=r.business_date,
        recorded_at=read_utc(r.recorded_at),
        report=r.report,
        delivery_state=r.delivery_state,
        delivered_at=read_utc(r.delivered_at) if r.delivered_at else None,
    )
