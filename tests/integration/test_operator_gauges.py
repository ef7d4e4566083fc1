"""The database gauges' queries on SQLite and PostgreSQL, at the migrations' head and before
the deliveries table existed."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from activities.database import create_engine_from_url
from activities.operator_gauges import read_snapshot
from activities.schema import deliveries, milestones, status_board, streams
from migrations import runner

NOW = datetime.datetime.now(datetime.UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """A database at the migrations' head, empty."""
    found: Engine = request.getfixturevalue(
        "pg_engine" if request.param == "postgresql" else "sqlite_engine"
    )
    return found


def partnership(conn: sa.Connection, n: int, stage: str, *, version: int, folded: int) -> None:
    stream = f"partnership-X{n}/1"
    conn.execute(sa.insert(streams).values(stream_id=stream, version=version, head_hash="0" * 64))
    conn.execute(
        sa.insert(status_board).values(
            stream_id=stream,
            country="CV",
            region="Africa",
            stage=stage,
            interested_count=0,
            stream_version=folded,
            last_position=n,
            last_event_type="PartnershipProposed",
            last_changed_on=NOW.date(),
            last_recorded_at=NOW,
        )
    )


def delivery(conn: sa.Connection, n: int, state: str, age: datetime.timedelta) -> None:
    conn.execute(
        sa.insert(deliveries).values(
            delivery_id=f"delivery-{n}",
            stream_id="partnership-X1/1",
            version=1,
            kind="launch",
            subscription_id=f"s{n}",
            subscriber="council",
            destination="https://council.example/hook",
            state=state,
            attempts=1,
            created_at=NOW - age,
            updated_at=NOW,
        )
    )


def test_the_gauges_count_stages_lag_pending_milestones_and_deliveries(engine: Engine) -> None:
    with engine.begin() as conn:
        partnership(conn, 1, "consultation", version=3, folded=3)
        partnership(conn, 2, "consultation", version=5, folded=3)
        partnership(conn, 3, "lapsed", version=9, folded=9)
        conn.execute(
            sa.insert(milestones).values(
                stream_id="partnership-X1/1",
                position=1,
                kind="consultation_outcome",
                country="CV",
                business_date=NOW.date(),
                recorded_at=NOW - datetime.timedelta(hours=2),
                report="…",
                delivery_state="pending",
            )
        )
        delivery(conn, 1, "pending", datetime.timedelta(minutes=10))
        delivery(conn, 2, "failed", datetime.timedelta(days=1))
        delivery(conn, 3, "delivered", datetime.timedelta(days=2))
    with engine.connect() as conn:
        snap = read_snapshot(conn)
    assert snap.stages == {"consultation": 2, "lapsed": 1}
    assert snap.projection_lag == 2
    assert snap.milestones_pending == 1
    assert snap.oldest_milestone_pending is not None
    assert NOW - snap.oldest_milestone_pending == datetime.timedelta(hours=2)
    assert snap.deliveries == {"pending": 1, "failed": 1}
    assert snap.oldest_delivery_pending is not None
    assert NOW - snap.oldest_delivery_pending == datetime.timedelta(minutes=10)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def before_deliveries(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database migrated up to 0003, before the deliveries table."""
    url: str | URL
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("empty_pg_url")
    runner.upgrade(url, "0003")
    engine = create_engine_from_url(url)
    yield engine
    engine.dispose()


def test_a_database_before_the_deliveries_table_is_still_scraped(
    before_deliveries: Engine,
) -> None:
    with before_deliveries.connect() as conn:
        snap = read_snapshot(conn)
    assert snap.deliveries is None
    assert snap.milestones_pending == 0
    assert snap.projection_lag == 0
    assert snap.stages == {}
