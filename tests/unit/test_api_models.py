"""The API's request bodies: the contract's requests without `actor`, derived (never copied),
strict (no unknown field, no lax coercion); and the headers a step reads."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from app.identity import Caller
from domain.requests import REQUEST_FOR, StartPartnership
from interfaces.api.inputs import (
    country_in_path,
    update_id_for,
    version_in_if_match,
)
from interfaces.api.models import (
    PROPOSAL_BODY,
    STEP_BODIES,
    is_malformed_json,
    parse_body,
)
from interfaces.api.problems import ProblemError, field_errors
from interfaces.api.record_routes import chosen_format

EVERY_BODY: list[tuple[type[BaseModel], type[BaseModel]]] = [
    (PROPOSAL_BODY, StartPartnership),
    *((STEP_BODIES[name], REQUEST_FOR[name]) for name in REQUEST_FOR),
]


def parsed(model: type[BaseModel], body: dict[str, Any]) -> BaseModel:
    return parse_body(model, json.dumps(body).encode())


def refusal(model: type[BaseModel], body: dict[str, Any]) -> list[dict[str, str]]:
    with pytest.raises(ValidationError) as refused:
        parsed(model, body)
    return field_errors(refused.value.errors())


@pytest.mark.parametrize(("body", "request_model"), EVERY_BODY, ids=lambda m: m.__name__)
def test_each_body_has_its_request_s_fields_but_the_actor(
    body: type[BaseModel], request_model: type[BaseModel]
) -> None:
    assert set(body.model_fields) == set(request_model.model_fields) - {"actor"}
    for name, field in body.model_fields.items():
        assert field.annotation == request_model.model_fields[name].annotation
        assert field.is_required() == request_model.model_fields[name].is_required()


def test_every_update_of_the_contract_has_a_body_and_every_step_takes_an_expected_version() -> None:
    assert list(STEP_BODIES) == list(REQUEST_FOR)
    assert all("expected_version" in body.model_fields for body in STEP_BODIES.values())


@pytest.mark.parametrize(("body", "_"), EVERY_BODY, ids=lambda m: m.__name__)
def test_a_body_that_names_the_actor_is_refused_saying_the_actor_comes_from_the_token(
    body: type[BaseModel], _: type[BaseModel]
) -> None:
    errors = refusal(body, {"actor": {"id": "mallory", "role": "commission"}})
    named = [e for e in errors if e["field"] == "actor"]
    assert named
    assert "token" in named[0]["message"]


@given(st.from_regex(r"\A[a-z_]{1,20}\Z"))
def test_a_field_the_body_does_not_have_is_refused(name: str) -> None:
    body = STEP_BODIES["close_consultation"]
    if name in body.model_fields:
        return
    errors = refusal(body, {name: "x"})
    assert [e["field"] for e in errors] == [name]


@pytest.mark.parametrize(
    ("update", "body", "field"),
    [
        ("conclude_talks", {"third_country_willing": 1}, "third_country_willing"),
        ("conclude_talks", {"third_country_willing": "true"}, "third_country_willing"),
        ("close_consultation", {"expected_version": "3"}, "expected_version"),
        ("close_consultation", {"expected_version": 3.0}, "expected_version"),
        ("close_consultation", {"occurred_on": 20070618}, "occurred_on"),
        ("withdraw", {"reason": 7}, "reason"),
        ("record_talks_round", {"member_states": "PT"}, "member_states"),
    ],
)
def test_no_value_is_coerced_from_another_type(
    update: str, body: dict[str, Any], field: str
) -> None:
    assert field in [e["field"] for e in refusal(STEP_BODIES[update], body)]


def test_dates_and_names_arrive_as_the_json_strings_the_contract_shows() -> None:
    body = parsed(
        STEP_BODIES["record_council_decision"],
        {"outcome": "invite_launch", "decided_on": "2007-12-10", "expected_version": 9},
    )
    assert body.model_dump() == {
        "outcome": "invite_launch",
        "decided_on": date(2007, 12, 10),
        "council_reference": None,
        "expected_version": 9,
    }


def test_an_empty_body_is_an_empty_object_and_text_that_is_not_json_is_told_apart() -> None:
    assert parse_body(STEP_BODIES["close_consultation"], b"").model_dump(exclude_unset=True) == {}
    with pytest.raises(ValidationError) as refused:
        parse_body(STEP_BODIES["close_consultation"], b'{"occurred_on": ')
    assert is_malformed_json(refused.value)
    with pytest.raises(ValidationError) as refused:
        parse_body(STEP_BODIES["close_consultation"], b"[]")
    assert not is_malformed_json(refused.value)


@pytest.mark.parametrize(
    ("header", "version"), [(None, None), ("*", None), ('"7"', 7), ('W/"12"', 12), (' "0" ', 0)]
)
def test_if_match_names_the_version_an_etag_gave(header: str | None, version: int | None) -> None:
    assert version_in_if_match(header) == version


@pytest.mark.parametrize("header", ["7", '"seven"', '"7", "8"', '"-1"', '""'])
def test_an_if_match_that_names_no_one_version_is_400(header: str) -> None:
    with pytest.raises(ProblemError) as refused:
        version_in_if_match(header)
    assert refused.value.problem.status == 400


CALLER = Caller(issuer="https://issuer.example/", subject="alice", token_id=None, bindings=())


def test_an_idempotency_key_names_one_step_of_one_caller_on_one_partnership() -> None:
    key = "4b9c6f0e-5d1e-4e0b-9a39-7c1e2f3a4b5c"
    first = update_id_for(CALLER, "CV", "withdraw", key)
    assert first is not None
    assert first == update_id_for(CALLER, "CV", "withdraw", key)
    other = Caller(issuer=CALLER.issuer, subject="bob", token_id=None, bindings=())
    assert update_id_for(other, "CV", "withdraw", key) != first
    assert update_id_for(CALLER, "MD", "withdraw", key) != first
    assert update_id_for(CALLER, "CV", "close_consultation", key) != first
    assert update_id_for(CALLER, "CV", "withdraw", None) is None


@pytest.mark.parametrize("key", ["", "with space", "é", "x" * 201])
def test_an_idempotency_key_that_is_not_visible_ascii_of_at_most_200_is_400(key: str) -> None:
    with pytest.raises(ProblemError) as refused:
        update_id_for(CALLER, "CV", "withdraw", key)
    assert refused.value.problem.type == "InvalidIdempotencyKey"


def test_a_country_in_a_path_is_written_as_the_contract_does_or_refused_with_422() -> None:
    assert country_in_path("cv") == "CV"
    with pytest.raises(ProblemError) as refused:
        country_in_path("ZZ")
    assert (refused.value.problem.status, refused.value.problem.type) == (422, "InvalidCountry")


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, "text/markdown"),
        ("*/*", "text/markdown"),
        ("text/html", "text/html"),
        ("text/*", "text/markdown"),
        ("text/markdown;q=0.5, text/html", "text/html"),
        ("application/pdf, text/html;q=0.1", "application/pdf"),
        ("application/*", "application/pdf"),
    ],
)
def test_a_report_comes_in_the_format_the_caller_prefers(accept: str | None, chosen: str) -> None:
    assert chosen_format(accept) == chosen


@pytest.mark.parametrize("accept", ["image/png", "application/json", "text/html;q=0"])
def test_a_report_in_no_offered_format_is_406_naming_those_that_are(accept: str) -> None:
    with pytest.raises(ProblemError) as refused:
        chosen_format(accept)
    problem = refused.value.problem
    assert (problem.status, problem.type) == (406, "NotAcceptable")
    assert problem.extra["available"] == ["text/markdown", "text/html", "application/pdf"]
