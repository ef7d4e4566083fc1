"""Expected failures reach a user as one sentence and an exit code, never as a traceback."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from typer.testing import CliRunner

from app import partnerships as core_module
from app.partnerships import _refusal
from domain.actors import Actor, Role
from domain.requests import REQUEST_FOR
from interfaces.cli.app import app
from interfaces.cli.arguments import start_request, update_request
from interfaces.terminal import CliError, explained
from settings import SettingsError, load_settings

COMMISSION = Actor(id="alice", role=Role.COMMISSION)
PORTUGAL = Actor(id="maria", role=Role.MEMBER_STATE, member_state="PT")
NOW = datetime(2026, 1, 10, 9, 30, tzinfo=UTC)

# The exit codes as README's table documents them, written as the numbers a script sees.
REFUSED = 1  # the domain's rule or a malformed value; nothing was recorded
USAGE = 2  # the command line itself is wrong (unknown option, bad --as, bad country code)


def test_a_bad_choice_is_reported_by_its_option_with_what_is_allowed() -> None:
    with pytest.raises(CliError) as refused:
        update_request(
            REQUEST_FOR["respond_to_consultation"],
            PORTUGAL,
            {"member_state": "PT", "position": "maybe"},
        )
    assert refused.value.message == (
        "--position: Input should be 'interested' or 'not_interested' (given 'maybe')"
    )
    assert refused.value.code == REFUSED


def test_a_bad_item_of_a_repeated_option_names_the_option() -> None:
    with pytest.raises(CliError) as refused:
        update_request(
            REQUEST_FOR["respond_to_consultation"],
            PORTUGAL,
            {"member_state": "PT", "position": "interested", "offers": ["teleportation"]},
        )
    assert refused.value.message.startswith("--offer: Input should be 'legal_migration'")
    assert "(given 'teleportation')" in refused.value.message


def test_a_malformed_date_names_the_option_and_the_problem() -> None:
    with pytest.raises(CliError) as refused:
        update_request(
            REQUEST_FOR["record_council_decision"],
            Actor(id="joao", role=Role.PRESIDENCY),
            {"outcome": "invite_launch", "decided_on": "10/12/2007"},
        )
    assert refused.value.message.startswith("--decided-on: Input should be a valid date")


def test_options_left_out_take_the_contracts_defaults() -> None:
    request = update_request(REQUEST_FOR["close_consultation"], COMMISSION, {"occurred_on": None})
    assert request.model_dump()["occurred_on"] is None


def test_a_proposal_without_a_consultation_deadline_leaves_it_to_the_workflow() -> None:
    request = start_request(
        COMMISSION,
        {"country": "CV", "rationale": "r", "terms_of_reference": "t"},
        consultation_period_days=30,
        now=NOW,
    )
    assert request.consultation_deadline is None
    # The start input says null, as the contract allows; the worker's period applies.
    assert json.loads(request.model_dump_json())["consultation_deadline"] is None


def test_a_decision_deadline_sooner_than_the_consultation_period_is_accepted() -> None:
    # The domain caps a defaulted consultation at an explicit decision deadline; the CLI
    # used to fill in today + the period itself and then refuse its own deadline.
    soon = NOW.date() + timedelta(days=10)
    request = start_request(
        COMMISSION,
        {
            "country": "CV",
            "rationale": "r",
            "terms_of_reference": "t",
            "decision_deadline": soon.isoformat(),
        },
        consultation_period_days=42,
        now=NOW,
    )
    assert request.consultation_deadline is None
    assert request.decision_deadline == soon


def test_the_local_check_uses_the_configured_consultation_period(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    periods: list[timedelta] = []

    def spy(*args: Any, consultation_period: timedelta) -> list[Any]:
        periods.append(consultation_period)
        return []

    monkeypatch.setattr(core_module, "decide", spy)
    start_request(
        COMMISSION,
        {"country": "CV", "rationale": "r", "terms_of_reference": "t"},
        consultation_period_days=30,
        now=NOW,
    )
    assert periods == [timedelta(days=30)]


def test_a_proposal_keeps_the_consultation_deadline_it_was_given() -> None:
    request = start_request(
        COMMISSION,
        {
            "country": "CV",
            "rationale": "r",
            "terms_of_reference": "t",
            "consultation_deadline": "2026-03-01",
        },
        consultation_period_days=30,
        now=NOW,
    )
    assert request.consultation_deadline == date(2026, 3, 1)


@pytest.mark.parametrize(
    ("actor", "country", "says"),
    [
        (COMMISSION, "FR", "rejected: FR is an EU Member State, not a third country"),
        (Actor(id="joao", role=Role.PRESIDENCY), "CV", "may not propose: only commission may"),
    ],
)
def test_a_proposal_the_domain_would_refuse_is_refused_before_anything_starts(
    actor: Actor, country: str, says: str
) -> None:
    with pytest.raises(CliError) as refused:
        start_request(
            actor,
            {"country": country, "rationale": "r", "terms_of_reference": "t"},
            consultation_period_days=30,
            now=NOW,
        )
    assert says in refused.value.message
    assert refused.value.code == REFUSED


def test_an_update_rejection_shows_the_validators_reason() -> None:
    reason = "cannot close_consultation while the partnership is at stage exploratory_talks"
    failure = WorkflowUpdateFailedError(ApplicationError(reason, type="WrongStage"))
    refusal = _refusal(failure)
    assert (refusal.message, refusal.kind) == (reason, "WrongStage")
    assert explained(refusal).message == f"rejected: {reason}"


def test_a_bad_setting_names_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSULTATION_PERIOD_DAYS", "six weeks")
    with pytest.raises(SettingsError) as refused:
        load_settings()
    said = explained(refused.value)
    assert said.message.startswith("bad setting: CONSULTATION_PERIOD_DAYS:")
    assert said.code == USAGE


runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (
            ["respond", "XX", "--position", "interested", "--as", "member_state:PT:maria"],
            USAGE,
            "XX is not an ISO 3166-1 alpha-2 country code",
        ),
        (
            ["propose", "FR", "--rationale", "r", "--terms", "t", "--as", "commission:alice"],
            REFUSED,
            "FR is an EU Member State",
        ),
        (
            ["propose", "CV", "--rationale", "r", "--terms", "t"],
            USAGE,
            "who is acting?",
        ),
        (
            ["close-consultation", "CV", "--on", "yesterday", "--as", "commission:alice"],
            REFUSED,
            "--on: Input should be a valid date",
        ),
    ],
)
def test_the_cli_exits_with_a_sentence_and_a_code_before_contacting_anything(
    args: list[str], code: int, says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PARTNERSHIPS_ACTOR", raising=False)
    # An address nothing listens on: reaching the network would fail differently.
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:9")
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    assert says in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
