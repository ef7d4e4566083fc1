"""Development tokens for the campaign's API callers, issued in process as `partnerships token`
issues them (app.dev_issuer.dev_token), for the API process of a scenario's stack.

A token is for a user acting as a role (of a Member State); the first one of a user grants the
role binding the directory lacks, which records a RoleGranted in the directory's stream
(`GRANTED`; `DevTokens.grants` counts them, for the checks' expected events). Identity is never
taken from what a caller writes: the token says who acts.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Final

from activities.database import create_engine_from_url
from activities.directory_store import DirectoryStore
from app.dev_issuer import dev_token
from domain.directory import BindingRole
from faults.checks import EventKey
from faults.processes import ApiProcess
from settings import Settings

TTL: Final = timedelta(hours=1)
"""How long a token lives: longer than any scenario runs."""

GRANTED: Final = EventKey("RoleGranted")
"""What a token that grants its user a binding records, in the directory's stream."""


def bearer(token: str) -> dict[str, str]:
    """The Authorization header that carries `token`."""
    return {"Authorization": f"Bearer {token}"}


class DevTokens:
    """The development issuer of one API process, and the directory its users are bound in.

    Safe to use from several threads (grants are read, then written: one at a time).
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._engine = create_engine_from_url(settings.database_url)
        self._directory = DirectoryStore(self._engine)
        self._lock = threading.Lock()
        self._kept: dict[tuple[BindingRole, str, str | None], str] = {}
        self.grants = 0
        """How many role bindings the tokens granted (each a RoleGranted in the directory)."""

    @classmethod
    def for_api(cls, api: ApiProcess) -> DevTokens:
        """The tokens `api` accepts: its store, data directory (the issuer's key) and issuer."""
        return cls(
            Settings(
                database_url=api.env["DATABASE_URL"],
                data_dir=api.env["DATA_DIR"],
                dev_issuer_url=api.env["DEV_ISSUER_URL"],
            )
        )

    def close(self) -> None:
        """Release the store's connections."""
        self._engine.dispose()

    def issue(
        self,
        role: BindingRole,
        user: str,
        member_state: str | None = None,
        *,
        now: datetime | None = None,
    ) -> str:
        """A fresh token of `user` as `role` (of `member_state`), issued at `now` (a moment
        more than TTL ago gives an expired one); grants the binding the directory lacks."""
        with self._lock:
            issued = dev_token(
                self._settings,
                self._directory,
                role=role,
                user=user,
                member_state=member_state,
                ttl=TTL,
                now=now or datetime.now(UTC),
            )
            self.grants += issued.granted
        return issued.token

    def kept(self, role: BindingRole, user: str, member_state: str | None = None) -> str:
        """One token per user, role and Member State, issued once and kept (for TTL)."""
        key = (role, user, member_state)
        with self._lock:
            found = self._kept.get(key)
        if found is None:
            found = self.issue(role, user, member_state)
            with self._lock:
                found = self._kept.setdefault(key, found)
        return found

    def for_actor(self, actor: Mapping[str, str]) -> dict[str, str]:
        """The Authorization header of a lifecycle step's actor (`id`, `role`, `member_state`?,
        as faults.lifecycles writes them), its token kept."""
        role = BindingRole(actor["role"])
        return bearer(self.kept(role, actor["id"], actor.get("member_state")))
