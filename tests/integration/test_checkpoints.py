"""Signed checkpoints anchor the record: each insider's tamper that plain `verify` cannot see is
caught by `partnerships verify --against`, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
import typer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from activities.checkpoint_file import CheckpointFileInvalid, export_checkpoints, read_checkpoints
from activities.checkpoints import (
    Checkpointer,
    compare_with_log,
    kept,
    make_checkpoint,
    sign,
    store,
)
from activities.eventstore import EventStore
from interfaces.cli import checkpoint_commands, store_commands
from tests.integration.helpers import events
from tests.integration.tamper import delete_last_event, delete_stream, rewrite_chain

CV, MD = "partnership-CV/1", "partnership-MD/1"
NOW = datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.UTC)

app = typer.Typer()
store_commands.register(app)
checkpoint_commands.register(app)


@app.callback()
def _root() -> None:
    """Keeps sub-commands addressed by name, as under `partnerships`."""


def write_key(path: Path, key: Ed25519PrivateKey) -> Path:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


class CheckpointContract:
    """Subclasses provide `engine`: a migrated, empty store."""

    @pytest.fixture
    def key_file(self, tmp_path: Path) -> Path:
        return write_key(tmp_path / "checkpoint.pem", Ed25519PrivateKey.generate())

    def cli(self, engine: Engine, key_file: Path, *args: str) -> tuple[int, str]:
        env = {
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "CHECKPOINT_SIGNING_KEY_FILE": str(key_file),
            "DATA_DIR": str(key_file.parent / "data"),
            "COLUMNS": "200",
        }
        result = CliRunner().invoke(app, list(args), env=env)
        return result.exit_code, result.output

    @pytest.fixture
    def anchored(self, engine: Engine, key_file: Path, tmp_path: Path) -> Path:
        """Two streams, checkpointed after each of two rounds of appends and exported."""
        log = EventStore(engine)
        log.append(CV, 0, events(2))
        log.append(MD, 0, events(2))
        assert self.cli(engine, key_file, "checkpoint", "create")[0] == 0
        log.append(CV, 2, events(1))
        assert self.cli(engine, key_file, "checkpoint", "create")[0] == 0
        exported = tmp_path / "checkpoints.jsonl"
        code, output = self.cli(engine, key_file, "checkpoint", "export", str(exported))
        assert code == 0, output
        assert "Exported 2 checkpoint(s)" in output
        code, output = self.cli(engine, key_file, "verify", "--against", str(exported))
        assert code == 0, output
        assert "agrees with 2 signed checkpoint(s) up to position 5" in output
        return exported

    def assert_only_the_anchor_sees_it(
        self, engine: Engine, key_file: Path, exported: Path, expected: str
    ) -> str:
        code, output = self.cli(engine, key_file, "verify")
        assert code == 0, output  # the insider kept every chain consistent
        code, output = self.cli(engine, key_file, "verify", "--against", str(exported))
        assert code == 1, output
        assert f"BROKEN {expected}" in output
        return output

    def test_a_rewritten_chain_with_recomputed_hashes_is_named_by_stream_and_version(
        self, engine: Engine, key_file: Path, anchored: Path
    ) -> None:
        rewrite_chain(engine, CV, 2, {"i": 99})
        output = self.assert_only_the_anchor_sees_it(
            engine, key_file, anchored, f"{CV} at version 2: its hash is not the one"
        )
        assert "rewritten" in output
        assert "BROKEN the global chain up to position 4: the log holds 4 event(s)" in output
        assert f"BROKEN {MD}" not in output

    def test_a_deleted_last_event_with_its_head_moved_back_is_caught(
        self, engine: Engine, key_file: Path, anchored: Path
    ) -> None:
        delete_last_event(engine, CV)
        self.assert_only_the_anchor_sees_it(
            engine, key_file, anchored, f"{CV} at version 3: the log holds version 2"
        )

    def test_a_deleted_whole_stream_is_caught(
        self, engine: Engine, key_file: Path, anchored: Path
    ) -> None:
        delete_stream(engine, MD)
        self.assert_only_the_anchor_sees_it(
            engine, key_file, anchored, f"{MD} at version 2: the stream is missing"
        )

    def test_a_checkpoint_line_edited_after_signing_is_refused(
        self, engine: Engine, key_file: Path, anchored: Path
    ) -> None:
        lines = anchored.read_text().splitlines()
        entry = json.loads(lines[1])
        entry["checkpoint"]["events"] = 4  # the insider makes the file fit a shorter log
        lines[1] = json.dumps(entry)
        anchored.write_text("\n".join(lines) + "\n")
        code, output = self.cli(engine, key_file, "verify", "--against", str(anchored))
        assert code == 1
        assert "cannot be trusted: line 2" in output
        assert "signature does not verify" in output

    def test_checkpoints_signed_by_another_key_are_refused(
        self, engine: Engine, key_file: Path, anchored: Path, tmp_path: Path
    ) -> None:
        other = Ed25519PrivateKey.generate()
        other_file = write_key(tmp_path / "other.pem", other)
        # The table's rows are the trusted key's: exporting with the other key refuses them.
        code, output = self.cli(
            engine, other_file, "checkpoint", "export", str(tmp_path / "other.jsonl")
        )
        assert code == 1
        assert "do not verify with the checkpoint key" in output
        forged = tmp_path / "forged.jsonl"
        forged.write_text(make_checkpoint(engine, other, NOW).line() + "\n")
        code, output = self.cli(
            engine, key_file, "verify", "--against", str(forged), "--public-key", str(key_file)
        )
        assert code == 1
        assert "cannot be trusted: line 1" in output
        assert "signed by key" in output

    def test_a_checkpoint_claiming_the_trusted_key_but_signed_by_another_is_refused(
        self, engine: Engine, key_file: Path, tmp_path: Path
    ) -> None:
        EventStore(engine).append(CV, 0, events(2))
        trusted = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        assert isinstance(trusted, Ed25519PrivateKey)
        honest = make_checkpoint(engine, trusted, NOW)
        forged = sign(honest.checkpoint, Ed25519PrivateKey.generate())  # same key id inside
        path = tmp_path / "forged.jsonl"
        path.write_text(forged.line() + "\n")
        code, output = self.cli(engine, key_file, "verify", "--against", str(path))
        assert code == 1
        assert "its signature does not verify" in output

    def test_export_only_appends_and_refuses_a_file_it_cannot_verify(
        self, engine: Engine, key_file: Path, anchored: Path, tmp_path: Path
    ) -> None:
        public = tmp_path / "public.pem"
        public.write_text(
            self.cli(engine, key_file, "checkpoint", "public-key")[1].split("key id")[0]
        )
        before = anchored.read_bytes()
        assert self.cli(engine, key_file, "checkpoint", "export", str(anchored))[1].startswith(
            "Exported 0 checkpoint(s)"
        )
        EventStore(engine).append(MD, 2, events(1))
        assert self.cli(engine, key_file, "checkpoint", "create")[0] == 0
        code, output = self.cli(
            engine,
            tmp_path / "no-private-key.pem",
            "checkpoint",
            "export",
            str(anchored),
            "--public-key",
            str(public),
        )
        assert code == 0, output
        after = anchored.read_bytes()
        assert after.startswith(before)
        assert len(after.splitlines()) == 3
        spoiled = after.replace(b'"events":4', b'"events":3', 1)
        assert spoiled != after
        anchored.write_bytes(spoiled)
        code, output = self.cli(engine, key_file, "checkpoint", "export", str(anchored))
        assert code == 1
        assert "nothing was written" in output
        assert anchored.read_bytes() == spoiled

    def test_checkpoint_create_refuses_to_sign_a_broken_record(
        self, engine: Engine, key_file: Path
    ) -> None:
        EventStore(engine).append(CV, 0, events(2))
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE streams SET version = 7")  # a head out of step
        code, output = self.cli(engine, key_file, "checkpoint", "create")
        assert code == 1
        assert "no checkpoint signed" in output

    def test_the_workers_checkpointer_signs_every_n_appends_as_a_full_walk_would(
        self, engine: Engine
    ) -> None:
        key = Ed25519PrivateKey.generate()
        checkpointer = Checkpointer(engine, lambda: key, every=2, clock=lambda: NOW)
        log = EventStore(engine)
        made = []
        for version in range(5):
            log.append(CV if version % 2 else MD, version // 2, events(1))  # MD, CV, MD, CV, MD
            made.append(checkpointer.appended())
        assert [m is not None for m in made] == [False, True, False, True, False]
        good, bad = kept(engine, key.public_key())
        assert not bad
        assert [g.checkpoint.position for g in good] == [2, 4]
        # Built incrementally on the first, the second equals a walk of the whole log.
        full = make_checkpoint(engine, key, NOW).checkpoint
        assert full.position == 5
        incremental = good[-1].checkpoint
        with engine.connect() as conn:
            assert compare_with_log(conn, [g.checkpoint for g in good]).ok
            assert compare_with_log(conn, [full]).ok
        assert incremental.events == 4

    def test_a_forged_row_in_the_table_is_never_exported_or_built_on(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        key = Ed25519PrivateKey.generate()
        EventStore(engine).append(CV, 0, events(2))
        honest = make_checkpoint(engine, key, NOW)
        forged = sign(honest.checkpoint, Ed25519PrivateKey.generate())
        assert store(engine, forged)
        good, bad = kept(engine, key.public_key())
        assert not good
        assert "does not verify" in bad[0]
        assert export_checkpoints(tmp_path / "out.jsonl", good, key.public_key()).added == 0
        with pytest.raises(CheckpointFileInvalid, match="does not exist"):
            read_checkpoints(tmp_path / "missing.jsonl", key.public_key())


class TestSQLiteCheckpoints(CheckpointContract):
    @pytest.fixture
    def engine(self, sqlite_engine: Engine) -> Engine:
        return sqlite_engine


@pytest.mark.postgres
class TestPostgresCheckpoints(CheckpointContract):
    @pytest.fixture
    def engine(self, pg_engine: Engine) -> Engine:
        return pg_engine
