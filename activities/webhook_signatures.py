"""Signed webhooks, as the Standard Webhooks specification (https://www.standardwebhooks.com)
defines them: each request carries `webhook-id`, `webhook-timestamp` (Unix seconds) and
`webhook-signature`, a space-separated list of `v1,<base64 HMAC-SHA256>` over
`{id}.{timestamp}.{body}`, keyed by the subscriber's secret `whsec_<base64 key>`.

No subscriber's secret is kept anywhere: each is derived from one signing key of the service
(WEBHOOK_SIGNING_KEY) as HMAC-SHA256(key, subscription id), so it can be shown again to an
administrator who holds the key, and is never written into the permanent record. In
development the key is made once into the data directory, as the development issuer's is.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from pydantic import SecretStr

from activities.secret_files import write_once

SECRET_PREFIX: Final = "whsec_"
"""How a Standard Webhooks secret starts; the rest is the base64 of its key."""

SIGNATURE_VERSION: Final = "v1"
"""The signature scheme: HMAC-SHA256, the one symmetric scheme of the specification."""

DEFAULT_TOLERANCE: Final = timedelta(minutes=5)
"""How far a request's timestamp may lie from the receiver's clock, either way."""

MIN_KEY_BYTES: Final = 32
"""The shortest signing key accepted: as long as the HMAC-SHA256 output it keys."""

KEY_FILE: Final = "webhook-signing.key"
"""The development signing key's file in the data directory (DATA_DIR)."""

ID_HEADER: Final = "webhook-id"
TIMESTAMP_HEADER: Final = "webhook-timestamp"
SIGNATURE_HEADER: Final = "webhook-signature"


class WebhookVerificationError(Exception):
    """A request whose signature does not verify; the message says which part failed."""


class SigningKeyError(ValueError):
    """The service's webhook signing key is missing or unusable; the message says what to do."""


# --- Secrets ---------------------------------------------------------------------------------


def secret_for(key: bytes, subscription_id: str) -> str:
    """The subscriber's secret: `whsec_` and the base64 of HMAC-SHA256(key, subscription id)."""
    derived = hmac.new(key, subscription_id.encode("utf-8"), hashlib.sha256).digest()
    return SECRET_PREFIX + base64.b64encode(derived).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key a `whsec_…` secret holds (the prefix is optional, as receivers allow)."""
    text = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookVerificationError(
            "the secret is not whsec_ followed by base64; copy it as "
            "`partnerships subscribers secret NAME` shows it"
        ) from None


# --- Signing and verifying -------------------------------------------------------------------


def signed_content(msg_id: str, timestamp: int, body: bytes) -> bytes:
    """What is signed: `{id}.{timestamp}.{body}`, the body byte for byte."""
    return f"{msg_id}.{timestamp}.".encode() + body


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value for a request: `v1,` and the base64 HMAC-SHA256."""
    digest = hmac.new(secret_key(secret), signed_content(msg_id, timestamp, body), hashlib.sha256)
    return f"{SIGNATURE_VERSION}," + base64.b64encode(digest.digest()).decode("ascii")


def signed_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers of a signed request (with its JSON content type)."""
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, msg_id, timestamp, body),
        "content-type": "application/json",
    }


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise WebhookVerificationError(f"the request has no {name} header")


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> None:
    """Check a received request's signature; raise WebhookVerificationError when it fails.

    The timestamp must lie within `tolerance` of `now` (a replayed request is refused), and
    one of the `v1` signatures listed must match; others (other versions, rotated secrets) are
    passed over. Header names are matched in any case.
    """
    msg_id = _header(headers, ID_HEADER)
    stamp = _header(headers, TIMESTAMP_HEADER)
    listed = _header(headers, SIGNATURE_HEADER)
    try:
        timestamp = int(stamp)
    except ValueError:
        raise WebhookVerificationError(
            f"{TIMESTAMP_HEADER} {stamp[:40]!r} is not a number of seconds"
        ) from None
    skew = now.timestamp() - timestamp
    if abs(skew) > tolerance.total_seconds():
        when = "old" if skew > 0 else "far in the future"
        raise WebhookVerificationError(
            f"{TIMESTAMP_HEADER} {timestamp} is too {when}: {abs(int(skew))} s from now, and at "
            f"most {int(tolerance.total_seconds())} s are allowed"
        )
    expected = sign(secret, msg_id, timestamp, body).encode("ascii")
    for candidate in listed.split(" "):
        if candidate.startswith(f"{SIGNATURE_VERSION},") and hmac.compare_digest(
            candidate.encode("ascii", "replace"), expected
        ):
            return
    raise WebhookVerificationError(
        f"no {SIGNATURE_VERSION} signature in {SIGNATURE_HEADER} matches the body"
    )


# --- The service's signing key ---------------------------------------------------------------


def usable_key(text: str, *, source: str) -> bytes:
    """The key `text` (base64, optionally `whsec_`-prefixed) holds, at least MIN_KEY_BYTES."""
    try:
        key = base64.b64decode(text.strip().removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) < MIN_KEY_BYTES:
        raise SigningKeyError(
            f"{source} must be the base64 of at least {MIN_KEY_BYTES} random bytes, e.g. the "
            "output of `python -c 'import base64, secrets; "
            "print(base64.b64encode(secrets.token_bytes(32)).decode())'`"
        )
    return key


def development_key(data_dir: Path) -> bytes:
    """The development signing key in `data_dir`, made first (owner-only, 0600) when missing.

    Made by `write_once`, so processes that start together all read the same key.
    """
    path = data_dir / KEY_FILE
    write_once(path, lambda: base64.b64encode(secrets.token_bytes(MIN_KEY_BYTES)) + b"\n")
    return usable_key(
        path.read_text(encoding="ascii", errors="replace"),
        source=f"the development webhook signing key in {path} (delete it to make a new one)",
    )


def signing_key(
    configured: SecretStr | str | None, *, production: bool, data_dir: str | Path
) -> bytes:
    """The service's webhook signing key: WEBHOOK_SIGNING_KEY, else (development only) the one
    kept in the data directory. In production it is required, and SigningKeyError says so.

    Called as `signing_key(settings.webhook_signing_key, production=settings.partnerships_env
    == "production", data_dir=settings.data_dir)`.
    """
    text = configured.get_secret_value() if isinstance(configured, SecretStr) else configured
    if text is not None and text.strip():
        return usable_key(text, source="WEBHOOK_SIGNING_KEY")
    if production:
        raise SigningKeyError(
            "WEBHOOK_SIGNING_KEY is required in production: every subscriber's webhook secret "
            "is derived from it, so keep it as safe as the database and never change it (that "
            "changes every secret); set it to the base64 of 32 random bytes, e.g. the output "
            "of `python -c 'import base64, secrets; "
            "print(base64.b64encode(secrets.token_bytes(32)).decode())'`"
        )
    return development_key(Path(data_dir))
