"""schemathesis over the API's OpenAPI document: every operation, generated requests, checked
responses (issue 10's acceptance; DESIGN.md §3b).

What runs: the app of `create_app`, in process (ASGI), on a real Temporal dev server and a
real worker (module-scoped, the venv's binaries) over a migrated SQLite store, with attested
steps required as in production. Each request carries a real development token of one subject
bound to `commission`, `member_state` PT and `presidency` PT, so generated steps get past
authentication and reach the domain's rules. CV and MA are proposed before the run (PT has
answered MA). Half the generated paths that name a country name one of them, and half the
bodies that name a country or Member State name ones the domain takes, so reads and steps
also meet partnerships that exist and some steps succeed, not only 404s and refusals.

What is checked, for each operation, by `case.call_and_validate`, which runs schemathesis's
default checks:
- no server error. Any 5xx fails, even the 503 and 504 the contract documents for an
  unreachable dependency, because everything the API depends on is up;
- the status code, content type, headers and body are each as the document declares them;
- invalid data is refused and valid data is not;
- a request without the token is refused;
- a method the path does not serve is 405, with an `Allow` header that lists the methods it
  does serve.
Two kinds of refusal of valid data are accepted, each because no JSON Schema can state its
rule: 412/422 (see `schema.config` below) and the 400s of REFUSED_BEYOND_THE_SCHEMA. The
tests at the end pin what the first runs found.

The bound: EXAMPLES_PER_OPERATION cases per operation that Hypothesis generates,
derandomized so every run draws the same ones, with no deadline. schemathesis adds its own
deterministic cases (schema examples, boundary values, the probes its checks send). The
whole module, with Temporal's start, takes about 20 s on a two-core machine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

import hypothesis
import hypothesis.strategies as st
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.python import asgi

from activities.database import create_engine_from_url
from activities.directory_store import DirectoryStore
from app.dev_issuer import dev_token
from domain.directory import BindingRole
from interfaces.api.inputs import IDEMPOTENCY_KEY_PATTERN, IF_MATCH_PATTERN
from interfaces.api.server import create_app
from migrations import runner
from settings import Settings
from tests.integration.test_api import TemporalThread
from tests.workflows.harness import unique_task_queue

# schemathesis gives each operation's test the same node id; pytest-xdist schedules by node
# id and would run one of them, so `make test` runs this module in a pytest of its own.
pytestmark = pytest.mark.one_process

EXAMPLES_PER_OPERATION: Final = 30
"""Generated cases per operation: enough to reach every status an operation documents in
practice, few enough that the whole module runs in well under a minute on two cores."""

SUBJECT: Final = "schemathesis"
ON_RECORD: Final = ("CV", "MA")
"""Countries whose partnerships exist before the run, mixed into the generated paths."""

COUNTRY_IN_PATH: Final = re.compile("[A-Za-z]{2}")
"""What the document allows as `{cc}` (interfaces.api.inputs.CountryCode)."""


def _settings(database_url: str, data_dir: str) -> Settings:
    """The API's settings here: steps attested, and attestation required as in production."""
    return Settings(
        database_url=database_url,
        task_queue=unique_task_queue(),
        data_dir=data_dir,
        attestation_keys={"k-test": "a secret the API and the workers share"},
        attestation_key_id="k-test",
        require_attested_actors=True,
    )


# The document is the app's own: schemathesis parametrizes at collection, before any server
# runs, so it is read from an app of the same settings; the fixture checks that the app it
# serves publishes the very same document.
DOCUMENT: Final = create_app(_settings("sqlite://", ".data")).openapi()


class ServedLater:
    """An ASGI app that hands every call to the app the fixture serves, once it serves one.

    schemathesis sends each case, and each probe its checks make, to the schema's app; that
    app must exist at collection, the served one exists only once Temporal runs.
    """

    def __init__(self) -> None:
        self.app: FastAPI | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert self.app is not None, "the `served` fixture serves the app"
        await self.app(scope, receive, send)


SERVED_LATER: Final = ServedLater()

schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.app = SERVED_LATER
# Beyond what a JSON Schema states: a request the document allows may still name two letters
# that are no country, a Member State that is not of the Union or a date out of the range a
# step allows (422, naming the rule), or a version the partnership has left (412, as 409 for
# a stage it has left). Every other status keeps schemathesis's expectation.
schema.config.checks.positive_data_acceptance.expected_statuses = [
    *schema.config.checks.positive_data_acceptance.expected_statuses,
    "412",
    "422",
]


REFUSED_BEYOND_THE_SCHEMA: Final = frozenset({"InvalidCursor", "InvalidIfMatch"})
"""The API's own 400s that a request the document allows may still meet, since no schema can
state their rule: a board cursor the API never gave (a cursor is opaque), and an If-Match
that names another version than the body's `expected_version` (the document states the
If-Match's own form, so a generated one meets this refusal only by that disagreement)."""


@schema.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Keep every failure but a 400 of REFUSED_BEYOND_THE_SCHEMA for a schema-valid request."""
    beyond = (
        isinstance(failure, RejectedPositiveData)
        and response.status_code == 400
        and _problem_type(response) in REFUSED_BEYOND_THE_SCHEMA
    )
    return not beyond


def _problem_type(response: Any) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("type") if isinstance(body, dict) else None


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    """Half the paths that name a country name one on record, the others the country drawn.

    Only a country the path's pattern allows is swapped for another it allows: a negative case
    (a `cc` drawn to break the pattern) stays the one drawn.
    """
    drawn = (path_parameters or {}).get("cc")
    if not (isinstance(drawn, str) and COUNTRY_IN_PATH.fullmatch(drawn)):
        return st.just(path_parameters)
    return st.one_of(
        st.just(path_parameters),
        st.sampled_from(ON_RECORD).map(lambda cc: {**(path_parameters or {}), "cc": cc}),
    )


PROPOSABLE: Final = ("CV", "MA", "SN", "GE", "MD", "AM")
"""Third countries a generated proposal may name (CV and MA are proposed already: 409)."""

VALID_IN_BODY: Final[dict[str, st.SearchStrategy[Any]]] = {
    "country": st.sampled_from(PROPOSABLE),
    "member_state": st.just("PT"),
    "member_states": st.just(["PT"]),
}
"""Body fields a generated body may have swapped for values the domain takes, so proposals
and answers also succeed and their 201 and 200 replies are checked against the document."""


@schema.hook
def flatmap_body(context: Any, body: Any) -> Any:
    """Half the bodies that name a country or Member State name ones the domain takes.

    Only a value the document allows is swapped, so a negative case stays negative.
    """
    if not isinstance(body, dict):
        return st.just(body)
    swappable = {
        name: strategy
        for name, strategy in VALID_IN_BODY.items()
        if _allowed_as_drawn(body.get(name), many=name == "member_states")
    }
    if not swappable:
        return st.just(body)
    return st.one_of(
        st.just(body), st.fixed_dictionaries(swappable).map(lambda valid: {**body, **valid})
    )


def _allowed_as_drawn(value: Any, *, many: bool) -> bool:
    """Whether `value` is what the document allows: a code of 1 to 10 characters, or 1 to 40
    strings."""
    if many:
        return (
            isinstance(value, list)
            and 1 <= len(value) <= 40
            and all(isinstance(item, str) for item in value)
        )
    return isinstance(value, str) and 1 <= len(value) <= 10


@dataclass(frozen=True)
class Served:
    """The settings the app is served with, and the headers every request to it carries."""

    settings: Settings
    headers: dict[str, str]


def _seed(settings: Settings, headers: dict[str, str]) -> None:
    """Propose CV and MA; PT answers MA (through the API itself, as any caller would)."""
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        for country in ON_RECORD:
            proposed = client.post(
                "/partnerships",
                json={
                    "country": country,
                    "rationale": "Test the concept of mobility partnerships",
                    "terms_of_reference": "Council conclusions of June 2007, point 11",
                },
                headers=headers,
            )
            assert proposed.status_code == 201, proposed.text
        answered = client.post(
            "/partnerships/MA/respond_to_consultation",
            json={"member_state": "PT", "position": "interested", "offers": ["legal_migration"]},
            headers=headers,
        )
        assert answered.status_code == 200, answered.text


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The app on a real Temporal dev server and worker over a migrated SQLite store."""
    tmp: Path = tmp_path_factory.mktemp("api-schema")
    url = f"sqlite:///{tmp / 'partnerships.db'}"
    runner.upgrade(url)
    settings = _settings(url, str(tmp))
    with TemporalThread(settings) as temporal:
        served_settings = settings.model_copy(update={"temporal_address": temporal.address})
        headers = {"Authorization": f"Bearer {_token_of_every_role(served_settings)}"}
        _seed(served_settings, headers)
        app = create_app(served_settings)
        assert app.openapi() == DOCUMENT
        SERVED_LATER.app = app
        try:
            yield Served(served_settings, headers)
        finally:
            # schemathesis runs the app's lifespan on a loop of its own, and keeps it until the
            # process exits: end it now, while Temporal is still up.
            asgi.shutdown_lifespans()


def _token_of_every_role(settings: Settings) -> str:
    """A development token of SUBJECT, bound to commission, member_state PT and presidency PT."""
    engine = create_engine_from_url(settings.database_url)
    try:
        directory = DirectoryStore(engine)
        issued = [
            dev_token(
                settings,
                directory,
                role=role,
                user=SUBJECT,
                member_state=member_state,
                ttl=timedelta(minutes=30),
            )
            for role, member_state in (
                (BindingRole.COMMISSION, None),
                (BindingRole.MEMBER_STATE, "PT"),
                (BindingRole.PRESIDENCY, "PT"),
                # So the subscription routes, an administrator's, answer more than 403.
                (BindingRole.ADMINISTRATOR, None),
            )
        ]
    finally:
        engine.dispose()
    return issued[-1].token


@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_its_schema_says_and_never_with_a_server_error(
    case: Any, served: Served
) -> None:
    response = case.call_and_validate(headers=served.headers)
    # Also without schemathesis's own check: no 5xx of any kind, not even a documented one.
    assert response.status_code < 500, response.text


# --- what schemathesis found, pinned --------------------------------------------------------


@pytest.fixture(scope="module")
def client(served: Served) -> Iterator[TestClient]:
    """A plain client of another app on the same settings, Temporal and store."""
    with TestClient(create_app(served.settings), raise_server_exceptions=False) as client:
        yield client


def test_a_method_a_path_does_not_serve_is_405_allowing_every_method_it_serves(
    client: TestClient, served: Served
) -> None:
    refused = client.request("OPTIONS", "/partnerships", headers=served.headers)
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, POST"
    assert refused.json()["type"] == "MethodNotAllowed"


def test_a_post_to_the_record_is_405_allowing_get_not_an_unknown_update(
    client: TestClient, served: Served
) -> None:
    refused = client.post("/partnerships/CV/events", json={}, headers=served.headers)
    assert refused.status_code == 405, refused.text
    assert refused.headers["allow"] == "GET"
    unknown = client.post("/partnerships/CV/fly_to_the_moon", json={}, headers=served.headers)
    assert unknown.status_code == 400
    assert unknown.json()["type"] == "UnknownUpdate"


def test_the_board_gives_each_recorded_time_with_its_utc_offset(
    client: TestClient, served: Served
) -> None:
    board = client.get("/partnerships", headers=served.headers)
    assert board.status_code == 200, board.text
    times = [datetime.fromisoformat(e["last_recorded_at"]) for e in board.json()["items"]]
    assert times
    assert all(moment.utcoffset() == timedelta(0) for moment in times)


def test_optional_parameters_are_documented_as_absent_never_as_null() -> None:
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", ()):
                choices = parameter["schema"].get("anyOf", ())
                where = f"{method.upper()} {path} {parameter['name']}"
                assert {"type": "null"} not in choices, where


def test_the_step_headers_are_documented_with_the_form_the_api_takes() -> None:
    headers = {
        parameter["name"]: parameter["schema"]
        for parameter in DOCUMENT["paths"]["/partnerships/{cc}/withdraw"]["post"]["parameters"]
        if parameter["in"] == "header"
    }
    assert headers["if-match"] == {
        "type": "string",
        "pattern": IF_MATCH_PATTERN,
        "description": headers["if-match"]["description"],
        "title": "If-Match",
    }
    assert headers["idempotency-key"]["pattern"] == IDEMPOTENCY_KEY_PATTERN
    assert re.fullmatch(IF_MATCH_PATTERN, '"7"')
    assert re.fullmatch(IF_MATCH_PATTERN, 'W/"7"')
    assert re.fullmatch(IF_MATCH_PATTERN, "*")
    assert not re.fullmatch(IF_MATCH_PATTERN, "null")
    assert not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, "a key with spaces")
