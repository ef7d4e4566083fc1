"""Through the HTTP API, a step is answered in the words and exit codes of a direct step.

The API runs nowhere here: an httpx MockTransport answers as the API would, with the API's
own problem mapping (interfaces.api.problems), so a refusal's words can be compared with what
the CLI says when the same error comes from Temporal directly (interfaces.terminal).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from app.exceptions import (
    AlreadyOpen,
    AppError,
    Ended,
    NotAccepted,
    NotFound,
    Rejected,
    StillRecording,
)
from app.identity import NoBinding, Unauthenticated
from domain.actors import Actor, Role
from domain.commands import ProposePartnership
from domain.decide import decide
from domain.evolve import replay
from domain.requests import RespondToConsultationRequest, StartPartnership
from domain.state import Partnership
from domain.view import StatusView, status_view
from interfaces.api.problems import PROBLEM_JSON, problem_for
from interfaces.cli import api_client, step_commands
from interfaces.cli.api_client import Api, api_for, body_of, refusal
from interfaces.terminal import CliError, ExitCode, explained
from settings import Settings

NOW = datetime(2026, 1, 10, 9, 30, tzinfo=UTC)
COMMISSION = Actor(id="alice", role=Role.COMMISSION)
URL = "http://api.test"

Handler = Callable[[httpx.Request], httpx.Response]


def _view() -> StatusView:
    proposal = ProposePartnership(
        country="CV", rationale="Cape Verde asked", terms_of_reference="Council conclusions"
    )
    return status_view(replay(decide(Partnership(), proposal, COMMISSION, NOW)), NOW)


def _api(handler: Handler) -> Api:
    return Api(URL, "the-token", transport=httpx.MockTransport(handler))


def _answering(problem_error: BaseException) -> Handler:
    """An API that answers every request with the problem the API maps `problem_error` to."""
    problem = problem_for(problem_error)

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            problem.status,
            content=json.dumps(problem.body(request.url.path)),
            headers={"content-type": PROBLEM_JSON, **problem.headers},
        )

    return answer


def _refused_by(handler: Handler) -> CliError:
    with pytest.raises(CliError) as refused:
        api_client.step(_api(handler), "CV", "close_consultation", {})
    return refused.value


def test_a_step_is_posted_to_its_route_with_the_bearer_token_and_a_body_without_actor() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=_view().model_dump_json())

    body = body_of(
        RespondToConsultationRequest,
        {"member_state": "PT", "position": "interested", "occurred_on": "2026-01-09"},
    )
    view = api_client.step(_api(answer), "CV", "respond_to_consultation", body)
    assert view == _view()
    [request] = seen
    assert (request.method, str(request.url)) == (
        "POST",
        f"{URL}/partnerships/CV/respond_to_consultation",
    )
    assert request.headers["authorization"] == "Bearer the-token"
    assert json.loads(request.content) == {
        "member_state": "PT",
        "position": "interested",
        "occurred_on": "2026-01-09",
    }


def test_a_proposal_is_posted_to_the_partnerships_collection() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, content=_view().model_dump_json())

    body = body_of(StartPartnership, {"country": "CV", "rationale": "r", "terms_of_reference": "t"})
    assert api_client.propose(_api(answer), body).stage == _view().stage
    assert str(seen[0].url) == f"{URL}/partnerships"
    assert "actor" not in json.loads(seen[0].content)


def test_a_malformed_option_is_refused_by_its_option_before_anything_is_sent() -> None:
    with pytest.raises(CliError) as refused:
        body_of(RespondToConsultationRequest, {"member_state": "PT", "position": "maybe"})
    assert refused.value.message == (
        "--position: Input should be 'interested' or 'not_interested' (given 'maybe')"
    )
    assert refused.value.code is ExitCode.REJECTED


@pytest.mark.parametrize(
    "error",
    [
        Rejected("Portugal may answer only for PT", kind="ForeignMemberState"),
        Rejected("only the Commission may close the consultation", kind="NotPermitted"),
        Rejected("the consultation is closed", kind="WrongStage"),
        Rejected("the partnership is at version 3, not at version 2", kind="VersionMismatch"),
        Rejected("--position: not a position", kind="ValidationError"),
        Ended("CV", "launched"),
        AlreadyOpen("CV", "pilot-partnership-CV", "consultation"),
        NotFound("no partnership with CV has been proposed", country="CV"),
    ],
    ids=lambda error: type(error).__name__ + ":" + getattr(error, "kind", ""),
)
def test_a_refusal_through_the_api_reads_as_the_same_refusal_sent_directly(
    error: AppError,
) -> None:
    direct = explained(error)
    through_api = _refused_by(_answering(error))
    assert (through_api.message, through_api.code) == (direct.message, direct.code)


@pytest.mark.parametrize(
    ("error", "code", "words"),
    [
        (Unauthenticated("the token has expired"), ExitCode.REJECTED, "the token has expired"),
        (NoBinding("bob has no current role binding"), ExitCode.REJECTED, "bob has no current"),
        (
            NotAccepted("pilot-partnerships", 60, "close_consultation"),
            ExitCode.UNAVAILABLE,
            "no worker",
        ),
        (
            StillRecording("CV", "close_consultation", 60, "q"),
            ExitCode.UNAVAILABLE,
            "partnerships show CV",
        ),
        (AppError("unforeseen"), ExitCode.REJECTED, "unforeseen"),
        (RuntimeError("a bug with a /secret/path"), ExitCode.UNAVAILABLE, "failed to answer"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else None,
)
def test_each_problem_is_shown_with_its_detail_and_the_exit_code_of_its_class(
    error: BaseException, code: ExitCode, words: str
) -> None:
    refused = _refused_by(_answering(error))
    assert refused.code is code
    assert words in refused.message


def test_an_expired_token_says_how_to_get_a_current_one() -> None:
    refused = _refused_by(_answering(Unauthenticated("the token has expired")))
    assert "PARTNERSHIPS_TOKEN" in refused.message
    assert "--as" in refused.message


def _status_answer(status: int, document: Any) -> Handler:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=document, headers={"content-type": PROBLEM_JSON})

    return answer


@given(status=st.integers(min_value=400, max_value=599), kind=st.sampled_from(["", "X", "Y2"]))
def test_every_error_status_has_the_exit_code_its_class_documents(status: int, kind: str) -> None:
    response = httpx.Response(
        status, json={"type": kind, "title": kind, "status": status, "detail": "why"}
    )
    refused = refusal(response, country="CV")
    if status >= 500:
        expected = ExitCode.UNAVAILABLE
    elif status == 404:
        expected = ExitCode.NOT_FOUND
    elif status in (400, 413):
        expected = ExitCode.USAGE
    else:
        expected = ExitCode.REJECTED
    assert refused.code is expected
    assert "why" in refused.message


def test_an_answer_without_a_problem_document_names_its_status() -> None:
    def gateway(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>Bad Gateway</html>")

    refused = _refused_by(gateway)
    assert refused.code is ExitCode.UNAVAILABLE
    assert "502 Bad Gateway" in refused.message


def test_a_success_that_is_no_status_view_is_not_taken_for_one() -> None:
    refused = _refused_by(_status_answer(200, {"hello": "world"}))
    assert refused.code is ExitCode.UNAVAILABLE
    assert "PARTNERSHIPS_API" in refused.message


def _raising(error: Exception) -> Handler:
    def answer(request: httpx.Request) -> httpx.Response:
        raise error

    return answer


def test_an_unreachable_api_is_unavailable_and_says_how_to_start_one() -> None:
    refused = _refused_by(_raising(httpx.ConnectError("connection refused")))
    assert refused.code is ExitCode.UNAVAILABLE
    assert refused.message.startswith(f"cannot reach the API at {URL} (PARTNERSHIPS_API)")
    assert "partnerships dev" in refused.message


def test_an_api_that_stops_answering_says_the_step_may_have_been_recorded() -> None:
    refused = _refused_by(_raising(httpx.ReadTimeout("timed out")))
    assert refused.code is ExitCode.UNAVAILABLE
    assert "may or may not have been recorded" in refused.message
    assert "partnerships show CV" in refused.message


def _settings(**values: Any) -> Settings:
    return Settings(_env_file=None, partnerships_api=f"{URL}/", **values)


def test_the_token_setting_is_the_bearer_and_the_address_loses_its_trailing_slash() -> None:
    api = api_for(_settings(partnerships_token=" tok "), None)
    assert (api.url, api.token) == (URL, "tok")


def test_a_token_and_as_together_are_refused_because_the_token_says_who_acts() -> None:
    with pytest.raises(CliError) as refused:
        api_for(_settings(partnerships_token="tok"), "commission:alice")
    assert refused.value.code is ExitCode.USAGE
    assert "PARTNERSHIPS_TOKEN and --as" in refused.value.message


def test_production_without_a_token_is_refused_before_any_development_token_is_made() -> None:
    with pytest.raises(CliError) as refused:
        api_for(_settings(partnerships_env="production"), "commission:alice")
    assert refused.value.code is ExitCode.USAGE
    assert "set PARTNERSHIPS_TOKEN" in refused.value.message


def test_development_without_a_token_or_as_asks_who_is_acting() -> None:
    with pytest.raises(CliError) as refused:
        api_for(_settings(), None)
    assert refused.value.code is ExitCode.USAGE
    assert refused.value.message.startswith("who is acting? Pass --as")


# The verbs, wired: with PARTNERSHIPS_API they reach the API (a stand-in here) and print what a
# direct step prints.

runner = CliRunner()


@pytest.fixture
def through(monkeypatch: pytest.MonkeyPatch) -> Callable[[Handler], typer.Typer]:
    monkeypatch.setenv("PARTNERSHIPS_API", URL)
    monkeypatch.delenv("PARTNERSHIPS_TOKEN", raising=False)
    monkeypatch.setenv("COLUMNS", "200")

    def wired(handler: Handler) -> typer.Typer:
        asked: list[str | None] = []

        def stand_in(settings: Settings, as_text: str | None) -> Api:
            asked.append(as_text)
            return _api(handler)

        monkeypatch.setattr(api_client, "api_for", stand_in)
        app = typer.Typer()
        step_commands.register(app)
        return app

    return wired


def test_respond_through_the_api_confirms_as_a_direct_step_and_defaults_to_its_member_state(
    through: Callable[[Handler], typer.Typer],
) -> None:
    bodies: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200, content=_view().model_dump_json())

    done = runner.invoke(
        through(answer),
        ["respond", "CV", "--position", "interested", "--as", "member_state:PT:maria"],
    )
    assert done.exit_code == 0, done.output
    assert "respond to consultation recorded: partnership with CV" in done.output
    assert bodies == [{"member_state": "PT", "position": "interested", "offers": []}]


def test_a_refusal_through_the_api_exits_1_with_the_domains_message(
    through: Callable[[Handler], typer.Typer],
) -> None:
    foreign = Rejected(
        "maria acts for PT and may answer only for PT, not ES", kind="ForeignMemberState"
    )
    done = runner.invoke(
        through(_answering(foreign)),
        ["respond", "CV", "--position", "interested", "--member-state", "ES",
         "--as", "member_state:PT:maria"],
    )  # fmt: skip
    assert done.exit_code == 1
    assert "error: rejected: maria acts for PT and may answer only for PT, not ES" in done.output
