"""The one mapping of errors to RFC 9457 problems: DESIGN.md §3b's status table, and nothing a
caller cannot act on (hosts, URLs, task queues, exception texts) in what it says."""

from __future__ import annotations

import inspect

import pytest
from hypothesis import given
from hypothesis import strategies as st

import domain.errors
from activities.store_errors import DatabaseNotReady, DatabaseUnreachable
from app.exceptions import (
    AlreadyOpen,
    Ended,
    NotAccepted,
    NotFound,
    Refused,
    Rejected,
    StillRecording,
    TemporalUnreachable,
)
from app.identity import KeysUnavailable, NoBinding, Unauthenticated
from app.partnerships import QueryUnanswered
from domain.errors import DomainError
from interfaces.api.problems import (
    STATUS_OF_KIND,
    Problem,
    ProblemError,
    http_problem,
    problem_for,
    status_of_kind,
)

DOMAIN_ERRORS = [
    error
    for _, error in inspect.getmembers(domain.errors, inspect.isclass)
    if issubclass(error, DomainError) and error is not DomainError
]


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("NotPermitted", 403),
        ("ForeignMemberState", 403),
        ("WrongStage", 409),
        ("VersionMismatch", 412),
        ("ValidationError", 422),
        ("NotInterested", 409),
        ("InvalidDeadline", 409),
    ],
)
def test_a_refusal_by_the_workflow_keeps_its_type_and_gets_the_table_s_status(
    kind: str, status: int
) -> None:
    problem = problem_for(Rejected("the reason, and what is allowed", kind=kind))
    assert (problem.status, problem.type) == (status, kind)
    assert problem.detail == "the reason, and what is allowed"


@given(st.from_regex(r"\A[A-Z][A-Za-z]{0,30}\Z").filter(lambda kind: kind not in STATUS_OF_KIND))
def test_any_other_refusal_by_the_domain_s_rules_is_a_conflict(kind: str) -> None:
    assert status_of_kind(kind) == 409
    assert problem_for(Rejected("no", kind=kind)).status == 409


@pytest.mark.parametrize("error", DOMAIN_ERRORS, ids=lambda error: error.__name__)
def test_every_domain_error_raised_in_the_api_is_mapped_by_its_own_type(
    error: type[DomainError],
) -> None:
    problem = problem_for(error("why, and what is allowed"))
    assert problem.type == error.__name__
    assert problem.status == status_of_kind(error.__name__)
    assert problem.detail == "why, and what is allowed"


def test_an_ended_partnership_is_a_wrong_stage() -> None:
    problem = problem_for(Ended("CV", "launched"))
    assert (problem.status, problem.type) == (409, "WrongStage")


def test_no_token_is_401_with_a_bearer_challenge_and_no_binding_is_403() -> None:
    unauthenticated = problem_for(Unauthenticated("no bearer token"))
    assert (unauthenticated.status, unauthenticated.type) == (401, "Unauthenticated")
    assert unauthenticated.headers["WWW-Authenticate"].startswith("Bearer realm=")
    no_binding = problem_for(NoBinding("alice has no current role binding"))
    assert (no_binding.status, no_binding.type) == (403, "NoBinding")


def test_no_partnership_is_404_and_an_open_one_proposed_again_is_409() -> None:
    missing = problem_for(NotFound("no partnership with CV", country="CV"))
    assert (missing.status, missing.type, missing.extra["country"]) == (404, "NotFound", "CV")
    again = problem_for(AlreadyOpen("CV", "partnership-CV", "consultation"))
    assert (again.status, again.type) == (409, "AlreadyOpen")


def test_no_worker_in_time_is_504_without_naming_the_task_queue() -> None:
    for error in (
        NotAccepted("secret-queue", 20, "withdraw"),
        QueryUnanswered("partnership-CV", 15, "secret-queue"),
    ):
        problem = problem_for(error)
        assert problem.status == 504
        assert "secret-queue" not in str(problem.body())
        assert "nothing was recorded" in problem.detail


def test_an_unreachable_dependency_is_503_naming_no_host_url_or_reason() -> None:
    for error in (
        TemporalUnreachable("temporal.internal:7233", "default", "connection refused"),
        Refused("Temporal refused the request: internal detail"),
        DatabaseUnreachable("postgresql://db.internal/partnerships", "password rejected"),
        DatabaseNotReady("sqlite:///srv/secret.db", "0001", "0002"),
    ):
        problem = problem_for(error)
        assert problem.status == 503
        assert problem.headers["Retry-After"]
        shown = str(problem.body())
        for secret in ("internal", "secret", "refused", "password", "0001"):
            assert secret not in shown


def test_a_step_still_being_recorded_is_503_and_says_how_to_learn_its_outcome() -> None:
    problem = problem_for(StillRecording("CV", "withdraw", 60, "secret-queue"))
    assert (problem.status, problem.type) == (503, "StillRecording")
    assert "Idempotency-Key" in problem.detail
    assert "secret-queue" not in problem.detail


def test_unavailable_issuer_keys_are_503() -> None:
    problem = problem_for(KeysUnavailable("the token issuer's keys cannot be fetched now"))
    assert (problem.status, problem.type) == (503, "KeysUnavailable")


def test_an_unforeseen_failure_is_a_500_that_says_nothing_of_its_cause() -> None:
    problem = problem_for(RuntimeError("/srv/app/secret.py line 3: KeyError 'password'"))
    assert (problem.status, problem.type) == (500, "InternalError")
    assert "secret" not in str(problem.body())
    assert "password" not in str(problem.body())


def test_the_api_s_own_refusals_pass_through_as_given() -> None:
    error = ProblemError(400, "UnknownUpdate", "fly is not an update", extra={"a": 1})
    assert problem_for(error) == Problem(400, "UnknownUpdate", "fly is not an update", {"a": 1})


@pytest.mark.parametrize(
    ("kind", "title"),
    [
        ("ForeignMemberState", "Foreign member state"),
        ("MalformedJSON", "Malformed JSON"),
        ("NotFound", "Not found"),
        ("InternalError", "Internal error"),
    ],
)
def test_a_problem_s_title_is_its_type_in_words(kind: str, title: str) -> None:
    assert Problem(400, kind, "d").title == title


def test_a_problem_document_holds_type_title_status_detail_and_its_extra_members() -> None:
    body = Problem(422, "ValidationError", "position: bad", {"errors": []}).body("/p")
    assert body == {
        "type": "ValidationError",
        "title": "Validation error",
        "status": 422,
        "detail": "position: bad",
        "instance": "/p",
        "errors": [],
    }


def test_statuses_the_framework_decides_are_named_by_their_phrase() -> None:
    assert http_problem(405).type == "MethodNotAllowed"
    assert http_problem(404, "no route").detail == "no route"
