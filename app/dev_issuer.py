"""The development issuer: a token issuer of its own for local use, never for production.

It signs tokens with an RSA key kept in the data directory (`dev-issuer.pem`, made on first use,
readable by its owner only) and publishes the public half as a JWKS, which the API serves under
`/dev/jwks.json`. Its tokens are verified exactly as an external issuer's are
(app/identity.py); only the issuer differs. With PARTNERSHIPS_ENV=production it refuses to exist.

`dev_token` is what `partnerships token --as ROLE[:MS]:USER` does: it grants the role binding
the user needs when the directory lacks it, and issues a token for that user.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from urllib.parse import urljoin

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from activities.directory_store import DirectoryStore
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
        headers = {"kid": self.public_jwk()["kid"]}
        return jwt.encode(claims, self._private_key(), algorithm=ALGORITHM, headers=headers)


def _load_or_create(path: Path) -> rsa.RSAPrivateKey:
    """The key at `path`, made first (owner-only, 0600) when there is none.

    Two processes starting together may both make one: each writes its own temporary file and
    links it into place, and the one that finds the name taken reads the other's.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(pem)
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
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
    today: date = moment.date()
    wanted = GrantRole(
        issuer=issuer.issuer,
        subject=user,
        role=role,
        member_state=member_state,
        valid_from=today,
        granted_by=DEV_GRANTER,
        reason="granted in development by `partnerships token`",
    )
    held = _matching(directory.bindings_of(issuer.issuer, user, today), wanted)
    granted = held is None
    binding = directory.grant(wanted, provenance={"channel": "cli"}) if held is None else held
    return DevToken(issuer.issue_token(user, ttl=ttl, now=moment), binding, granted)


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
