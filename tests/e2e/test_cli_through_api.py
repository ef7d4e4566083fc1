"""With PARTNERSHIPS_API, the CLI's steps go through the HTTP API as the token's subject.

One `partnerships dev` stack serves the module. `--as` asks the development issuer for a token
(granting the binding it needs), the API takes the actor from it, and the record says so: each
event's metadata names the channel `api` and the token's subject.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.devstack import CLI_TIMEOUT_S, PARTNERSHIPS, DevStack, free_port, needs_temporal

pytestmark = needs_temporal


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    dev = DevStack(
        data_dir=tmp_path_factory.mktemp("through-api") / "data",
        port=free_port(),
        ui_port=free_port(),
    )
    dev.start()
    try:
        yield dev
    finally:
        if dev.interrupt() != 0:
            dev.kill_leftovers()


def cli(stack: DevStack, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed CLI pointed at the stack's API (and `env` besides)."""
    environment = {**stack.env, "PARTNERSHIPS_API": stack.api_url, **env}
    for name in ("PARTNERSHIPS_TOKEN", "PARTNERSHIPS_ENV"):
        if name not in env:
            environment.pop(name, None)
    return subprocess.run(
        [str(PARTNERSHIPS), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )


def recorded(stack: DevStack, country: str) -> list[dict[str, Any]]:
    """The country's events, read from the event store (not through the API)."""
    events: list[dict[str, Any]] = json.loads(stack.ok("events", country, "--json"))
    return events


@pytest.fixture(scope="module")
def proposed(stack: DevStack) -> subprocess.CompletedProcess[str]:
    """CV proposed through the API by alice of the Commission."""
    done = cli(
        stack, "propose", "CV",
        "--rationale", "Cape Verde asked for a partnership",
        "--terms", "Council conclusions of June 2007, point 11",
        "--as", "commission:alice",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_propose_and_respond_go_through_the_api_and_are_recorded_as_the_tokens_subject(
    stack: DevStack, proposed: subprocess.CompletedProcess[str]
) -> None:
    assert "proposal recorded: partnership with CV (Cabo Verde) is at stage consultation" in (
        proposed.stdout
    )
    assert "Granted commission to alice" in proposed.stderr
    answered = cli(
        stack, "respond", "CV", "--position", "interested", "--offer", "legal_migration",
        "--as", "member_state:PT:maria",
    )  # fmt: skip
    assert answered.returncode == 0, answered.stdout + answered.stderr
    assert "respond to consultation recorded: partnership with CV" in answered.stdout
    assert "Granted member_state:PT to maria" in answered.stderr
    provenance = [
        (e["type"], e["metadata"]["channel"], e["metadata"]["subject"])
        for e in recorded(stack, "CV")
    ]
    assert provenance[0] == ("PartnershipProposed", "api", "alice")
    assert ("ConsultationAnswered", "api", "maria") in provenance


def test_a_member_state_answering_for_another_is_refused_with_the_domains_message(
    stack: DevStack, proposed: subprocess.CompletedProcess[str]
) -> None:
    before = recorded(stack, "CV")
    refused = cli(
        stack, "respond", "CV", "--position", "interested", "--member-state", "ES",
        "--as", "member_state:PT:maria",
    )  # fmt: skip
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert refused.stderr.startswith("error: rejected: maria (member_state, PT) ")
    assert "may answer only for PT, not for ES" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert recorded(stack, "CV") == before


def test_a_token_the_api_does_not_accept_exits_1_with_its_reason(
    stack: DevStack, proposed: subprocess.CompletedProcess[str]
) -> None:
    refused = cli(stack, "close-consultation", "CV", PARTNERSHIPS_TOKEN="not-a-token")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert refused.stderr.startswith("error: the API did not accept the token: ")
