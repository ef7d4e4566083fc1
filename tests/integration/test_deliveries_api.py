"""`GET /deliveries?state=` for operators and administrators, with real development tokens,
on SQLite, through FastAPI's TestClient (no Temporal needed: it reads the delivery log)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from activities.database import create_engine_from_url
from activities.delivery_log import Attempt, DeliveryLog
from activities.delivery_messages import DeliveryState, delivery_id
from activities.directory_store import DirectoryStore
from app.dev_issuer import dev_token
from domain.directory import BindingRole
from interfaces.api.server import create_app
from migrations import runner
from settings import Settings

NOW = datetime.datetime(2026, 12, 2, 6, 0, tzinfo=datetime.UTC)
FAILED = delivery_id("partnership-CV/1", 12, "launch", "s1")
DELIVERED = delivery_id("partnership-CV/1", 11, "council_decision", "s1")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Settings]]:
    tmp: Path = tmp_path_factory.mktemp("deliveries-api")
    url = f"sqlite:///{tmp / 'partnerships.db'}"
    runner.upgrade(url)
    engine = create_engine_from_url(url)
    log = DeliveryLog(engine)
    for key, version, kind in ((DELIVERED, 11, "council_decision"), (FAILED, 12, "launch")):
        log.open(
            delivery_id=key,
            stream_id="partnership-CV/1",
            version=version,
            kind=kind,
            subscription_id="s1",
            subscriber="Council Secretariat",
            destination="https://council.example.eu/hooks",
            now=NOW,
        )
    log.record_attempt(
        DELIVERED,
        Attempt(1, NOW, "delivered", 9, 204, subscription_id="s1", subscriber="Council"),
        final=DeliveryState.DELIVERED,
    )
    log.record_attempt(
        FAILED,
        Attempt(1, NOW, "retried", 30, 503, error="the receiver answered HTTP 503"),
    )
    log.finish(FAILED, DeliveryState.FAILED, NOW)
    engine.dispose()
    settings = Settings(database_url=url, data_dir=str(tmp), temporal_address="127.0.0.1:1")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, settings


def bearer(settings: Settings, role: BindingRole, user: str) -> dict[str, str]:
    engine = create_engine_from_url(settings.database_url)
    try:
        token = dev_token(
            settings,
            DirectoryStore(engine),
            role=role,
            user=user,
            member_state=None,
            ttl=datetime.timedelta(minutes=30),
        ).token
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {token}"}


def test_an_operator_lists_the_failed_deliveries_with_their_attempts(
    api: tuple[TestClient, Settings],
) -> None:
    client, settings = api
    reply = client.get(
        "/deliveries",
        params={"state": "failed"},
        headers=bearer(settings, BindingRole.OPERATOR, "olga"),
    )
    assert reply.status_code == 200, reply.text
    [item] = reply.json()["items"]
    assert (item["delivery_id"], item["state"], item["attempts"]) == (FAILED, "failed", 1)
    assert item["log"] == [
        {
            "attempt": 1,
            "attempted_at": "2026-12-02T06:00:00Z",
            "outcome": "retried",
            "status_code": 503,
            "reply": None,
            "duration_ms": 30,
            "error": "the receiver answered HTTP 503",
        }
    ]
    everything = client.get(
        "/deliveries", headers=bearer(settings, BindingRole.ADMINISTRATOR, "ada")
    )
    assert {i["delivery_id"] for i in everything.json()["items"]} == {FAILED, DELIVERED}


def test_deliveries_are_for_operators_and_administrators_only(
    api: tuple[TestClient, Settings],
) -> None:
    client, settings = api
    refused = client.get("/deliveries", headers=bearer(settings, BindingRole.COMMISSION, "alice"))
    assert refused.status_code == 403
    assert refused.json()["type"] == "NotPermitted"
    assert client.get("/deliveries").status_code == 401


def test_an_unknown_state_is_refused_naming_the_states(api: tuple[TestClient, Settings]) -> None:
    client, settings = api
    reply = client.get(
        "/deliveries",
        params={"state": "lost"},
        headers=bearer(settings, BindingRole.OPERATOR, "olga"),
    )
    assert reply.status_code == 422
    assert "failed" in reply.text


def test_an_unknown_query_parameter_is_refused_not_ignored(
    api: tuple[TestClient, Settings],
) -> None:
    client, settings = api
    reply = client.get(
        "/deliveries",
        params={"stat": "failed"},
        headers=bearer(settings, BindingRole.OPERATOR, "olga"),
    )
    assert reply.status_code == 400
    assert reply.json()["type"] == "UnknownParameter"
    assert "'stat'" in reply.json()["detail"]
