"""The store's CLI commands against real databases, through Typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
import typer
from sqlalchemy.engine import URL, Engine
from typer.testing import CliRunner

from activities.database import create_engine_from_url
from activities.eventstore import EventStore
from interfaces.cli import store_commands as store_cli
from migrations import runner
from migrations.append_only import guard_lifted
from tests.integration.helpers import events

app = typer.Typer()
store_cli.register(app)


@app.callback()
def _root() -> None:
    """Keeps sub-commands addressed by name, as under `partnerships`."""


def run(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"DATABASE_URL": url, "COLUMNS": "200"})
    return result.exit_code, result.output


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli' / 'partnerships.db'}"


def test_db_upgrade_creates_the_schema_and_says_so(url: str) -> None:
    code, output = run(url, "db", "upgrade")
    assert code == 0, output
    assert f"revision {runner.head_revision()}" in output
    assert run(url, "db", "upgrade")[0] == 0


def test_an_unmigrated_database_is_named_with_the_fix_and_no_traceback(url: str) -> None:
    for command in (["events"], ["verify"], ["projections", "rebuild"]):
        code, output = run(url, *command)
        assert code == 3
        assert "partnerships db upgrade" in output
        assert "Traceback" not in output


def test_an_unreachable_server_is_named_with_its_password_hidden() -> None:
    code, output = run("postgresql://bob:s3cret@127.0.0.1:1/nowhere", "events")
    assert code == 3
    assert "bob:***@127.0.0.1:1/nowhere" in output
    assert "s3cret" not in output
    assert "Traceback" not in output


def test_events_of_a_country_show_its_latest_stream_and_json_is_complete(url: str) -> None:
    run(url, "db", "upgrade")
    store = EventStore(create_engine_from_url(url))
    store.append("partnership-CV/1", 0, events(2))
    store.append("partnership-CV/2", 0, events(3))
    code, output = run(url, "events", "CV", "--json", "--from", "2")
    assert code == 0, output
    shown = json.loads(output)
    assert [(e["stream_id"], e["stream_version"]) for e in shown] == [
        ("partnership-CV/2", 2),
        ("partnership-CV/2", 3),
    ]
    assert set(shown[0]) >= {"event_id", "payload", "metadata", "hash", "prev_hash", "position"}
    code, output = run(url, "events")
    assert code == 0
    assert "partnership-CV/1" in output
    assert "partnership-CV/2" in output
    assert run(url, "events", "MD")[0] == 4


def test_a_workflow_id_pasted_from_the_temporal_ui_names_the_latest_stream(url: str) -> None:
    run(url, "db", "upgrade")
    store = EventStore(create_engine_from_url(url))
    store.append("partnership-GE/1", 0, events(2))
    store.append("partnership-GE/2", 0, events(1))
    code, output = run(url, "events", "partnership-GE", "--json")
    assert code == 0, output
    assert [(e["stream_id"], e["stream_version"]) for e in json.loads(output)] == [
        ("partnership-GE/2", 1)
    ]
    code, output = run(url, "verify", "partnership-GE")
    assert code == 0, output
    assert "1 stream(s), 1 event(s)" in output
    code, output = run(url, "events", "partnership-MD")
    assert code == 4
    assert "no partnership has been recorded for partnership-MD" in output
    code, output = run(url, "events", "partnership-ZZ")
    assert code == 2
    assert "ZZ is not an ISO 3166-1 alpha-2 country code" in output


def test_verify_exits_zero_when_every_chain_holds_and_names_the_first_break_otherwise(
    url: str,
) -> None:
    run(url, "db", "upgrade")
    engine = create_engine_from_url(url)
    EventStore(engine).append("partnership-CV/1", 0, events(3))
    code, output = run(url, "verify")
    assert code == 0, output
    assert "Every chain holds" in output
    with engine.begin() as conn, guard_lifted(conn):  # as an insider who owns the tables
        conn.execute(sa.text("UPDATE events SET payload = '{}' WHERE stream_version = 2"))
    code, output = run(url, "verify")
    assert code == 1
    assert "partnership-CV/1 at version 2" in output


def test_projections_rebuild_reports_what_it_folded(url: str) -> None:
    run(url, "db", "upgrade")
    code, output = run(url, "projections", "rebuild")
    assert code == 0, output
    assert "0 event(s)" in output


@pytest.mark.postgres
def test_the_commands_work_on_postgres_too(pg_url: URL, pg_engine: Engine) -> None:
    EventStore(pg_engine).append("partnership-MD/1", 0, events(2))
    text = pg_url.render_as_string(hide_password=False)
    assert run(text, "db", "upgrade")[0] == 0
    code, output = run(text, "verify")
    assert code == 0, output
    assert "1 stream(s), 2 event(s)" in output
    assert "partnership-MD/1" in run(text, "events", "MD")[1]
