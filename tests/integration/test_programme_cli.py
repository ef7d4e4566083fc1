"""`partnerships programme` on a real SQLite store: the administrator's cap and terms, and what
the programme shows, as a user types them."""

from __future__ import annotations

import json
from datetime import date

import pytest
import typer
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from activities.programme_store import ProgrammeStore
from domain.actors import Actor, Role
from interfaces.cli import programme_commands

cli = typer.Typer()
programme_commands.register(cli)


@cli.callback()
def _root() -> None:
    """Keeps sub-commands addressed by name, as under `partnerships`."""


@pytest.fixture
def url(sqlite_engine: Engine) -> str:
    return sqlite_engine.url.render_as_string(hide_password=False)


def run(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"DATABASE_URL": url, "COLUMNS": "200"})
    return result.exit_code, result.output


def test_an_administrator_sets_the_cap_with_a_reason_and_the_programme_shows_who_holds_it(
    url: str, sqlite_engine: Engine
) -> None:
    code, output = run(url, "programme", "cap", "2", "--reason", "a limited number", "--by", "ada")
    assert code == 0, output
    assert output.startswith("Cap: 2 pilot partnerships (a limited number); 0 held, 2 free.")
    ProgrammeStore(sqlite_engine).take_slot(
        "CV",
        "partnership-CV/1",
        taken_on=date(2007, 6, 18),
        actor=Actor(id="a", role=Role.COMMISSION),
    )
    code, output = run(url, "programme", "show", "--json")
    assert code == 0, output
    shown = json.loads(output)
    assert (shown["cap"], shown["held"], shown["free"]) == (2, 1, 1)
    assert shown["slots"] == [
        {"country": "CV", "stream_id": "partnership-CV/1", "taken_on": "2007-06-18"}
    ]
    code, output = run(url, "programme", "show")
    assert "partnership-CV/1" in output
    assert "1 held, 1 free" in output


def test_a_cap_out_of_bounds_is_a_usage_error_and_records_nothing(
    url: str, sqlite_engine: Engine
) -> None:
    code, output = run(url, "programme", "cap", "101", "--reason", "r", "--by", "ada")
    assert code == 2
    assert "100" in output
    assert ProgrammeStore(sqlite_engine).programme()[1] == 0


def test_terms_of_reference_are_recorded_once(url: str, sqlite_engine: Engine) -> None:
    for _ in range(2):
        code, output = run(
            url, "programme", "terms", "Pilots on point 10", "--reference", "SEC(2007) 1",
            "--by", "ada",
        )  # fmt: skip
        assert code == 0, output
    assert "Terms of reference (SEC(2007) 1): Pilots on point 10" in output
    assert ProgrammeStore(sqlite_engine).programme()[1] == 1


def test_a_council_decision_naming_no_country_is_a_usage_error(url: str) -> None:
    code, output = run(
        url, "council-decision", "--countries", " , ", "--reference", "x",
        "--outcome", "invite_launch", "--as", "presidency:PT:joao",
    )  # fmt: skip
    assert code == 2
    assert "names no country" in output
