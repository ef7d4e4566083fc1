"""Settings the operators give: the attestation keys from a file (a compose secret)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from settings import Settings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # No `.env` and no variables of the machine's own leak into these tests.
    monkeypatch.chdir(tmp_path)
    for name in ("ATTESTATION_KEYS", "ATTESTATION_KEYS_FILE", "PARTNERSHIPS_ENV"):
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
