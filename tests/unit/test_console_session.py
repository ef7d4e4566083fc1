"""The pure parts of console sign-in: where `next` may lead, the CSRF token, and what production
settings must hold before the console starts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interfaces.console.session import csrf_token, local_path, sign_in_url
from interfaces.console.signin_settings import check_console_settings, missing_for_production
from settings import Settings, SettingsError

PRODUCTION: dict[str, Any] = {
    "partnerships_env": "production",
    "oidc_issuer": "https://login.example.eu/oidc",
    "oidc_client_id": "pilot-partnerships-console",
    "public_url": "https://partnerships.example.eu",
    "console_session_secret": "s" * 32,
}


class FakeRequest:
    """Only what csrf_token reads: a session."""

    def __init__(self) -> None:
        self.session: dict[str, Any] = {}


@given(st.text(max_size=60))
def test_next_is_always_a_path_on_this_site(candidate: str) -> None:
    kept = local_path(candidate)
    parts = urlsplit(kept)
    assert kept.startswith("/")
    assert not kept.startswith("//")
    assert not parts.scheme
    assert not parts.netloc


@pytest.mark.parametrize(
    "candidate",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", ""],
)
def test_a_next_that_would_leave_the_site_becomes_the_home_page(candidate: str) -> None:
    assert local_path(candidate) == "/"


def test_a_next_on_the_site_is_kept_with_its_query() -> None:
    assert local_path("/partnerships/CV?tab=record") == "/partnerships/CV?tab=record"
    assert sign_in_url("/inbox") == "/sign-in?next=%2Finbox"
    assert sign_in_url("/") == "/sign-in"


def test_a_session_has_one_csrf_token_until_it_ends() -> None:
    request: Any = FakeRequest()
    first = csrf_token(request)
    assert csrf_token(request) == first
    assert len(first) >= 32
    another: Any = FakeRequest()
    assert csrf_token(another) != first


def test_development_needs_no_console_setting() -> None:
    assert missing_for_production(Settings()) == []


def test_production_with_every_console_setting_starts() -> None:
    check_console_settings(Settings(**PRODUCTION))


@pytest.mark.parametrize(
    ("left_out", "named"),
    [
        ("console_session_secret", "CONSOLE_SESSION_SECRET"),
        ("oidc_client_id", "OIDC_CLIENT_ID"),
        ("public_url", "PUBLIC_URL"),
        ("oidc_issuer", "OIDC_ISSUER"),
    ],
)
def test_production_without_a_console_setting_names_it(left_out: str, named: str) -> None:
    settings = Settings(**{k: v for k, v in PRODUCTION.items() if k != left_out})
    with pytest.raises(SettingsError, match=named):
        check_console_settings(settings)


def test_production_names_every_missing_setting_at_once() -> None:
    with pytest.raises(SettingsError) as refused:
        check_console_settings(Settings(partnerships_env="production"))
    for name in ("OIDC_ISSUER", "OIDC_CLIENT_ID", "PUBLIC_URL", "CONSOLE_SESSION_SECRET"):
        assert name in str(refused.value)


def test_production_refuses_a_public_url_over_plain_http() -> None:
    settings = Settings(**{**PRODUCTION, "public_url": "http://partnerships.example.eu"})
    with pytest.raises(SettingsError, match="an https PUBLIC_URL"):
        check_console_settings(settings)


def test_a_short_session_secret_is_refused_saying_how_long_it_must_be() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        Settings(console_session_secret="short")


@pytest.mark.parametrize(
    "url", ["partnerships.example.eu", "ftp://x.eu", "https://x.eu/console", "https://x.eu/?a=1"]
)
def test_public_url_must_be_an_http_origin(url: str) -> None:
    with pytest.raises(ValueError, match="PUBLIC_URL"):
        Settings(public_url=url)


def test_public_url_loses_a_trailing_slash() -> None:
    assert Settings(public_url="https://x.eu/").public_url == "https://x.eu"
