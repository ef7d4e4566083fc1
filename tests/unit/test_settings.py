"""Settings the operators give: the attestation keys from a file (a compose secret)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from domain import (
    DEFAULT_CONSULTATION_PERIOD,
    Actor,
    Partnership,
    ProposePartnership,
    Role,
    decide,
    latest_deadline,
)
from domain.bounds import longest_period_within_horizon
from domain.events import PartnershipProposed
from settings import Settings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # No `.env` and no variables of the machine's own leak into these tests.
    monkeypatch.chdir(tmp_path)
    for name in (
        "ATTESTATION_KEYS",
        "ATTESTATION_KEYS_FILE",
        "PARTNERSHIPS_ENV",
        "CONSULTATION_PERIOD_DAYS",
    ):
        monkeypatch.delenv(name, raising=False)


def test_the_attestation_keys_are_read_from_the_file_a_secret_mounts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    keys = tmp_path / "attestation_keys.json"
    keys.write_text(json.dumps({"k1": "one", "k2": "two"}))
    monkeypatch.setenv("ATTESTATION_KEYS_FILE", str(keys))
    assert load_settings().attestation_keys == {"k1": "one", "k2": "two"}


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "cannot be read"),
        ("not json", "is not JSON"),
        ("[]", "non-empty JSON object of key id → secret text"),
        ('{"k1": ""}', "non-empty JSON object of key id → secret text"),
    ],
)
def test_a_keys_file_that_cannot_serve_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, content: str | None, says: str
) -> None:
    keys = tmp_path / "keys.json"
    if content is not None:
        keys.write_text(content)
    monkeypatch.setenv("ATTESTATION_KEYS_FILE", str(keys))
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert "ATTESTATION_KEYS_FILE" in str(refused.value)
    assert says in str(refused.value)


def test_keys_given_twice_are_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text('{"k1": "one"}')
    monkeypatch.setenv("ATTESTATION_KEYS", '{"k0": "zero"}')
    monkeypatch.setenv("ATTESTATION_KEYS_FILE", str(keys))
    with pytest.raises(SettingsError, match="not both"):
        load_settings()


def test_production_requires_attested_actors_unless_told_otherwise() -> None:
    assert Settings(partnerships_env="production").attestation_required
    assert not Settings(partnerships_env="development").attestation_required
    assert not Settings(
        partnerships_env="production", require_attested_actors=False
    ).attestation_required


# -- the default consultation period fits within the deadline horizon ------------------------


def _today() -> date:
    return datetime.now(UTC).date()


def test_a_consultation_period_beyond_the_horizon_is_refused_at_start_up_with_the_range(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    today = _today()
    longest = longest_period_within_horizon(today).days
    monkeypatch.setenv("CONSULTATION_PERIOD_DAYS", str(longest + 1))

    with pytest.raises(SettingsError) as refused:
        load_settings()

    message = str(refused.value)
    assert "CONSULTATION_PERIOD_DAYS" in message
    assert f"after {latest_deadline(today).isoformat()}" in message
    assert f"set CONSULTATION_PERIOD_DAYS between 1 and {longest}" in message


def test_a_consultation_period_too_long_for_any_calendar_is_refused_not_an_overflow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONSULTATION_PERIOD_DAYS", str(10**20))

    with pytest.raises(SettingsError, match="set CONSULTATION_PERIOD_DAYS between 1 and"):
        load_settings()


def test_the_longest_consultation_period_within_the_horizon_is_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    longest = longest_period_within_horizon(_today()).days
    monkeypatch.setenv("CONSULTATION_PERIOD_DAYS", str(longest))

    assert load_settings().consultation_period_days == longest


def test_the_default_consultation_period_is_accepted() -> None:
    assert Settings().consultation_period_days == DEFAULT_CONSULTATION_PERIOD.days


def test_a_period_the_settings_accept_defaults_a_valid_proposal_today() -> None:
    # The settings and `decide` use one rule (domain/bounds.py): what starts, proposes.
    today = _today()
    now = datetime.combine(today, time(12), tzinfo=UTC)
    settings = Settings(consultation_period_days=longest_period_within_horizon(today).days)
    period = timedelta(days=settings.consultation_period_days)
    proposal = ProposePartnership(country="CV", rationale="r", terms_of_reference="t")
    actor = Actor(id="ana", role=Role.COMMISSION)

    [proposed] = decide(Partnership(), proposal, actor, now, consultation_period=period)

    assert isinstance(proposed, PartnershipProposed)
    assert proposed.consultation_deadline == latest_deadline(today)
