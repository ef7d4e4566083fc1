"""Every error a caller can meet, as one RFC 9457 problem (`application/problem+json`).

The one mapping of the application core's errors (and the domain's, the identity's, the
store's and the API's own refusals) to a status, a `type` and a `detail`. `type` is the domain
error's type (`NotPermitted`, `WrongStage`, …), so a client branches on the same names the
workflow refuses with; `detail` is the domain's message, which says what was wrong and what
is allowed. What a caller cannot act on (an unreachable database, a bug) is logged here with
its details and answered with a sentence that names none of them: no stack trace, host or
path ever reaches a caller.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from activities.store_errors import DatabaseNotReady, DatabaseUnreachable, StoreError
from app.exceptions import (
    AlreadyOpen,
    AppError,
    NotAccepted,
    NotFound,
    Refused,
    Rejected,
    StillRecording,
    Unavailable,
)
from app.identity import KeysUnavailable, NoBinding, Unauthenticated
from app.partnerships import QueryUnanswered
from domain.errors import DomainError

log = logging.getLogger("pilot-partnerships.api")

PROBLEM_JSON: Final = "application/problem+json"

STATUS_OF_KIND: Final[Mapping[str, int]] = {
    "NotPermitted": 403,
    "ForeignMemberState": 403,
    "NotThePresidency": 403,
    "Unattested": 403,
    "VersionMismatch": 412,
    "ValidationError": 422,
}
"""The status of a refusal by its type, where it is not 409 (DESIGN.md §3b).

A caller's binding that does not allow the step is 403 (and so is a start or step the workers
refuse as unattested); a step sent against a version that is no longer current is 412; a
field that fails validation is 422. Every other refusal by the
domain's rules (a wrong stage, an unknown Member State, a past deadline…) is a conflict with
the partnership's state: 409.
"""

REALM: Final = "pilot-partnerships"
"""The realm a 401's `WWW-Authenticate: Bearer` challenge names."""

RETRY_AFTER_S: Final = 5
"""What a 503 suggests a client waits before it tries again, in seconds."""


@dataclass(frozen=True)
class Problem:
    """One RFC 9457 problem: its status, type, title and detail, and any further members."""

    status: int
    type: str
    detail: str
    extra: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """The type in words: `ForeignMemberState` → `Foreign member state`."""
        words = re.findall(r"[A-Z]+(?![a-z])|[A-Z][a-z]*|[a-z]+|\d+", self.type)
        text = " ".join(
            word if word.isupper() and len(word) > 1 else word.lower() for word in words
        )
        return text[:1].upper() + text[1:]

    def body(self, instance: str | None = None) -> dict[str, Any]:
        """The problem document."""
        document: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance is not None:
            document["instance"] = instance
        return {**document, **self.extra}

    def response(self, instance: str | None = None) -> JSONResponse:
        """The problem as an HTTP response."""
        return JSONResponse(
            self.body(instance),
            status_code=self.status,
            media_type=PROBLEM_JSON,
            headers=dict(self.headers),
        )


class ProblemError(Exception):
    """The API's own refusal of a request (a malformed body, an unknown update, a bad header)."""

    def __init__(
        self,
        status: int,
        type: str,
        detail: str,
        *,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.problem = Problem(status, type, detail, dict(extra or {}), dict(headers or {}))


PROBLEM_SCHEMA: Final = "Problem"
"""The name of the problem document's schema among the OpenAPI components."""

PROBLEM_JSON_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "description": "An RFC 9457 problem; `type` is the domain error's type",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                "required": ["field", "message"],
            },
        },
    },
    "required": ["type", "title", "status", "detail"],
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problems a route may answer with."""
    return {
        status: {
            "description": "A problem (RFC 9457)",
            "content": {
                PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{PROBLEM_SCHEMA}"}}
            },
        }
        for status in statuses
    }


def status_of_kind(kind: str) -> int:
    """The status of a refusal of type `kind`: 403, 412, 422 as listed, else 409."""
    return STATUS_OF_KIND.get(kind, 409)


def invalid_fields(error: ValidationError) -> Problem:
    """A 422 `ValidationError` problem naming each bad field and what is allowed."""
    return fields_problem(field_errors(error.errors(include_url=False)))


def fields_problem(errors: list[dict[str, str]]) -> Problem:
    """A 422 `ValidationError` problem from its fields' errors, one sentence each in `detail`."""
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return Problem(422, "ValidationError", detail or "the request is invalid", {"errors": errors})


def field_errors(errors: Any, *, prefix: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """Each bad field as `{"field": "offers.0", "message": …}`, without the input's echo."""
    found: list[dict[str, str]] = []
    for problem in errors:
        location = [*prefix, *(str(part) for part in problem.get("loc", ()))]
        message = str(problem.get("msg", "is invalid")).removeprefix("Value error, ")
        if problem.get("type") == "extra_forbidden" and location[-1:] == ["actor"]:
            message = ACTOR_REFUSED
        found.append({"field": ".".join(location) or "body", "message": message})
    return found


ACTOR_REFUSED: Final = (
    "a body may not name the actor: who acts is taken from the bearer token and the "
    "caller's role bindings"
)

_UNAVAILABLE: Final = (
    "the service cannot reach {what} now, so nothing was read or recorded; try again shortly"
)


def problem_for(error: BaseException) -> Problem:
    """The one mapping of an error to the problem a caller is shown."""
    match error:
        case ProblemError():
            return error.problem
        case Unauthenticated():
            return Problem(
                401,
                "Unauthenticated",
                error.message,
                headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'},
            )
        case NoBinding():
            return Problem(403, "NoBinding", error.message)
        case KeysUnavailable():
            log.error("token issuer: %s", error.message)
            return Problem(
                503, "KeysUnavailable", error.message, headers={"Retry-After": str(RETRY_AFTER_S)}
            )
        case Rejected():
            return Problem(status_of_kind(error.kind), error.kind, error.message)
        case DomainError():
            kind = type(error).__name__
            return Problem(status_of_kind(kind), kind, error.message)
        case ValidationError():
            return invalid_fields(error)
        case NotFound():
            return Problem(404, "NotFound", error.message, extra={"country": error.country})
        case AlreadyOpen():
            return Problem(409, "AlreadyOpen", error.message, extra={"country": error.country})
        case NotAccepted() | QueryUnanswered():
            log.warning("no worker answered: %s", error.message)
            return Problem(
                504,
                type(error).__name__,
                "no worker accepted the request in time, so nothing was recorded; the service "
                "is short of workers, try again shortly",
            )
        case StillRecording():
            return Problem(
                503,
                "StillRecording",
                error.message.split(";")[0]
                + "; send the same request again with the same Idempotency-Key for its outcome",
                headers={"Retry-After": str(RETRY_AFTER_S)},
            )
        case Unavailable() | Refused():
            log.error("Temporal: %s", error.message)
            return _unavailable("the workflow service (Temporal)", type(error).__name__)
        case DatabaseUnreachable() | DatabaseNotReady():
            log.error("event store: %s", error)
            return _unavailable("the event store", type(error).__name__)
        case DBAPIError():
            log.error("event store: %s", str(error).splitlines()[0])
            return _unavailable("the event store", "DatabaseUnreachable")
        case AppError():
            return Problem(409, type(error).__name__, error.message)
        case StoreError():
            log.error("event store: %s", error, exc_info=error)
    return internal_error()


def _unavailable(what: str, kind: str) -> Problem:
    return Problem(
        503,
        kind,
        _UNAVAILABLE.format(what=what),
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def internal_error() -> Problem:
    """The answer to a failure nobody foresaw: a 500 that says nothing of its cause."""
    return Problem(
        500,
        "InternalError",
        "the service failed to answer this request; it has been logged. Nothing is known to "
        "have been recorded: read the partnership before you send a step again",
    )


def http_problem(status: int, detail: str | None = None) -> Problem:
    """A problem for a status the framework decided (404 no route, 405 method not allowed)."""
    phrase = HTTPStatus(status).phrase
    kind = "".join(word.capitalize() for word in re.split(r"[\s-]+", phrase))
    return Problem(status, kind, detail or phrase)


async def _problem_response(request: Request, error: Exception) -> JSONResponse:
    problem = problem_for(error)
    if problem.status >= 500 and problem.type == "InternalError":
        log.error("%s %s failed", request.method, request.url.path, exc_info=error)
    return problem.response(request.url.path)


async def _http_exception(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 404 and error.detail == HTTPStatus.NOT_FOUND.phrase:
        detail = f"no route {request.method} {request.url.path}; the routes are at /docs"
    elif error.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    else:
        detail = str(error.detail)
    problem = http_problem(error.status_code, detail)
    headers = {**problem.headers, **(error.headers or {})}
    allowed = allowed_methods(request) if error.status_code == 405 else []
    if allowed:
        headers["Allow"] = ", ".join(allowed)
    return Problem(problem.status, problem.type, problem.detail, headers=headers).response(
        request.url.path
    )


def allowed_methods(request: Request) -> list[str]:
    """Every method the OpenAPI document gives the request's path, for a 405's `Allow`.

    RFC 9110 asks a 405 to list every method the resource supports; Starlette names only the
    first route that matched (`Allow: POST` on `/partnerships`, which GET serves too). Empty
    for a path the document does not describe (the docs pages, an unknown update).
    """
    path = request.scope.get("path", request.url.path)
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        if _path_pattern(template).fullmatch(path):
            methods.update(name.upper() for name in operations if name.upper() in _METHODS)
    return sorted(methods)


_METHODS: Final = frozenset(("GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"))


@functools.lru_cache(maxsize=256)
def _path_pattern(template: str) -> re.Pattern[str]:
    """A documented path (`/partnerships/{cc}/events`) as a pattern of the paths it names."""
    parts = re.split(r"\{[^/{}]+\}", template)
    return re.compile("[^/]+".join(re.escape(part) for part in parts))


async def _request_validation(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return fields_problem(field_errors(error.errors())).response(request.url.path)


def install(app: FastAPI) -> None:
    """Answer every error raised while serving `app` as a problem document."""
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _request_validation)
    for kind in (ProblemError, AppError, DomainError, ValidationError, StoreError, DBAPIError):
        app.add_exception_handler(kind, _problem_response)
    # Exception: Starlette's outermost middleware calls this for whatever else escaped.
    app.add_exception_handler(Exception, _problem_response)
