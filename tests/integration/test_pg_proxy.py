"""The fault campaign's PostgreSQL proxy against the real server: it forwards, cuts, refuses
and restores real connections, and leaves nothing listening once stopped."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import URL

from faults.pg_proxy import PgProxy
from tests.integration.conftest import create_pg_database, drop_pg_database


@pytest.fixture
def database() -> Iterator[URL]:
    url = create_pg_database("partnerships_test_proxy")
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def proxy(database: URL) -> Iterator[PgProxy]:
    with PgProxy(database.host or "127.0.0.1", database.port or 5432) as running:
        yield running


def connect(proxy: PgProxy, database: URL) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(
        host="127.0.0.1",
        port=proxy.port,
        user=database.username,
        dbname=database.database,
        connect_timeout=5,
        autocommit=True,
    )


def test_the_proxy_forwards_queries_to_postgresql(proxy: PgProxy, database: URL) -> None:
    with connect(proxy, database) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == (database.database,)
    assert proxy.counts.forwarded == 1


def test_a_cut_closes_open_connections_refuses_new_ones_and_a_restore_lets_them_through(
    proxy: PgProxy, database: URL
) -> None:
    held = connect(proxy, database)
    assert held.execute("SELECT 1").fetchone() == (1,)

    assert proxy.cut() == 1
    assert proxy.is_cut
    with pytest.raises(psycopg.OperationalError):
        held.execute("SELECT 1")
    held.close()
    with pytest.raises(psycopg.OperationalError):
        connect(proxy, database)
    assert proxy.counts.refused == 1

    proxy.restore()
    assert not proxy.is_cut
    with connect(proxy, database) as conn:
        assert conn.execute("SELECT 2").fetchone() == (2,)
    assert (proxy.counts.forwarded, proxy.counts.cut) == (2, 1)


def test_a_stopped_proxy_listens_no_more(database: URL) -> None:
    proxy = PgProxy(database.host or "127.0.0.1", database.port or 5432)
    proxy.start()
    port = proxy.port
    proxy.stop()
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))
