"""`GET /programme`, `POST /programme/cap` and `/programme/terms` with real development tokens,
on SQLite and PostgreSQL, through FastAPI's TestClient. These routes touch only the event store,
so no Temporal runs here; a Council decision naming no proposed partnership is refused (404)
before Temporal is needed. The decision applied to real workflows is in
tests/workflows/test_joint_council_decision.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from activities.database import create_engine_from_url
from activities.directory_store import DirectoryStore
from activities.eventstore import EventStore
from app.dev_issuer import dev_token
from domain.directory import BindingRole
from domain.programme import PROGRAMME_STREAM
from interfaces.api.server import create_app
from settings import Settings
from tests.integration.test_api import _database

PROBLEM = "application/problem+json"


@dataclass
class Api:
    client: TestClient
    settings: Settings
    engine: Engine

    def as_(self, role: BindingRole, user: str, member_state: str | None = None) -> dict[str, str]:
        """The Authorization header of `user` in `role`, granting the binding it needs."""
        token = dev_token(
            self.settings,
            DirectoryStore(self.engine),
            role=role,
            user=user,
            member_state=member_state,
            ttl=timedelta(minutes=30),
        ).token
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    for url in _database(request.param, tmp_path):
        settings = Settings(
            database_url=url, data_dir=str(tmp_path), temporal_address="127.0.0.1:1"
        )
        engine = create_engine_from_url(url)
        try:
            with TestClient(create_app(settings), raise_server_exceptions=False) as client:
                yield Api(client, settings, engine)
        finally:
            engine.dispose()


def test_an_administrator_sets_the_cap_and_every_caller_reads_the_programme(api: Api) -> None:
    admin = api.as_(BindingRole.ADMINISTRATOR, "ada")
    response = api.client.post(
        "/programme/cap", json={"cap": 2, "reason": "a limited number"}, headers=admin
    )
    assert response.status_code == 200, response.text
    assert response.json()["cap"] == 2
    assert response.json()["free"] == 2
    reader = api.as_(BindingRole.COMMISSION, "alice")
    shown = api.client.get("/programme", headers=reader).json()
    assert (shown["cap"], shown["cap_reason"], shown["held"]) == (2, "a limited number", 0)
    (stored,) = EventStore(api.engine).read_stream(PROGRAMME_STREAM)
    assert stored.metadata["actor"] == {"id": "ada", "role": "administrator"}
    assert stored.metadata["channel"] == "api"
    assert stored.metadata["subject"] == "ada"


def test_only_an_administrator_sets_the_cap_or_the_terms(api: Api) -> None:
    commission = api.as_(BindingRole.COMMISSION, "alice")
    for path, body in (
        ("/programme/cap", {"cap": 1, "reason": "r"}),
        ("/programme/terms", {"terms": "t"}),
    ):
        response = api.client.post(path, json=body, headers=commission)
        assert response.status_code == 403
        assert response.headers["content-type"].startswith(PROBLEM)
        assert "only an administrator" in response.json()["detail"]
    assert EventStore(api.engine).stream_version(PROGRAMME_STREAM) == 0


def test_a_cap_out_of_bounds_is_refused_with_what_is_allowed(api: Api) -> None:
    admin = api.as_(BindingRole.ADMINISTRATOR, "ada")
    response = api.client.post("/programme/cap", json={"cap": -1, "reason": "r"}, headers=admin)
    assert response.status_code == 422
    assert "greater than or equal to 0" in response.json()["detail"]


def test_terms_of_reference_are_recorded_with_their_reference(api: Api) -> None:
    admin = api.as_(BindingRole.ADMINISTRATOR, "ada")
    response = api.client.post(
        "/programme/terms",
        json={"terms": "Pilots on point 10", "reference": "SEC(2007) 1"},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    assert response.json()["terms_reference"] == "SEC(2007) 1"


def test_a_council_decision_naming_a_country_never_proposed_is_404_and_records_nothing(
    api: Api,
) -> None:
    presidency = api.as_(BindingRole.PRESIDENCY, "joao", "PT")
    response = api.client.post(
        "/programme/council-decisions",
        json={
            "countries": ["CV", "MD"],
            "reference": "16454/07",
            "decided_on": "2007-12-10",
            "outcome": "invite_launch",
        },
        headers=presidency,
    )
    assert response.status_code == 404, response.text
    assert "no partnership with CV has been proposed" in response.json()["detail"]
    assert EventStore(api.engine).stream_version(PROGRAMME_STREAM) == 0
