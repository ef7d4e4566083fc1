"""An auditor reproduces every hash without this code: tools/audit_chain.py (standard library,
or the rfc8785 package) reads the store as SQLite's file or psql's output and checks it."""

from __future__ import annotations

import datetime
import shutil
import subprocess
import sys
import uuid
from abc import ABC, abstractmethod
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Engine

from activities.checkpoint_file import export_checkpoints
from activities.checkpoints import make_checkpoint
from activities.codec import to_new_event
from activities.eventstore import EventStore
from migrations.append_only import guard_lifted
from tests.integration.tamper import rewrite_chain
from tests.unit.strategies import ENDED_STAGES, OPEN_STAGES

AUDIT = Path(__file__).parents[2] / "tools" / "audit_chain.py"
NOW = datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.UTC)


def record_every_lifecycle(engine: Engine) -> int:
    """One stream per lifecycle the domain knows, appended one event at a time."""
    store = EventStore(engine)
    count = 0
    builders = [*ENDED_STAGES.values(), *OPEN_STAGES.values()]
    for number, build in enumerate(builders, start=1):
        for version, event in enumerate(build().events):
            metadata = {"workflow_id": "partnership-CV", "run_id": f"run-{number}"}
            store.append(
                f"partnership-CV/{number}", version, [to_new_event(uuid.uuid4(), event, metadata)]
            )
            count += 1
    return count


def audit(*args: str | Path) -> tuple[int, str]:
    """Run the auditor as its own process, from outside the project's directory."""
    done = subprocess.run(
        [sys.executable, str(AUDIT), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/",
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


class AuditContract(ABC):
    """Subclasses provide `engine` and `sources(tmp_path)`: the auditor's arguments."""

    @abstractmethod
    def sources(self, engine: Engine, tmp_path: Path) -> list[str | Path]:
        """The auditor's arguments that name this backend's rows."""

    def test_the_auditor_reproduces_every_hash_and_the_checkpoints(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        count = record_every_lifecycle(engine)
        key = Ed25519PrivateKey.generate()
        exported = tmp_path / "checkpoints.jsonl"
        export_checkpoints(exported, [make_checkpoint(engine, key, NOW)], key.public_key())
        for encoding in ([], ["--rfc8785"]):
            code, output = audit(
                *self.sources(engine, tmp_path), "--checkpoints", exported, *encoding
            )
            assert code == 0, output
            assert f"{count} of {count} hash(es) reproduced, 1 checkpoint(s) compared" in output

    def test_the_auditor_catches_an_edit_and_a_rewritten_chain(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        record_every_lifecycle(engine)
        key = Ed25519PrivateKey.generate()
        exported = tmp_path / "checkpoints.jsonl"
        export_checkpoints(exported, [make_checkpoint(engine, key, NOW)], key.public_key())
        with engine.begin() as conn, guard_lifted(conn):
            conn.execute(
                sa.text("UPDATE events SET occurred_on = :d WHERE position = 3"),
                {"d": datetime.date(2001, 1, 1)},
            )
        code, output = audit(*self.sources(engine, tmp_path))
        assert code == 1
        assert "(position 3): its content does not match its hash" in output
        rewrite_chain(engine, "partnership-CV/1", 1, {"forged": True})
        code, output = audit(*self.sources(engine, tmp_path))
        assert "partnership-CV/1 version 1 (position 1)" not in output
        code, output = audit(*self.sources(engine, tmp_path), "--checkpoints", exported)
        assert code == 1
        assert "the log's global chain is not the one signed" in output
        assert "partnership-CV/1 is at" in output


class TestSQLiteAudit(AuditContract):
    @pytest.fixture
    def engine(self, sqlite_engine: Engine) -> Engine:
        return sqlite_engine

    def sources(self, engine: Engine, tmp_path: Path) -> list[str | Path]:
        with engine.connect() as conn:  # the auditor reads the file: fold the WAL into it
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return ["--sqlite", str(engine.url.database)]


@pytest.mark.postgres
class TestPostgresAudit(AuditContract):
    @pytest.fixture
    def engine(self, pg_engine: Engine) -> Engine:
        return pg_engine

    def sources(self, engine: Engine, tmp_path: Path) -> list[str | Path]:
        """The rows as README tells an auditor to take them: psql's JSON of each row."""
        psql = shutil.which("psql")
        assert psql is not None, "psql (postgresql-client) is needed to export for the auditor"
        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        files: list[str | Path] = []
        for table, option in (("events", "--events"), ("streams", "--streams")):
            path = tmp_path / f"{table}.jsonl"
            with path.open("w") as out:
                subprocess.run(
                    [psql, url, "-At", "-c", f"SELECT row_to_json(t) FROM {table} t"],
                    stdout=out,
                    check=True,
                    timeout=60,
                )
            files += [option, path]
        return files
