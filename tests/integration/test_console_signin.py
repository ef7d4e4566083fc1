"""Console sign-in over real HTTP: the API's app on uvicorn (a free loopback port, in a thread),
the development issuer as the OpenID Connect provider, real signed tokens, real PKCE.

Each test serves its own app on a migrated SQLite file of its own; the development issuer's
URL names the port the server listens on, so the console's Authlib client reads the issuer's
discovery document and keys over HTTP exactly as it would a real provider's. The server is
stopped at the end of each test. Temporal is not needed: no step is taken here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import itsdangerous
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from activities.directory_store import DirectoryStore
from app.dev_issuer import DEV_CLIENT_ID, DevIssuer, dev_token
from domain.directory import BindingRole, RevokeRole
from interfaces.api.server import create_app
from interfaces.console.session import SESSION_COOKIE, SignedIn
from interfaces.console.signin_settings import SESSION_KEY_FILE
from settings import Settings, SettingsError


@dataclass
class Served:
    """An app served on loopback: its base URL, settings and directory."""

    url: str
    settings: Settings
    directory: DirectoryStore

    def browser(self) -> httpx.Client:
        """A client that keeps cookies, as a browser does, and follows no redirect by itself."""
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=10)


def _whoami_routes(app: FastAPI) -> None:
    """A page that needs a signed-in person (the pages helper's pages use the same dependency)."""

    @app.get("/test/whoami")
    def whoami(caller: SignedIn) -> dict[str, Any]:
        return {"subject": caller.subject, "roles": [b.label() for b in caller.bindings]}


@contextmanager
def _serving(engine: Engine, data_dir: Path, **changes: Any) -> Iterator[Served]:
    """The app of development settings (with `changes`) on a free loopback port, then stopped."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    settings = Settings(
        database_url=str(engine.url),
        data_dir=str(data_dir),
        dev_issuer_url=f"http://127.0.0.1:{port}/dev/",
        temporal_address="127.0.0.1:1",
        **changes,
    )
    app = create_app(settings)
    _whoami_routes(app)
    server = uvicorn.Server(
        uvicorn.Config(app, lifespan="off", log_level="warning", server_header=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            thread.join(0.01)
        assert server.started, "uvicorn did not start"
        yield Served(f"http://127.0.0.1:{port}", settings, DirectoryStore(engine))
    finally:
        server.should_exit = True
        thread.join(10)
        listener.close()
        app.state.resources.store.close()


@pytest.fixture
def served(sqlite_engine: Engine, tmp_path: Path) -> Iterator[Served]:
    with _serving(sqlite_engine, tmp_path / "data") as app:
        yield app


def _grant(served: Served, role: BindingRole, user: str, member_state: str | None = None) -> None:
    dev_token(served.settings, served.directory, role=role, user=user, member_state=member_state)


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def _start(browser: httpx.Client, *, next_path: str = "/", login_hint: str = "") -> httpx.Response:
    """Open the sign-in page and press its button: the answer is the redirect to the issuer."""
    page = browser.get("/sign-in", params={"next": next_path})
    assert page.status_code == 200
    form = {"csrf_token": _csrf(page), "next": next_path, "login_hint": login_hint}
    return browser.post("/sign-in", data=form)


def _sign_in(served: Served, browser: httpx.Client, user: str, next_path: str = "/") -> str:
    """Sign `user` in through the whole flow; the page it lands on."""
    to_issuer = _start(browser, next_path=next_path, login_hint=user)
    assert to_issuer.status_code == 302
    to_console = browser.get(to_issuer.headers["location"])
    assert to_console.status_code == 303, to_console.text
    landed = browser.get(to_console.headers["location"])
    assert landed.status_code == 303, landed.text
    return landed.headers["location"]


def _session(served: Served, browser: httpx.Client) -> dict[str, Any]:
    """What the session cookie holds (it is signed, not encrypted; only the server writes it)."""
    secret = (Path(served.settings.data_dir) / SESSION_KEY_FILE).read_text().strip()
    raw = browser.cookies[SESSION_COOKIE]
    data: dict[str, Any] = json.loads(
        base64.b64decode(itsdangerous.TimestampSigner(secret).unsign(raw))
    )
    return data


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _code(served: Served, user: str, verifier: str, **changes: str) -> str:
    """A code from the development issuer's authorization endpoint, as a client asks for one."""
    params = {
        "response_type": "code",
        "client_id": DEV_CLIENT_ID,
        "redirect_uri": f"{served.url}/sign-in/callback",
        "scope": "openid",
        "state": "s1",
        "code_challenge": _challenge(verifier),
        "code_challenge_method": "S256",
        "login_hint": user,
        **changes,
    }
    answer = httpx.get(f"{served.url}/dev/authorize", params=params)
    assert answer.status_code == 303, answer.text
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["state"] == ["s1"]
    return query["code"][0]


def _redeem(served: Served, code: str, **changes: str) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": DEV_CLIENT_ID,
        "redirect_uri": f"{served.url}/sign-in/callback",
        **changes,
    }
    return httpx.post(f"{served.url}/dev/token", data={k: v for k, v in form.items() if v})


# -- the whole flow ---------------------------------------------------------------------------


def test_a_page_that_needs_a_person_sends_nobody_to_the_sign_in_page(served: Served) -> None:
    with served.browser() as browser:
        answer = browser.get("/test/whoami?x=1")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?" + urlencode({"next": "/test/whoami?x=1"})


def test_an_htmx_request_without_a_session_sends_the_whole_page_to_sign_in(
    served: Served,
) -> None:
    with served.browser() as browser:
        answer = browser.get(
            "/test/whoami",
            headers={"HX-Request": "true", "HX-Current-URL": f"{served.url}/inbox"},
        )
    assert answer.status_code == 200
    assert answer.headers["HX-Redirect"] == "/sign-in?next=%2Finbox"


def test_a_development_user_signs_in_with_pkce_and_lands_where_they_were_going(
    served: Served,
) -> None:
    _grant(served, BindingRole.MEMBER_STATE, "maria", "PT")
    with served.browser() as browser:
        page = browser.get("/sign-in")
        assert "Sign in as maria" in page.text
        assert "member_state:PT" in page.text
        to_issuer = _start(browser, next_path="/test/whoami", login_hint="maria")
        assert to_issuer.status_code == 302
        asked = parse_qs(urlsplit(to_issuer.headers["location"]).query)
        assert to_issuer.headers["location"].startswith(f"{served.url}/dev/authorize?")
        assert asked["code_challenge_method"] == ["S256"]
        assert asked["client_id"] == [DEV_CLIENT_ID]
        assert asked["redirect_uri"] == [f"{served.url}/sign-in/callback"]
        assert len(asked["code_challenge"][0]) == 43
        waiting = _session(served, browser)
        assert "token" not in waiting
        to_console = browser.get(to_issuer.headers["location"])
        assert to_console.status_code == 303
        callback = urlsplit(to_console.headers["location"])
        assert f"{callback.scheme}://{callback.netloc}{callback.path}" == (
            f"{served.url}/sign-in/callback"
        )
        landed = browser.get(to_console.headers["location"])
        assert landed.status_code == 303
        assert landed.headers["location"] == "/test/whoami"
        me = browser.get("/test/whoami")
        assert me.status_code == 200
        assert me.json() == {"subject": "maria", "roles": ["member_state:PT"]}
        session = _session(served, browser)
        # The token and the CSRF token, nothing of the flow left over, nothing of the view.
        assert set(session) == {"token", "csrf"}


def test_a_new_user_signs_in_at_the_issuer_and_is_granted_their_role(served: Served) -> None:
    with served.browser() as browser:
        to_issuer = _start(browser, login_hint="presidency:PT:joao")
        issuer_page = browser.get(to_issuer.headers["location"])
        assert issuer_page.status_code == 200
        assert 'value="presidency:PT:joao"' in issuer_page.text
        fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', issuer_page.text))
        fields.pop("subject", None)
        fields = {name: _unescape(value) for name, value in fields.items()}
        refused = browser.post(
            f"{served.url}/dev/authorize", data={**fields, "as": "member_state:joao"}
        )
        assert refused.status_code == 422
        assert "names the Member State and the user" in _unescape(refused.text)
        chosen = browser.post(
            f"{served.url}/dev/authorize", data={**fields, "as": "presidency:PT:joao"}
        )
        assert chosen.status_code == 303
        assert browser.get(chosen.headers["location"]).status_code == 303
        me = browser.get("/test/whoami")
    assert me.json() == {"subject": "joao", "roles": ["presidency:PT"]}


def _unescape(text: str) -> str:
    return text.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")


def test_the_issuer_publishes_its_discovery_document_under_its_url(served: Served) -> None:
    document = httpx.get(f"{served.url}/dev/.well-known/openid-configuration").json()
    assert document["issuer"] == served.settings.dev_issuer_url
    assert document["authorization_endpoint"] == f"{served.url}/dev/authorize"
    assert document["token_endpoint"] == f"{served.url}/dev/token"
    assert document["jwks_uri"] == f"{served.url}/dev/jwks.json"
    assert document["code_challenge_methods_supported"] == ["S256"]


# -- the token endpoint's checks ----------------------------------------------------------------


def test_a_code_with_its_verifier_is_redeemed_for_tokens_the_api_accepts(served: Served) -> None:
    _grant(served, BindingRole.COMMISSION, "alice")
    verifier = secrets.token_urlsafe(48)
    tokens = _redeem(served, _code(served, "alice", verifier), code_verifier=verifier)
    assert tokens.status_code == 200, tokens.text
    assert tokens.headers["cache-control"] == "no-store"
    me = httpx.get(
        f"{served.url}/me", headers={"Authorization": f"Bearer {tokens.json()['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["subject"] == "alice"


def test_a_code_without_its_verifier_is_refused(served: Served) -> None:
    _grant(served, BindingRole.COMMISSION, "alice")
    refused = _redeem(served, _code(served, "alice", secrets.token_urlsafe(48)))
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    assert "code_verifier is missing" in refused.json()["error_description"]


def test_a_code_with_a_wrong_verifier_is_refused_and_spent(served: Served) -> None:
    _grant(served, BindingRole.COMMISSION, "alice")
    verifier = secrets.token_urlsafe(48)
    code = _code(served, "alice", verifier)
    refused = _redeem(served, code, code_verifier=secrets.token_urlsafe(48))
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    assert "does not match the code_challenge" in refused.json()["error_description"]
    again = _redeem(served, code, code_verifier=verifier)
    assert again.json()["error"] == "invalid_grant"


def test_a_code_used_twice_is_refused_the_second_time(served: Served) -> None:
    _grant(served, BindingRole.COMMISSION, "alice")
    verifier = secrets.token_urlsafe(48)
    code = _code(served, "alice", verifier)
    assert _redeem(served, code, code_verifier=verifier).status_code == 200
    second = _redeem(served, code, code_verifier=verifier)
    assert second.status_code == 400
    assert second.json() == {
        "error": "invalid_grant",
        "error_description": "the code is unknown, expired or already used",
    }


def test_a_code_redeemed_for_another_redirect_uri_is_refused(served: Served) -> None:
    _grant(served, BindingRole.COMMISSION, "alice")
    verifier = secrets.token_urlsafe(48)
    code = _code(served, "alice", verifier)
    refused = _redeem(
        served, code, code_verifier=verifier, redirect_uri="http://127.0.0.1:1/sign-in/callback"
    )
    assert refused.status_code == 400
    assert "redirect_uri is not the one" in refused.json()["error_description"]


def test_a_code_redeemed_by_another_client_is_refused(served: Served) -> None:
    _grant(served, BindingRole.COMMISSION, "alice")
    verifier = secrets.token_urlsafe(48)
    refused = _redeem(
        served, _code(served, "alice", verifier), code_verifier=verifier, client_id="intruder"
    )
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"


# -- the authorization endpoint's checks --------------------------------------------------------


def test_an_unknown_redirect_uri_is_shown_an_error_and_never_redirected_to(
    served: Served,
) -> None:
    answer = httpx.get(
        f"{served.url}/dev/authorize",
        params={
            "response_type": "code",
            "client_id": DEV_CLIENT_ID,
            "redirect_uri": "https://elsewhere.example/steal",
            "scope": "openid",
            "code_challenge": _challenge(secrets.token_urlsafe(48)),
            "code_challenge_method": "S256",
        },
    )
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert "is not the console&#39;s registered" in answer.text


def test_the_issuer_refuses_a_sign_in_form_posted_from_another_site(served: Served) -> None:
    fields = {
        "response_type": "code",
        "client_id": DEV_CLIENT_ID,
        "redirect_uri": f"{served.url}/sign-in/callback",
        "scope": "openid",
        "code_challenge": _challenge(secrets.token_urlsafe(48)),
        "code_challenge_method": "S256",
        "as": "administrator:mallory",
    }
    answer = httpx.post(
        f"{served.url}/dev/authorize", data=fields, headers={"Origin": "https://evil.example"}
    )
    assert answer.status_code == 403
    assert served.directory.listed() == []


def test_an_authorization_request_without_pkce_is_answered_with_an_error(served: Served) -> None:
    for changes in ({"code_challenge": ""}, {"code_challenge_method": "plain"}):
        params = {
            "response_type": "code",
            "client_id": DEV_CLIENT_ID,
            "redirect_uri": f"{served.url}/sign-in/callback",
            "scope": "openid",
            "state": "s2",
            "code_challenge": "x" * 43,
            "code_challenge_method": "S256",
            **changes,
        }
        answer = httpx.get(f"{served.url}/dev/authorize", params=params)
        assert answer.status_code == 303
        query = parse_qs(urlsplit(answer.headers["location"]).query)
        assert query["error"] == ["invalid_request"]
        assert query["state"] == ["s2"]
        assert "code" not in query


def test_a_callback_whose_state_this_browser_never_sent_signs_nobody_in(served: Served) -> None:
    _grant(served, BindingRole.COMMISSION, "alice")
    with served.browser() as starter:
        to_issuer = _start(starter, login_hint="alice")
        to_console = starter.get(to_issuer.headers["location"])
    with served.browser() as other:
        other.get("/sign-in")
        answer = other.get(to_console.headers["location"])
        assert answer.status_code == 400
        assert "could not be matched to this browser" in answer.text
        assert other.get("/test/whoami").status_code == 303


# -- cookies, CSRF, sign-out --------------------------------------------------------------------


def test_the_session_cookie_is_signed_http_only_and_same_site_lax(served: Served) -> None:
    _grant(served, BindingRole.COMMISSION, "alice")
    with served.browser() as browser:
        to_issuer = _start(browser, login_hint="alice")
        back = browser.get(to_issuer.headers["location"])
        signed_in = browser.get(back.headers["location"])
        cookie = signed_in.headers["set-cookie"]
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert flags[0].startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert "secure" not in flags  # development over http; production: see the next test


def test_in_production_the_session_cookie_is_secure(tmp_path: Path) -> None:
    production = Settings(
        partnerships_env="production",
        database_url=f"sqlite:///{tmp_path}/never-opened.db",
        oidc_issuer="https://login.example.eu/oidc",
        oidc_jwks_url="https://login.example.eu/oidc/jwks",
        oidc_client_id="pilot-partnerships-console",
        public_url="https://partnerships.example.eu",
        console_session_secret="s" * 48,
        attestation_keys={"k1": "secret"},
        attestation_key_id="k1",
    )
    client = TestClient(create_app(production), base_url="https://partnerships.example.eu")
    answer = client.get("/sign-in")
    flags = [part.strip().lower() for part in answer.headers["set-cookie"].split(";")]
    assert {"httponly", "samesite=lax", "secure"} <= set(flags)
    assert "Sign in as" not in answer.text  # no development users in production


@pytest.mark.parametrize(
    ("kept", "audience"),
    [("access_token", "pilot-partnerships"), ("id_token", DEV_CLIENT_ID)],
)
def test_in_production_the_console_signs_in_through_the_configured_provider(
    sqlite_engine: Engine, tmp_path: Path, kept: str, audience: str
) -> None:
    """The production code path against an external provider: here the development issuer of
    another server plays it, reached only through OIDC_ISSUER's discovery document and keys.
    With CONSOLE_TOKEN=id_token the console keeps the ID token, whose audience is the client."""
    console = "https://console.example.eu"
    with _serving(sqlite_engine, tmp_path / "provider", public_url=console) as provider:
        _grant(provider, BindingRole.COMMISSION, "alice")
        production = Settings(
            partnerships_env="production",
            database_url=str(sqlite_engine.url),
            oidc_issuer=provider.settings.dev_issuer_url,
            oidc_jwks_url=f"{provider.url}/dev/jwks.json",
            oidc_client_id=DEV_CLIENT_ID,
            public_url=console,
            console_session_secret="p" * 48,
            console_token=kept,
            oidc_audience=audience,
            attestation_keys={"k1": "secret"},
            attestation_key_id="k1",
            temporal_address="127.0.0.1:1",
        )
        app = create_app(production)
        _whoami_routes(app)
        try:
            browser = TestClient(app, base_url=console, follow_redirects=False)
            assert browser.get("/test/whoami").status_code == 303
            assert browser.get("/dev/jwks.json").status_code == 404  # no development issuer
            page = browser.get("/sign-in", params={"next": "/test/whoami"})
            assert "Sign in as" not in page.text
            form = {"csrf_token": _csrf(page), "next": "/test/whoami"}
            to_provider = browser.post("/sign-in", data=form)
            assert to_provider.status_code == 302
            assert to_provider.headers["location"].startswith(f"{provider.url}/dev/authorize?")
            # The provider signs alice in (her own session there would do it; here, the hint).
            to_console = httpx.get(to_provider.headers["location"] + "&login_hint=alice")
            assert to_console.status_code == 303
            assert to_console.headers["location"].startswith(f"{console}/sign-in/callback?")
            landed = browser.get(to_console.headers["location"])
            assert landed.status_code == 303, landed.text
            assert "secure" in landed.headers["set-cookie"].lower()
            me = browser.get(landed.headers["location"])
            assert me.json() == {"subject": "alice", "roles": ["commission"]}
        finally:
            app.state.resources.store.close()


def test_a_post_without_the_csrf_token_or_with_a_wrong_one_is_refused(served: Served) -> None:
    _grant(served, BindingRole.COMMISSION, "alice")
    with served.browser() as browser:
        _sign_in(served, browser, "alice")
        right = _session(served, browser)["csrf"]
        for sent in ({}, {"csrf_token": "wrong"}, {"csrf_token": ""}):
            refused = browser.post("/sign-out", data=sent)
            assert refused.status_code == 403
            assert "did not carry this session&#39;s security token" in refused.text or (
                "did not carry this session's security token" in refused.text
            )
        refused = browser.post("/sign-out", headers={"X-CSRF-Token": "wrong"})
        assert refused.status_code == 403
        assert browser.get("/test/whoami").status_code == 200  # still signed in
        by_header = browser.post("/sign-out", headers={"X-CSRF-Token": right})
        assert by_header.status_code == 303


def test_signing_out_clears_the_cookie_and_the_next_page_asks_to_sign_in(served: Served) -> None:
    _grant(served, BindingRole.COMMISSION, "alice")
    with served.browser() as browser:
        _sign_in(served, browser, "alice")
        token = _session(served, browser)["csrf"]
        out = browser.post("/sign-out", data={"csrf_token": token})
        assert out.status_code == 303
        assert out.headers["location"] == "/sign-in?signed_out=1"
        assert "01 Jan 1970" in out.headers["set-cookie"]
        assert SESSION_COOKIE not in browser.cookies
        assert browser.get("/test/whoami").status_code == 303
        assert "You have signed out." in browser.get(out.headers["location"]).text


def test_a_sign_in_form_without_the_csrf_token_is_refused(served: Served) -> None:
    with served.browser() as browser:
        browser.get("/sign-in")
        refused = browser.post("/sign-in", data={"next": "/", "login_hint": "alice"})
    assert refused.status_code == 403


def test_starting_again_and_again_keeps_one_sign_in_waiting(served: Served) -> None:
    _grant(served, BindingRole.COMMISSION, "alice")
    with served.browser() as browser:
        first = _start(browser, login_hint="alice")
        for _ in range(10):
            _start(browser, login_hint="alice")
        last = _start(browser, login_hint="alice")
        waiting = [key for key in _session(served, browser) if key.startswith("_state_")]
        assert len(waiting) == 1
        assert len(browser.cookies[SESSION_COOKIE]) < 4_000
        stale = browser.get(browser.get(first.headers["location"]).headers["location"])
        assert stale.status_code == 400
        assert "could not be matched" in stale.text
        to_console = browser.get(last.headers["location"])
        assert browser.get(to_console.headers["location"]).status_code == 303
        assert browser.get("/test/whoami").json()["subject"] == "alice"


def test_next_never_leads_off_the_site(served: Served) -> None:
    _grant(served, BindingRole.COMMISSION, "alice")
    with served.browser() as browser:
        landed = _sign_in(served, browser, "alice", next_path="//evil.example/x")
    assert landed == "/"


# -- the directory decides, on every request ----------------------------------------------------


def test_a_revoked_binding_stops_the_person_acting_at_once(served: Served) -> None:
    _grant(served, BindingRole.COMMISSION, "alice")
    with served.browser() as browser:
        _sign_in(served, browser, "alice")
        assert browser.get("/test/whoami").status_code == 200
        (binding,) = served.directory.bindings_of(
            served.settings.dev_issuer_url, "alice", datetime.now(UTC).date()
        )
        served.directory.revoke(RevokeRole(binding_id=binding.binding_id, revoked_by="admin"))
        refused = browser.get("/test/whoami")
        assert refused.status_code == 403
        assert "no current role binding" in refused.text
        assert "token" not in _session(served, browser)
        assert browser.get("/test/whoami").status_code == 303


def test_a_user_whose_binding_ends_during_sign_in_is_not_signed_in(served: Served) -> None:
    _grant(served, BindingRole.COMMISSION, "alice")
    with served.browser() as browser:
        to_issuer = _start(browser, login_hint="alice")
        to_console = browser.get(to_issuer.headers["location"])
        (binding,) = served.directory.bindings_of(
            served.settings.dev_issuer_url, "alice", datetime.now(UTC).date()
        )
        served.directory.revoke(RevokeRole(binding_id=binding.binding_id, revoked_by="admin"))
        refused = browser.get(to_console.headers["location"])
        assert refused.status_code == 403
        assert "You have no role here" in refused.text
        assert "token" not in _session(served, browser)


def test_an_expired_token_means_signing_in_again(served: Served) -> None:
    _grant(served, BindingRole.COMMISSION, "alice")
    with served.browser() as browser:
        _sign_in(served, browser, "alice")
        session = _session(served, browser)
        expired = DevIssuer(served.settings).issue_token(
            "alice", ttl=timedelta(minutes=5), now=datetime.now(UTC) - timedelta(hours=1)
        )
        secret = (Path(served.settings.data_dir) / SESSION_KEY_FILE).read_text().strip()
        forged = itsdangerous.TimestampSigner(secret).sign(
            base64.b64encode(json.dumps({**session, "token": expired}).encode())
        )
        browser.cookies.set(SESSION_COOKIE, forged.decode(), domain="127.0.0.1")
        answer = browser.get("/test/whoami")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/sign-in?next=%2Ftest%2Fwhoami"
        page = browser.get(answer.headers["location"])
    assert "Your sign-in has ended: the token has expired" in page.text


# -- settings -----------------------------------------------------------------------------------


def test_production_without_the_session_secret_does_not_start(tmp_path: Path) -> None:
    production = Settings(
        partnerships_env="production",
        database_url=f"sqlite:///{tmp_path}/never-opened.db",
        oidc_issuer="https://login.example.eu/oidc",
        oidc_jwks_url="https://login.example.eu/oidc/jwks",
        oidc_client_id="pilot-partnerships-console",
        public_url="https://partnerships.example.eu",
        attestation_keys={"k1": "secret"},
        attestation_key_id="k1",
    )
    with pytest.raises(SettingsError, match="needs CONSOLE_SESSION_SECRET"):
        create_app(production)
    assert not (tmp_path / "data").exists()


def test_the_development_session_key_is_kept_owner_only_in_the_data_dir(served: Served) -> None:
    with served.browser() as browser:
        browser.get("/sign-in")
    key = Path(served.settings.data_dir) / SESSION_KEY_FILE
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(key.read_text().strip()) >= 32
