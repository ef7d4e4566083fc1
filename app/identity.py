"""Who is calling: a bearer token verified against its issuer's keys, and the caller's roles.

`Authenticator.authenticate` takes the `Authorization` header of a request. The token is a JWT
verified with PyJWT against the keys the issuer publishes (its JWKS): signed with RS256 or ES256
only, never `none` or an HMAC, and carrying `exp`, `iat`, `sub`, `iss` and `aud`, with the
configured issuer and audience and a small leeway for clocks. The caller's roles then come from
the directory of role bindings (domain/directory.py), never from the token or a request body.

The issuer is the one settings name (OIDC_ISSUER, OIDC_JWKS_URL): EU Login or any OpenID
Connect provider. Without one, it is the development issuer (app/dev_issuer.py), whose keys are
read from its key file rather than over HTTP; the verification is the same either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, Protocol

import jwt
from jwt import PyJWK, PyJWKClient

from app.dev_issuer import DevIssuer, DevIssuerRefused
from app.exceptions import AppError, Unavailable
from domain.actors import Actor
from domain.commands import Command
from domain.countries import eu_code
from domain.directory import Binding
from domain.errors import InvalidCountry
from domain.policy import may_issue, roles_label
from settings import Settings, SettingsError

ALGORITHMS: Final = ("RS256", "ES256")
"""The only signature algorithms accepted: never `none`, never an HMAC (HS*)."""

REQUIRED_CLAIMS: Final = ("exp", "iat", "sub", "iss", "aud")
LEEWAY: Final = timedelta(seconds=30)
"""How far the issuer's clock and ours may disagree on `exp`, `iat` and `nbf`."""

MAX_TOKEN_CHARS: Final = 16_384
"""A longer bearer token is refused unread: real ones are a few kilobytes at most."""

KEYS_LIFESPAN_S: Final = 300.0
"""How long the issuer's JWKS is cached before it is fetched again."""

KEYS_REFRESH_COOLDOWN_S: Final = 30.0
"""How soon after a fetch a token with an unknown `kid` may make the JWKS be fetched again.

A token naming a key the cached JWKS lacks makes it be fetched once more (the issuer may have
rotated its keys), but not more often than this, so tokens with made-up kids cannot turn every
request into a request to the issuer.
"""

KEYS_TIMEOUT_S: Final = 5.0


class Unauthenticated(AppError):
    """No token, or a token that fails verification (HTTP 401); the message says which."""


class NoBinding(AppError):
    """The token is good but its subject has no current role binding for this (HTTP 403)."""


class KeysUnavailable(Unavailable):
    """The issuer's keys cannot be fetched now, so no token can be verified (HTTP 503)."""


class BindingSource(Protocol):
    """Where the caller's role bindings come from: the directory's read model."""

    def bindings_of(self, issuer: str, subject: str, on: date) -> list[Binding]:
        """The bindings of `subject` of `issuer` that hold on `on`."""
        ...


def trusted_issuer(settings: Settings) -> str:
    """The `iss` the settings trust: OIDC_ISSUER, else the development issuer's URL.

    Raises DevIssuerRefused in production without OIDC_ISSUER.
    """
    if settings.oidc_issuer:
        return settings.oidc_issuer
    if settings.partnerships_env == "production":
        raise DevIssuerRefused()
    return settings.dev_issuer_url


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: who the token says, and the role bindings the directory holds."""

    issuer: str
    subject: str
    token_id: str | None
    bindings: tuple[Binding, ...]

    def actor_for(self, command: type[Command], *, member_state: str | None = None) -> Actor:
        """The actor this caller acts as for `command`; `Actor.id` is the token's subject.

        The first binding whose role may issue the command, preferring one for `member_state`
        when given (a representative bound to two Member States); else the first binding that
        acts at all, whose role the domain then refuses, saying who may. Raises NoBinding when
        every binding is an administrator's, which takes no step in a partnership.
        """
        acting = [(b, a) for b in self.bindings if (a := b.actor(self.subject)) is not None]
        if not acting:
            held = ", ".join(b.label() for b in self.bindings) or "no role"
            raise NoBinding(
                f"{self.subject} holds {held}, which takes no step in a partnership; the "
                f"step is taken by {roles_label(command)}"
            )
        permitted = [a for b, a in acting if may_issue(a.role, command)]
        if member_state is not None:
            wanted = _eu_or_none(member_state)
            preferred = [a for a in permitted if a.member_state == wanted]
            permitted = preferred or permitted
        return permitted[0] if permitted else acting[0][1]


def _eu_or_none(code: str) -> str | None:
    try:
        return eu_code(code)
    except InvalidCountry:
        return None


class _LocalKeys(PyJWKClient):
    """The development issuer's JWKS, read from its key file instead of fetched over HTTP.

    PyJWKClient reads only http(s) addresses; this one is given the issuer's JWKS address for
    form and overrides the fetch, so the rest of the verification path is PyJWT's own.
    """

    def __init__(self, issuer: DevIssuer) -> None:
        super().__init__(issuer.jwks_url, cache_jwk_set=True, lifespan=KEYS_LIFESPAN_S)
        self._issuer = issuer

    def fetch_data(self) -> Any:
        """The JWKS of the development issuer's key (made on first use)."""
        return self._issuer.jwks()


class Authenticator:
    """Verifies bearer tokens from the issuer settings trust and finds the caller's bindings.

    `directory` reads bindings (activities.directory_store.DirectoryStore does); `today` gives
    the day bindings must hold on (UTC by default). Raises DevIssuerRefused in production
    without OIDC_ISSUER, and SettingsError when OIDC_ISSUER is set without OIDC_JWKS_URL.
    """

    def __init__(
        self,
        settings: Settings,
        directory: BindingSource,
        *,
        today: Callable[[], date] | None = None,
        keys_refresh_cooldown_s: float = KEYS_REFRESH_COOLDOWN_S,
    ) -> None:
        self.issuer = trusted_issuer(settings)
        self.audience = settings.oidc_audience
        self._directory = directory
        self._today = today or (lambda: datetime.now(UTC).date())
        self._keys: PyJWKClient
        if settings.oidc_issuer:
            if not settings.oidc_jwks_url:
                raise SettingsError(
                    "bad setting: OIDC_ISSUER is set but OIDC_JWKS_URL is not; set it to the "
                    "address where the issuer publishes its keys (its JWKS)"
                )
            self._keys = PyJWKClient(
                settings.oidc_jwks_url,
                cache_jwk_set=True,
                lifespan=KEYS_LIFESPAN_S,
                timeout=KEYS_TIMEOUT_S,
                cooldown_duration=keys_refresh_cooldown_s,
            )
        else:
            self._keys = _LocalKeys(DevIssuer(settings))

    def authenticate(self, authorization: str | None) -> Caller:
        """The caller of a request whose `Authorization` header is `authorization`.

        Raises Unauthenticated (no token, or one that fails verification), NoBinding (a good
        token whose subject holds no current binding) or KeysUnavailable (the issuer's keys
        cannot be fetched).
        """
        claims = self.verify(_bearer(authorization))
        issuer, subject = claims["iss"], claims["sub"]
        bindings = self._directory.bindings_of(issuer, subject, self._today())
        if not bindings:
            raise NoBinding(
                f"{subject} has no current role binding in the directory; an administrator "
                "grants one (commission, presidency or member_state with its Member State, "
                "operator or administrator)"
            )
        token_id = claims.get("jti")
        return Caller(
            issuer=issuer,
            subject=subject,
            token_id=token_id if isinstance(token_id, str) else None,
            bindings=tuple(bindings),
        )

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of `token` once its signature, algorithm, issuer, audience and times hold.

        Raises Unauthenticated saying which check failed, or KeysUnavailable.
        """
        if len(token) > MAX_TOKEN_CHARS:
            raise Unauthenticated(
                f"the bearer token is longer than {MAX_TOKEN_CHARS:,} characters; a token "
                "from the issuer is much shorter"
            )
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("the bearer token is not a well-formed JWT") from None
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise Unauthenticated(
                f"the token's signature algorithm is {_shown(algorithm)}; only "
                f"{' or '.join(ALGORITHMS)} are accepted"
            )
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthenticated("the token does not name its signing key (`kid`)")
        key = self._signing_key(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(ALGORITHMS),
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.PyJWTError as error:
            raise Unauthenticated(self._refusal(error)) from None
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise Unauthenticated("the token's subject (`sub`) is empty")
        return claims

    def _signing_key(self, kid: str) -> PyJWK:
        """The issuer's key named `kid`, from the cached JWKS or, once, a fresh one."""
        try:
            return self._keys.get_signing_key(kid)
        except jwt.PyJWKClientConnectionError:
            raise KeysUnavailable(
                "the token issuer's keys cannot be fetched now, so no token can be verified; "
                "try again shortly"
            ) from None
        except jwt.PyJWTError:
            raise Unauthenticated(
                "the token is signed with a key the issuer does not publish (unknown `kid`)"
            ) from None

    def _refusal(self, error: jwt.PyJWTError) -> str:
        """Why PyJWT refused a token, in words that name the check but no internals."""
        match error:
            case jwt.ExpiredSignatureError():
                return "the token has expired; get a new one from the issuer"
            case jwt.ImmatureSignatureError():
                return "the token is not valid yet (its `iat` or `nbf` lies in the future)"
            case jwt.InvalidAudienceError():
                return (
                    f"the token is not meant for this service: its audience must be {self.audience}"
                )
            case jwt.InvalidIssuerError():
                return f"the token comes from another issuer; only {self.issuer} is trusted"
            case jwt.MissingRequiredClaimError():
                required = ", ".join(REQUIRED_CLAIMS)
                return f"the token lacks the `{error.claim}` claim; {required} are required"
            case jwt.InvalidAlgorithmError():
                return (
                    "the token's algorithm does not match its key's; only "
                    f"{' or '.join(ALGORITHMS)} are accepted"
                )
            case jwt.InvalidSignatureError():
                return "the token's signature does not verify against the issuer's key"
            case jwt.DecodeError():
                return "the bearer token is not a well-formed JWT"
        return "the token could not be verified"

    def check_keys(self) -> None:
        """Raise KeysUnavailable unless the issuer's keys can be had (for readiness checks)."""
        try:
            self._keys.get_signing_keys()
        except jwt.PyJWTError:
            raise KeysUnavailable(
                "the token issuer's keys cannot be fetched, so no token can be verified"
            ) from None


def _bearer(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header, or Unauthenticated."""
    if authorization is None or not authorization.strip():
        raise Unauthenticated(
            "no bearer token: send `Authorization: Bearer <token>` with a token from the issuer"
        )
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or " " in token.strip():
        raise Unauthenticated(
            "the Authorization header must be `Bearer <token>`, with one token from the issuer"
        )
    return token.strip()


def _shown(value: object) -> str:
    """A value from an untrusted header as a message may show it: short, quoted."""
    if value is None:
        return "not given"
    text = str(value)
    return repr(text[:20]) if len(text) <= 20 else repr(text[:20] + "…")
