"""The development issuer: a token issuer of its own for local use, never for production.

It signs tokens with an RSA key kept in the data directory (`dev-issuer.pem`, made on first use,
readable by its owner only) and publishes the public half as a JWKS, which the API serves under
`/dev/jwks.json`. Its tokens are verified exactly as an external issuer's are
(app/identity.py); only the issuer differs. With PARTNERSHIPS_ENV=production it refuses to exist.

`dev_token` is what `partnerships token --as ROLE[:MS]:USER` does: it grants the role binding
the user needs when the directory lacks it, and issues a token for that user.

`DevProvider` makes the issuer a small OpenID Connect provider for the console's sign-in (the
authorization code flow with PKCE S256, one client: the console): its discovery document, the
checks of an authorization request, codes issued for a chosen user and redeemed once against
the client, the redirect URI and the verifier. interfaces/api/dev_routes.py serves it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from activities.directory_store import DirectoryStore
from activities.secret_files import write_once
from app.exceptions import AppError
from domain.countries import eu_code
from domain.directory import Binding, BindingRole, GrantRole
from domain.errors import InvalidCountry
from settings import Settings

KEY_FILE: Final = "dev-issuer.pem"
"""The development issuer's private key, in the data directory (DATA_DIR)."""

JWKS_PATH: Final = "jwks.json"
"""Where, under the issuer's URL, its JWKS is published (the API serves /dev/jwks.json)."""

ALGORITHM: Final = "RS256"
DEFAULT_TTL: Final = timedelta(hours=1)
MAX_TTL: Final = timedelta(days=1)
"""The longest a development token may live: long enough for a day's work, no more."""

DEV_GRANTER: Final = "partnerships-token"
"""Who grants the bindings `dev_token` adds: the development command itself."""


class DevIssuerRefused(AppError):
    """The development issuer was asked for where it must not run (production)."""

    def __init__(self) -> None:
        super().__init__(
            "the development issuer is refused with PARTNERSHIPS_ENV=production; set "
            "OIDC_ISSUER, OIDC_AUDIENCE and OIDC_JWKS_URL to the identity provider's, whose "
            "tokens are the only ones accepted in production"
        )


class DevKeyUnreadable(AppError):
    """The development issuer's key file exists but holds no RSA private key."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"the development issuer's key at {path} is not an RSA private key in PEM form; "
            "delete the file and a new key is made on next use (tokens signed with the old "
            "key stop working)"
        )
        self.path = path


def _thumbprint(jwk: dict[str, Any]) -> str:
    """The key's RFC 7638 thumbprint, its `kid`: the same in every process that reads the key."""
    members = {name: jwk[name] for name in ("e", "kty", "n")}
    digest = hashlib.sha256(
        json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class DevIssuer:
    """The development issuer of `settings`: its key, its JWKS and the tokens it signs.

    Raises DevIssuerRefused when settings say production.
    """

    def __init__(self, settings: Settings) -> None:
        if settings.partnerships_env == "production":
            raise DevIssuerRefused()
        self.issuer = settings.dev_issuer_url
        self.audience = settings.oidc_audience
        self.key_path = Path(settings.data_dir) / KEY_FILE
        self._key: rsa.RSAPrivateKey | None = None
        self._lock = threading.Lock()

    @property
    def jwks_url(self) -> str:
        """The address of the JWKS, under the issuer's URL (served by the API)."""
        return urljoin(self.issuer if self.issuer.endswith("/") else f"{self.issuer}/", JWKS_PATH)

    def _private_key(self) -> rsa.RSAPrivateKey:
        with self._lock:
            if self._key is None:
                self._key = _load_or_create(self.key_path)
            return self._key

    def public_jwk(self) -> dict[str, Any]:
        """The public key as a JWK, with its `kid`, `use` and `alg`."""
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self._private_key().public_key(), as_dict=True)
        return {**jwk, "kid": _thumbprint(jwk), "use": "sig", "alg": ALGORITHM}

    def jwks(self) -> dict[str, Any]:
        """The JWKS document the API serves under /dev/jwks.json."""
        return {"keys": [self.public_jwk()]}

    def issue_token(
        self, subject: str, *, ttl: timedelta = DEFAULT_TTL, now: datetime | None = None
    ) -> str:
        """A token for `subject`, signed by this issuer, valid for `ttl` from `now`.

        It carries iss, sub, aud, iat, nbf, exp and a fresh jti. Raises ValueError for a ttl
        that is not positive or longer than MAX_TTL.
        """
        if not timedelta(0) < ttl <= MAX_TTL:
            raise ValueError(
                f"a development token lives more than 0 s and at most {MAX_TTL}; got {ttl}"
            )
        issued = (now or datetime.now(UTC)).replace(microsecond=0)
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.audience,
            "iat": issued,
            "nbf": issued,
            "exp": issued + ttl,
            "jti": uuid.uuid4().hex,
        }
        return self.sign(claims)

    def sign(self, claims: dict[str, Any]) -> str:
        """`claims` as a JWT signed with this issuer's key, naming the key by its `kid`."""
        headers = {"kid": self.public_jwk()["kid"]}
        return jwt.encode(claims, self._private_key(), algorithm=ALGORITHM, headers=headers)


def _load_or_create(path: Path) -> rsa.RSAPrivateKey:
    """The key at `path`, made first (owner-only, 0600) when there is none.

    Made by `write_once`, so processes that start together all read the same key.
    """
    write_once(
        path,
        lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    try:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError:
        raise DevKeyUnreadable(path) from None
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise DevKeyUnreadable(path)
    return loaded


@dataclass(frozen=True)
class DevToken:
    """A development token, the binding its subject acts under, and whether it was granted now."""

    token: str
    binding: Binding
    granted: bool


def dev_token(
    settings: Settings,
    directory: DirectoryStore,
    *,
    role: BindingRole,
    user: str,
    member_state: str | None = None,
    ttl: timedelta = DEFAULT_TTL,
    now: datetime | None = None,
) -> DevToken:
    """A token from the development issuer for `user` acting as `role` (for `member_state`).

    The user's current binding to that role is used when the directory has one (for a
    Presidency named without its Member State, any of the user's Presidency bindings); else
    one is granted, from today, by DEV_GRANTER, and `granted` says so. Raises
    DevIssuerRefused in production, and the directory's refusals (a role that needs a Member
    State named without one, say) as they are.
    """
    issuer = DevIssuer(settings)
    moment = now or datetime.now(UTC)
    binding, granted = ensure_binding(
        issuer,
        directory,
        role=role,
        user=user,
        member_state=member_state,
        today=moment.date(),
        reason="granted in development by `partnerships token`",
        channel="cli",
    )
    return DevToken(issuer.issue_token(user, ttl=ttl, now=moment), binding, granted)


def ensure_binding(
    issuer: DevIssuer,
    directory: DirectoryStore,
    *,
    role: BindingRole,
    user: str,
    member_state: str | None,
    today: date,
    reason: str,
    channel: str,
) -> tuple[Binding, bool]:
    """The user's current binding to `role` (for `member_state`), granted now when missing.

    Returns the binding and whether it was granted now; `dev_token`'s rules (see there).
    """
    wanted = GrantRole(
        issuer=issuer.issuer,
        subject=user,
        role=role,
        member_state=member_state,
        valid_from=today,
        granted_by=DEV_GRANTER,
        reason=reason,
    )
    held = _matching(directory.bindings_of(issuer.issuer, user, today), wanted)
    if held is not None:
        return held, False
    return directory.grant(wanted, provenance={"channel": channel}), True


def _matching(bindings: list[Binding], wanted: GrantRole) -> Binding | None:
    """The first binding that gives what `wanted` asks for, if any."""
    for binding in bindings:
        if binding.role is wanted.role and (
            wanted.member_state is None or _same_member_state(binding, wanted.member_state)
        ):
            return binding
    return None


def _same_member_state(binding: Binding, code: str) -> bool:
    try:
        return binding.member_state == eu_code(code)
    except InvalidCountry:
        return False


# -- the development issuer as an OpenID Connect provider ---------------------------------------
#
# The console signs in through the same Authlib code path in development as in production: the
# authorization code flow with PKCE (S256). The development issuer therefore publishes a
# discovery document, shows its users at an authorization endpoint, and redeems each code once
# at a token endpoint that checks the client, the redirect URI and the PKCE verifier.

DISCOVERY_PATH: Final = ".well-known/openid-configuration"
AUTHORIZE_PATH: Final = "authorize"
TOKEN_PATH: Final = "token"
CALLBACK_PATH: Final = "/sign-in/callback"
"""Where the console receives the issuer's answer, under its origin."""

DEV_CLIENT_ID: Final = "pilot-partnerships-console"
"""The console's client id at the development issuer when OIDC_CLIENT_ID is unset."""

CODE_TTL: Final = timedelta(minutes=2)
"""How long an authorization code may wait to be redeemed (RFC 6749 advises minutes at most)."""

_VERIFIER_CHARS: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
)


def console_origin(settings: Settings) -> str:
    """Where browsers reach the console: PUBLIC_URL, else the origin of DEV_ISSUER_URL."""
    if settings.public_url:
        return settings.public_url
    parts = urlsplit(settings.dev_issuer_url)
    return f"{parts.scheme}://{parts.netloc}"


def console_redirect_uri(settings: Settings) -> str:
    """The console's sign-in callback, the redirect URI registered with the issuer."""
    return f"{console_origin(settings)}{CALLBACK_PATH}"


def console_client_id(settings: Settings) -> str:
    """The console's client id: OIDC_CLIENT_ID, else the development issuer's console client."""
    return settings.oidc_client_id or DEV_CLIENT_ID


def discovery_url(issuer: str) -> str:
    """An issuer's OpenID Connect discovery document (OpenID Connect Discovery 1.0, §4)."""
    return f"{issuer.rstrip('/')}/{DISCOVERY_PATH}"


class DevUserInvalid(AppError):
    """A `ROLE[:MS]:USER` that does not name a role and a user (and a Member State if needed)."""


AS_FORMAT: Final = (
    "ROLE[:MS]:USER, e.g. commission:alice, presidency:PT:joao, member_state:PT:maria"
)


def parse_dev_user(text: str) -> tuple[BindingRole, str | None, str]:
    """`ROLE[:MS]:USER` as a role, its Member State (None when not given) and the user.

    The rules of `partnerships token --as`: a `member_state` names its Member State; a
    `presidency` may. Raises DevUserInvalid saying what is wrong.
    """
    role_text, sep, rest = text.strip().partition(":")
    try:
        role = BindingRole(role_text.strip().lower().replace("-", "_"))
    except ValueError:
        names = ", ".join(r.value for r in BindingRole)
        raise DevUserInvalid(
            f"{text!r} does not start with a role; the roles are {names}; write {AS_FORMAT}"
        ) from None
    if not sep:
        raise DevUserInvalid(f"{text!r} names no user; write {AS_FORMAT}")
    member_state: str | None = None
    user = rest
    if role in (BindingRole.PRESIDENCY, BindingRole.MEMBER_STATE):
        head, sep, tail = rest.partition(":")
        if sep and len(head.strip()) == 2 and head.strip().isalpha():
            member_state, user = head.strip().upper(), tail
        elif role is BindingRole.MEMBER_STATE:
            raise DevUserInvalid(
                f"{text!r}: a member_state representative names the Member State and the "
                "user, e.g. member_state:PT:maria"
            )
    if not user.strip():
        raise DevUserInvalid(f"{text!r} names no user; write {AS_FORMAT}")
    return role, member_state, user.strip()


@dataclass(frozen=True)
class DevUser:
    """A subject of the development issuer with its current bindings, as `ROLE[:MS]` labels."""

    subject: str
    roles: tuple[str, ...]


def dev_users(settings: Settings, directory: DirectoryStore, on: date) -> list[DevUser]:
    """The development issuer's subjects bound on `on`, by subject, with their roles."""
    roles: dict[str, list[str]] = {}
    for binding in directory.listed():
        if binding.issuer == settings.dev_issuer_url and binding.current_on(on):
            roles.setdefault(binding.subject, []).append(binding.label())
    return [DevUser(subject, tuple(labels)) for subject, labels in sorted(roles.items())]


class ClientRefused(AppError):
    """An authorization request from a client or redirect URI the issuer does not know.

    The issuer must not redirect then (RFC 6749 §4.1.2.1): it shows the message instead.
    """


class AuthorizationRefused(AppError):
    """A refused authorization or token request, with its RFC 6749 error code."""

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.status = status


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked authorization request: who asks, where to answer, and its PKCE challenge."""

    client_id: str
    redirect_uri: str
    state: str | None
    nonce: str | None
    scope: str
    code_challenge: str

    def fields(self) -> dict[str, str]:
        """The request's parameters, to carry through the issuer's sign-in form."""
        fields = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "code_challenge": self.code_challenge,
            "code_challenge_method": "S256",
        }
        if self.state is not None:
            fields["state"] = self.state
        if self.nonce is not None:
            fields["nonce"] = self.nonce
        return fields


@dataclass(frozen=True)
class _Grant:
    request: AuthorizationRequest
    subject: str
    expires: datetime


class DevProvider:
    """The development issuer as an OpenID Connect provider for the console (one client).

    Codes live in this process's memory, each redeemed at most once; the API that serves the
    provider is one process in development. Raises DevIssuerRefused in production.
    """

    def __init__(self, settings: Settings, *, clock: Callable[[], datetime] | None = None) -> None:
        self.issuer = DevIssuer(settings)
        self.client_id = console_client_id(settings)
        self.redirect_uri = console_redirect_uri(settings)
        secret = settings.oidc_client_secret
        self._client_secret = secret.get_secret_value() if secret is not None else None
        self._clock = clock or (lambda: datetime.now(UTC))
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()

    def _url(self, path: str) -> str:
        base = self.issuer.issuer
        return urljoin(base if base.endswith("/") else f"{base}/", path)

    def discovery(self) -> dict[str, Any]:
        """The discovery document (OpenID Connect Discovery 1.0), served under the issuer."""
        return {
            "issuer": self.issuer.issuer,
            "authorization_endpoint": self._url(AUTHORIZE_PATH),
            "token_endpoint": self._url(TOKEN_PATH),
            "jwks_uri": self.issuer.jwks_url,
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "scopes_supported": ["openid"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": (
                ["client_secret_basic", "client_secret_post"] if self._client_secret else ["none"]
            ),
        }

    def check_request(self, params: Mapping[str, str]) -> AuthorizationRequest:
        """The authorization request `params` make, once checked.

        Raises ClientRefused (an unknown client or redirect URI: show, do not redirect) or
        AuthorizationRefused (anything else: redirect back with its error code).
        """
        client_id = params.get("client_id", "")
        if client_id != self.client_id:
            raise ClientRefused(
                f"unknown client {_shown(client_id)}; the development issuer knows only the "
                f"console, {self.client_id!r} (OIDC_CLIENT_ID)"
            )
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri != self.redirect_uri:
            raise ClientRefused(
                f"the redirect URI {_shown(redirect_uri)} is not the console's registered "
                f"{self.redirect_uri} (PUBLIC_URL, else the origin of DEV_ISSUER_URL, and "
                f"{CALLBACK_PATH})"
            )
        if params.get("response_type") != "code":
            raise AuthorizationRefused(
                "unsupported_response_type", "only the authorization code flow (code) is offered"
            )
        scope = params.get("scope", "")
        if "openid" not in scope.split():
            raise AuthorizationRefused("invalid_scope", "the scope must include openid")
        challenge = params.get("code_challenge", "")
        if not challenge or params.get("code_challenge_method") != "S256":
            raise AuthorizationRefused(
                "invalid_request", "PKCE is required: send code_challenge with method S256"
            )
        return AuthorizationRequest(
            client_id=client_id,
            redirect_uri=redirect_uri,
            state=params.get("state"),
            nonce=params.get("nonce"),
            scope=scope,
            code_challenge=challenge,
        )

    def issue_code(self, request: AuthorizationRequest, subject: str) -> str:
        """A fresh authorization code for `subject`, to redeem once within CODE_TTL."""
        code = secrets.token_urlsafe(32)
        with self._lock:
            now = self._clock()
            for stale in [c for c, g in self._grants.items() if g.expires <= now]:
                del self._grants[stale]
            self._grants[code] = _Grant(request, subject, now + CODE_TTL)
        return code

    def redeem(
        self, form: Mapping[str, str], basic: tuple[str, str] | None = None
    ) -> dict[str, Any]:
        """The token response for a token request (`form`, and HTTP Basic credentials if any).

        Checks the grant type, the client (and its secret when it has one), the code (known,
        unexpired, never redeemed before: a code is spent by its first redemption, right or
        wrong), the redirect URI it was issued for, and the PKCE verifier against its
        challenge. Raises AuthorizationRefused with the RFC 6749 error code.
        """
        if form.get("grant_type") != "authorization_code":
            raise AuthorizationRefused(
                "unsupported_grant_type", "only grant_type=authorization_code is offered"
            )
        client_id, secret = basic if basic is not None else (form.get("client_id", ""), None)
        secret = secret if secret is not None else form.get("client_secret")
        if client_id != self.client_id:
            raise AuthorizationRefused(
                "invalid_client", f"unknown client {_shown(client_id)}", status=401
            )
        if self._client_secret is not None and not (
            secret is not None
            and hmac.compare_digest(secret.encode(), self._client_secret.encode())
        ):
            raise AuthorizationRefused(
                "invalid_client", "the client secret is missing or wrong", status=401
            )
        code = form.get("code", "")
        with self._lock:
            grant = self._grants.pop(code, None)
        if grant is None or grant.expires <= self._clock():
            raise AuthorizationRefused(
                "invalid_grant", "the code is unknown, expired or already used"
            )
        if grant.request.client_id != client_id:
            raise AuthorizationRefused("invalid_grant", "the code was issued to another client")
        if form.get("redirect_uri") != grant.request.redirect_uri:
            raise AuthorizationRefused(
                "invalid_grant", "the redirect_uri is not the one the code was issued for"
            )
        verifier = form.get("code_verifier")
        if not verifier:
            raise AuthorizationRefused(
                "invalid_grant", "the code_verifier is missing; PKCE is required"
            )
        if not pkce_matches(verifier, grant.request.code_challenge):
            raise AuthorizationRefused(
                "invalid_grant", "the code_verifier does not match the code_challenge"
            )
        return self._tokens(grant)

    def _tokens(self, grant: _Grant) -> dict[str, Any]:
        now = self._clock().replace(microsecond=0)
        access = self.issuer.issue_token(grant.subject, ttl=DEFAULT_TTL, now=now)
        claims: dict[str, Any] = {
            "iss": self.issuer.issuer,
            "sub": grant.subject,
            "aud": grant.request.client_id,
            "iat": now,
            "exp": now + DEFAULT_TTL,
            "auth_time": int(now.timestamp()),
        }
        if grant.request.nonce is not None:
            claims["nonce"] = grant.request.nonce
        identity = self.issuer.sign(claims)
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(DEFAULT_TTL.total_seconds()),
            "id_token": identity,
            "scope": grant.request.scope,
        }


def pkce_matches(verifier: str, challenge: str) -> bool:
    """Whether `verifier` is a well-formed PKCE verifier whose S256 digest is `challenge`."""
    if not 43 <= len(verifier) <= 128 or not set(verifier) <= _VERIFIER_CHARS:
        return False
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return hmac.compare_digest(expected.encode(), challenge.encode())


def _shown(value: str) -> str:
    """A value from a request as a message may show it: short, quoted."""
    return repr(value) if len(value) <= 80 else repr(value[:80] + "…")
