"""The development issuer, served under `/dev/` (never in production): its public keys, and the
small OpenID Connect provider the console signs in through.

Tokens that `partnerships token` prints name the issuer `DEV_ISSUER_URL` (by default
`http://127.0.0.1:8000/dev/`); its keys are published here, as an external issuer publishes
its JWKS, so any client can verify what the API verifies.

For the console, the issuer is an OpenID Connect provider of one client (app/dev_issuer.py's
DevProvider): `/dev/.well-known/openid-configuration` (discovery), `/dev/authorize` (a page
listing the development users, each a button, and a field to sign in as a new
`ROLE[:MS]:USER` as `partnerships token --as` does; answered with a code on the console's
callback) and `/dev/token` (redeems a code once, checking the client, the redirect URI and the
PKCE verifier). A `login_hint` naming a user who holds a role signs them in at once.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import unquote, urlencode, urlsplit

import jinja2
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from activities.directory_store import DirectoryStore
from app.dev_issuer import (
    AS_FORMAT,
    AUTHORIZE_PATH,
    DISCOVERY_PATH,
    JWKS_PATH,
    TOKEN_PATH,
    AuthorizationRefused,
    AuthorizationRequest,
    ClientRefused,
    DevIssuer,
    DevProvider,
    DevUserInvalid,
    dev_users,
    ensure_binding,
    parse_dev_user,
)
from domain.errors import DomainError
from settings import Settings

MAX_FIELD_CHARS: Final = 2_000
"""The longest authorization parameter read; the console's are far shorter."""

_PAGE: Final = jinja2.Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Development issuer · sign in</title></head>
<body><main>
<h1>Development issuer</h1>
<p>Sign in to the console as a development user. This issuer exists only in development.</p>
{% if error %}<p role="alert">{{ error }}</p>{% endif %}
{% if request %}
<h2>Users with a role</h2>
{% if users %}<ul>
{% for user in users %}<li><form method="post" action="{{ action }}">
{% for name, value in fields.items() %}<input type="hidden" name="{{ name }}" value="{{ value }}">
{% endfor %}<input type="hidden" name="subject" value="{{ user.subject }}">
<button type="submit">{{ user.subject }}</button> ({{ user.roles | join(", ") }})
</form></li>
{% endfor %}</ul>
{% else %}<p>No development user holds a role yet.</p>{% endif %}
<h2>A new user</h2>
<form method="post" action="{{ action }}">
{% for name, value in fields.items() %}<input type="hidden" name="{{ name }}" value="{{ value }}">
{% endfor %}<label for="as">Role, Member State and user: {{ as_format }}</label>
<input id="as" name="as" type="text" value="{{ wanted }}" maxlength="200" required>
<button type="submit">Sign in as this user</button>
</form>
{% endif %}
</main></body></html>
"""
)


def _page(
    *,
    error: str | None = None,
    request: AuthorizationRequest | None = None,
    users: list[Any] | None = None,
    wanted: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    html = _PAGE.render(
        error=error,
        request=request,
        fields=request.fields() if request is not None else {},
        users=users or [],
        wanted=wanted,
        as_format=AS_FORMAT,
        action=f"/dev/{AUTHORIZE_PATH}",
    )
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})


def _params(values: Any) -> dict[str, str]:
    """Request parameters as text, each cut to MAX_FIELD_CHARS (files and repeats ignored)."""
    return {
        name: value[:MAX_FIELD_CHARS] for name, value in values.items() if isinstance(value, str)
    }


def _back(request: AuthorizationRequest, **answer: str) -> RedirectResponse:
    """303 to the client's redirect URI with `answer` and the request's state."""
    if request.state is not None:
        answer["state"] = request.state
    return RedirectResponse(f"{request.redirect_uri}?{urlencode(answer)}", status_code=303)


def _basic(authorization: str | None) -> tuple[str, str] | None:
    """The client id and secret of an HTTP Basic `Authorization` header (RFC 6749 §2.3.1)."""
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, _, secret = decoded.partition(":")
    return unquote(client_id), unquote(secret)


def install_dev_issuer(app: FastAPI, settings: Settings) -> None:
    """Serve the development issuer under `/dev/`, unless in production."""
    if settings.partnerships_env == "production":
        return
    issuer = DevIssuer(settings)
    provider = DevProvider(settings)
    router = APIRouter(prefix="/dev", tags=["development issuer"])
    parts = urlsplit(issuer.issuer)
    issuer_origin = f"{parts.scheme}://{parts.netloc}"

    def directory(request: Request) -> DirectoryStore:
        return DirectoryStore(request.app.state.resources.store.engine())

    @router.get(f"/{JWKS_PATH}", summary="The development issuer's keys (JWKS)")
    def jwks() -> dict[str, Any]:
        """The public key that signs development tokens, as a JWKS."""
        return issuer.jwks()

    @router.get(f"/{DISCOVERY_PATH}", summary="The development issuer's OpenID configuration")
    def discovery() -> dict[str, Any]:
        """Where the development issuer's endpoints and keys are (OpenID Connect Discovery)."""
        return provider.discovery()

    @router.get(f"/{AUTHORIZE_PATH}", include_in_schema=False)
    def authorize(request: Request) -> Response:
        """The authorization endpoint: the development users, or at once a code for a hinted one."""
        try:
            asked = provider.check_request(_params(request.query_params))
        except ClientRefused as refused:
            return _page(error=refused.message, status_code=400)
        except AuthorizationRefused as refused:
            # check_request refuses this way only once the client and redirect URI are known.
            params = _params(request.query_params)
            answer = {"error": refused.error, "error_description": refused.message}
            if "state" in params:
                answer["state"] = params["state"]
            return RedirectResponse(f"{params['redirect_uri']}?{urlencode(answer)}", 303)
        today = datetime.now(UTC).date()
        users = dev_users(settings, directory(request), today)
        hint = request.query_params.get("login_hint", "").strip()
        if hint and any(user.subject == hint for user in users):
            return _back(asked, code=provider.issue_code(asked, hint))
        wanted = hint if ":" in hint else ""
        return _page(request=asked, users=users, wanted=wanted)

    @router.post(f"/{AUTHORIZE_PATH}", include_in_schema=False)
    async def choose(request: Request) -> Response:
        """A user chosen on the page (or a new `ROLE[:MS]:USER`, granted its role): a code."""
        origin = request.headers.get("origin")
        if origin is not None and origin != issuer_origin:
            # A form posted from another site must not grant roles in the directory.
            return _page(error=f"a sign-in form from {origin} is refused", status_code=403)
        form = _params(await request.form())
        try:
            asked = provider.check_request(form)
        except (ClientRefused, AuthorizationRefused) as refused:
            return _page(error=refused.message, status_code=400)
        today = datetime.now(UTC).date()
        store = directory(request)
        subject = form.get("subject", "").strip()
        if subject:
            if not store.bindings_of(issuer.issuer, subject, today):
                users = dev_users(settings, store, today)
                message = f"{subject} holds no role now; choose another user or name a new one"
                return _page(error=message, request=asked, users=users, status_code=422)
            return _back(asked, code=provider.issue_code(asked, subject))
        wanted = form.get("as", "")
        try:
            role, member_state, user = parse_dev_user(wanted)
            ensure_binding(
                issuer,
                store,
                role=role,
                user=user,
                member_state=member_state,
                today=today,
                reason="granted in development at the development issuer's sign-in page",
                channel="api",
            )
        except (DevUserInvalid, DomainError) as refused:
            users = dev_users(settings, store, today)
            return _page(
                error=str(refused), request=asked, users=users, wanted=wanted, status_code=422
            )
        return _back(asked, code=provider.issue_code(asked, user))

    @router.post(f"/{TOKEN_PATH}", include_in_schema=False)
    async def token(request: Request) -> JSONResponse:
        """The token endpoint: a code redeemed once for an access token and an ID token."""
        form = _params(await request.form())
        try:
            answer = provider.redeem(form, _basic(request.headers.get("authorization")))
        except AuthorizationRefused as refused:
            return JSONResponse(
                {"error": refused.error, "error_description": refused.message},
                status_code=refused.status,
                headers={"Cache-Control": "no-store"},
            )
        return JSONResponse(answer, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    app.include_router(router)
