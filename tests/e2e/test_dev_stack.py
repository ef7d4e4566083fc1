"""End to end: `partnerships dev` on free ports and a fresh data directory, driven by the CLI.

The stack runs as a real subprocess; the CLI is the installed `partnerships` script. The test
stops the stack with SIGINT, checks every process it started is gone, and restarts on the same
data directory to find the same workflows and events.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.devstack import (
    CLI_TIMEOUT_S,
    PARTNERSHIPS,
    DevStack,
    free_port,
    is_running,
    needs_temporal,
)

pytestmark = needs_temporal


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[DevStack]:
    dev = DevStack(data_dir=tmp_path / "data", port=free_port(), ui_port=free_port())
    try:
        yield dev
    finally:
        dev.kill_leftovers()


COMMISSION = "commission:alice"
PRESIDENCY = "presidency:PT:joao"  # Portugal held the Presidency in the second half of 2007
PORTUGAL = "member_state:PT:maria"


def drive_cape_verde(stack: DevStack) -> None:
    """Cape Verde from proposal to launch, with its historical business dates."""
    stack.ok(
        "propose", "CV", "--rationale", "Pilot partnership", "--terms", "Terms",
        "--on", "2007-06-18", actor=COMMISSION,
    )  # fmt: skip
    stack.ok(
        "respond", "CV", "--position", "interested", "--offer", "legal_migration",
        "--on", "2007-07-16", actor=PORTUGAL,
    )  # fmt: skip
    stack.ok("close-consultation", "CV", "--on", "2007-09-14", actor=COMMISSION)
    stack.ok("authorise-talks", "CV", "--on", "2007-09-20", actor=PRESIDENCY)
    stack.ok(
        "record-talks", "CV", "--held-on", "2007-10-18", "--member-state", "PT",
        "--summary", "First round", "--location", "Praia", actor=COMMISSION,
    )  # fmt: skip
    stack.ok(
        "conclude-talks", "CV", "--willing", "--commitment", "readmission_and_return",
        "--commitment", "illegal_immigration_cooperation",
        "--community-offer", "visa_facilitation", "--on", "2007-11-16", actor=COMMISSION,
    )  # fmt: skip
    stack.ok(
        "submit-report", "CV", "--recommend", "launch", "--summary", "Go ahead",
        "--on", "2007-11-23", actor=COMMISSION,
    )  # fmt: skip
    stack.ok("decide", "CV", "--invite-launch", "--decided-on", "2007-12-10", actor=PRESIDENCY)
    stack.ok(
        "launch", "CV", "--member-state", "PT", "--component", "visa_facilitation",
        "--component", "readmission_and_return", "--signed-on", "2008-06-05", actor=COMMISSION,
    )  # fmt: skip


def test_dev_runs_a_lifecycle_stops_cleanly_on_sigint_and_restarts_with_everything_kept(
    stack: DevStack,
) -> None:
    stack.start()
    assert len(stack.started_pids) >= 2, "dev should have started the Temporal server"

    drive_cape_verde(stack)

    # A rejected step: the domain's reason, a non-zero exit, no traceback, nothing recorded.
    rejected = stack.cli("withdraw", "CV", "--reason", "too late", actor=COMMISSION)
    assert rejected.returncode == 1
    assert "has ended (launched)" in rejected.stderr
    assert "Traceback" not in rejected.stderr + rejected.stdout

    shown = stack.ok("show", "CV")
    assert "launched" in shown
    assert "2008-06-05" in shown  # the signature's business date, in the timeline
    report = stack.ok("report", "CV", "--milestone", "launch")
    assert report.startswith("# Launch of the pilot partnership")
    assert "Joint declaration signed on 2008-06-05 by PT" in report
    # Senegal stays open, so the restart must bring back a running workflow, not only a record.
    stack.ok("propose", "SN", "--rationale", "r", "--terms", "t", actor=COMMISSION)
    # A foreign Member State: Portugal's representative may not answer for Spain.
    sn_before = stack.ok("events", "SN", "--json")
    foreign = stack.cli(
        "respond", "SN", "--member-state", "ES", "--position", "interested", actor=PORTUGAL
    )
    assert foreign.returncode == 1, foreign.stdout + foreign.stderr
    assert "may answer only for PT, not for ES" in foreign.stderr
    assert "Traceback" not in foreign.stderr + foreign.stdout
    assert stack.ok("events", "SN", "--json") == sn_before  # nothing recorded
    # Text people type is shown as typed, brackets and all (Rich markup is not parsed).
    marked = "commission:bob [/] x"
    # A decision deadline sooner than the consultation period: the workflow caps the defaulted
    # consultation deadline at it (the domain's rule), and the CLI must not refuse it first.
    soon = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    proposed = stack.ok(
        "propose", "MA", "--rationale", "see [bold]annex[/]", "--terms", "t",
        "--decision-deadline", soon, actor=marked,
    )  # fmt: skip
    assert f"consultation deadline {soon}, operational decision deadline {soon}" in proposed
    stack.ok("withdraw", "MA", "--reason", "talks stalled [/] see annex", actor=marked)
    shown_ma = stack.ok("show", "MA")
    assert "talks stalled [/] see annex" in shown_ma
    assert "see [bold]annex[/]" in shown_ma
    assert "bob [/] x" in shown_ma
    assert "commission:bob [/] x" in stack.ok("events", "MA")
    events_before = stack.ok("events", "CV", "--json")
    board_before = stack.ok("list")
    assert "CV" in board_before
    assert "launched" in board_before
    assert "SN" in board_before

    status = stack.interrupt()
    assert status == 0, "".join(stack.output)
    leftovers = [pid for pid in stack.started_pids if is_running(pid)]
    assert leftovers == [], f"still running after SIGINT: {leftovers}"

    stack.start()
    assert stack.ok("events", "CV", "--json") == events_before
    assert stack.ok("list") == board_before
    shown_again = stack.ok("show", "CV")
    assert "launched" in shown_again
    assert "shown from the event store" not in shown_again  # Temporal still has the workflow
    stack.ok("respond", "SN", "--position", "interested", actor="member_state:FR:luc")
    assert "FR" in stack.ok("show", "SN")
    # The second SIGTERM usually lands during the stop, which must complete all the same.
    assert stack.terminate_twice() == 0, "".join(stack.output)
    assert [pid for pid in stack.started_pids if is_running(pid)] == []


def test_dev_refuses_a_port_already_in_use_before_starting_anything(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [str(PARTNERSHIPS), "dev", "--port", str(port), "--ui-port", str(free_port()),
             "--api-port", str(free_port()), "--data-dir", str(tmp_path / "data")],
            capture_output=True, text=True, timeout=CLI_TIMEOUT_S, check=False,
        )  # fmt: skip
    assert done.returncode == 3
    assert f"port {port}" in done.stderr
    assert "already in use" in done.stderr
    assert not (tmp_path / "data").exists()
