"""The HTTP API end to end: a real Temporal dev server, a real worker, the real store, and tokens
from the development issuer, through FastAPI's TestClient.

One Temporal server and worker serve the whole module (they run on a loop of their own, in a
thread, because TestClient runs the app on its own loop). The module runs once on SQLite and
once on PostgreSQL. Each test works on countries of its own, so the tests do not depend on
one another's order.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from activities.database import create_engine_from_url
from activities.directory_store import DirectoryStore
from activities.eventstore import EventStore
from app.dev_issuer import DevIssuer, dev_token
from domain.directory import BindingRole, RevokeRole
from domain.presidencies import presidency_on
from interfaces.api.server import create_app
from migrations import runner
from settings import Settings
from tests.integration.conftest import create_pg_database, drop_pg_database
from tests.workflows.harness import unique_task_queue, venv_binary
from worker import build_worker, wire
from workflows.contract import SEARCH_ATTRIBUTE_KEYS
from workflows.converter import DATA_CONVERTER

PROBLEM = "application/problem+json"

# The Presidency in office today, from the Council's order: its steps here are dated today.
IN_OFFICE = f"presidency:{presidency_on(datetime.now(UTC).date())}:joao"


class TemporalThread:
    """A Temporal dev server and a worker on a loop of their own, in a thread.

    TestClient serves the app from a loop in another thread, and a sync test runs no loop at
    all, so the worker needs a loop that keeps running between requests.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.address = ""
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="temporal-for-api", daemon=True)

    def __enter__(self) -> TemporalThread:
        self._thread.start()
        if not self._ready.wait(60):
            raise AssertionError("the Temporal dev server and worker did not start in 60 s")
        if self._error is not None:
            raise self._error
        return self

    def __exit__(self, *_: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:
            self._error = error
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=venv_binary("temporal"),
            search_attributes=list(SEARCH_ATTRIBUTE_KEYS),
            data_converter=DATA_CONVERTER,
            dev_server_log_level="error",
        )
        try:
            self.address = env.client.service_client.config.target_host
            wiring = wire(self.settings)
            try:
                async with build_worker(env.client, wiring, self.settings.task_queue):
                    self._ready.set()
                    await self._stop.wait()
            finally:
                wiring.executor.shutdown(wait=True)
        finally:
            await env.shutdown()


@dataclass
class Api:
    """A client of the API, the settings it runs with, and the store behind it."""

    client: TestClient
    settings: Settings
    engine: Engine

    def token(self, who: str, *, ttl: timedelta = timedelta(minutes=30)) -> str:
        """A development token for `who` = `ROLE[:MS]:USER`, granting the binding it needs."""
        role_text, _, rest = who.partition(":")
        member_state, _, user = rest.rpartition(":")
        return dev_token(
            self.settings,
            DirectoryStore(self.engine),
            role=BindingRole(role_text),
            user=user,
            member_state=member_state or None,
            ttl=ttl,
        ).token

    def as_(self, who: str) -> dict[str, str]:
        """The Authorization header of `who` = `ROLE[:MS]:USER`."""
        return {"Authorization": f"Bearer {self.token(who)}"}

    def event_count(self) -> int:
        """How many events the whole log holds (partnerships and the directory)."""
        return EventStore(self.engine).last_position()


def _database(kind: str, tmp: Path) -> Iterator[str]:
    if kind == "sqlite":
        url = f"sqlite:///{tmp / 'partnerships.db'}"
        runner.upgrade(url)
        yield url
        return
    pg = create_pg_database("partnerships_test_api")
    try:
        runner.upgrade(pg)
        yield pg.render_as_string(hide_password=False)
    finally:
        drop_pg_database(pg)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The API on a real Temporal dev server and worker, over SQLite or PostgreSQL."""
    tmp = tmp_path_factory.mktemp("api")
    for url in _database(request.param, tmp):
        settings = Settings(
            database_url=url,
            task_queue=unique_task_queue(),
            data_dir=str(tmp),
            # The workers refuse what the API has not attested: every step below is attested.
            attestation_keys={"k-test": "a secret the API and the workers share"},
            attestation_key_id="k-test",
            require_attested_actors=True,
        )
        with TemporalThread(settings) as temporal:
            served = settings.model_copy(update={"temporal_address": temporal.address})
            engine = create_engine_from_url(url)
            try:
                with TestClient(create_app(served), raise_server_exceptions=False) as client:
                    yield Api(client, served, engine)
            finally:
                engine.dispose()


def today() -> str:
    """Today's date (UTC), ISO: the business date the steps below happen on."""
    return datetime.now(UTC).date().isoformat()


def propose(api: Api, country: str, **fields: Any) -> Any:
    """Propose a partnership with `country` as the Commission."""
    body = {
        "country": country,
        "rationale": "Test the concept of mobility partnerships",
        "terms_of_reference": "Council conclusions of June 2007, point 11",
        **fields,
    }
    return api.client.post("/partnerships", json=body, headers=api.as_("commission:alice"))


def step(api: Api, who: str, country: str, update: str, **body: Any) -> Any:
    """Send one step as `who`."""
    return api.client.post(f"/partnerships/{country}/{update}", json=body, headers=api.as_(who))


def answered(api: Api, country: str, *member_states: str) -> None:
    """Propose `country` and have each Member State answer that it is interested."""
    assert propose(api, country).status_code == 201
    for ms in member_states:
        response = step(
            api,
            f"member_state:{ms}:rep-{ms.lower()}",
            country,
            "respond_to_consultation",
            member_state=ms,
            position="interested",
            offers=["legal_migration"],
        )
        assert response.status_code == 200, response.text


def launched(api: Api, country: str) -> None:
    """`country` launched today with PT's signature."""
    answered(api, country, "PT")
    walk: list[tuple[str, str, dict[str, Any]]] = [
        ("commission:alice", "close_consultation", {}),
        (IN_OFFICE, "authorise_talks", {}),
        (
            "commission:alice",
            "record_talks_round",
            {"held_on": today(), "member_states": ["PT"], "summary": "first round"},
        ),
        (
            "commission:alice",
            "conclude_talks",
            {
                "third_country_willing": True,
                "commitments": ["illegal_immigration_cooperation", "readmission_and_return"],
            },
        ),
        ("commission:alice", "submit_report", {"recommendation": "launch", "summary": "go"}),
        (IN_OFFICE, "record_council_decision", {"outcome": "invite_launch", "decided_on": today()}),
        (
            "commission:alice",
            "launch_partnership",
            {
                "member_states": ["PT"],
                "components": ["legal_migration", "readmission_and_return"],
                "signed_on": today(),
            },
        ),
    ]
    for who, update, body in walk:
        response = step(api, who, country, update, **body)
        assert response.status_code == 200, f"{update}: {response.text}"


def assert_problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem of `status` and `type`; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem: dict[str, Any] = response.json()
    assert problem["type"] == kind
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]
    return problem


# --- the walk -------------------------------------------------------------------------------


def test_a_partnership_is_walked_from_proposal_to_launch_through_the_api(api: Api) -> None:
    proposed = propose(api, "CV")
    assert proposed.status_code == 201, proposed.text
    assert proposed.headers["location"] == "/partnerships/CV"
    assert proposed.json()["stage"] == "consultation"
    for ms in ("PT", "ES"):
        answer = step(
            api,
            f"member_state:{ms}:rep-{ms.lower()}",
            "CV",
            "respond_to_consultation",
            member_state=ms,
            position="interested",
            offers=["legal_migration", "capacity_building"],
        )
        assert answer.status_code == 200, answer.text
    walk: list[tuple[str, str, dict[str, Any], str]] = [
        ("commission:alice", "close_consultation", {}, "awaiting_talks_authorisation"),
        (IN_OFFICE, "authorise_talks", {"note": "go"}, "exploratory_talks"),
        (
            "commission:alice",
            "record_talks_round",
            {"held_on": today(), "member_states": ["PT", "ES"], "summary": "first round"},
            "exploratory_talks",
        ),
        (
            "commission:alice",
            "conclude_talks",
            {
                "third_country_willing": True,
                "commitments": ["illegal_immigration_cooperation", "readmission_and_return"],
            },
            "report_due",
        ),
        (
            "commission:alice",
            "submit_report",
            {"recommendation": "launch", "summary": "launch it"},
            "council_decision",
        ),
        (
            IN_OFFICE,
            "record_council_decision",
            {"outcome": "invite_launch", "decided_on": today()},
            "launch_preparation",
        ),
        (
            "commission:alice",
            "launch_partnership",
            {
                "member_states": ["PT", "ES"],
                "components": ["legal_migration", "readmission_and_return"],
                "signed_on": today(),
            },
            "launched",
        ),
    ]
    for who, update, body, stage in walk:
        response = step(api, who, "CV", update, **body)
        assert response.status_code == 200, f"{update}: {response.text}"
        assert response.json()["stage"] == stage, update
        assert response.headers["etag"] == f'"{response.json()["version"]}"'
    shown = api.client.get("/partnerships/CV", headers=api.as_("operator:olga"))
    assert shown.status_code == 200
    assert shown.json()["stage"] == "launched"
    assert shown.headers["etag"] == f'"{shown.json()["version"]}"'


def test_the_record_shows_each_event_s_provenance_and_an_unbroken_hash_chain(api: Api) -> None:
    answered(api, "MD", "RO")
    record = api.client.get("/partnerships/MD/events", headers=api.as_("operator:olga"))
    assert record.status_code == 200, record.text
    events = record.json()["events"]
    assert record.json()["stream_id"] == "partnership-MD/1"
    assert [e["stream_version"] for e in events] == list(range(1, len(events) + 1))
    assert all(
        later["prev_hash"] == earlier["hash"] for earlier, later in itertools.pairwise(events)
    )
    answer = next(e for e in events if e["type"] == "ConsultationAnswered")
    assert answer["provenance"]["actor"]["id"] == "rep-ro"
    assert answer["provenance"]["actor"]["member_state"] == "RO"
    assert answer["provenance"]["channel"] == "api"
    assert answer["provenance"]["subject"] == "rep-ro"
    assert answer["provenance"]["issuer"] == api.settings.dev_issuer_url
    assert answer["provenance"]["token_id"]
    assert events[0]["provenance"]["subject"] == "alice"
    tail = api.client.get(
        "/partnerships/MD/events", params={"from": 2}, headers=api.as_("operator:olga")
    )
    assert [e["stream_version"] for e in tail.json()["events"]] == list(range(2, len(events) + 1))


def test_a_report_is_served_as_markdown_html_or_pdf_and_other_types_are_refused(api: Api) -> None:
    answered(api, "GE", "DE")
    who = api.as_("operator:olga")
    markdown = api.client.get("/partnerships/GE/reports/all", headers=who)
    assert markdown.status_code == 200
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.text.startswith("#")
    html = api.client.get("/partnerships/GE/reports/all", headers={**who, "Accept": "text/html"})
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert "<h1>" in html.text
    assert "<script" not in html.text
    pdf = api.client.get(
        "/partnerships/GE/reports/all", headers={**who, "Accept": "application/pdf"}
    )
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    json = api.client.get(
        "/partnerships/GE/reports/all", headers={**who, "Accept": "application/json"}
    )
    problem = assert_problem(json, 406, "NotAcceptable")
    assert problem["available"] == ["text/markdown", "text/html", "application/pdf"]


def test_the_board_filters_by_stage_country_and_year_newest_first_in_pages(api: Api) -> None:
    for country in ("SN", "GH", "ML"):
        assert propose(api, country).status_code == 201
    who = api.as_("operator:olga")
    board = api.client.get("/partnerships", params={"stage": "consultation"}, headers=who)
    countries = [item["country"] for item in board.json()["items"]]
    assert countries.index("ML") < countries.index("GH") < countries.index("SN")
    assert {item["stage"] for item in board.json()["items"]} == {"consultation"}
    only = api.client.get("/partnerships", params={"country": "gh"}, headers=who).json()
    assert [item["country"] for item in only["items"]] == ["GH"]
    year = datetime.now(UTC).year
    this_year = api.client.get("/partnerships", params={"year": year}, headers=who).json()
    assert {"SN", "GH", "ML"} <= {item["country"] for item in this_year["items"]}
    last_year = api.client.get("/partnerships", params={"year": year - 1}, headers=who).json()
    assert last_year["items"] == []
    seen: list[str] = []
    page = api.client.get("/partnerships", params={"limit": 1}, headers=who).json()
    while True:
        assert len(page["items"]) <= 1
        seen += [item["stream_id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        page = api.client.get(
            "/partnerships", params={"limit": 1, "cursor": page["next_cursor"]}, headers=who
        ).json()
    everything = api.client.get("/partnerships", params={"limit": 200}, headers=who).json()
    assert seen == [item["stream_id"] for item in everything["items"]]
    assert len(seen) == len(set(seen))


def test_the_inbox_lists_what_the_caller_may_do_now_most_urgent_first(api: Api) -> None:
    soon = (date.today() + timedelta(days=10)).isoformat()
    later = (date.today() + timedelta(days=40)).isoformat()
    assert propose(api, "TN", consultation_deadline=later).status_code == 201
    assert propose(api, "MA", consultation_deadline=soon).status_code == 201
    inbox = api.client.get("/inbox", headers=api.as_("member_state:IT:rep-it"))
    assert inbox.status_code == 200, inbox.text
    mine = [i for i in inbox.json()["items"] if i["country"] in ("TN", "MA")]
    assert [(i["country"], i["update"], i["deadline"]) for i in mine] == [
        ("MA", "respond_to_consultation", soon),
        ("TN", "respond_to_consultation", later),
    ]
    assert {i["acting_as"] for i in mine} == {"member_state:IT"}
    operator = api.client.get("/inbox", headers=api.as_("operator:olga")).json()
    assert operator["items"] == []


def test_me_names_the_token_s_subject_and_issuer_and_the_bindings_held(api: Api) -> None:
    me = api.client.get("/me", headers=api.as_("member_state:PT:rep-pt"))
    assert me.status_code == 200
    assert me.json()["subject"] == "rep-pt"
    assert me.json()["issuer"] == api.settings.dev_issuer_url
    assert [(b["role"], b["member_state"]) for b in me.json()["bindings"]] == [
        ("member_state", "PT")
    ]


def test_health_and_readiness_answer_without_a_token(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"temporal": "ok", "database": "ok", "issuer_keys": "ok"}


# --- retries and concurrent readers ---------------------------------------------------------


def test_a_step_retried_with_the_same_idempotency_key_is_recorded_once(api: Api) -> None:
    assert propose(api, "LB").status_code == 201
    headers = {**api.as_("member_state:FR:rep-fr"), "Idempotency-Key": str(uuid.uuid4())}
    body = {"member_state": "FR", "position": "interested"}
    first = api.client.post("/partnerships/LB/respond_to_consultation", json=body, headers=headers)
    before = api.event_count()
    again = api.client.post("/partnerships/LB/respond_to_consultation", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json()["version"] == first.json()["version"]
    assert api.event_count() == before
    fresh = {**headers, "Idempotency-Key": str(uuid.uuid4())}
    amended = api.client.post("/partnerships/LB/respond_to_consultation", json=body, headers=fresh)
    assert amended.json()["version"] > first.json()["version"]


def test_a_step_sent_against_a_version_no_longer_current_is_refused_with_412(api: Api) -> None:
    assert propose(api, "JO").status_code == 201
    read = api.client.get("/partnerships/JO", headers=api.as_("commission:alice"))
    version = read.headers["etag"]
    moved = step(
        api,
        "member_state:NL:rep-nl",
        "JO",
        "respond_to_consultation",
        member_state="NL",
        position="interested",
    )
    assert moved.status_code == 200
    before = api.event_count()
    stale = api.client.post(
        "/partnerships/JO/close_consultation",
        json={},
        headers={**api.as_("commission:alice"), "If-Match": version},
    )
    problem = assert_problem(stale, 412, "VersionMismatch")
    assert "version" in problem["detail"]
    assert api.event_count() == before
    current = api.client.post(
        "/partnerships/JO/close_consultation",
        json={},
        headers={**api.as_("commission:alice"), "If-Match": moved.headers["etag"]},
    )
    assert current.status_code == 200, current.text


# --- every error of the status table --------------------------------------------------------


def test_malformed_json_and_an_unknown_update_are_400(api: Api) -> None:
    who = api.as_("commission:alice")
    malformed = api.client.post(
        "/partnerships/CV/withdraw",
        content=b'{"reason": ',
        headers={**who, "content-type": "application/json"},
    )
    assert_problem(malformed, 400, "MalformedJSON")
    unknown = api.client.post("/partnerships/CV/approve_everything", json={}, headers=who)
    problem = assert_problem(unknown, 400, "UnknownUpdate")
    assert "respond_to_consultation" in problem["detail"]


def test_a_missing_expired_or_forged_token_is_401_and_nothing_is_recorded(api: Api) -> None:
    assert propose(api, "EG").status_code == 201
    before = api.event_count()
    issuer = DevIssuer(api.settings)
    expired = issuer.issue_token(
        "alice", ttl=timedelta(minutes=5), now=datetime.now(UTC) - timedelta(hours=1)
    )
    unsigned = jwt.encode(
        {"iss": issuer.issuer, "sub": "alice", "aud": issuer.audience, "iat": 1, "exp": 2**40},
        key="",  # the `none` algorithm signs with no key
        algorithm="none",
    )
    for authorization in (None, f"Bearer {expired}", f"Bearer {unsigned}", "Basic YWxpY2U6eA=="):
        headers = {"Authorization": authorization} if authorization else {}
        response = api.client.post(
            "/partnerships/EG/withdraw", json={"reason": "no"}, headers=headers
        )
        assert_problem(response, 401, "Unauthenticated")
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert api.event_count() == before


def test_a_binding_that_does_not_allow_the_step_is_403_and_nothing_is_recorded(api: Api) -> None:
    answered(api, "DZ", "PT")
    before = api.event_count()
    foreign = step(
        api,
        "member_state:PT:rep-pt",
        "DZ",
        "respond_to_consultation",
        member_state="ES",
        position="interested",
    )
    assert_problem(foreign, 403, "ForeignMemberState")
    council = step(
        api,
        "commission:alice",
        "DZ",
        "record_council_decision",
        outcome="invite_launch",
        decided_on=today(),
    )
    assert_problem(council, 403, "NotPermitted")
    assert api.event_count() == before


def test_a_revoked_binding_is_403_with_no_binding(api: Api) -> None:
    headers = api.as_("commission:carla")
    directory = DirectoryStore(api.engine)
    held = directory.bindings_of(api.settings.dev_issuer_url, "carla", date.today())
    directory.revoke(RevokeRole(binding_id=held[0].binding_id, revoked_by="admin"))
    response = api.client.get("/me", headers=headers)
    assert_problem(response, 403, "NoBinding")


def test_a_body_that_names_the_actor_is_422_and_nothing_is_recorded(api: Api) -> None:
    assert propose(api, "SY").status_code == 201
    before = api.event_count()
    response = step(
        api,
        "commission:alice",
        "SY",
        "withdraw",
        reason="no",
        actor={"id": "mallory", "role": "commission"},
    )
    problem = assert_problem(response, 422, "ValidationError")
    assert problem["errors"][0]["field"] == "actor"
    assert "token" in problem["errors"][0]["message"]
    assert api.event_count() == before


def test_a_field_that_fails_validation_is_422_naming_it(api: Api) -> None:
    response = step(
        api,
        "member_state:PT:rep-pt",
        "CV",
        "respond_to_consultation",
        member_state="PT",
        position="maybe",
    )
    problem = assert_problem(response, 422, "ValidationError")
    assert [e["field"] for e in problem["errors"]] == ["position"]


def test_a_partnership_never_proposed_is_404(api: Api) -> None:
    who = api.as_("commission:alice")
    assert_problem(api.client.get("/partnerships/NP", headers=who), 404, "NotFound")
    assert_problem(api.client.get("/partnerships/NP/events", headers=who), 404, "NotFound")
    withdrawn = api.client.post("/partnerships/NP/withdraw", json={"reason": "x"}, headers=who)
    assert_problem(withdrawn, 404, "NotFound")


def test_a_wrong_stage_and_a_second_proposal_are_409(api: Api) -> None:
    assert propose(api, "IQ").status_code == 201
    early = step(api, "presidency:PT:joao", "IQ", "authorise_talks")
    problem = assert_problem(early, 409, "WrongStage")
    assert "consultation" in problem["detail"]
    assert_problem(propose(api, "IQ"), 409, "AlreadyOpen")


def test_a_body_over_the_size_limit_is_413(api: Api) -> None:
    response = api.client.post(
        "/partnerships/CV/withdraw",
        content=b'{"reason": "' + b"x" * 300_000 + b'"}',
        headers={**api.as_("commission:alice"), "content-type": "application/json"},
    )
    assert_problem(response, 413, "ContentTooLarge")


def test_steps_without_a_worker_are_504_and_without_temporal_503_while_reads_use_the_record(
    api: Api,
) -> None:
    assert propose(api, "OM").status_code == 201
    idle = api.settings.model_copy(update={"task_queue": unique_task_queue()})
    app = create_app(idle, worker_patience=timedelta(seconds=1))
    with TestClient(app, raise_server_exceptions=False) as client:
        who = api.as_("commission:alice")
        body = {"country": "YE", "rationale": "r", "terms_of_reference": "t"}
        assert_problem(client.post("/partnerships", json=body, headers=who), 504, "NotAccepted")
        step_504 = client.post("/partnerships/YE/withdraw", json={"reason": "x"}, headers=who)
        problem = assert_problem(step_504, 504, "NotAccepted")
        assert idle.task_queue not in problem["detail"]
    gone = api.settings.model_copy(update={"temporal_address": "127.0.0.1:1"})
    with TestClient(create_app(gone), raise_server_exceptions=False) as client:
        response = client.post(
            "/partnerships/CV/withdraw", json={"reason": "x"}, headers=api.as_("commission:alice")
        )
        problem = assert_problem(response, 503, "TemporalUnreachable")
        assert "127.0.0.1" not in problem["detail"]
        assert response.headers["retry-after"]
        from_the_record = client.get("/partnerships/OM", headers=api.as_("operator:olga"))
        assert from_the_record.status_code == 200, from_the_record.text
        assert from_the_record.json()["stage"] == "consultation"
        assert from_the_record.headers["etag"] == '"1"'
        ready = client.get("/readyz")
        assert_problem(ready, 503, "NotReady")
        assert ready.json()["checks"]["temporal"] == "unreachable"
        assert ready.json()["checks"]["database"] == "ok"
