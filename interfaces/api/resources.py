"""What the API holds for its lifetime: settings, the Temporal client, the store's engine, the
authenticator; and the FastAPI dependencies that hand them to routes.

The Temporal client is connected in the app's lifespan; when Temporal is down then, the API
still starts (health and readiness must answer) and connects on the first request that needs
it. The engine is checked at the migrations' head once, then trusted until it fails.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Annotated, Final, Protocol

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from sqlalchemy.engine import Engine

from activities.database import create_engine_from_url
from activities.directory_store import DirectoryStore
from activities.store_errors import StoreError
from app.identity import Caller
from app.partnerships import Partnerships
from app.temporal import connect
from domain.directory import Binding
from interfaces.api.attesting import attesting
from migrations.readiness import check_ready
from settings import Settings

log = logging.getLogger("pilot-partnerships.api")

API_WORKER_PATIENCE: Final = timedelta(seconds=20)
"""How long a request waits for a worker to accept its step before answering 504.

Shorter than the CLI's minute: an HTTP client (or a proxy before it) gives up sooner, and a
step a worker accepts later would be recorded after its caller was told it was not.
"""


class Authenticates(Protocol):
    """What the API asks of an authenticator (app.identity.Authenticator)."""

    def authenticate(self, authorization: str | None) -> Caller:
        """The caller an `Authorization` header names; Unauthenticated or NoBinding if none."""
        ...

    def check_keys(self) -> None:
        """Raise an AppError (KeysUnavailable) unless the issuer's keys can be had."""
        ...


class Store:
    """The event store's engine, its schema checked at the migrations' head before first use.

    It is also where the authenticator reads the directory's bindings (`bindings_of`), so a
    database that is down or behind answers 503 there too.
    """

    def __init__(self, settings: Settings) -> None:
        self._url = settings.database_url
        self._engine: Engine | None = None
        self._directory: DirectoryStore | None = None
        self._ready = False

    def engine(self) -> Engine:
        """The engine, its schema at the migrations' head (StoreError otherwise)."""
        if self._engine is None:
            self._engine = create_engine_from_url(self._url)
        if not self._ready:
            check_ready(self._engine)
            self._ready = True
        return self._engine

    def engine_if_ready(self) -> Engine | None:
        """The engine when the store is ready, else None (for reads that can do without)."""
        try:
            return self.engine()
        except StoreError as error:
            log.warning("event store not ready: %s", error)
            return None

    def failed(self) -> None:
        """Check the schema again before the next use: the database failed a request."""
        self._ready = False

    def bindings_of(self, issuer: str, subject: str, on: date) -> list[Binding]:
        """The directory's bindings of a subject on a day (the authenticator's BindingSource)."""
        engine = self.engine()
        if self._directory is None:
            self._directory = DirectoryStore(engine)
        return self._directory.bindings_of(issuer, subject, on)

    def close(self) -> None:
        """Release the engine's connections."""
        if self._engine is not None:
            self._engine.dispose()


@dataclass
class Resources:
    """The API's long-lived parts, kept on `app.state.resources`."""

    settings: Settings
    store: Store
    authenticator: Authenticates
    worker_patience: timedelta = API_WORKER_PATIENCE
    _partnerships: Partnerships | None = field(default=None, init=False)
    _connecting: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    async def partnerships(self) -> Partnerships:
        """The connected core, connecting first if the lifespan could not (TemporalUnreachable)."""
        async with self._connecting:
            if self._partnerships is None:
                client = attesting(await connect(self.settings), self.settings)
                self._partnerships = Partnerships(
                    client, self.settings, worker_patience=self.worker_patience
                )
        return self._partnerships


def resources(request: Request) -> Resources:
    """The app's resources (a FastAPI dependency)."""
    held: Resources = request.app.state.resources
    return held


Held = Annotated[Resources, Depends(resources)]

# Declares the scheme in the OpenAPI document (clients and schemathesis read it); the header
# itself is read below, so every refusal comes from the one authenticator.
_BEARER: Final = HTTPBearer(
    auto_error=False,
    description="A JWT from the configured issuer (in development: `partnerships token`)",
)


def authenticated_caller(
    request: Request, held: Held, _declared: Annotated[object, Depends(_BEARER)]
) -> Caller:
    """The authenticated caller of a request, with their current bindings (a dependency).

    A sync dependency: FastAPI runs it in a thread, where fetching the issuer's keys may block.
    """
    return held.authenticator.authenticate(request.headers.get("authorization"))


Authenticated = Annotated[Caller, Depends(authenticated_caller)]
