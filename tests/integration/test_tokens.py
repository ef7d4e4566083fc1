"""Real signed tokens against a JWKS served from loopback, and the development issuer.

The issuer's keys are made here by `cryptography`, published by `RSAAlgorithm.to_jwk` on a
loopback HTTP server on a free port (PyJWT's key client reads only http(s)), and the server is
stopped at the end of each test. Bindings come from the real directory store on SQLite.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import stat
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from sqlalchemy.engine import Engine

from activities.directory_store import DirectoryStore
from activities.eventstore import EventStore
from app.dev_issuer import DevIssuer, dev_token
from app.identity import Authenticator, KeysUnavailable, NoBinding, Unauthenticated
from domain.actors import Role
from domain.commands import RecordCouncilDecision, RespondToConsultation, SubmitReport
from domain.directory import BindingRole, GrantRole, RevokeRole
from settings import Settings

ISSUER = "https://ecas.example.eu/cas/oauth2"
AUDIENCE = "pilot-partnerships"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, kid: str) -> dict[str, Any]:
    if isinstance(key, rsa.RSAPrivateKey):
        jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
        return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}
    jwk = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {**jwk, "kid": kid, "use": "sig", "alg": "ES256"}


class Issuer:
    """An identity provider: its keys, its JWKS on loopback, and tokens it signs."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.published: list[dict[str, Any]] = [public_jwk(self.key, "k1")]
        self.fetches = 0
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                issuer.fetches += 1
                body = json.dumps({"keys": issuer.published}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the tests read the fetch count instead."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.serve()
        self.jwks_url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"

    def serve(self) -> None:
        # A short poll, so that stopping the server takes milliseconds, not half a second.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def claims(self, **changes: Any) -> dict[str, Any]:
        now = datetime.now(UTC)
        claims = {
            "iss": ISSUER,
            "sub": "maria",
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + timedelta(minutes=5),
            "jti": uuid.uuid4().hex,
        }
        claims.update(changes)
        return {name: value for name, value in claims.items() if value is not None}

    def token(
        self,
        *,
        key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | None = None,
        kid: str = "k1",
        algorithm: str = "RS256",
        **changes: Any,
    ) -> str:
        return jwt.encode(
            self.claims(**changes), key or self.key, algorithm=algorithm, headers={"kid": kid}
        )

    def unsigned(self, header: dict[str, Any], secret: bytes | None = None) -> str:
        """A token with a header of our choosing, HMAC-signed with `secret` or not at all."""
        claims = json.loads(json.dumps(self.claims(), default=lambda d: int(d.timestamp())))
        head = _b64(json.dumps(header).encode())
        body = _b64(json.dumps(claims).encode())
        signing_input = f"{head}.{body}".encode()
        signature = hmac.new(secret, signing_input, hashlib.sha256).digest() if secret else b""
        return f"{head}.{body}.{_b64(signature)}"


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    provider = Issuer()
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture
def directory(sqlite_engine: Engine) -> DirectoryStore:
    return DirectoryStore(sqlite_engine)


def settings_for(issuer: Issuer, tmp_path: Path) -> Settings:
    return Settings(
        oidc_issuer=ISSUER,
        oidc_audience=AUDIENCE,
        oidc_jwks_url=issuer.jwks_url,
        data_dir=str(tmp_path / "data"),
    )


@pytest.fixture
def authenticator(issuer: Issuer, directory: DirectoryStore, tmp_path: Path) -> Authenticator:
    return Authenticator(settings_for(issuer, tmp_path), directory)


def bind(
    directory: DirectoryStore,
    subject: str = "maria",
    role: BindingRole = BindingRole.MEMBER_STATE,
    member_state: str | None = "PT",
    *,
    issuer: str = ISSUER,
) -> str:
    command = GrantRole(
        issuer=issuer,
        subject=subject,
        role=role,
        member_state=member_state,
        valid_from=datetime.now(UTC).date(),
        granted_by="alice",
    )
    return directory.grant(command).binding_id


def refusal(authenticator: Authenticator, header: str | None) -> str:
    with pytest.raises(Unauthenticated) as refused:
        authenticator.authenticate(header)
    return str(refused.value)


# --- A good token ----------------------------------------------------------------------------


def test_a_token_of_a_subject_bound_to_pt_gives_a_caller_who_answers_for_pt(
    issuer: Issuer, directory: DirectoryStore, authenticator: Authenticator
) -> None:
    bind(directory)
    caller = authenticator.authenticate(f"Bearer {issuer.token(jti='token-1')}")
    assert (caller.issuer, caller.subject, caller.token_id) == (ISSUER, "maria", "token-1")
    assert [b.label() for b in caller.bindings] == ["member_state:PT"]
    actor = caller.actor_for(RespondToConsultation)
    assert (actor.id, actor.role, actor.member_state) == ("maria", Role.MEMBER_STATE, "PT")


def test_commission_and_presidency_bindings_give_each_step_its_own_actor(
    issuer: Issuer, directory: DirectoryStore, authenticator: Authenticator
) -> None:
    bind(directory, "joao", BindingRole.COMMISSION, None)
    bind(directory, "joao", BindingRole.PRESIDENCY, "PT")
    caller = authenticator.authenticate(f"Bearer {issuer.token(sub='joao')}")
    assert caller.actor_for(RecordCouncilDecision).role is Role.PRESIDENCY
    assert caller.actor_for(SubmitReport).role is Role.COMMISSION


def test_a_commission_subject_recording_a_council_decision_acts_as_commission(
    issuer: Issuer, directory: DirectoryStore, authenticator: Authenticator
) -> None:
    bind(directory, "alice", BindingRole.COMMISSION, None)
    caller = authenticator.authenticate(f"Bearer {issuer.token(sub='alice')}")
    # The domain then refuses the step as NotPermitted (403): the actor is never presidency.
    assert caller.actor_for(RecordCouncilDecision).role is Role.COMMISSION


def test_an_es256_key_of_the_issuer_is_accepted(
    issuer: Issuer, directory: DirectoryStore, authenticator: Authenticator
) -> None:
    bind(directory)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    issuer.published.append(public_jwk(ec_key, "k-ec"))
    token = issuer.token(key=ec_key, kid="k-ec", algorithm="ES256")
    assert authenticator.authenticate(f"Bearer {token}").subject == "maria"


def test_a_token_just_past_its_expiry_is_accepted_within_the_leeway(
    issuer: Issuer, directory: DirectoryStore, authenticator: Authenticator
) -> None:
    bind(directory)
    now = datetime.now(UTC)
    token = issuer.token(iat=now - timedelta(minutes=5), exp=now - timedelta(seconds=10))
    assert authenticator.authenticate(f"Bearer {token}").subject == "maria"


# --- Tokens that fail verification: 401 ------------------------------------------------------


def test_no_token_is_unauthenticated(authenticator: Authenticator) -> None:
    assert refusal(authenticator, None).startswith("no bearer token")


def test_an_expired_token_is_unauthenticated(
    issuer: Issuer, directory: DirectoryStore, authenticator: Authenticator
) -> None:
    bind(directory)
    now = datetime.now(UTC)
    token = issuer.token(iat=now - timedelta(hours=1), exp=now - timedelta(minutes=2))
    assert refusal(authenticator, f"Bearer {token}") == (
        "the token has expired; get a new one from the issuer"
    )


def test_a_token_issued_in_the_future_is_unauthenticated(
    issuer: Issuer, authenticator: Authenticator
) -> None:
    later = datetime.now(UTC) + timedelta(minutes=10)
    token = issuer.token(iat=later, exp=later + timedelta(minutes=5))
    assert "not valid yet" in refusal(authenticator, f"Bearer {token}")


def test_a_token_for_another_audience_is_unauthenticated(
    issuer: Issuer, authenticator: Authenticator
) -> None:
    token = issuer.token(aud="another-service")
    assert refusal(authenticator, f"Bearer {token}") == (
        "the token is not meant for this service: its audience must be pilot-partnerships"
    )


def test_a_token_from_another_issuer_is_unauthenticated(
    issuer: Issuer, authenticator: Authenticator
) -> None:
    token = issuer.token(iss="https://evil.example/")
    assert refusal(authenticator, f"Bearer {token}") == (
        f"the token comes from another issuer; only {ISSUER} is trusted"
    )


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "iss", "aud"])
def test_a_token_without_a_required_claim_is_unauthenticated_naming_it(
    issuer: Issuer, authenticator: Authenticator, claim: str
) -> None:
    claims = issuer.claims(**{claim: None})
    token = jwt.encode(claims, issuer.key, algorithm="RS256", headers={"kid": "k1"})
    assert refusal(authenticator, f"Bearer {token}") == (
        f"the token lacks the `{claim}` claim; exp, iat, sub, iss, aud are required"
    )


def test_a_token_signed_by_a_key_the_issuer_does_not_publish_is_unauthenticated(
    issuer: Issuer, authenticator: Authenticator
) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = issuer.token(key=stranger, kid="k-unknown")
    assert "unknown `kid`" in refusal(authenticator, f"Bearer {token}")
    # A stranger's key under the issuer's own kid fails on the signature instead.
    forged = issuer.token(key=stranger, kid="k1")
    assert refusal(authenticator, f"Bearer {forged}") == (
        "the token's signature does not verify against the issuer's key"
    )


def test_a_token_with_alg_none_is_unauthenticated(
    issuer: Issuer, authenticator: Authenticator
) -> None:
    token = issuer.unsigned({"alg": "none", "kid": "k1", "typ": "JWT"})
    assert refusal(authenticator, f"Bearer {token}") == (
        "the token's signature algorithm is 'none'; only RS256 or ES256 are accepted"
    )


def test_an_hs256_token_keyed_with_the_issuers_public_key_is_unauthenticated(
    issuer: Issuer, directory: DirectoryStore, authenticator: Authenticator
) -> None:
    bind(directory)
    public_pem = issuer.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    token = issuer.unsigned({"alg": "HS256", "kid": "k1", "typ": "JWT"}, secret=public_pem)
    assert refusal(authenticator, f"Bearer {token}") == (
        "the token's signature algorithm is 'HS256'; only RS256 or ES256 are accepted"
    )


def test_a_token_whose_algorithm_is_not_its_keys_is_unauthenticated(
    issuer: Issuer, authenticator: Authenticator
) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    token = issuer.token(key=ec_key, kid="k1", algorithm="ES256")
    assert "does not match its key's" in refusal(authenticator, f"Bearer {token}")


def test_a_token_naming_no_key_is_unauthenticated(
    issuer: Issuer, authenticator: Authenticator
) -> None:
    token = jwt.encode(issuer.claims(), issuer.key, algorithm="RS256")
    assert refusal(authenticator, f"Bearer {token}") == (
        "the token does not name its signing key (`kid`)"
    )


def test_a_refused_token_changes_nothing_in_the_record(
    issuer: Issuer, directory: DirectoryStore, authenticator: Authenticator
) -> None:
    bind(directory)
    log = EventStore(directory.engine)
    before = log.last_position()
    for token in (issuer.token(aud="x"), issuer.unsigned({"alg": "none", "kid": "k1"})):
        refusal(authenticator, f"Bearer {token}")
    assert log.last_position() == before


# --- Keys: cached, refreshed once on an unknown kid ------------------------------------------


def test_a_rotated_key_is_fetched_once_on_its_unknown_kid(
    issuer: Issuer, directory: DirectoryStore, tmp_path: Path
) -> None:
    bind(directory)
    authenticator = Authenticator(
        settings_for(issuer, tmp_path), directory, keys_refresh_cooldown_s=0
    )
    authenticator.authenticate(f"Bearer {issuer.token()}")
    authenticator.authenticate(f"Bearer {issuer.token()}")
    assert issuer.fetches == 1  # the keys are cached
    rotated = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issuer.published = [public_jwk(rotated, "k2")]
    assert authenticator.authenticate(f"Bearer {issuer.token(key=rotated, kid='k2')}")
    assert issuer.fetches == 2
    refusal(authenticator, f"Bearer {issuer.token(kid='k1')}")
    assert issuer.fetches == 3  # one refresh for the unknown kid, then refused


def test_made_up_kids_do_not_make_every_request_fetch_the_keys(
    issuer: Issuer, directory: DirectoryStore, authenticator: Authenticator
) -> None:
    bind(directory)
    authenticator.authenticate(f"Bearer {issuer.token()}")
    for n in range(5):
        refusal(authenticator, f"Bearer {issuer.token(kid=f'made-up-{n}')}")
    assert issuer.fetches == 1


def test_unreachable_keys_are_unavailable_not_unauthenticated_and_name_no_address(
    issuer: Issuer, directory: DirectoryStore, authenticator: Authenticator
) -> None:
    token = issuer.token()
    authenticator.check_keys()
    issuer.stop()
    fresh = Authenticator(settings_for(issuer, Path("/nonexistent")), directory)
    with pytest.raises(KeysUnavailable) as unavailable:
        fresh.authenticate(f"Bearer {token}")
    assert issuer.jwks_url not in str(unavailable.value)
    assert "127.0.0.1" not in str(unavailable.value)
    with pytest.raises(KeysUnavailable):
        fresh.check_keys()
    issuer.server = ThreadingHTTPServer(("127.0.0.1", 0), issuer.server.RequestHandlerClass)
    issuer.serve()  # so the fixture's stop has a server to stop


# --- Bindings: 403 ---------------------------------------------------------------------------


def test_a_revoked_binding_gives_no_binding(
    issuer: Issuer, directory: DirectoryStore, authenticator: Authenticator
) -> None:
    binding_id = bind(directory)
    authenticator.authenticate(f"Bearer {issuer.token()}")
    directory.revoke(RevokeRole(binding_id=binding_id, revoked_by="alice"))
    with pytest.raises(NoBinding, match="maria has no current role binding"):
        authenticator.authenticate(f"Bearer {issuer.token()}")


def test_a_binding_at_another_issuer_gives_no_binding(
    issuer: Issuer, directory: DirectoryStore, authenticator: Authenticator
) -> None:
    bind(directory, issuer="https://other.example/")
    with pytest.raises(NoBinding):
        authenticator.authenticate(f"Bearer {issuer.token()}")


# --- The development issuer ------------------------------------------------------------------


def development(tmp_path: Path) -> Settings:
    return Settings(data_dir=str(tmp_path / "data"), dev_issuer_url="http://127.0.0.1:8000/dev/")


def test_the_development_issuer_keeps_one_owner_only_key_whose_kid_every_process_shares(
    tmp_path: Path,
) -> None:
    first = DevIssuer(development(tmp_path))
    jwks = first.jwks()
    key_file = tmp_path / "data" / "dev-issuer.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert DevIssuer(development(tmp_path)).jwks() == jwks
    (jwk,) = jwks["keys"]
    assert (jwk["kty"], jwk["alg"], jwk["use"]) == ("RSA", "RS256", "sig")
    assert "d" not in jwk  # the public half only
    assert first.jwks_url == "http://127.0.0.1:8000/dev/jwks.json"


def test_development_tokens_pass_the_same_verification_and_grant_their_binding_once(
    tmp_path: Path, directory: DirectoryStore
) -> None:
    settings = development(tmp_path)
    authenticator = Authenticator(settings, directory)
    issued = dev_token(
        settings, directory, role=BindingRole.MEMBER_STATE, member_state="pt", user="maria"
    )
    assert issued.granted
    assert issued.binding.label() == "member_state:PT"
    caller = authenticator.authenticate(f"Bearer {issued.token}")
    assert caller.issuer == "http://127.0.0.1:8000/dev/"
    assert caller.actor_for(RespondToConsultation).member_state == "PT"
    again = dev_token(
        settings, directory, role=BindingRole.MEMBER_STATE, member_state="PT", user="maria"
    )
    assert not again.granted
    assert again.binding == issued.binding
    claims = jwt.decode(again.token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["jti"] != caller.token_id


def test_a_development_token_is_refused_where_an_external_issuer_is_trusted(
    tmp_path: Path, issuer: Issuer, directory: DirectoryStore, authenticator: Authenticator
) -> None:
    settings = development(tmp_path)
    issued = dev_token(settings, directory, role=BindingRole.COMMISSION, user="alice")
    assert "unknown `kid`" in refusal(authenticator, f"Bearer {issued.token}")


def test_a_new_development_key_ends_the_old_keys_tokens(
    tmp_path: Path, directory: DirectoryStore
) -> None:
    settings = development(tmp_path)
    issued = dev_token(settings, directory, role=BindingRole.COMMISSION, user="alice")
    (tmp_path / "data" / "dev-issuer.pem").unlink()
    authenticator = Authenticator(settings, directory)
    assert "unknown `kid`" in refusal(authenticator, f"Bearer {issued.token}")


def test_a_development_token_lives_at_most_a_day(tmp_path: Path) -> None:
    issuer = DevIssuer(development(tmp_path))
    with pytest.raises(ValueError, match="at most 1 day"):
        issuer.issue_token("alice", ttl=timedelta(days=2))
    with pytest.raises(ValueError, match="more than 0 s"):
        issuer.issue_token("alice", ttl=timedelta(0))
