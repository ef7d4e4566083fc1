"""`partnerships subscribers add|remove|list|secret` on a real SQLite store, through Typer's
CliRunner as a user types them."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import typer
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from activities.eventstore import EventStore
from activities.webhook_signatures import secret_for
from domain.directory import DIRECTORY_STREAM
from interfaces.cli import subscriber_commands

KEY = bytes(range(32))

cli = typer.Typer()
subscriber_commands.register(cli)


@cli.callback()
def _root() -> None:
    """Keeps sub-commands addressed by name, as under `partnerships`."""


@pytest.fixture
def url(sqlite_engine: Engine) -> str:
    return sqlite_engine.url.render_as_string(hide_password=False)


def run(url: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    settings = {
        "DATABASE_URL": url,
        "COLUMNS": "200",
        "WEBHOOK_SIGNING_KEY": base64.b64encode(KEY).decode(),
        **(env or {}),
    }
    result = CliRunner().invoke(cli, ["subscribers", *args], env=settings)
    return result.exit_code, result.output


def test_a_webhook_subscriber_is_added_with_its_secret_shown_once_and_again_on_request(
    url: str, sqlite_engine: Engine
) -> None:
    code, output = run(
        url, "add", "council", "--webhook", "https://council.example.eu/hooks", "--by", "alice",
        "--kinds", "launch,lapse", "--kinds", "council-decision", "--countries", "cv",
        "--history", "--reason", "the Secretariat asked",
    )  # fmt: skip
    assert code == 0, output
    (listed,) = json.loads(run(url, "list", "--json")[1])
    sid = listed["subscription_id"]
    assert output.splitlines()[0] == (
        f"Added subscriber council ({sid}): webhook to https://council.example.eu/hooks, "
        "kinds: council_decision, lapse, launch; countries: CV, with the milestones recorded "
        "before it."
    )
    assert output.splitlines()[-1] == secret_for(KEY, sid)
    code, shown = run(url, "secret", "council")
    assert (code, shown.strip()) == (0, secret_for(KEY, sid))
    assert (listed["name"], listed["history"], listed["active"]) == ("council", True, True)
    (stored,) = EventStore(sqlite_engine).read_stream(DIRECTORY_STREAM)
    assert stored.metadata == {"actor": {"id": "alice", "role": "administrator"}, "channel": "cli"}
    # The secret is never written into the record.
    assert secret_for(KEY, sid) not in json.dumps(stored.payload)


def test_an_email_subscriber_has_no_secret_and_is_removed_by_name(url: str) -> None:
    code, output = run(url, "add", "presidency", "--email", "Office@Presidency.EU", "--by", "a",
                       "--kinds", "deadline_reminder")  # fmt: skip
    assert code == 0, output
    assert "email to Office@presidency.eu, kinds: deadline_reminder." in output
    assert "secret" not in output
    code, output = run(url, "secret", "presidency")
    assert code == 1
    assert "only a webhook subscriber has a secret" in output
    code, output = run(url, "remove", "PRESIDENCY", "--by", "bob", "--reason", "new Presidency")
    assert code == 0, output
    assert output.startswith("Removed subscriber presidency (")
    assert run(url, "list")[1].strip() == "No subscriber."
    code, output = run(url, "list", "--all")
    assert "removed 20" in output
    assert "by bob" in output
    code, output = run(url, "remove", "presidency", "--by", "bob")
    assert code == 4
    assert "no subscriber is named or has the id 'presidency'" in output


def test_a_subscriber_the_directory_refuses_is_explained_and_records_nothing(url: str) -> None:
    add = ("add", "x", "--by", "alice")
    cases = [
        ((), 2, "give exactly one of --webhook https://… or --email name@domain"),
        (("--webhook", "council.example.eu"), 2, "is not a web address; write it as https://"),
        (("--email", "https://x.eu/"), 2, "is not an e-mail address"),
        (("--webhook", "http://council.example.eu/h"), 1, "allowed only to a loopback host"),
        (("--email", "a@b.eu", "--kinds", "launched"), 1, "the kinds are: consultation_outcome"),
        (("--email", "a@b.eu", "--regions", "europe"), 1, "the regions are: africa_mediterranean"),
        (("--email", "a@b.eu", "--countries", "ZZ"), 1, "is not an ISO 3166-1 alpha-2"),
    ]
    for extra, exit_code, says in cases:
        code, output = run(url, *add, *extra)
        assert (code, says in " ".join(output.split())) == (exit_code, True), output
    assert run(url, "list", "--all")[1].strip() == "No subscriber has been added."


def test_plain_http_to_loopback_is_accepted_in_development_and_refused_in_production(
    url: str,
) -> None:
    hook = ("add", "local", "--webhook", "http://127.0.0.1:8123/hook", "--by", "alice")
    code, output = run(url, *hook, env={"PARTNERSHIPS_ENV": "production"})
    assert code == 1
    assert "allowed only outside production" in " ".join(output.split())
    code, output = run(url, *hook)
    assert code == 0, output


def test_without_a_signing_key_development_makes_one_and_production_says_to_set_it(
    url: str, tmp_path: Path
) -> None:
    dev = {"WEBHOOK_SIGNING_KEY": "", "DATA_DIR": str(tmp_path)}
    code, output = run(url, "add", "c", "--webhook", "https://c.example.eu/", "--by", "a", env=dev)
    assert code == 0, output
    assert run(url, "secret", "c", env=dev)[1].strip() == output.splitlines()[-1]
    code, output = run(url, "secret", "c", env={**dev, "PARTNERSHIPS_ENV": "production"})
    assert code == 2
    assert "WEBHOOK_SIGNING_KEY is required in production" in " ".join(output.split())
