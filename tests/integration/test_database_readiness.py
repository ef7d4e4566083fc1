"""A DATABASE_URL that points at nothing, or at an unmigrated database, is named clearly."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from activities.database import create_engine_from_url, normalise_url, redacted
from activities.store_errors import DatabaseNotReady, DatabaseUnreachable, StoreError
from migrations import runner
from migrations.readiness import check_ready, open_ready_engine


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_every_postgres_spelling_goes_to_psycopg_3() -> None:
    for url in ("postgres://u@h/db", "postgresql://u@h/db", "postgresql+psycopg2://u@h/db"):
        assert normalise_url(url).drivername == "postgresql+psycopg"


def test_a_password_never_appears_in_a_redacted_url() -> None:
    text = redacted("postgresql://alice:s3cret@db.example/partnerships")
    assert "s3cret" not in text
    assert "alice:***@db.example" in text


def test_a_sqlite_database_in_a_missing_directory_gets_its_directory(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a' / 'b' / 'partnerships.db'}"
    runner.upgrade(url)
    check_ready(create_engine_from_url(url))
    assert (tmp_path / "a" / "b" / "partnerships.db").exists()


def test_an_unmigrated_sqlite_database_is_not_ready_and_says_how_to_fix_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'partnerships.db'}"
    with pytest.raises(DatabaseNotReady) as caught:
        check_ready(create_engine_from_url(url))
    message = str(caught.value)
    assert "partnerships db upgrade" in message
    assert str(tmp_path / "partnerships.db") in message
    assert isinstance(caught.value, StoreError)


@pytest.mark.postgres
def test_an_unmigrated_postgres_database_is_not_ready_and_hides_the_password(
    empty_pg_url: URL,
) -> None:
    url = empty_pg_url.set(password="s3cret")
    with pytest.raises(DatabaseNotReady) as caught:
        check_ready(create_engine_from_url(url))
    message = str(caught.value)
    assert "partnerships db upgrade" in message
    assert empty_pg_url.database is not None
    assert empty_pg_url.database in message
    assert "s3cret" not in message
    assert "***" in message


@pytest.mark.postgres
def test_a_migrated_postgres_database_is_ready(pg_url: URL) -> None:
    check_ready(create_engine_from_url(pg_url))


def test_a_postgres_server_that_is_not_there_is_unreachable_not_a_traceback() -> None:
    url = f"postgresql://alice:s3cret@127.0.0.1:{closed_port()}/partnerships"
    with pytest.raises(DatabaseUnreachable) as caught:
        check_ready(create_engine_from_url(url))
    message = str(caught.value)
    assert "s3cret" not in message
    assert "127.0.0.1" in message
    assert "partnerships db upgrade" in message


def test_a_url_for_an_unknown_backend_is_refused_clearly() -> None:
    with pytest.raises(DatabaseUnreachable, match="unsupported backend"):
        create_engine_from_url("mysql://u@h/db")


def test_a_ready_engine_is_opened_on_a_migrated_sqlite_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'partnerships.db'}"
    runner.upgrade(url)
    engine = open_ready_engine(url)
    try:
        with engine.connect() as conn:
            assert runner.current_revision(conn) == runner.head_revision()
    finally:
        engine.dispose()


def test_no_engine_is_opened_on_an_unmigrated_database_and_the_fix_is_named(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'partnerships.db'}"
    with pytest.raises(DatabaseNotReady, match="partnerships db upgrade"):
        open_ready_engine(url)


def test_no_engine_is_opened_on_a_server_that_is_not_there() -> None:
    url = f"postgresql://alice:s3cret@127.0.0.1:{closed_port()}/partnerships"
    with pytest.raises(DatabaseUnreachable) as caught:
        open_ready_engine(url)
    assert "s3cret" not in str(caught.value)
