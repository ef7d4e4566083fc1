"""The installed CLI meets a missing server or database with the fix, not a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

PARTNERSHIPS = Path(sys.executable).parent / "partnerships"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
