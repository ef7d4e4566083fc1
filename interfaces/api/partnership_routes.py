"""Proposals, the board, one partnership and its steps (DESIGN.md §3b).

Every step is `POST /partnerships/{CC}/{update}`, one route per update of the contract, each
with its own body in the OpenAPI document; a name that is no update is refused with 400 and
the list of those that are. Who acts is the caller's binding for the step, never the body.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from activities.schema import read_utc
from app.partnerships import check_proposal
from app.reading import ListedPartnership, board_page, current_view
from domain.commands import ProposePartnership
from domain.regions import Region
from domain.requests import REQUEST_FOR, StartPartnership
from domain.stages import Stage
from domain.view import StatusView
from interfaces.api.attesting import acting_for
from interfaces.api.inputs import (
    IDEMPOTENCY_KEY_PATTERN,
    IF_MATCH_PATTERN,
    CountryCode,
    body_of,
    country_in_path,
    etag,
    update_id_for,
    version_in_if_match,
)
from interfaces.api.models import (
    PROPOSAL_BODY,
    STEP_BODIES,
    BoardEntry,
    BoardPage,
    request_of,
)
from interfaces.api.problems import ProblemError, allowed_methods, problem_responses
from interfaces.api.resources import Authenticated, Held

router = APIRouter(tags=["partnerships"])

BOARD_PAGE_MAX: Final = 200


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The `requestBody` of an operation whose body is `model` (added to the components)."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
            },
        }
    }


_COMMON = (400, 401, 403, 413, 422, 503)


@router.post(
    "/partnerships",
    status_code=201,
    response_model=StatusView,
    summary="Propose a partnership (Commission)",
    openapi_extra=body_schema(PROPOSAL_BODY),
    responses={
        201: {"headers": {"Location": {"schema": {"type": "string"}}}},
        **problem_responses(*_COMMON, 409, 504),
    },
)
async def propose(request: Request, response: Response, caller: Authenticated, held: Held) -> Any:
    """Start a country's partnership: the start input of §3 without `actor`."""
    body = await body_of(request, PROPOSAL_BODY)
    start = request_of(StartPartnership, body, caller.actor_for(ProposePartnership))
    check_proposal(
        start,
        consultation_period_days=held.settings.consultation_period_days,
        now=datetime.now(UTC),
    )
    core = await held.partnerships()
    with acting_for(caller):
        view = await core.propose(start)
    response.headers["Location"] = f"/partnerships/{view.country}"
    response.headers["ETag"] = etag(view.version)
    return view


def _cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{position}".encode()).decode().rstrip("=")


def _before(cursor: str | None) -> int | None:
    """The proposal position a cursor continues below; 400 for one this API did not give."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, _, position = text.partition(":")
        if version == "v1" and position.isdigit():
            return int(position)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ProblemError(
        400, "InvalidCursor", "the cursor is not one this API gave; use a page's next_cursor"
    )


def _entry(listed: ListedPartnership) -> BoardEntry:
    row = listed.row
    return BoardEntry(
        stream_id=row.stream_id,
        country=row.country,
        region=row.region,
        stage=row.stage,
        proposed_on=listed.proposed_on,
        consultation_deadline=row.consultation_deadline,
        decision_deadline=row.decision_deadline,
        interested_count=row.interested_count,
        version=row.stream_version,
        last_event_type=row.last_event_type,
        last_changed_on=row.last_changed_on,
        # SQLite keeps no offset: the store writes UTC, so the board says so (RFC 3339).
        last_recorded_at=read_utc(row.last_recorded_at),
        href=f"/partnerships/{row.country}",
    )


@router.get(
    "/partnerships",
    response_model=BoardPage,
    summary="The board",
    responses=problem_responses(400, 401, 403, 422, 503),
)
def list_partnerships(
    request: Request,
    caller: Authenticated,
    held: Held,
    stage: Stage | None = None,
    region: Region | None = None,
    country: Annotated[
        str | None, Query(min_length=2, max_length=2, pattern="^[A-Za-z]{2}$")
    ] = None,
    year: Annotated[
        int | None, Query(ge=1, le=9999, description="The year it was proposed in")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=BOARD_PAGE_MAX)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> BoardPage:
    """Every partnership (each incarnation) from the read model, the newest proposal first."""
    rows, more = board_page(
        held.store.engine(),
        stage=stage.value if stage else None,
        region=region.value if region else None,
        country=country_in_path(country) if country else None,
        year=year,
        limit=limit,
        before=_before(cursor),
    )
    next_cursor = _cursor(more) if more is not None else None
    following = str(request.url.include_query_params(cursor=next_cursor)) if next_cursor else None
    return BoardPage(
        items=[_entry(listed) for listed in rows], next_cursor=next_cursor, next=following
    )


@router.get(
    "/partnerships/{cc}",
    response_model=StatusView,
    summary="One partnership's status",
    responses={
        200: {"headers": {"ETag": {"schema": {"type": "string"}}}},
        **problem_responses(401, 403, 404, 422, 503, 504),
    },
)
async def one_partnership(
    cc: CountryCode, response: Response, caller: Authenticated, held: Held
) -> Any:
    """The status view of the country's latest partnership; its ETag is its version.

    From Temporal; when Temporal cannot answer, folded from the permanent record instead.
    """
    code = country_in_path(cc)

    async def status() -> StatusView:
        return await (await held.partnerships()).status(code)

    shown = await current_view(status, held.store.engine_if_ready(), code)
    response.headers["ETag"] = etag(shown.view.version)
    return shown.view


def _step_endpoint(update: str) -> Callable[..., Awaitable[Any]]:
    request_model = REQUEST_FOR[update]
    body_model = STEP_BODIES[update]
    takes_version = "expected_version" in request_model.model_fields

    async def step(
        request: Request,
        response: Response,
        cc: CountryCode,
        caller: Authenticated,
        held: Held,
        idempotency_key: Annotated[
            str | None,
            Header(
                description="Names this step: a retry with the same key records it once",
                # Documented, not validated here: update_id_for answers a bad key with a 400.
                json_schema_extra={"pattern": IDEMPOTENCY_KEY_PATTERN},
            ),
        ] = None,
        if_match: Annotated[
            str | None,
            Header(
                description='The version last read, as its ETag: "7"; 412 if it moved',
                json_schema_extra={"pattern": IF_MATCH_PATTERN},
            ),
        ] = None,
    ) -> Any:
        code = country_in_path(cc)
        body = await body_of(request, body_model)
        expected = version_in_if_match(if_match)
        extra: dict[str, Any] = {}
        if expected is not None:
            if not takes_version:
                raise ProblemError(
                    400, "InvalidIfMatch", f"{update} does not take If-Match; send it without"
                )
            given = getattr(body, "expected_version", None)
            if given is not None and given != expected:
                raise ProblemError(
                    400,
                    "InvalidIfMatch",
                    f"If-Match names version {expected} but expected_version is {given}; "
                    "send one of them",
                )
            extra["expected_version"] = expected
        actor = caller.actor_for(request_model.command_type, member_state=_member_state(body))
        sent = request_of(request_model, body, actor, **extra)
        key = update_id_for(caller, code, update, idempotency_key)
        core = await held.partnerships()
        with acting_for(caller):
            view = await core.step(code, sent, update_id=key)
        response.headers["ETag"] = etag(view.version)
        return view

    step.__name__ = update
    step.__doc__ = (
        f"`{update}`: {request_model.command_type.__doc__} The body is the update's fields of "
        "DESIGN.md §3 without `actor`."
    )
    return step


def _member_state(body: BaseModel) -> str | None:
    """The Member State a body answers for, to pick that binding of a caller who holds two."""
    named = getattr(body, "member_state", None)
    return named if isinstance(named, str) else None


for _update in REQUEST_FOR:
    router.add_api_route(
        f"/partnerships/{{cc}}/{_update}",
        _step_endpoint(_update),
        methods=["POST"],
        response_model=StatusView,
        summary=_update.replace("_", " ").capitalize(),
        openapi_extra=body_schema(STEP_BODIES[_update]),
        responses={
            200: {"headers": {"ETag": {"schema": {"type": "string"}}}},
            **problem_responses(*_COMMON, 404, 409, 412, 504),
        },
        tags=["steps"],
    )


@router.post("/partnerships/{cc}/{update}", include_in_schema=False)
async def unknown_update(request: Request, cc: str, update: str, caller: Authenticated) -> None:
    """Any other name is no update: 400, naming those that are. A path another route serves
    (the record, `/partnerships/{CC}/events`) is no update either: 405, with its `Allow`."""
    allowed = allowed_methods(request)
    if allowed and "POST" not in allowed:
        raise StarletteHTTPException(405)
    raise ProblemError(
        400,
        "UnknownUpdate",
        f"{update[:60]!r} is not an update of a partnership; the updates are "
        + ", ".join(REQUEST_FOR),
    )
