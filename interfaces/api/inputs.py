"""What a request carries besides its body's fields: the country in its path, its body's JSON,
its `If-Match` and `Idempotency-Key` headers; each read once here, refusals as problems.
"""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Any, Final

from fastapi import Path, Request
from pydantic import BaseModel, ValidationError

from app.identity import Caller
from domain.countries import iso_code
from domain.errors import InvalidCountry
from interfaces.api.models import is_malformed_json, parse_body
from interfaces.api.problems import ProblemError

CountryCode = Annotated[
    str,
    Path(
        description="The third country's ISO 3166-1 alpha-2 code, e.g. CV",
        min_length=2,
        max_length=2,
        pattern="^[A-Za-z]{2}$",
    ),
]
"""A path's country: two letters, checked as a country by `country_in_path`."""

IDEMPOTENCY_KEY_MAX: Final = 200
"""The longest Idempotency-Key accepted, in characters (visible ASCII)."""

_VISIBLE_ASCII: Final = re.compile(r"^[\x21-\x7e]+$")
_ETAG: Final = re.compile(r'^(?:W/)?"(\d{1,9})"$')

IDEMPOTENCY_KEY_PATTERN: Final = f"^[!-~]{{1,{IDEMPOTENCY_KEY_MAX}}}$"
"""What the OpenAPI document says an Idempotency-Key is (checked by `update_id_for`)."""

IF_MATCH_PATTERN: Final = '^(\\*|(W/)?"[0-9]{1,9}")$'
"""What the OpenAPI document says an If-Match is (checked by `version_in_if_match`)."""


def country_in_path(text: str) -> str:
    """The country a path names, as the contract writes it (`cv` → `CV`), or a 422 problem."""
    try:
        return iso_code(text)
    except InvalidCountry as error:
        raise ProblemError(422, "InvalidCountry", error.message) from None


def etag(version: int) -> str:
    """The strong ETag of a partnership at `version`: `"7"`."""
    return f'"{version}"'


def version_in_if_match(header: str | None) -> int | None:
    """The version an `If-Match` header names (`"7"`), None when absent or `*`; else 400.

    `*` asks only that the partnership exist, which every step requires anyway.
    """
    if header is None or header.strip() == "*":
        return None
    found = _ETAG.match(header.strip())
    if found is None:
        raise ProblemError(
            400,
            "InvalidIfMatch",
            f"If-Match must name one version as the ETag of GET /partnerships/{{CC}} gives it, "
            f'e.g. "7" (with its quotes); got {header.strip()[:40]!r}',
        )
    return int(found.group(1))


def update_id_for(caller: Caller, country: str, update: str, key: str | None) -> str | None:
    """The Temporal update id a step's `Idempotency-Key` becomes, or None without one; 400.

    The id is a digest of the key with who sends it, to which partnership and which update: two
    callers who happen to choose the same key never share an outcome, and a key reused for
    another step is another update. Temporal runs one update per id in a workflow run, so a
    retried request records once and answers with the first one's outcome.
    """
    if key is None:
        return None
    if len(key) > IDEMPOTENCY_KEY_MAX or not _VISIBLE_ASCII.match(key):
        raise ProblemError(
            400,
            "InvalidIdempotencyKey",
            f"Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX} visible ASCII characters "
            "(a UUID is a good choice)",
        )
    scope = "\x00".join((caller.issuer, caller.subject, country, update, key))
    return f"api-{hashlib.sha256(scope.encode()).hexdigest()[:40]}"


async def body_of(request: Request, model: type[BaseModel]) -> BaseModel:
    """The request's JSON body as `model`, strictly: 400 when it is not JSON, 422 when a field
    fails (each bad field named; `actor` refused as coming from the token)."""
    raw = await request.body()
    try:
        return parse_body(model, raw)
    except ValidationError as error:
        if is_malformed_json(error):
            raise ProblemError(
                400, "MalformedJSON", f"the body is not JSON: {_json_reason(error)}"
            ) from None
        raise


def _json_reason(error: ValidationError) -> str:
    reason = str(error.errors()[0].get("msg", "")).removeprefix("Invalid JSON: ")
    return reason or "it does not parse"


def declared_query_only(request: Request) -> None:
    """400 UnknownParameter for a query parameter the operation does not declare.

    A typo is said, not silently ignored: `stat=failed` would otherwise list every delivery,
    and `form=3` every event. The declared names are read from the matched route (its own
    parameters and its dependencies'), so each route's signature stays the one list.
    """
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not getattr(route, "include_in_schema", True):
        return  # a route the document does not show (a 405 for a step's name) says its own
    declared = _query_names(dependant)
    unknown = sorted(set(request.query_params) - declared)
    if unknown:
        takes = " and ".join(sorted(declared)) if declared else "no query parameter"
        raise ProblemError(
            400,
            "UnknownParameter",
            f"{request.url.path} takes no query parameter {unknown[0]!r}; it takes {takes}",
        )


def _query_names(dependant: Any) -> set[str]:
    """The query parameters a route's dependant declares, its dependencies' included."""
    names = {param.alias for param in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_names(dependency)
    return names
