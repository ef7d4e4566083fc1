"""Gauges read from the database when Prometheus scrapes: what is waiting and where things stand.

Each scrape runs a handful of small aggregate queries (each on an indexed or per-stream table):
the outbox's pending milestones, the deliveries pending and failed (when the deliveries table
exists), open and ended partnerships by stage from the status board, and how many events the
read models have not folded yet. A database that does not answer makes
`partnerships_database_scrape_ok` 0 and leaves the other gauges out of that scrape, never fails
the scrape itself.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.engine import Connection, Engine

from activities.schema import milestones, read_utc, status_board, streams
from domain.identifiers import WORKFLOW_ID_PREFIX
from domain.stages import END_STAGES, Stage

log = logging.getLogger("pilot-partnerships.metrics")

DELIVERY_STATES_WATCHED = ("pending", "failed")
"""The delivery states worth a gauge: the ones an operator acts on."""


@dataclass
class Snapshot:
    """What one scrape read from the database."""

    milestones_pending: int = 0
    oldest_milestone_pending: datetime.datetime | None = None
    deliveries: dict[str, int] | None = None  # None: no deliveries table in this database
    oldest_delivery_pending: datetime.datetime | None = None
    stages: dict[str, int] = field(default_factory=dict)
    projection_lag: int = 0


def read_snapshot(conn: Connection) -> Snapshot:
    """The counts every gauge shows, read on `conn`."""
    snap = Snapshot()
    pending = conn.execute(
        sa.select(sa.func.count(), sa.func.min(milestones.c.recorded_at)).where(
            milestones.c.delivery_state == "pending"
        )
    ).one()
    snap.milestones_pending = int(pending[0])
    snap.oldest_milestone_pending = read_utc(pending[1]) if pending[1] is not None else None
    if sa.inspect(conn).has_table("deliveries"):
        # Read by name, not through activities.schema, so a database migrated before the
        # deliveries table existed is still scraped.
        deliveries = sa.table(
            "deliveries", sa.column("state"), sa.column("created_at", sa.DateTime(timezone=True))
        )
        counts = conn.execute(
            sa.select(deliveries.c.state, sa.func.count())
            .where(deliveries.c.state.in_(DELIVERY_STATES_WATCHED))
            .group_by(deliveries.c.state)
        ).all()
        snap.deliveries = {state: 0 for state in DELIVERY_STATES_WATCHED}
        snap.deliveries.update({str(state): int(n) for state, n in counts})
        oldest = conn.execute(
            sa.select(sa.func.min(deliveries.c.created_at)).where(deliveries.c.state == "pending")
        ).scalar()
        snap.oldest_delivery_pending = read_utc(oldest) if oldest is not None else None
    snap.stages = {
        str(stage): int(n)
        for stage, n in conn.execute(
            sa.select(status_board.c.stage, sa.func.count()).group_by(status_board.c.stage)
        )
    }
    # Events recorded but not yet folded: per partnership stream, its head's version minus the
    # version the status board has folded (a stream the board has not seen counts whole).
    folded = sa.func.coalesce(status_board.c.stream_version, 0)
    lag = conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(streams.c.version - folded), 0))
        .select_from(
            streams.outerjoin(status_board, status_board.c.stream_id == streams.c.stream_id)
        )
        .where(streams.c.stream_id.startswith(WORKFLOW_ID_PREFIX))
    ).scalar_one()
    snap.projection_lag = max(0, int(lag))
    return snap


def _age(since: datetime.datetime | None, now: datetime.datetime) -> float:
    return max(0.0, (now - since).total_seconds()) if since is not None else 0.0


def snapshot_metrics(snap: Snapshot, now: datetime.datetime) -> Iterator[Metric]:
    """The gauges of one snapshot, every open and ended stage included (0 when none)."""
    pending = GaugeMetricFamily(
        "partnerships_outbox_milestones_pending",
        "Report-back milestones in the outbox not yet delivered to all their subscribers",
    )
    pending.add_metric([], snap.milestones_pending)
    yield pending
    oldest = GaugeMetricFamily(
        "partnerships_outbox_oldest_pending_age_seconds",
        "Age of the oldest milestone still pending in the outbox (0 when none)",
    )
    oldest.add_metric([], _age(snap.oldest_milestone_pending, now))
    yield oldest
    if snap.deliveries is not None:
        deliveries = GaugeMetricFamily(
            "partnerships_deliveries",
            "Deliveries of milestones to subscribers still being tried (pending) or given up "
            "(failed)",
            labels=["state"],
        )
        for state, n in sorted(snap.deliveries.items()):
            deliveries.add_metric([state], n)
        yield deliveries
        stuck = GaugeMetricFamily(
            "partnerships_delivery_oldest_pending_age_seconds",
            "Age of the oldest delivery still pending (0 when none)",
        )
        stuck.add_metric([], _age(snap.oldest_delivery_pending, now))
        yield stuck
    opened = GaugeMetricFamily(
        "partnerships_open_partnerships",
        "Partnerships not yet at an end, by stage (from the status board)",
        labels=["stage"],
    )
    ended = GaugeMetricFamily(
        "partnerships_ended_partnerships",
        "Partnerships at an end (launched, lapsed, withdrawn, …), by stage",
        labels=["stage"],
    )
    for stage in Stage:
        family = ended if stage in END_STAGES else opened
        family.add_metric([stage.value], snap.stages.get(stage.value, 0))
    yield opened
    yield ended
    lag = GaugeMetricFamily(
        "partnerships_projection_lag_positions",
        "Positions (events) of partnership streams in the log that the read models have not "
        "folded yet",
    )
    lag.add_metric([], snap.projection_lag)
    yield lag


class DatabaseGauges(Collector):
    """A collector that reads the gauges from the database at each scrape.

    `engine` is called at each scrape, so a front door that opens its engine lazily passes its
    getter; when it raises, or a query fails, the scrape says so in
    `partnerships_database_scrape_ok` and carries no database gauges.
    """

    def __init__(self, engine: Callable[[], Engine]) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        """The database gauges, read now."""
        ok = GaugeMetricFamily(
            "partnerships_database_scrape_ok",
            "1 when this scrape read the database gauges, 0 when the database did not answer",
        )
        try:
            with self._engine().connect() as conn:
                snap = read_snapshot(conn)
        except Exception as error:  # the scrape reports it; the log says why
            log.warning("metrics: the database gauges could not be read: %s", error)
            ok.add_metric([], 0)
            yield ok
            return
        ok.add_metric([], 1)
        yield ok
        yield from snapshot_metrics(snap, datetime.datetime.now(datetime.UTC))
