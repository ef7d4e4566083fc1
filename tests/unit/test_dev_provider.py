"""The development issuer's OpenID Connect rules that need no key and no server: which
authorization requests it answers, and which token requests it refuses before signing."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.dev_issuer import (
    CODE_TTL,
    DEV_CLIENT_ID,
    AuthorizationRefused,
    ClientRefused,
    DevIssuerRefused,
    DevProvider,
    DevUserInvalid,
    console_redirect_uri,
    discovery_url,
    parse_dev_user,
    pkce_matches,
)
from domain.directory import BindingRole
from settings import Settings

SETTINGS = Settings(dev_issuer_url="http://127.0.0.1:8123/dev/")
CALLBACK = "http://127.0.0.1:8123/sign-in/callback"
VERIFIER_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def asked(**changes: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": DEV_CLIENT_ID,
        "redirect_uri": CALLBACK,
        "scope": "openid",
        "state": "s",
        "code_challenge": challenge("v" * 43),
        "code_challenge_method": "S256",
        **changes,
    }


verifiers = st.text(alphabet=VERIFIER_CHARS, min_size=43, max_size=128)


@given(verifiers)
def test_a_verifier_matches_its_own_challenge(verifier: str) -> None:
    assert pkce_matches(verifier, challenge(verifier))


@given(verifiers, verifiers)
def test_a_verifier_matches_no_other_verifiers_challenge(one: str, other: str) -> None:
    if one != other:
        assert not pkce_matches(other, challenge(one))


def test_a_verifier_too_short_or_with_foreign_characters_never_matches() -> None:
    assert not pkce_matches("v" * 42, challenge("v" * 42))
    assert not pkce_matches("v" * 42 + " ", challenge("v" * 42 + " "))


def test_the_console_is_registered_at_the_origin_of_the_issuer_unless_public_url_says() -> None:
    assert console_redirect_uri(SETTINGS) == CALLBACK
    public = Settings(public_url="https://console.example.eu")
    assert console_redirect_uri(public) == "https://console.example.eu/sign-in/callback"
    assert discovery_url("http://127.0.0.1:8123/dev/") == (
        "http://127.0.0.1:8123/dev/.well-known/openid-configuration"
    )


def test_the_provider_refuses_to_exist_in_production() -> None:
    with pytest.raises(DevIssuerRefused):
        DevProvider(Settings(partnerships_env="production"))


def test_an_unknown_client_or_redirect_uri_is_refused_without_a_redirect() -> None:
    provider = DevProvider(SETTINGS)
    with pytest.raises(ClientRefused, match="unknown client 'other'"):
        provider.check_request(asked(client_id="other"))
    with pytest.raises(ClientRefused, match="not the console's registered"):
        provider.check_request(asked(redirect_uri="http://127.0.0.1:8123/elsewhere"))


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "profile"}, "invalid_scope"),
        ({"code_challenge": ""}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
    ],
)
def test_a_request_the_flow_does_not_allow_is_refused_with_its_code(
    changes: dict[str, str], error: str
) -> None:
    with pytest.raises(AuthorizationRefused) as refused:
        DevProvider(SETTINGS).check_request(asked(**changes))
    assert refused.value.error == error


def test_a_code_redeemed_after_its_lifetime_is_refused() -> None:
    now = [datetime(2026, 12, 2, 9, 0, tzinfo=UTC)]
    provider = DevProvider(SETTINGS, clock=lambda: now[0])
    code = provider.issue_code(provider.check_request(asked()), "alice")
    now[0] += CODE_TTL + timedelta(seconds=1)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": DEV_CLIENT_ID,
        "redirect_uri": CALLBACK,
        "code_verifier": "v" * 43,
    }
    with pytest.raises(AuthorizationRefused, match="unknown, expired or already used"):
        provider.redeem(form)


def test_a_token_request_of_another_grant_type_is_refused() -> None:
    with pytest.raises(AuthorizationRefused) as refused:
        DevProvider(SETTINGS).redeem({"grant_type": "password"})
    assert refused.value.error == "unsupported_grant_type"


def test_a_client_with_a_secret_must_send_it() -> None:
    provider = DevProvider(Settings(oidc_client_secret="the-secret"))
    form = {"grant_type": "authorization_code", "client_id": DEV_CLIENT_ID, "code": "c"}
    with pytest.raises(AuthorizationRefused) as refused:
        provider.redeem(form)
    assert (refused.value.error, refused.value.status) == ("invalid_client", 401)
    with pytest.raises(AuthorizationRefused) as wrong:
        provider.redeem(form, (DEV_CLIENT_ID, "not-it"))
    assert wrong.value.error == "invalid_client"
    with pytest.raises(AuthorizationRefused) as right_secret_bad_code:
        provider.redeem(form, (DEV_CLIENT_ID, "the-secret"))
    assert right_secret_bad_code.value.error == "invalid_grant"


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("commission:alice", (BindingRole.COMMISSION, None, "alice")),
        ("presidency:PT:joao", (BindingRole.PRESIDENCY, "PT", "joao")),
        ("presidency:joao", (BindingRole.PRESIDENCY, None, "joao")),
        ("member-state:pt:maria", (BindingRole.MEMBER_STATE, "PT", "maria")),
        (" administrator:root ", (BindingRole.ADMINISTRATOR, None, "root")),
    ],
)
def test_a_development_user_is_read_as_partnerships_token_reads_it(
    text: str, parsed: tuple[BindingRole, str | None, str]
) -> None:
    assert parse_dev_user(text) == parsed


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("alice", "does not start with a role"),
        ("commission", "names no user"),
        ("commission:", "names no user"),
        ("member_state:maria", "names the Member State and the user"),
        ("king:arthur", "the roles are"),
    ],
)
def test_a_malformed_development_user_is_refused_saying_what_to_write(text: str, says: str) -> None:
    with pytest.raises(DevUserInvalid, match=says):
        parse_dev_user(text)
