"""The API's app factory: `create_app(settings)` wires the routes, the problem mapping, the size
limit and what the app holds for its lifetime (DESIGN.md §3b).

The Temporal client is connected in the app's lifespan; if Temporal is down then, the app
starts anyway, `/readyz` says so, and the first request that needs Temporal connects.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi

from app.exceptions import Unavailable
from app.identity import Authenticator
from app.tracing import install_tracing, instrument_api
from interfaces.api import (
    accession_routes,
    caller_routes,
    delivery_routes,
    health_routes,
    partnership_routes,
    programme_routes,
    record_routes,
    subscription_routes,
)
from interfaces.api.attesting import check_attestation_settings
from interfaces.api.dev_routes import install_dev_issuer
from interfaces.api.inputs import declared_query_only
from interfaces.api.metrics_routes import install_metrics
from interfaces.api.models import PROPOSAL_BODY, STEP_BODIES
from interfaces.api.problems import (
    PROBLEM_JSON_SCHEMA,
    PROBLEM_SCHEMA,
    install,
    problem_responses,
)
from interfaces.api.request_ids import RequestIds
from interfaces.api.resources import API_WORKER_PATIENCE, Authenticates, Resources, Store
from interfaces.api.size_limit import MAX_BODY_BYTES, BodySizeLimit
from interfaces.console.mounting import install_console
from interfaces.console.session import install_console_sessions
from settings import Settings

log = logging.getLogger("pilot-partnerships.api")

TITLE = "Pilot Partnerships API"


def create_app(
    settings: Settings,
    *,
    authenticator: Authenticates | None = None,
    worker_patience: timedelta = API_WORKER_PATIENCE,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> FastAPI:
    """The API for `settings`.

    Tokens are verified by `app.identity.Authenticator` against the trusted issuer, and
    bindings read from the event store, unless another `authenticator` is given; each start
    and step is attested with ATTESTATION_KEY_ID. Raises DevIssuerRefused (production without
    OIDC_ISSUER) or SettingsError at once, so a server that cannot verify tokens, or cannot
    attest what the workers require attested, never starts.
    """
    check_attestation_settings(settings)
    install_tracing(settings)  # only when OTEL_EXPORTER_OTLP_ENDPOINT is set
    store = Store(settings)
    held = Resources(
        settings=settings,
        store=store,
        authenticator=authenticator or Authenticator(settings, store),
        worker_patience=worker_patience,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            await held.partnerships()
        except Unavailable as error:
            log.warning("Temporal is not reachable yet (%s); connecting on first use", error)
        try:
            yield
        finally:
            store.close()

    app = FastAPI(
        title=TITLE,
        version="1",
        description=(
            "Pilot mobility partnerships of the EU with third countries (DESIGN.md §3b). "
            "Every route but health, readiness and the development issuer's keys needs "
            "`Authorization: Bearer <JWT>`; errors are `application/problem+json`."
        ),
        lifespan=lifespan,
    )
    app.state.resources = held
    install(app)
    app.add_middleware(BodySizeLimit, limit=max_body_bytes)
    app.add_middleware(RequestIds)  # outermost: every line logged for a request carries its id
    for module in (
        health_routes,
        caller_routes,
        accession_routes,  # before partnership_routes' POST /partnerships/{CC}/{update}
        partnership_routes,
        programme_routes,
        record_routes,
        subscription_routes,
        delivery_routes,
    ):
        app.include_router(
            module.router,
            dependencies=[Depends(declared_query_only)],
            responses=problem_responses(400),
        )
    install_dev_issuer(app, settings)
    install_metrics(app, settings, store.engine)  # /metrics, not in the OpenAPI document
    instrument_api(app)  # traced when tracing is on
    install_console(app)
    install_console_sessions(app, settings)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with the bodies each step reads (parsed strictly by the routes)."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas[PROBLEM_SCHEMA] = PROBLEM_JSON_SCHEMA
        for model in (PROPOSAL_BODY, *STEP_BODIES.values()):
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas[model.__name__] = schema
        for path in document.get("paths", {}).values():
            for operation in path.values():
                for parameter in operation.get("parameters", ()):
                    _absent_is_not_null(parameter)
        app.openapi_schema = document
    return app.openapi_schema


def _absent_is_not_null(parameter: dict[str, Any]) -> None:
    """An optional path, query or header parameter is left out, never null: drop `null` from
    its schema (FastAPI declares `str | None` as `anyOf: [string, null]`, which tells a client
    that the text `null` is a value)."""
    schema = parameter.get("schema", {})
    choices = schema.get("anyOf")
    if parameter.get("required") or not isinstance(choices, list):
        return
    kept = [choice for choice in choices if choice != {"type": "null"}]
    if len(kept) == 1 and len(kept) < len(choices):
        rest = {key: value for key, value in schema.items() if key != "anyOf"}
        parameter["schema"] = {**kept[0], **rest}
