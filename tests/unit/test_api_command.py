"""`partnerships api`: the development issuer's URL follows the port the API is served on."""

from __future__ import annotations

from typing import Any

import pytest

from interfaces.cli.api_command import DEFAULT_API_PORT, for_address
from settings import Settings


@pytest.fixture(autouse=True)
def no_issuer_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEV_ISSUER_URL", raising=False)


def settings(**given: Any) -> Settings:
    """Settings from `given` and defaults only (no `.env`)."""
    return Settings(_env_file=None, **given)


def test_on_another_port_the_development_issuer_is_the_api_on_that_port() -> None:
    moved = for_address(settings(), "127.0.0.1", 8123)
    assert moved.dev_issuer_url == "http://127.0.0.1:8123/dev/"


def test_on_every_interface_the_issuer_is_named_by_the_loopback_address() -> None:
    assert for_address(settings(), "0.0.0.0", 8123).dev_issuer_url == "http://127.0.0.1:8123/dev/"


def test_a_development_issuer_url_set_explicitly_is_kept() -> None:
    given = settings(dev_issuer_url="https://dev.example/issuer/")
    assert for_address(given, "127.0.0.1", 8123).dev_issuer_url == "https://dev.example/issuer/"


def test_on_the_default_port_the_settings_are_kept_as_they_are() -> None:
    default = settings()
    assert for_address(default, "127.0.0.1", DEFAULT_API_PORT) is default
