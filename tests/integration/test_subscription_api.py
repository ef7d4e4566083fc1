"""`GET/POST /subscriptions` and `DELETE /subscriptions/{id}` with real development tokens, on
SQLite and PostgreSQL, through FastAPI's TestClient.

These routes touch only the directory, so no Temporal runs here: the app starts without it,
as it does when Temporal is down.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from activities.database import create_engine_from_url
from activities.directory_store import DirectoryStore
from activities.eventstore import EventStore
from activities.webhook_signatures import secret_for, signed_headers, verify
from app.dev_issuer import dev_token
from domain.directory import DIRECTORY_STREAM, BindingRole
from interfaces.api.server import create_app
from settings import Settings
from tests.integration.test_api import _database

PROBLEM = "application/problem+json"
KEY = bytes(range(32))


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


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    tmp: Path = tmp_path_factory.mktemp("subscription-api")
    for url in _database(request.param, tmp):
        settings = Settings(
            database_url=url,
            data_dir=str(tmp),
            temporal_address="127.0.0.1:1",  # never reached: these routes need no Temporal
            webhook_signing_key=base64.b64encode(KEY).decode(),
        )
        engine = create_engine_from_url(url)
        try:
            with TestClient(create_app(settings), raise_server_exceptions=False) as client:
                yield Api(client, settings, engine)
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def admin(api: Api) -> dict[str, str]:
    return api.as_(BindingRole.ADMINISTRATOR, "ada")


def problem_of(response: Any, status: int, kind: str) -> str:
    """The detail of a problem document of `status` and `type`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert (body["type"], body["status"]) == (kind, status)
    detail: str = body["detail"]
    return detail


def test_an_administrator_adds_a_webhook_subscriber_and_gets_its_secret_once(
    api: Api, admin: dict[str, str]
) -> None:
    body = {
        "name": "council-secretariat",
        "webhook": "https://council.example.eu/hooks/milestones",
        "kinds": ["report_to_council", "council-decision"],
        "regions": ["eastern_south_eastern"],
        "countries": ["md"],
        "history": True,
        "reason": "the Secretariat asked",
    }
    added = api.client.post("/subscriptions", json=body, headers=admin)
    assert added.status_code == 201, added.text
    reply = added.json()
    sid = reply["subscription_id"]
    assert added.headers["location"] == f"/subscriptions/{sid}"
    assert reply["secret"] == secret_for(KEY, sid)
    assert (reply["kinds"], reply["countries"], reply["subscribed_by"]) == (
        ["report_to_council", "council_decision"],
        ["MD"],
        "ada",
    )
    # The secret signs what the receiver verifies.
    headers = signed_headers(reply["secret"], "msg_1", int(time.time()), b"{}")
    verify(secret_for(KEY, sid), headers, b"{}", now=datetime.now(UTC))
    listed = api.client.get("/subscriptions", headers=admin).json()["items"]
    assert sid in [s["subscription_id"] for s in listed]
    assert all("secret" not in s for s in listed)
    stored = EventStore(api.engine).read_stream(DIRECTORY_STREAM)[-1]
    assert stored.type == "SubscriptionAdded"
    assert stored.metadata["channel"] == "api"
    assert stored.metadata["subject"] == "ada"
    assert stored.metadata["issuer"] == api.settings.dev_issuer_url
    assert stored.metadata["token_id"]
    assert reply["secret"] not in json.dumps(stored.payload)


def test_an_email_subscriber_is_removed_and_listed_only_with_all(
    api: Api, admin: dict[str, str]
) -> None:
    added = api.client.post(
        "/subscriptions",
        json={"name": "presidency", "email": "office@presidency.example.eu",
              "kinds": ["deadline_reminder"]},
        headers=admin,
    )  # fmt: skip
    assert added.status_code == 201, added.text
    assert added.json()["secret"] is None
    sid = added.json()["subscription_id"]
    removed = api.client.delete(f"/subscriptions/{sid}", headers=admin)
    assert removed.status_code == 200, removed.text
    assert (removed.json()["ended"], removed.json()["ended_by"]) == ("removed", "ada")
    active = api.client.get("/subscriptions", headers=admin).json()["items"]
    assert sid not in [s["subscription_id"] for s in active]
    every = api.client.get("/subscriptions?all=true", headers=admin).json()["items"]
    assert sid in [s["subscription_id"] for s in every]
    detail = problem_of(
        api.client.delete(f"/subscriptions/{sid}", headers=admin), 409, "SubscriptionEnded"
    )
    assert "only an active subscription can be removed" in detail
    unknown = api.client.delete("/subscriptions/0123456789ab", headers=admin)
    assert "no subscription has the id" in problem_of(unknown, 404, "UnknownSubscription")


def test_a_caller_without_an_administrator_binding_is_403_and_nothing_is_recorded(
    api: Api,
) -> None:
    commission = api.as_(BindingRole.COMMISSION, "carla")
    before = EventStore(api.engine).stream_version(DIRECTORY_STREAM)
    body = {"name": "sneaky", "email": "x@example.eu"}
    for response in (
        api.client.get("/subscriptions", headers=commission),
        api.client.post("/subscriptions", json=body, headers=commission),
        api.client.delete("/subscriptions/0123456789ab", headers=commission),
    ):
        detail = problem_of(response, 403, "NotPermitted")
        assert detail == "carla holds commission; only an administrator keeps the subscribers"
    assert problem_of(api.client.get("/subscriptions"), 401, "Unauthenticated")
    assert EventStore(api.engine).stream_version(DIRECTORY_STREAM) == before


def test_a_destination_or_filter_that_is_not_allowed_is_422_saying_what_is(
    api: Api, admin: dict[str, str]
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"webhook": "http://council.example.eu/h"}, "allowed only to a loopback host"),
        ({"webhook": "https://a:b@council.example.eu/"}, "no user name or password"),
        ({"email": "not-an-address@"}, "is not an e-mail address"),
        ({"email": "https://x.eu/"}, "not a URL"),
        ({"email": "a@b.eu", "kinds": ["launched"]}, "the kinds are: consultation_outcome"),
        ({"email": "a@b.eu", "countries": ["ZZ"]}, "is not an ISO 3166-1 alpha-2"),
        ({}, "give exactly one of `webhook`"),
        ({"webhook": "https://c.example.eu/", "email": "a@b.eu"}, "give exactly one"),
    ]
    for extra, says in cases:
        response = api.client.post("/subscriptions", json={"name": "x", **extra}, headers=admin)
        assert says in problem_of(response, 422, "InvalidSubscription"), extra
    strict = api.client.post(
        "/subscriptions", json={"name": "x", "email": "a@b.eu", "history": "yes"}, headers=admin
    )
    assert strict.status_code == 422
    unknown = api.client.post(
        "/subscriptions", json={"name": "x", "email": "a@b.eu", "colour": "red"}, headers=admin
    )
    assert unknown.status_code == 422
    malformed = api.client.post(
        "/subscriptions", content=b"{nope", headers={**admin, "content-type": "application/json"}
    )
    problem_of(malformed, 400, "MalformedJSON")
    names = [s["name"] for s in api.client.get("/subscriptions", headers=admin).json()["items"]]
    assert "x" not in names


def test_plain_http_to_loopback_is_accepted_outside_production_and_a_name_in_use_is_409(
    api: Api, admin: dict[str, str]
) -> None:
    body = {"name": "local-receiver", "webhook": "http://127.0.0.1:8123/hook"}
    assert api.client.post("/subscriptions", json=body, headers=admin).status_code == 201
    again = api.client.post("/subscriptions", json=body, headers=admin)
    assert "choose another name" in problem_of(again, 409, "AlreadySubscribed")
