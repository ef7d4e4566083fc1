"""The logins of least privilege on the real PostgreSQL: `partnerships db logins` makes them, and a
login that is a member of `partnerships_writer` only is all the worker and the API need.

The whole system runs as the writer login: a real worker process (`worker.py`, with its
delivery sweeper, signed checkpoints at every append and its metrics endpoint) on a Temporal
dev server, and the API (FastAPI's TestClient) recording a subscription and walking a
partnership to its launch; the milestones reach a real webhook receiver. A reader login then
exports the checkpoints and verifies the record against them, and the writer is still refused
any rewrite of `events`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL, Engine
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from activities.database import create_engine_from_url
from activities.delivery_log import DeliveryLog
from activities.delivery_messages import DeliveryState
from activities.eventstore import EventStore
from faults.processes import free_port
from interfaces.api.server import create_app
from interfaces.cli.app import app as cli
from migrations import runner
from migrations.append_only import MIGRATOR, READER, WRITER
from migrations.logins import Login, LoginRefused, Outcome, ensure_login, memberships
from settings import Settings
from tests.integration.conftest import create_pg_database, drop_pg_database, pg_server_url
from tests.integration.test_api import Api, launched
from tests.workflows.conftest import dev_env  # noqa: F401 (a fixture)
from tests.workflows.delivery_receivers import SIGNING_KEY, WebhookReceiver
from tests.workflows.harness import unique_task_queue
from tests.workflows.test_operator_signals import wait_for_line
from tests.workflows.worker_process import WorkerProcess

pytestmark = pytest.mark.postgres

# A password with the characters a URL and a driver's placeholders treat specially.
AWKWARD_PASSWORD = "p%s:a@b/c'd\"e f"
ATTESTATION = {"k-test": "a secret the API and the workers share"}
# The milestones a launch reaches, each delivered once to the subscriber.
MILESTONES = 5
PATIENCE_S = 60.0


@pytest.fixture(scope="module")
def database() -> Iterator[URL]:
    """A database of this module's own, migrated by the server's superuser (the owner)."""
    url = create_pg_database("partnerships_test_logins")
    try:
        runner.upgrade(url)
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def owner(database: URL) -> Iterator[Engine]:
    """The owner's engine on the module's database."""
    engine = create_engine_from_url(database)
    yield engine
    engine.dispose()


@contextmanager
def dropped_afterwards(*names: str) -> Iterator[None]:
    """Drop the roles `names` when the block ends (roles are the server's, not the database's)."""
    try:
        yield
    finally:
        admin = create_engine_from_url(pg_server_url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in names:
                conn.exec_driver_sql(f"DROP ROLE IF EXISTS {name}")
        admin.dispose()


def a_name(prefix: str = "partnerships_test_login") -> str:
    """A role name no other test uses."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def scram_matches(verifier: str, password: str) -> bool:
    """Whether PostgreSQL's SCRAM-SHA-256 verifier was made from `password` (RFC 5802/7677)."""
    method, rest = verifier.split("$", 1)
    assert method == "SCRAM-SHA-256"
    iterations_salt, keys = rest.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key, server_key = keys.split(":")
    salted = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(salt), int(iterations)
    )
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    server = hmac.digest(salted, b"Server Key", "sha256")
    return (
        base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key
        and base64.b64encode(server).decode() == server_key
    )


def verifier_of(owner: Engine, name: str) -> str:
    with owner.connect() as conn:
        value: str = conn.execute(
            sa.text("SELECT rolpassword FROM pg_authid WHERE rolname = :n"), {"n": name}
        ).scalar_one()
    return value


# --- ensure_login ---------------------------------------------------------------------------


def test_a_writer_login_is_made_with_its_password_and_the_writer_group_only(
    owner: Engine,
) -> None:
    name = a_name()
    with dropped_afterwards(name):
        with owner.begin() as conn:
            assert ensure_login(conn, Login(name, AWKWARD_PASSWORD, WRITER)) is Outcome.CREATED
        with owner.connect() as conn:
            assert memberships(conn, name) == [WRITER]
            can_login = conn.execute(
                sa.text("SELECT rolcanlogin, rolinherit FROM pg_roles WHERE rolname = :n"),
                {"n": name},
            ).one()
        assert tuple(can_login) == (True, True)
        assert scram_matches(verifier_of(owner, name), AWKWARD_PASSWORD)
        assert not scram_matches(verifier_of(owner, name), "another password")


def test_running_it_again_sets_the_new_password_and_takes_back_another_group(
    owner: Engine,
) -> None:
    name = a_name()
    with dropped_afterwards(name):
        with owner.begin() as conn:
            ensure_login(conn, Login(name, "first", READER))
            conn.exec_driver_sql(f"GRANT {WRITER}, {MIGRATOR} TO {name}")
        with owner.begin() as conn:
            assert ensure_login(conn, Login(name, "second", READER)) is Outcome.UPDATED
        with owner.connect() as conn:
            assert memberships(conn, name) == [READER]
        assert scram_matches(verifier_of(owner, name), "second")


@pytest.mark.parametrize(
    ("login", "says"),
    [
        (Login(WRITER, "pw", WRITER), "one of the group roles"),
        (Login("postgres", "pw", WRITER), "never as the owner"),
        (Login("Robert'); DROP TABLE events;--", "pw", WRITER), "lower-case letters"),
        (Login("partnerships_app", "", WRITER), "has no password"),
        (Login("partnerships_app", "pw", MIGRATOR), "the groups are"),
    ],
)
def test_a_login_that_is_not_allowed_is_refused_saying_what_is(
    owner: Engine, login: Login, says: str
) -> None:
    with pytest.raises(LoginRefused, match=says), owner.begin() as conn:
        ensure_login(conn, login)


def test_an_existing_role_with_powers_is_refused_rather_than_quietly_demoted(
    owner: Engine,
) -> None:
    name = a_name()
    with dropped_afterwards(name):
        with owner.begin() as conn:
            conn.exec_driver_sql(f"CREATE ROLE {name} LOGIN CREATEDB CREATEROLE")
        with (
            pytest.raises(LoginRefused, match="CREATEROLE, CREATEDB") as refused,
            owner.begin() as conn,
        ):
            ensure_login(conn, Login(name, "pw", WRITER))
        assert f"ALTER ROLE {name} NOCREATEROLE NOCREATEDB" in str(refused.value)
        with owner.connect() as conn:
            assert memberships(conn, name) == []


# --- partnerships db logins -----------------------------------------------------------------


def logins_command(owner_url: URL | str, *arguments: str, **environment: str) -> Any:
    """`partnerships db logins` as the owner, with `environment` set."""
    text = owner_url if isinstance(owner_url, str) else owner_url.render_as_string(False)
    return CliRunner().invoke(
        cli,
        ["db", "logins", *arguments],
        env={"DATABASE_URL": text, **environment},
        terminal_width=200,
    )


def test_db_logins_makes_both_logins_from_the_urls_their_services_connect_with(
    database: URL, owner: Engine
) -> None:
    writer, reader = a_name(), a_name()
    with dropped_afterwards(writer, reader):
        writer_url = database.set(username=writer, password=AWKWARD_PASSWORD)
        result = logins_command(
            database,
            "--reader-url",
            database.set(username=reader, password="r").render_as_string(False),
            WRITER_DATABASE_URL=writer_url.render_as_string(False),
        )
        assert result.exit_code == 0, result.output
        assert f"The login {writer} was created: a member of {WRITER} only" in result.output
        assert f"The login {reader} was created: a member of {READER} only" in result.output
        assert AWKWARD_PASSWORD not in result.output
        with owner.connect() as conn:
            assert (memberships(conn, writer), memberships(conn, reader)) == ([WRITER], [READER])
        assert scram_matches(verifier_of(owner, writer), AWKWARD_PASSWORD)
        again = logins_command(
            database, WRITER_DATABASE_URL=writer_url.set(password="rotated").render_as_string(False)
        )
        assert again.exit_code == 0, again.output
        assert f"The login {writer} was updated" in again.output
        assert scram_matches(verifier_of(owner, writer), "rotated")


def test_db_logins_refuses_nothing_to_do_sqlite_another_database_and_a_url_without_password(
    database: URL, tmp_path: Path
) -> None:
    nothing = logins_command(database)
    assert nothing.exit_code == 2
    assert "give --writer-url (WRITER_DATABASE_URL), --reader-url" in nothing.output
    on_sqlite = logins_command(
        f"sqlite:///{tmp_path / 'p.db'}", WRITER_DATABASE_URL="postgresql://u:p@h/d"
    )
    assert on_sqlite.exit_code == 2
    assert "SQLite has no users" in on_sqlite.output
    elsewhere = logins_command(
        database,
        WRITER_DATABASE_URL=database.set(
            username="u", password="p", database="other"
        ).render_as_string(False),
    )
    assert elsewhere.exit_code == 2
    assert f"DATABASE_URL names {database.database!r}" in elsewhere.output
    bare = logins_command(
        database, WRITER_DATABASE_URL=database.set(username="u").render_as_string(False)
    )
    assert bare.exit_code == 2
    assert "names no user or no password" in bare.output


# --- the whole system as the writer login ---------------------------------------------------


@pytest.fixture
def logins(database: URL, owner: Engine) -> Iterator[tuple[URL, URL]]:
    """A writer login and a reader login made by `db logins`, their URLs; an empty store."""
    with owner.begin() as conn:
        names = ", ".join(
            row[0]
            for row in conn.execute(
                sa.text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                    "AND tablename <> 'alembic_version'"
                )
            )
        )
        conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY")
    writer, reader = a_name(), a_name()
    with dropped_afterwards(writer, reader):
        writer_url = database.set(username=writer, password=secrets.token_hex(16))
        reader_url = database.set(username=reader, password=secrets.token_hex(16))
        made = logins_command(
            database,
            WRITER_DATABASE_URL=writer_url.render_as_string(False),
            READER_DATABASE_URL=reader_url.render_as_string(False),
        )
        assert made.exit_code == 0, made.output
        yield writer_url, reader_url


def walk_to_launch(api: Api, subscriber_url: str) -> dict[str, Any]:
    """Through the API: subscribe a webhook to every milestone, then propose CV and launch it."""
    admin = api.as_("administrator:ada")
    subscribed = api.client.post(
        "/subscriptions",
        json={"name": "council-secretariat", "webhook": subscriber_url, "reason": "test"},
        headers=admin,
    )
    assert subscribed.status_code == 201, subscribed.text
    launched(api, "CV")
    shown = api.client.get("/partnerships/CV", headers=api.as_("operator:olga"))
    assert shown.status_code == 200, shown.text
    board = api.client.get("/partnerships", headers=api.as_("operator:olga"))
    assert board.status_code == 200, board.text
    return {"partnership": shown.json(), "board": board.json()}


def until(what: str, check: Any) -> None:
    """Poll `check()` until it holds, at most PATIENCE_S seconds."""
    deadline = time.monotonic() + PATIENCE_S
    while not check():
        assert time.monotonic() < deadline, f"not within {PATIENCE_S} s: {what}"
        time.sleep(0.1)


def worker_environment(
    writer_url: URL, address: str, task_queue: str, tmp_path: Path, metrics_port: int
) -> dict[str, str]:
    """The worker's environment, as compose gives it, with the writer login's URL."""
    key = Ed25519PrivateKey.generate()
    key_file = tmp_path / "checkpoint-signing.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "checkpoint-public.pem").write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return {
        **os.environ,
        "DATABASE_URL": writer_url.render_as_string(hide_password=False),
        "TEMPORAL_ADDRESS": address,
        "TEMPORAL_NAMESPACE": "default",
        "TASK_QUEUE": task_queue,
        "DATA_DIR": str(tmp_path),
        "ATTESTATION_KEYS": json.dumps(ATTESTATION),
        "REQUIRE_ATTESTED_ACTORS": "true",
        "WEBHOOK_SIGNING_KEY": SIGNING_KEY,
        "PUBLIC_URL": "https://partnerships.example.eu",
        "CHECKPOINT_SIGNING_KEY_FILE": str(key_file),
        "CHECKPOINT_EVERY": "1",
        "DELIVERY_SWEEP_INTERVAL": "PT0.2S",
        "WORKER_METRICS_HOST": "127.0.0.1",
        "WORKER_METRICS_PORT": str(metrics_port),
        "PYTHONUNBUFFERED": "1",
    }


def command_as(login: URL, *arguments: str) -> Any:
    """A `partnerships` command connected as `login`."""
    return CliRunner().invoke(
        cli,
        list(arguments),
        env={"DATABASE_URL": login.render_as_string(hide_password=False)},
        terminal_width=200,
    )


async def test_the_worker_and_the_api_run_a_whole_lifecycle_as_the_writer_login_and_no_more(
    dev_env: WorkflowEnvironment,  # noqa: F811 (the fixture imported above)
    logins: tuple[URL, URL],
    tmp_path: Path,
) -> None:
    writer_url, reader_url = logins
    address = dev_env.client.service_client.config.target_host
    task_queue = unique_task_queue()
    metrics_port = free_port()
    worker = WorkerProcess(
        worker_environment(writer_url, address, task_queue, tmp_path, metrics_port),
        tmp_path / "worker.log",
    )
    settings = Settings(
        database_url=writer_url.render_as_string(hide_password=False),
        temporal_address=address,
        task_queue=task_queue,
        data_dir=str(tmp_path),
        attestation_keys=ATTESTATION,
        attestation_key_id="k-test",
        require_attested_actors=True,
        webhook_signing_key=SIGNING_KEY,
    )
    writer = create_engine_from_url(writer_url)
    try:
        with WebhookReceiver().serving() as receiver:
            await asyncio.to_thread(worker.start)
            await asyncio.to_thread(wait_for_line, worker, f"127.0.0.1:{metrics_port}/metrics")
            with TestClient(create_app(settings), raise_server_exceptions=False) as client:
                api = Api(client, settings, writer)
                shown = await asyncio.to_thread(walk_to_launch, api, receiver.url)
            log = DeliveryLog(writer)
            await asyncio.to_thread(
                until,
                "every milestone delivered",
                lambda: [d.state for d in log.recent()] == [DeliveryState.DELIVERED] * MILESTONES,
            )
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{metrics_port}") as http:
                ready = await http.get("/readyz")
                metrics = (await http.get("/metrics")).text
            worker.stop()
        assert shown["partnership"]["stage"] == "launched"
        assert [p["country"] for p in shown["board"]["items"]] == ["CV"]
        assert len(receiver.received) == MILESTONES
        kinds = [json.loads(r.body)["data"]["milestone"]["kind"] for r in receiver.received]
        # One of each, the launch among them: each delivery is a workflow of its own, so the
        # order they arrive in is not promised (README, "How milestones reach subscribers").
        assert "launch" in kinds
        assert len(set(kinds)) == MILESTONES, kinds
        assert ready.json()["checks"] == {"temporal": "ok", "database": "ok"}
        assert "partnerships_database_scrape_ok 1.0" in metrics
        assert 'partnerships_ended_partnerships{stage="launched"} 1.0' in metrics

        store = EventStore(writer)
        assert store.verify().ok
        with writer.connect() as conn:
            signed = conn.execute(sa.text("SELECT count(*) FROM checkpoints")).scalar_one()
        assert signed >= 1

        # The operator's commands on the read models, with the writer's URL too.
        caught_up = command_as(writer_url, "projections", "catch-up")
        assert caught_up.exit_code == 0, caught_up.output
        with writer.connect() as conn:
            folded_to = conn.execute(
                sa.text("SELECT position FROM projector_checkpoints")
            ).scalar_one()
        assert folded_to == store.last_position()
        rebuilt = command_as(writer_url, "projections", "rebuild")
        assert rebuilt.exit_code == 0, rebuilt.output
        with writer.connect() as conn:
            stage = conn.execute(sa.text("SELECT stage FROM status_board")).scalar_one()
        assert stage == "launched"

        # The audit tools, as the reader login: export the signed checkpoints, verify against them.
        exported = tmp_path / "checkpoints.jsonl"
        public = str(tmp_path / "checkpoint-public.pem")
        export = command_as(
            reader_url, "checkpoint", "export", str(exported), "--public-key", public
        )
        assert export.exit_code == 0, export.output
        audit = command_as(reader_url, "verify", "--against", str(exported), "--public-key", public)
        assert audit.exit_code == 0, audit.output
        assert "Every chain holds" in audit.output

        # And still no more than appending: the writer cannot rewrite the record.
        version = store.stream_version("partnership-CV/1")
        for statement in (
            "UPDATE events SET payload = payload",
            "DELETE FROM events",
            "TRUNCATE events",
            "ALTER TABLE events DISABLE TRIGGER events_append_only",
        ):
            with pytest.raises(sa.exc.ProgrammingError) as refused, writer.begin() as conn:
                conn.exec_driver_sql(statement)
            assert "permission denied" in str(refused.value) or "must be owner" in str(
                refused.value
            ), statement
        assert store.stream_version("partnership-CV/1") == version
        assert store.verify().ok
    finally:
        worker.stop()
        writer.dispose()
