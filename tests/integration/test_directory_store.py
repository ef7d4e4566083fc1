"""The directory in the event store, on SQLite and PostgreSQL: its stream, its read model, its
hash chain, and the partnership read models that leave it alone."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import typer
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from activities.codec import to_new_event
from activities.directory_store import DirectoryStore, to_new_directory_event
from activities.eventstore import EventStore
from activities.projections import Projections
from activities.schema import READ_MODEL_TABLES, role_bindings, status_board
from domain.directory import (
    DIRECTORY_STREAM,
    EMPTY_DIRECTORY,
    AlreadyBound,
    AlreadyRevoked,
    BindingRole,
    GrantRole,
    RevokeRole,
    UnknownBinding,
    decide_grant,
)
from interfaces.cli import access_commands, store_commands
from migrations.append_only import guard_lifted
from tests.unit.strategies import at_launched

ISSUER = "https://ecas.example.eu/cas/oauth2"
NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
TODAY = NOW.date()


def grant(
    subject: str = "maria",
    role: BindingRole = BindingRole.MEMBER_STATE,
    member_state: str | None = "PT",
    **kwargs: Any,
) -> GrantRole:
    fields: dict[str, Any] = {
        "issuer": ISSUER,
        "subject": subject,
        "role": role,
        "member_state": member_state,
        "valid_from": TODAY,
        "granted_by": "alice",
    }
    return GrantRole(**{**fields, **kwargs})


def table_rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        query = sa.select(role_bindings).order_by(role_bindings.c.binding_id)
        return [dict(row._mapping) for row in conn.execute(query)]


def read_model_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            t.name: sorted(tuple(r) for r in conn.execute(sa.select(t))) for t in READ_MODEL_TABLES
        }


def append_partnership(engine: Engine, stream_id: str, *, projections: bool) -> None:
    store = EventStore(engine, projections=Projections(engine) if projections else None)
    for version, event in enumerate(at_launched().events):
        store.append(stream_id, version, [to_new_event(uuid.uuid4(), event, {"run_id": "r"})])


class DirectoryContract:
    """Subclasses provide `engine`: a migrated, empty database."""

    @pytest.fixture
    def directory(self, engine: Engine) -> DirectoryStore:
        return DirectoryStore(engine, clock=lambda: NOW)

    def test_a_grant_is_recorded_in_the_directory_stream_and_found_at_once(
        self, directory: DirectoryStore, engine: Engine
    ) -> None:
        binding = directory.grant(grant(), provenance={"channel": "cli"})
        assert directory.bindings_of(ISSUER, "maria", TODAY) == [binding]
        assert directory.listed() == [binding]
        (stored,) = EventStore(engine).read_stream(DIRECTORY_STREAM)
        assert stored.type == "RoleGranted"
        assert stored.payload["binding_id"] == binding.binding_id
        assert stored.metadata == {
            "actor": {"id": "alice", "role": "administrator"},
            "channel": "cli",
        }
        assert stored.occurred_on == TODAY

    def test_a_revoked_binding_is_no_longer_found_but_is_listed_with_who_revoked_it(
        self, directory: DirectoryStore
    ) -> None:
        kept = directory.grant(grant(role=BindingRole.PRESIDENCY))
        gone = directory.grant(grant())
        revoked = directory.revoke(
            RevokeRole(binding_id=gone.binding_id, revoked_by="bob", reason="left")
        )
        assert (revoked.revoked_by, revoked.revoked_on, revoked.revocation_reason) == (
            "bob",
            TODAY,
            "left",
        )
        assert directory.bindings_of(ISSUER, "maria", TODAY) == [kept]
        assert directory.listed() == [kept]
        assert directory.listed(include_revoked=True) == [kept, revoked]

    def test_a_binding_from_a_later_day_is_not_found_before_it(
        self, directory: DirectoryStore
    ) -> None:
        later = TODAY + timedelta(days=3)
        binding = directory.grant(grant(valid_from=later))
        assert directory.bindings_of(ISSUER, "maria", TODAY) == []
        assert directory.bindings_of(ISSUER, "maria", later) == [binding]
        assert directory.bindings_of("https://other.example/", "maria", later) == []

    def test_a_refused_grant_or_revocation_records_nothing(
        self, directory: DirectoryStore, engine: Engine
    ) -> None:
        first = directory.grant(grant())
        with pytest.raises(AlreadyBound):
            directory.grant(grant())
        with pytest.raises(UnknownBinding):
            directory.revoke(RevokeRole(binding_id="nope", revoked_by="bob"))
        directory.revoke(RevokeRole(binding_id=first.binding_id, revoked_by="bob"))
        with pytest.raises(AlreadyRevoked):
            directory.revoke(RevokeRole(binding_id=first.binding_id, revoked_by="bob"))
        assert EventStore(engine).stream_version(DIRECTORY_STREAM) == 2

    def test_the_table_is_the_domain_fold_of_the_stream_and_a_rebuild_gives_the_same_rows(
        self, directory: DirectoryStore, engine: Engine
    ) -> None:
        a = directory.grant(grant())
        directory.grant(grant("joao", BindingRole.PRESIDENCY))
        directory.revoke(RevokeRole(binding_id=a.binding_id, revoked_by="bob"))
        directory.grant(grant())
        folded, version = directory.directory()
        assert version == 4
        assert directory.listed(include_revoked=True) == list(folded.bindings.values())
        before = table_rows(engine)
        with engine.begin() as conn:
            conn.execute(sa.delete(role_bindings))
        assert directory.rebuild() == 4
        assert table_rows(engine) == before

    def test_two_writers_granting_at_once_both_record_their_grant(self, engine: Engine) -> None:
        stores = [DirectoryStore(engine) for _ in range(2)]
        subjects = [f"user{i}" for i in range(10)]
        barrier = threading.Barrier(2)
        failures: list[BaseException] = []

        def write(store: DirectoryStore, names: list[str]) -> None:
            barrier.wait()
            try:
                for name in names:
                    store.grant(grant(name, BindingRole.COMMISSION, None))
            except BaseException as error:  # reported below, on the test's thread
                failures.append(error)

        threads = [
            threading.Thread(target=write, args=(store, subjects[i::2]))
            for i, store in enumerate(stores)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert sorted(b.subject for b in stores[0].listed()) == sorted(subjects)
        assert EventStore(engine).verify(DIRECTORY_STREAM).ok

    def test_verify_checks_the_directory_chain_and_finds_a_rewritten_grant(
        self, directory: DirectoryStore, engine: Engine
    ) -> None:
        directory.grant(grant())
        directory.grant(grant("joao", BindingRole.ADMINISTRATOR, None))
        report = EventStore(engine).verify()
        assert report.ok
        assert (report.streams_checked, report.events_checked) == (1, 2)
        with engine.begin() as conn:
            row = conn.execute(
                sa.text("SELECT position, payload FROM events WHERE stream_version = 2")
            ).one()
            payload = row.payload if isinstance(row.payload, dict) else json.loads(row.payload)
            forged = json.dumps({**payload, "subject": "mallory"})
            with guard_lifted(conn):  # as an insider who owns the tables
                conn.execute(
                    sa.text("UPDATE events SET payload = :p WHERE position = :pos"),
                    {"p": forged, "pos": row.position},
                )
        broken = EventStore(engine).verify()
        assert not broken.ok
        assert broken.breaks[0].stream_id == DIRECTORY_STREAM

    def test_the_partnership_read_models_ignore_the_directory_on_catch_up_and_rebuild(
        self, directory: DirectoryStore, engine: Engine
    ) -> None:
        directory.grant(grant())
        append_partnership(engine, "partnership-CV/1", projections=False)
        directory.grant(grant("joao", BindingRole.PRESIDENCY))
        projections = Projections(engine)
        assert projections.catch_up() == len(at_launched().events) + 2
        caught_up = read_model_rows(engine)
        with engine.connect() as conn:
            assert list(conn.execute(sa.select(status_board.c.stream_id)).scalars()) == [
                "partnership-CV/1"
            ]
        report = projections.rebuild()
        assert (report.streams, report.events) == (1, len(at_launched().events))
        assert read_model_rows(engine) == caught_up
        # A catch-up after the rebuild passes over the directory's later events again.
        projections.catch_up()
        assert read_model_rows(engine) == caught_up
        # The directory's own read model is untouched by either.
        assert [b.subject for b in directory.listed()] == ["maria", "joao"]

    def test_an_append_to_the_directory_through_the_partnership_read_models_is_passed_over(
        self, engine: Engine
    ) -> None:
        append_partnership(engine, "partnership-CV/1", projections=True)
        before = read_model_rows(engine)
        store = EventStore(engine, projections=Projections(engine))
        event = decide_grant(EMPTY_DIRECTORY, grant(), binding_id="b1", now=NOW)
        store.append(DIRECTORY_STREAM, 0, [to_new_directory_event(event, "alice", {})])
        assert read_model_rows(engine) == before


class TestSQLiteDirectory(DirectoryContract):
    @pytest.fixture
    def engine(self, sqlite_engine: Engine) -> Engine:
        return sqlite_engine


@pytest.mark.postgres
class TestPostgresDirectory(DirectoryContract):
    @pytest.fixture
    def engine(self, pg_engine: Engine) -> Engine:
        return pg_engine


# --- Through the command line ----------------------------------------------------------------

cli = typer.Typer()
store_commands.register(cli)
access_commands.register(cli)


@cli.callback()
def _root() -> None:
    """Keeps sub-commands addressed by name, as under `partnerships`."""


@pytest.fixture
def url(sqlite_engine: Engine) -> str:
    return sqlite_engine.url.render_as_string(hide_password=False)


def run(url: str, *args: str, data_dir: str = ".data") -> tuple[int, str]:
    env = {"DATABASE_URL": url, "COLUMNS": "200", "DATA_DIR": data_dir}
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def test_the_first_administrator_is_granted_from_the_command_line_and_listed(url: str) -> None:
    code, output = run(
        url, "access", "grant", "alice", "--role", "administrator", "--by", "root",
        "--issuer", ISSUER, "--reason", "first administrator",
    )  # fmt: skip
    assert code == 0, output
    assert f"Granted administrator to alice of {ISSUER}" in output
    code, output = run(url, "access", "list", "--json")
    (listed,) = json.loads(output)
    assert (listed["subject"], listed["role"], listed["granted_by"]) == (
        "alice",
        "administrator",
        "root",
    )
    assert listed["reason"] == "first administrator"


def test_a_grant_the_directory_refuses_is_explained_and_records_nothing(url: str) -> None:
    args = ("access", "grant", "maria", "--by", "alice", "--issuer", ISSUER)
    code, output = run(url, *args, "--role", "member_state")
    assert code == 1
    assert "refused: a member_state binding names its Member State, e.g. member_state:PT" in output
    code, output = run(url, *args, "--role", "pilot")
    assert code == 2
    assert "unknown role 'pilot' in --role; the roles are: commission, presidency" in output
    code, output = run(url, *args, "--role", "commission", "--from", "yesterday")
    assert code == 2
    assert "--from 'yesterday' is not a date; write it as YYYY-MM-DD" in output
    assert run(url, "access", "list")[1].strip() == "No role binding."


def test_a_revocation_from_the_command_line_ends_the_binding_and_is_listed_with_all(
    url: str,
) -> None:
    run(url, "access", "grant", "maria", "--role", "member_state:PT", "--by", "alice",
        "--issuer", ISSUER)  # fmt: skip
    (listed,) = json.loads(run(url, "access", "list", "--json")[1])
    code, output = run(url, "access", "revoke", listed["binding_id"], "--by", "bob")
    assert code == 0, output
    assert f"Revoked binding {listed['binding_id']} (member_state:PT of maria)" in output
    assert json.loads(run(url, "access", "list", "--json")[1]) == []
    (revoked,) = json.loads(run(url, "access", "list", "--all", "--json")[1])
    assert revoked["revoked_by"] == "bob"
    code, output = run(url, "access", "revoke", listed["binding_id"], "--by", "bob")
    assert code == 1
    assert "only an unrevoked binding can be revoked" in output


def test_events_shows_the_directory_rows_with_who_changed_it_and_verify_passes(
    url: str, sqlite_engine: Engine
) -> None:
    append_partnership(sqlite_engine, "partnership-CV/1", projections=True)
    run(url, "access", "grant", "maria", "--role", "member_state:PT", "--by", "alice",
        "--issuer", ISSUER)  # fmt: skip
    code, output = run(url, "events")
    assert code == 0, output
    assert "RoleGranted" in output
    assert "administrator:alice" in output
    code, output = run(url, "events", "--json")
    assert json.loads(output)[-1]["stream_id"] == DIRECTORY_STREAM
    code, output = run(url, "verify")
    assert code == 0, output
    assert "Every chain holds: 2 stream(s)" in output


def test_a_development_token_grants_the_binding_it_needs_once_and_says_so(
    url: str, tmp_path: Any
) -> None:
    data = str(tmp_path / "data")
    code, output = run(url, "token", "--as", "presidency:PT:joao", data_dir=data)
    assert code == 0, output
    assert "Granted presidency:PT to joao of http://127.0.0.1:8000/dev/" in output
    assert output.strip().splitlines()[-1].count(".") == 2  # the JWT, last on its own line
    code, output = run(url, "token", "--as", "presidency:joao", data_dir=data)
    assert code == 0, output
    assert "Granted" not in output
    assert len(json.loads(run(url, "access", "list", "--json")[1])) == 1
    code, output = run(url, "token", "--as", "presidency:ann", data_dir=data)
    assert code == 2
    assert "e.g. --as presidency:PT:ann" in output


def test_a_development_token_is_refused_in_production(url: str, tmp_path: Any) -> None:
    env = {"DATABASE_URL": url, "DATA_DIR": str(tmp_path), "PARTNERSHIPS_ENV": "production"}
    result = CliRunner().invoke(cli, ["token", "--as", "commission:alice"], env=env)
    assert result.exit_code == 1
    assert "development issuer is refused with PARTNERSHIPS_ENV=production" in result.output
    assert not (tmp_path / "dev-issuer.pem").exists()


def test_a_grant_from_the_command_line_holds_from_today_unless_told(url: str) -> None:
    run(url, "access", "grant", "olga", "--role", "operator", "--by", "alice", "--issuer", ISSUER)
    (listed,) = json.loads(run(url, "access", "list", "--json")[1])
    assert date.fromisoformat(listed["valid_from"]) == datetime.now(UTC).date()
