"""`make run`, then `partnerships token` and `curl`: one partnership from proposal to launch.

The local stack serves the HTTP API beside its worker; every step goes through it with a token
of the development issuer, and the record names each event's provenance.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from domain.presidencies import presidency_on
from tests.e2e.devstack import DevStack, free_port, needs_temporal

pytestmark = needs_temporal


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[DevStack]:
    dev = DevStack(data_dir=tmp_path / "data", port=free_port(), ui_port=free_port())
    dev.start()
    try:
        yield dev
    finally:
        dev.interrupt()


def curl(stack: DevStack, token: str, method: str, path: str, body: Any = None) -> Any:
    """What README's curl examples do: one request, its JSON answer (or a failed test)."""
    command = [
        "curl", "-sS", "-X", method, "-w", "\\n%{http_code}",
        "-H", f"Authorization: Bearer {token}",
        f"{stack.api_url}{path}",
    ]  # fmt: skip
    if body is not None:
        command += ["-H", "Content-Type: application/json", "-d", json.dumps(body)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=True)
    text, _, status = done.stdout.rpartition("\n")
    assert status.startswith("2"), f"{method} {path}: {status} {text}"
    return json.loads(text)


def test_a_partnership_walks_from_proposal_to_launch_through_the_api(stack: DevStack) -> None:
    today = datetime.now(UTC).date().isoformat()
    alice = stack.ok("token", "--as", "commission:alice").strip()
    maria = stack.ok("token", "--as", "member_state:PT:maria").strip()
    # The Presidency in office today, from the Council's order: its steps are dated today.
    in_office = presidency_on(datetime.now(UTC).date())
    joao = stack.ok("token", "--as", f"presidency:{in_office}:joao").strip()
    view = curl(stack, alice, "POST", "/partnerships", {
        "country": "CV", "rationale": "Cape Verde asked for a partnership",
        "terms_of_reference": "Council conclusions of June 2007, point 11",
    })  # fmt: skip
    assert view["stage"] == "consultation"
    steps: list[tuple[str, str, dict[str, Any]]] = [
        (maria, "respond_to_consultation",
         {"member_state": "PT", "position": "interested", "offers": ["legal_migration"]}),
        (alice, "close_consultation", {}),
        (joao, "authorise_talks", {}),
        (alice, "record_talks_round",
         {"held_on": today, "member_states": ["PT"], "summary": "Praia"}),
        (alice, "conclude_talks",
         {"third_country_willing": True,
          "commitments": ["illegal_immigration_cooperation", "readmission_and_return"]}),
        (alice, "submit_report", {"recommendation": "launch", "summary": "go"}),
        (joao, "record_council_decision", {"outcome": "invite_launch", "decided_on": today}),
        (alice, "launch_partnership",
         {"member_states": ["PT"], "components": ["legal_migration", "readmission_and_return"],
          "signed_on": today}),
    ]  # fmt: skip
    for token, update, body in steps:
        view = curl(stack, token, "POST", f"/partnerships/CV/{update}", body)
    assert view["stage"] == "launched"
    recorded = json.loads(stack.ok("events", "CV", "--json"))
    assert [(e["metadata"]["channel"], e["metadata"]["subject"]) for e in recorded][:3] == [
        ("api", "alice"),
        ("api", "maria"),
        ("api", "alice"),
    ]
    assert {e["metadata"]["channel"] for e in recorded} == {"api"}
    assert "Every chain holds" in stack.ok("verify")
