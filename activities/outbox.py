"""The milestones outbox: report-back milestones waiting for their subscribers.

The read models put each milestone here in the append's transaction; `put` lets the milestone
activity do the same on its own. Both are idempotent on (stream, event position, kind), so
whichever comes first writes the row and the other changes nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from activities.projections import _insert
from activities.schema import events, milestones
from domain.state import MilestoneKind


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
        with self.engine.begin() as conn:
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
            recorded_at = event.recorded_at
            if recorded_at.tzinfo is None:
                recorded_at = recorded_at.replace(tzinfo=datetime.UTC)
            conn.execute(
                _insert(conn, milestones)
                .values(
                    stream_id=stream_id,
                    position=event.position,
                    kind=MilestoneKind(kind).value,
                    country=str(first.get("country", "")),
                    business_date=event.occurred_on,
                    recorded_at=recorded_at,
                    report=report,
                    delivery_state="pending",
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
        with self.engine.begin() as conn:
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
            return [
                OutboxMilestone(
                    stream_id=r.stream_id,
                    position=r.position,
                    kind=r.kind,
                    country=r.country,
                    business_date=r.business_date,
                    recorded_at=_aware(r.recorded_at),
                    report=r.report,
                    delivery_state=r.delivery_state,
                    delivered_at=_aware(r.delivered_at) if r.delivered_at else None,
                )
                for r in conn.execute(query)
            ]


def _aware(moment: datetime.datetime) -> datetime.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)
