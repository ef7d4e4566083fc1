"""The CLI's client of the HTTP API: each step sent as the API's caller, each answer read once.

With PARTNERSHIPS_API set, `propose` and every update verb are `POST /partnerships` and
`POST /partnerships/{CC}/{update}` with `Authorization: Bearer <token>`. The token is
PARTNERSHIPS_TOKEN, or in development one of the development issuer for the `--as` user (the
role binding it needs is granted when missing, and the CLI says so). The body never names the
actor: the API takes who acts from the token and the caller's binding.

Every error answer (an RFC 9457 problem) is mapped here, once, to the CliError the terminal
shows and its exit code, in the same words and codes as a step sent to Temporal directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

import httpx
from pydantic import ValidationError

from app.dev_issuer import AS_FORMAT
from domain.actors import Actor, Role
from domain.directory import BindingRole
from domain.requests import UserRequest
from domain.view import StatusView
from interfaces.cli.access_commands import development_token as access_token
from interfaces.cli.access_commands import parse_as
from interfaces.cli.arguments import update_request
from interfaces.terminal import CliError, ExitCode
from settings import Settings

API_ENV: Final = "PARTNERSHIPS_API"
TOKEN_ENV: Final = "PARTNERSHIPS_TOKEN"

CONNECT_TIMEOUT_S: Final = 10.0
ANSWER_TIMEOUT_S: Final = 180.0
"""How long a step may take to be answered. The API gives up by itself sooner (it waits about
a minute for a worker to accept a step, and about another for it to be recorded) and answers
503 or 504, so this bound only meets an API that stopped answering."""

STEP_TOKEN_TTL: Final = timedelta(minutes=5)
"""A development token is asked for each command; it need outlive only that one request."""

_STAND_IN: Final = Actor(id="api-caller", role=Role.OPERATOR)
"""Fills the contract's `actor` while a body's fields are checked locally; it is never sent."""

"""The parts of `--as` a grant's fields come from, for refusals of a malformed one."""

_TOKEN_HINT: Final = (
    f"Set {TOKEN_ENV} to a current token of the API's issuer (in development, pass --as "
    f"{AS_FORMAT} instead)"
)


@dataclass(frozen=True)
class Api:
    """Where steps are sent and the bearer token they carry (`transport`: for tests only)."""

    url: str
    token: str
    transport: httpx.BaseTransport | None = None


def api_for(settings: Settings, as_text: str | None) -> Api:
    """The API of PARTNERSHIPS_API, with the caller's token: PARTNERSHIPS_TOKEN, or `--as`'s.

    `--as` is for development only, where it asks the development issuer for a token (granting
    the binding it needs). A token and `--as` together are refused: the token says who acts.
    """
    url = (settings.partnerships_api or "").strip().rstrip("/")
    if not url:
        raise CliError(
            f"{API_ENV} is not set: no HTTP API to send the step to", code=ExitCode.USAGE
        )
    if settings.partnerships_token is not None:
        if as_text:
            raise CliError(
                f"both {TOKEN_ENV} and --as are given: with a token, the token says who acts; "
                "drop --as (and PARTNERSHIPS_ACTOR), or unset the token",
                code=ExitCode.USAGE,
            )
        return Api(url, settings.partnerships_token.get_secret_value().strip())
    if settings.partnerships_env != "development":
        raise CliError(
            f"set {TOKEN_ENV} to a token of the identity provider (OIDC_ISSUER): with "
            "PARTNERSHIPS_ENV=production the development issuer behind --as is refused",
            code=ExitCode.USAGE,
        )
    if not as_text:
        raise CliError(
            f"who is acting? Pass --as {AS_FORMAT} (development), or set {TOKEN_ENV}",
            code=ExitCode.USAGE,
        )
    return Api(url, development_token(settings, as_text))


def development_token(settings: Settings, as_text: str) -> str:
    """A short-lived token of the development issuer for `--as`, granting its binding if needed."""
    return access_token(settings, as_text, ttl=STEP_TOKEN_TTL)


def own_member_state(as_text: str | None) -> str | None:
    """The Member State a member_state representative's `--as` names, else None."""
    if not as_text:
        return None
    role, member_state, _ = parse_as(as_text)
    return member_state if role is BindingRole.MEMBER_STATE else None


def body_of(kind: type[UserRequest], fields: dict[str, Any]) -> dict[str, Any]:
    """The JSON body of a `kind` request: its fields checked locally, as JSON, without actor.

    The check is the contract's own (options named as typed, nothing sent when one is
    malformed); the actor is the API's to decide, so a stand-in fills it and is dropped.
    Options left out stay out, so the contract's defaults apply.
    """
    request = update_request(kind, _STAND_IN, fields)
    body: dict[str, Any] = request.model_dump(mode="json", exclude={"actor"}, exclude_unset=True)
    return body


def propose(api: Api, body: dict[str, Any]) -> StatusView:
    """`POST /partnerships`: the new partnership's status, or CliError."""
    return _post(api, "/partnerships", body, country=str(body.get("country", "")))


def step(api: Api, country: str, update: str, body: dict[str, Any]) -> StatusView:
    """`POST /partnerships/{country}/{update}`: the partnership's status after it, or CliError."""
    return _post(api, f"/partnerships/{country}/{update}", body, country=country)


def _post(api: Api, path: str, body: dict[str, Any], *, country: str) -> StatusView:
    timeout = httpx.Timeout(ANSWER_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
    headers = {
        "Authorization": f"Bearer {api.token}",
        "Accept": "application/json, application/problem+json",
    }
    try:
        with httpx.Client(base_url=api.url, timeout=timeout, transport=api.transport) as client:
            response = client.post(path, json=body, headers=headers)
    except httpx.TimeoutException:
        # The request may have reached the API: whether the step was recorded is unknown.
        raise CliError(
            f"the API at {api.url} did not answer within {ANSWER_TIMEOUT_S:.0f} s; the step "
            f"may or may not have been recorded. Check with `partnerships show {country}` "
            "before sending it again.",
            code=ExitCode.UNAVAILABLE,
        ) from None
    except httpx.HTTPError as error:
        raise CliError(
            f"cannot reach the API at {api.url} ({API_ENV}): {error or type(error).__name__}. "
            "Start the local stack with `make run` (or `partnerships dev`), or set "
            f"{API_ENV} to a running API.",
            code=ExitCode.UNAVAILABLE,
        ) from None
    if response.is_success:
        try:
            return StatusView.model_validate_json(response.content)
        except ValidationError:
            raise CliError(
                f"the API at {api.url} answered {response.status_code} without a partnership's "
                f"status; is {API_ENV} the address of this project's API?",
                code=ExitCode.UNAVAILABLE,
            ) from None
    raise refusal(response, country=country)


def _problem(response: httpx.Response) -> dict[str, Any]:
    """The answer's problem document; for an answer without one, one made of its status."""
    try:
        document = response.json()
    except ValueError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("detail"), str):
        return document
    phrase = response.reason_phrase or "error"
    return {
        "type": "",
        "detail": f"the API answered {response.status_code} {phrase} without saying why",
    }


def refusal(response: httpx.Response, *, country: str) -> CliError:
    """The one mapping of the API's error answer to what the terminal says and its exit code.

    The words and codes are those of a step sent to Temporal directly (interfaces.terminal):
    1 refused (401 and 403 too), 2 a request the API could not read (400, 413), 3 unreachable
    or unavailable (5xx, 504 included), 4 no such partnership.
    """
    problem = _problem(response)
    kind = str(problem.get("type", ""))
    detail = str(problem["detail"])
    status = response.status_code
    if status == 401:
        return CliError(f"the API did not accept the token: {detail}. {_TOKEN_HINT}")
    if status == 404:
        if "country" in problem:
            return CliError(
                f"{detail}; propose one with `partnerships propose {country} …`.",
                code=ExitCode.NOT_FOUND,
            )
        return CliError(detail, code=ExitCode.NOT_FOUND)
    if status in (400, 413):
        return CliError(detail, code=ExitCode.USAGE)
    if status >= 500:
        if kind == "StillRecording":
            detail = (
                f"{detail.split(';')[0]}. Check with `partnerships show {country}` before "
                "sending it again."
            )
        return CliError(detail, code=ExitCode.UNAVAILABLE)
    if kind == "NoBinding":
        return CliError(detail)
    if kind == "AlreadyOpen":
        return CliError(f"{detail}; see `partnerships show {country}`.")
    if kind == "WrongStage" and detail.startswith(f"the partnership with {country} has ended"):
        # app.exceptions.Ended's words: a new partnership may be proposed.
        return CliError(f"{detail}. `partnerships propose {country} …` opens a new one.")
    return CliError(f"rejected: {detail}")


def accede(api: Api, country: str, body: dict[str, Any]) -> dict[str, Any]:
    """`POST /partnerships/{country}/accede`: the accession as recorded, or CliError."""
    timeout = httpx.Timeout(ANSWER_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
    headers = {
        "Authorization": f"Bearer {api.token}",
        "Accept": "application/json, application/problem+json",
    }
    try:
        with httpx.Client(base_url=api.url, timeout=timeout, transport=api.transport) as client:
            response = client.post(f"/partnerships/{country}/accede", json=body, headers=headers)
    except httpx.HTTPError as error:
        raise CliError(
            f"cannot reach the API at {api.url} ({API_ENV}), or it did not answer: "
            f"{error or type(error).__name__}; check with `partnerships show {country}` "
            "whether the accession was recorded before sending it again",
            code=ExitCode.UNAVAILABLE,
        ) from None
    if response.is_success:
        answer: dict[str, Any] = response.json()
        return answer
    raise refusal(response, country=country)
