"""The installed CLI meets a missing server or database with the fix, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from faults.processes import free_port

PARTNERSHIPS = Path(sys.executable).parent / "partnerships"


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PARTNERSHIPS), *args],
        env={**os.environ, "COLUMNS": "200", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_unreachable_temporal_says_how_to_start_it() -> None:
    port = free_port()
    done = run(
        "respond", "CV", "--position", "interested", "--as", "member_state:PT:maria",
        env={"TEMPORAL_ADDRESS": f"127.0.0.1:{port}"},
    )  # fmt: skip
    assert done.returncode == 3
    assert f"cannot reach Temporal at 127.0.0.1:{port}" in done.stderr
    assert "make run" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_database_without_schema_says_to_upgrade_it(tmp_path: Path) -> None:
    done = run("list", env={"DATABASE_URL": f"sqlite:///{tmp_path / 'missing.db'}"})
    assert done.returncode == 3
    assert "partnerships db upgrade" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_report_on_a_country_with_no_record_exits_not_found(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert run("db", "upgrade", env={"DATABASE_URL": url}).returncode == 0
    done = run("report", "MA", env={"DATABASE_URL": url})
    assert done.returncode == 4
    assert "no partnership with MA is on record" in done.stderr


WORKER = Path(__file__).resolve().parents[2] / "worker.py"


def run_worker(how: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`partnerships worker` or `python worker.py`, which must behave the same."""
    command = [str(PARTNERSHIPS), "worker"] if how == "cli" else [sys.executable, str(WORKER)]
    return subprocess.run(
        command,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("how", ["cli", "script"])
def test_a_worker_with_a_bad_setting_names_it_and_exits_2(how: str) -> None:
    done = run_worker(how, {"CONSULTATION_PERIOD_DAYS": "0"})
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: bad setting: CONSULTATION_PERIOD_DAYS: "
        "Input should be greater than or equal to 1 (given '0')"
    ]


@pytest.mark.parametrize("how", ["cli", "script"])
def test_a_worker_without_a_migrated_database_exits_3(how: str, tmp_path: Path) -> None:
    done = run_worker(how, {"DATABASE_URL": f"sqlite:///{tmp_path / 'missing.db'}"})
    assert done.returncode == 3, done.stderr
    assert "partnerships db upgrade" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("how", ["cli", "script"])
def test_a_worker_that_cannot_reach_temporal_says_so_as_the_cli_does(
    how: str, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert run("db", "upgrade", env={"DATABASE_URL": url}).returncode == 0
    port = free_port()
    done = run_worker(how, {"DATABASE_URL": url, "TEMPORAL_ADDRESS": f"127.0.0.1:{port}"})
    assert done.returncode == 3, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: cannot reach Temporal at 127.0.0.1:{port} (namespace default): connection "
        "refused. Start the local stack with `make run` (or `partnerships dev`), or set "
        "TEMPORAL_ADDRESS to a running Temporal frontend."
    ]
