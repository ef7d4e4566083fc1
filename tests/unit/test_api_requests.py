"""The API's front of house, with a stand-in authenticator and nothing behind it: what is
refused before Temporal or the store is asked (no token, a bad body, a body too large, an
unknown route), that a failure nobody foresaw shows no stack trace, and the OpenAPI document.

The app's lifespan never runs here (TestClient is not entered), so nothing connects anywhere.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.identity import Caller, Unauthenticated
from domain.directory import Binding, BindingRole
from domain.requests import REQUEST_FOR
from interfaces.api.server import create_app
from settings import Settings, SettingsError

PROBLEM = "application/problem+json"
TOKEN = "stand-in-token"


class StandInAuthenticator:
    """Accepts one token, for a Commission official; refuses every other header."""

    def authenticate(self, authorization: str | None) -> Caller:
        if authorization != f"Bearer {TOKEN}":
            raise Unauthenticated("no bearer token the stand-in knows")
        binding = Binding(
            binding_id="b1",
            issuer="https://issuer.example/",
            subject="alice",
            role=BindingRole.COMMISSION,
            valid_from=date(2007, 1, 1),
            granted_by="admin",
            granted_on=date(2007, 1, 1),
        )
        return Caller("https://issuer.example/", "alice", "jti-1", (binding,))

    def check_keys(self) -> None:
        """The stand-in's keys are always at hand."""


@pytest.fixture
def app() -> FastAPI:
    # A unit test touches no disk: the console's session secret is given, not kept in DATA_DIR.
    settings = Settings(
        database_url="sqlite:///nowhere/never-opened.db",
        data_dir="nowhere",
        console_session_secret="a-unit-test-secret-of-32-characters!",
    )
    return create_app(settings, authenticator=StandInAuthenticator(), max_body_bytes=1_000)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


SIGNED_IN = {"Authorization": f"Bearer {TOKEN}"}


def problem_of(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert (body["type"], body["status"]) == (kind, status)
    return body


def test_a_request_without_a_token_is_refused_before_its_body_is_read(
    client: TestClient,
) -> None:
    response = client.post("/partnerships/CV/withdraw", content=b"not json")
    problem_of(response, 401, "Unauthenticated")


def test_a_body_declared_larger_than_the_limit_is_413_unread(client: TestClient) -> None:
    response = client.post("/partnerships/CV/withdraw", content=b"x" * 1_001, headers=SIGNED_IN)
    problem_of(response, 413, "ContentTooLarge")


def test_a_body_sent_in_chunks_is_counted_and_refused_once_past_the_limit(
    client: TestClient,
) -> None:
    chunks = iter([b'{"reason": "', b"x" * 600, b"x" * 600, b'"}'])
    response = client.post("/partnerships/CV/withdraw", content=chunks, headers=SIGNED_IN)
    problem_of(response, 413, "ContentTooLarge")


def test_an_actor_in_the_body_and_a_bad_field_are_422_each_field_named(
    client: TestClient,
) -> None:
    response = client.post(
        "/partnerships/CV/withdraw",
        json={"reason": 7, "actor": {"id": "mallory", "role": "commission"}},
        headers=SIGNED_IN,
    )
    problem = problem_of(response, 422, "ValidationError")
    assert sorted(e["field"] for e in problem["errors"]) == ["actor", "reason"]


def test_text_that_is_not_json_and_an_update_that_does_not_exist_are_400(
    client: TestClient,
) -> None:
    problem_of(
        client.post("/partnerships/CV/withdraw", content=b"{", headers=SIGNED_IN),
        400,
        "MalformedJSON",
    )
    problem_of(
        client.post("/partnerships/CV/fly_to_the_moon", json={}, headers=SIGNED_IN),
        400,
        "UnknownUpdate",
    )


def test_if_match_and_expected_version_that_disagree_are_400(client: TestClient) -> None:
    response = client.post(
        "/partnerships/CV/close_consultation",
        json={"expected_version": 3},
        headers={**SIGNED_IN, "If-Match": '"4"'},
    )
    problem_of(response, 400, "InvalidIfMatch")


def test_a_path_or_query_that_fails_validation_is_a_422_problem(client: TestClient) -> None:
    problem_of(client.get("/partnerships/ZZ", headers=SIGNED_IN), 422, "InvalidCountry")
    problem = problem_of(
        client.get("/partnerships", params={"limit": 0}, headers=SIGNED_IN),
        422,
        "ValidationError",
    )
    assert problem["errors"][0]["field"] == "query.limit"


def test_an_unknown_route_and_a_wrong_method_are_problems_too(client: TestClient) -> None:
    problem_of(client.get("/nowhere", headers=SIGNED_IN), 404, "NotFound")
    problem_of(client.delete("/partnerships", headers=SIGNED_IN), 405, "MethodNotAllowed")


def test_a_failure_nobody_foresaw_is_a_500_problem_with_no_stack_trace(app: FastAPI) -> None:
    @app.get("/explode")
    def explode() -> None:
        raise KeyError("/srv/secret/config.py: password")

    client = TestClient(app, raise_server_exceptions=False)
    response = client.get("/explode")
    problem_of(response, 500, "InternalError")
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert "KeyError" not in response.text


def test_health_needs_no_token(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_the_openapi_document_gives_each_step_its_own_strict_body_and_bearer_auth(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    for update in REQUEST_FOR:
        operation = document["paths"][f"/partnerships/{{cc}}/{update}"]["post"]
        reference = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        body = schemas[reference.rsplit("/", 1)[1]]
        assert body["additionalProperties"] is False
        assert "actor" not in body["properties"]
        headers = {p["name"].lower() for p in operation["parameters"] if p["in"] == "header"}
        assert {"idempotency-key", "if-match"} <= headers
        assert operation["security"] == [{"HTTPBearer": []}]
    proposal = document["paths"]["/partnerships"]["post"]["requestBody"]
    assert proposal["content"]["application/json"]["schema"]["$ref"].endswith("Body")
    assert "Component" in schemas
    assert "Problem" in schemas
    assert "security" not in document["paths"]["/healthz"]["get"]


def test_an_api_that_could_not_attest_what_the_workers_require_does_not_start() -> None:
    production_like = Settings(
        database_url="sqlite:///nowhere/never-opened.db", require_attested_actors=True
    )
    with pytest.raises(SettingsError, match="ATTESTATION_KEY_ID"):
        create_app(production_like, authenticator=StandInAuthenticator())
    unknown_key = Settings(
        database_url="sqlite:///nowhere/never-opened.db",
        attestation_keys={"k1": "secret"},
        attestation_key_id="k2",
    )
    with pytest.raises(SettingsError, match="not one of ATTESTATION_KEYS"):
        create_app(unknown_key, authenticator=StandInAuthenticator())


def test_an_idempotency_key_too_long_is_400_before_anything_is_sent(client: TestClient) -> None:
    response = client.post(
        "/partnerships/CV/close_consultation",
        json={},
        headers={**SIGNED_IN, "Idempotency-Key": "k" * 201},
    )
    problem_of(response, 400, "InvalidIdempotencyKey")


def test_a_query_parameter_the_operation_does_not_declare_is_refused_not_ignored(
    client: TestClient,
) -> None:
    reply = client.get("/me", params={"typo": "1"}, headers=SIGNED_IN)
    assert reply.status_code == 400
    assert reply.json()["type"] == "UnknownParameter"
    assert "'typo'" in reply.json()["detail"]
    assert "no query parameter" in reply.json()["detail"]
    assert client.get("/me", headers=SIGNED_IN).status_code == 200
