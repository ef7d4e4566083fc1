"""The delivery log: `deliveries` (one row per milestone × subscription) and its attempts.

A delivery's row is written when its workflow begins, and each attempt adds a line to
`delivery_attempts` (when, to whom, the HTTP status or SMTP reply, how long, what went wrong)
in the same transaction that updates the row's count, state and last error. The outbox
(`milestones`) stays the source of truth for what is owed; this log says what was done about it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from activities.database import begin_write
from activities.delivery_messages import DeliveryState
from activities.projections import dialect_insert
from activities.schema import (
    deliveries,
    delivery_attempts,
    events,
    milestones,
    read_utc,
    status_board,
)

_MAX_ERROR = 2000


@dataclass(frozen=True)
class Attempt:
    """One attempt at a delivery, as the log keeps it."""

    attempt: int
    """Temporal's attempt number within the run (a retry run starts again at 1)."""
    attempted_at: datetime.datetime
    outcome: str
    """delivered, retried, failed or stopped."""
    duration_ms: int
    status_code: int | None = None
    """The receiver's HTTP status, or the SMTP server's reply code."""
    reply: str | None = None
    """The SMTP server's reply text, or the start of the receiver's answer."""
    error: str | None = None
    subscription_id: str = ""
    subscriber: str = ""


@dataclass(frozen=True)
class Delivery:
    """A delivery of one milestone to one subscriber."""

    delivery_id: str
    stream_id: str
    version: int
    kind: str
    subscription_id: str
    subscriber: str
    destination: str
    state: DeliveryState
    attempts: int
    last_error: str | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    finished_at: datetime.datetime | None


@dataclass(frozen=True)
class OwedMilestone:
    """A milestone in the outbox, with what a subscription's filter looks at."""

    stream_id: str
    position: int
    version: int
    kind: str
    country: str
    region: str
    business_date: datetime.date
    recorded_at: datetime.datetime
    delivery_state: str


class DeliveryLog:
    """Reads and writes `deliveries` and `delivery_attempts`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def open(
        self,
        *,
        delivery_id: str,
        stream_id: str,
        version: int,
        kind: str,
        subscription_id: str,
        subscriber: str,
        destination: str,
        now: datetime.datetime,
    ) -> Delivery:
        """The delivery's row, written pending when missing; a failed one is pending again.

        Opening again (a retried activity, a second run) changes nothing else: attempts and
        the log are kept, so a re-sent delivery shows every attempt it ever made.
        """
        with begin_write(self.engine) as conn:
            conn.execute(
                dialect_insert(conn, deliveries)
                .values(
                    delivery_id=delivery_id,
                    stream_id=stream_id,
                    version=version,
                    kind=kind,
                    subscription_id=subscription_id,
                    subscriber=subscriber[:200],
                    destination=destination[:500],
                    state=DeliveryState.PENDING.value,
                    attempts=0,
                    created_at=now,
                    updated_at=now,
                )
                .on_conflict_do_nothing()
            )
            conn.execute(
                sa.update(deliveries)
                .where(
                    deliveries.c.delivery_id == delivery_id,
                    deliveries.c.state == DeliveryState.FAILED.value,
                )
                .values(state=DeliveryState.PENDING.value, updated_at=now, finished_at=None)
            )
        found = self.get(delivery_id)
        assert found is not None  # written just now
        return found

    def record_attempt(
        self, delivery_id: str, attempt: Attempt, *, final: DeliveryState | None = None
    ) -> None:
        """Log `attempt`; with `final`, the delivery ends in that state in the same write."""
        error = _clipped(attempt.error)
        values: dict[str, Any] = {
            "attempts": deliveries.c.attempts + 1,
            "updated_at": attempt.attempted_at,
        }
        if error is not None:
            values["last_error"] = error
        if final is not None:
            values["state"] = final.value
            values["finished_at"] = attempt.attempted_at
        with begin_write(self.engine) as conn:
            conn.execute(
                sa.insert(delivery_attempts).values(
                    delivery_id=delivery_id,
                    attempt=attempt.attempt,
                    attempted_at=attempt.attempted_at,
                    subscription_id=attempt.subscription_id,
                    subscriber=attempt.subscriber[:200],
                    outcome=attempt.outcome,
                    status_code=attempt.status_code,
                    reply=_clipped(attempt.reply),
                    duration_ms=attempt.duration_ms,
                    error=error,
                )
            )
            conn.execute(
                sa.update(deliveries).where(deliveries.c.delivery_id == delivery_id).values(values)
            )

    def finish(
        self,
        delivery_id: str,
        state: DeliveryState,
        now: datetime.datetime,
        reason: str | None = None,
    ) -> bool:
        """End a pending delivery in `state`; False when it had already ended."""
        values: dict[str, Any] = {"state": state.value, "updated_at": now, "finished_at": now}
        if reason is not None:
            values["last_error"] = _clipped(reason)
        with begin_write(self.engine) as conn:
            result = conn.execute(
                sa.update(deliveries)
                .where(
                    deliveries.c.delivery_id == delivery_id,
                    deliveries.c.state == DeliveryState.PENDING.value,
                )
                .values(values)
            )
            return result.rowcount == 1

    def get(self, delivery_id: str) -> Delivery | None:
        """The delivery with this id, if it was ever started."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(deliveries).where(deliveries.c.delivery_id == delivery_id)
            ).first()
        return _delivery(row) if row is not None else None

    def recent(self, state: DeliveryState | None = None, limit: int = 200) -> list[Delivery]:
        """Deliveries, newest first; only those in `state` when given."""
        query = sa.select(deliveries).order_by(
            deliveries.c.created_at.desc(), deliveries.c.delivery_id
        )
        if state is not None:
            query = query.where(deliveries.c.state == state.value)
        with self.engine.connect() as conn:
            return [_delivery(r) for r in conn.execute(query.limit(limit))]

    def attempts(self, delivery_id: str) -> list[Attempt]:
        """Every attempt logged for a delivery, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(delivery_attempts)
                .where(delivery_attempts.c.delivery_id == delivery_id)
                .order_by(delivery_attempts.c.attempt_id)
            ).all()
        return [
            Attempt(
                attempt=r.attempt,
                attempted_at=read_utc(r.attempted_at),
                outcome=r.outcome,
                duration_ms=r.duration_ms,
                status_code=r.status_code,
                reply=r.reply,
                error=r.error,
                subscription_id=r.subscription_id,
                subscriber=r.subscriber,
            )
            for r in rows
        ]

    def started(
        self, streams: Iterable[str] | None = None
    ) -> dict[tuple[str, int, str, str], DeliveryState]:
        """Each started delivery's state, by (stream, version, kind, subscription).

        Only those of `streams` when given (the sweeper asks about the milestones it holds).
        """
        query = sa.select(
            deliveries.c.stream_id,
            deliveries.c.version,
            deliveries.c.kind,
            deliveries.c.subscription_id,
            deliveries.c.state,
        )
        if streams is not None:
            query = query.where(deliveries.c.stream_id.in_(sorted(set(streams))))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return {(r[0], r[1], r[2], r[3]): DeliveryState(r[4]) for r in rows}

    def owed(self, *, include_delivered: bool) -> list[OwedMilestone]:
        """The outbox's milestones with their version and region, in log order.

        Only the pending ones unless `include_delivered` (for subscriptions that ask for
        history, which are owed every milestone ever reached).
        """
        query = (
            sa.select(
                milestones.c.stream_id,
                milestones.c.position,
                events.c.stream_version,
                milestones.c.kind,
                milestones.c.country,
                status_board.c.region,
                milestones.c.business_date,
                milestones.c.recorded_at,
                milestones.c.delivery_state,
            )
            .join(events, events.c.position == milestones.c.position)
            .outerjoin(status_board, status_board.c.stream_id == milestones.c.stream_id)
            .order_by(milestones.c.position, milestones.c.kind)
        )
        if not include_delivered:
            query = query.where(milestones.c.delivery_state == "pending")
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            OwedMilestone(
                stream_id=r[0],
                position=r[1],
                version=r[2],
                kind=r[3],
                country=r[4],
                region=r[5] or "",
                business_date=r[6],
                recorded_at=read_utc(r[7]),
                delivery_state=r[8],
            )
            for r in rows
        ]


def _clipped(text: str | None) -> str | None:
    if text is None:
        return None
    return text if len(text) <= _MAX_ERROR else text[: _MAX_ERROR - 1] + "…"


def _delivery(r: sa.Row[Any]) -> Delivery:
    return Delivery(
        delivery_id=r.delivery_id,
        stream_id=r.stream_id,
        version=r.version,
        kind=r.kind,
        subscription_id=r.subscription_id,
        subscriber=r.subscriber,
        destination=r.destination,
        state=DeliveryState(r.state),
        attempts=r.attempts,
        last_error=r.last_error,
        created_at=read_utc(r.created_at),
        updated_at=read_utc(r.updated_at),
        finished_at=read_utc(r.finished_at) if r.finished_at else None,
    )
