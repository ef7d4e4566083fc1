"""Who a caller acts as (app/identity.py's Caller), and what the Authenticator refuses before it
reads any key: a missing or malformed header, and settings that name no usable issuer."""

from __future__ import annotations

from datetime import date

import pytest

from app.dev_issuer import DevIssuer, DevIssuerRefused
from app.identity import (
    Authenticator,
    Caller,
    NoBinding,
    Unauthenticated,
    trusted_issuer,
)
from domain.actors import Role
from domain.commands import (
    AuthoriseTalks,
    RecordCouncilDecision,
    RespondToConsultation,
    SubmitReport,
)
from domain.directory import Binding, BindingRole
from domain.policy import may_issue
from settings import Settings, SettingsError

ISSUER = "https://ecas.example.eu/cas/oauth2"


def binding(role: BindingRole, member_state: str | None = None, binding_id: str = "b1") -> Binding:
    return Binding(
        binding_id=binding_id,
        issuer=ISSUER,
        subject="joao",
        role=role,
        member_state=member_state,
        valid_from=date(2026, 1, 1),
        granted_by="alice",
        granted_on=date(2026, 1, 1),
    )


def caller(*bindings: Binding) -> Caller:
    return Caller(issuer=ISSUER, subject="joao", token_id="t1", bindings=bindings)


class NoDirectory:
    """A directory nobody may read: these tests stop before any look-up."""

    def bindings_of(self, issuer: str, subject: str, on: date) -> list[Binding]:
        raise AssertionError("the directory was read")


# --- Caller.actor_for ------------------------------------------------------------------------


def test_a_caller_who_is_commission_and_presidency_acts_as_whichever_may_take_the_step() -> None:
    both = caller(
        binding(BindingRole.COMMISSION, binding_id="b1"),
        binding(BindingRole.PRESIDENCY, "PT", binding_id="b2"),
    )
    decision = both.actor_for(RecordCouncilDecision)
    assert (decision.id, decision.role, decision.member_state) == ("joao", Role.PRESIDENCY, "PT")
    assert both.actor_for(AuthoriseTalks).role is Role.PRESIDENCY
    assert both.actor_for(SubmitReport).role is Role.COMMISSION


def test_a_commission_caller_recording_a_council_decision_acts_as_commission_and_is_refused() -> (
    None
):
    actor = caller(binding(BindingRole.COMMISSION)).actor_for(RecordCouncilDecision)
    assert actor.role is Role.COMMISSION
    assert not may_issue(actor.role, RecordCouncilDecision)


def test_a_caller_bound_to_pt_answers_as_pt() -> None:
    actor = caller(binding(BindingRole.MEMBER_STATE, "PT")).actor_for(RespondToConsultation)
    assert (actor.id, actor.role, actor.member_state) == ("joao", Role.MEMBER_STATE, "PT")
    # Naming another Member State does not make it one the caller acts for.
    other = caller(binding(BindingRole.MEMBER_STATE, "PT")).actor_for(
        RespondToConsultation, member_state="ES"
    )
    assert other.member_state == "PT"


def test_a_caller_bound_to_two_member_states_acts_for_the_one_the_step_names() -> None:
    two = caller(
        binding(BindingRole.MEMBER_STATE, "PT", binding_id="b1"),
        binding(BindingRole.MEMBER_STATE, "ES", binding_id="b2"),
    )
    assert two.actor_for(RespondToConsultation).member_state == "PT"
    assert two.actor_for(RespondToConsultation, member_state="es").member_state == "ES"


def test_an_administrator_takes_no_step_in_a_partnership_and_is_told_who_does() -> None:
    with pytest.raises(NoBinding, match="which takes no step in a partnership") as refused:
        caller(binding(BindingRole.ADMINISTRATOR)).actor_for(SubmitReport)
    assert "the step is taken by commission" in str(refused.value)
    # Beside an acting role, the administrator's binding is simply passed over.
    both = caller(binding(BindingRole.ADMINISTRATOR), binding(BindingRole.OPERATOR, None, "b2"))
    assert both.actor_for(SubmitReport).role is Role.OPERATOR


# --- What is refused before any key is read --------------------------------------------------


@pytest.fixture
def authenticator(tmp_path_factory: pytest.TempPathFactory) -> Authenticator:
    # An external issuer whose keys are never fetched: every header below is refused first.
    settings = Settings(
        oidc_issuer=ISSUER,
        oidc_jwks_url="http://127.0.0.1:9/jwks.json",
        data_dir=str(tmp_path_factory.mktemp("data")),
    )
    return Authenticator(settings, NoDirectory())


@pytest.mark.parametrize("header", [None, "", "   "])
def test_a_request_without_a_token_is_unauthenticated_saying_what_to_send(
    authenticator: Authenticator, header: str | None
) -> None:
    with pytest.raises(Unauthenticated, match=r"no bearer token: send `Authorization: Bearer"):
        authenticator.authenticate(header)


@pytest.mark.parametrize("header", ["Basic YWxpY2U6cw==", "Bearer", "Bearer a b", "token"])
def test_a_header_that_is_not_one_bearer_token_is_unauthenticated(
    authenticator: Authenticator, header: str
) -> None:
    with pytest.raises(Unauthenticated, match=r"must be `Bearer <token>`"):
        authenticator.authenticate(header)


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30"])
def test_a_token_that_is_not_a_jwt_is_unauthenticated(
    authenticator: Authenticator, token: str
) -> None:
    with pytest.raises(Unauthenticated, match="not a well-formed JWT"):
        authenticator.authenticate(f"Bearer {token}")


def test_an_oversized_token_is_refused_unread(authenticator: Authenticator) -> None:
    with pytest.raises(Unauthenticated, match="longer than 16,384 characters"):
        authenticator.authenticate("Bearer " + "a" * 20_000)


def test_production_refuses_the_development_issuer() -> None:
    production = Settings(partnerships_env="production")
    with pytest.raises(DevIssuerRefused, match="refused with PARTNERSHIPS_ENV=production"):
        DevIssuer(production)
    with pytest.raises(DevIssuerRefused):
        trusted_issuer(production)
    with pytest.raises(DevIssuerRefused):
        Authenticator(production, NoDirectory())


def test_an_issuer_without_its_keys_address_is_a_bad_setting_naming_both() -> None:
    with pytest.raises(SettingsError, match="OIDC_ISSUER is set but OIDC_JWKS_URL is not"):
        Authenticator(Settings(oidc_issuer=ISSUER), NoDirectory())


def test_the_trusted_issuer_is_the_configured_one_else_the_development_issuer() -> None:
    assert trusted_issuer(Settings(oidc_issuer=ISSUER)) == ISSUER
    assert trusted_issuer(Settings(partnerships_env="production", oidc_issuer=ISSUER)) == ISSUER
    development = Settings(dev_issuer_url="http://127.0.0.1:8000/dev/")
    assert trusted_issuer(development) == "http://127.0.0.1:8000/dev/"
