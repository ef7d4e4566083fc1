"""What console sign-in needs from the settings: the checks at start-up and the session key.

In production the console signs people in only through the configured OpenID Connect issuer,
so OIDC_ISSUER, OIDC_CLIENT_ID, an https PUBLIC_URL and CONSOLE_SESSION_SECRET are required,
and a server without them refuses to start, naming each one. In development the session key is
made once and kept in the data directory (`console-session.key`, owner-only), like the
development issuer's key, so sessions survive a restart.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Final

from activities.secret_files import write_once
from settings import MIN_SESSION_SECRET_CHARS, Settings, SettingsError

SESSION_KEY_FILE: Final = "console-session.key"
"""The development session key, in the data directory (DATA_DIR)."""


def missing_for_production(settings: Settings) -> list[str]:
    """What production sign-in lacks, one sentence a setting; empty when all is there."""
    if settings.partnerships_env != "production":
        return []
    missing = []
    if not settings.oidc_issuer:
        missing.append("OIDC_ISSUER (the identity provider, e.g. EU Login)")
    if not settings.oidc_client_id:
        missing.append("OIDC_CLIENT_ID (the console's client id at the identity provider)")
    if not settings.public_url:
        missing.append("PUBLIC_URL (where browsers reach the console, e.g. https://…)")
    elif not settings.public_url.startswith("https://"):
        missing.append(
            f"an https PUBLIC_URL (it is {settings.public_url}; session cookies are Secure in "
            "production, so browsers send them over https only)"
        )
    if settings.console_session_secret is None:
        missing.append(
            f"CONSOLE_SESSION_SECRET (at least {MIN_SESSION_SECRET_CHARS} random characters, "
            "the key that signs session cookies)"
        )
    return missing


def check_console_settings(settings: Settings) -> None:
    """Raise SettingsError naming every setting production sign-in lacks."""
    missing = missing_for_production(settings)
    if missing:
        raise SettingsError(
            "bad setting: the console's sign-in with PARTNERSHIPS_ENV=production needs "
            + "; ".join(missing)
        )


def session_secret(settings: Settings) -> str:
    """The key that signs session cookies: CONSOLE_SESSION_SECRET, else (development only)
    the one kept in the data directory, made on first use.

    Raises SettingsError in production without CONSOLE_SESSION_SECRET.
    """
    if settings.console_session_secret is not None:
        return settings.console_session_secret.get_secret_value()
    check_console_settings(settings)
    return _load_or_create(Path(settings.data_dir) / SESSION_KEY_FILE)


def _load_or_create(path: Path) -> str:
    """The key at `path`, written first (owner-only, 0600) when there is none.

    Made by `write_once`, so processes that start together all read the same key.
    """
    write_once(path, lambda: secrets.token_urlsafe(48).encode("ascii"))
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_SESSION_SECRET_CHARS:
        raise SettingsError(
            f"bad setting: the console's session key at {path} is shorter than "
            f"{MIN_SESSION_SECRET_CHARS} characters; delete the file and a new one is made on "
            "next start (everyone signed in must sign in again)"
        )
    return key
