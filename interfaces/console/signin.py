"""The sign-in routes: `/sign-in`, `/sign-in/callback` and `/sign-out`.

Sign-in is OpenID Connect's authorization code flow with PKCE (S256), through Authlib's
Starlette client, against the trusted issuer: OIDC_ISSUER in production, the development
issuer (app/dev_issuer.py, served by the API under /dev/) otherwise. The code path is the same
in both; in development the sign-in page also lists the development users, each a button that
starts the flow with a `login_hint` the development issuer honours.

- `GET /sign-in?next=/path`: the page, with a button that starts the flow (a CSRF-checked POST
  to /sign-in; the flow's state, nonce and PKCE verifier wait in the session).
- `GET /sign-in/callback`: Authlib checks the state and redeems the code with the verifier;
  the token the console keeps (CONSOLE_TOKEN) is then verified by the API's authenticator and
  the person's bindings read, before the session holds it. Then 303 to `next`.
- `POST /sign-out` (CSRF-checked): the session is emptied and its cookie cleared.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any, Final

import httpx
from authlib.integrations.base_client import OAuthError
from authlib.integrations.starlette_client import OAuth
from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from activities.directory_store import DirectoryStore
from activities.store_errors import StoreError
from app.dev_issuer import (
    AS_FORMAT,
    DevUser,
    console_client_id,
    console_redirect_uri,
    dev_users,
    discovery_url,
)
from app.identity import KeysUnavailable, NoBinding, Unauthenticated, trusted_issuer
from interfaces.console.session import (
    NOTICE_KEY,
    CsrfChecked,
    SignInRefused,
    end_session,
    local_path,
    start_session,
)
from interfaces.console.templating import page as render_page
from settings import Settings

log = logging.getLogger("pilot-partnerships.console")

CLIENT_NAME: Final = "console"
FLOW_STATE_PREFIX: Final = f"_state_{CLIENT_NAME}_"
"""How Authlib names a waiting sign-in's entry in the session (`_state_<client>_<state>`)."""
NEXT_KEY: Final = "sign_in_next"
PROVIDER_TIMEOUT_S: Final = 10.0
"""How long the console waits for the issuer's discovery document, token endpoint and keys."""

MAX_SESSION_TOKEN_CHARS: Final = 2_800
"""The longest token the session cookie keeps: browsers drop a cookie over about 4,096 bytes,
and the cookie carries the token base64-encoded (a third longer) with the CSRF token and a
signature. A longer token would be lost silently, and the person asked to sign in forever."""


class SignIn:
    """The console's client at the issuer, and what the sign-in page shows."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.development = settings.partnerships_env != "production"
        self.issuer = trusted_issuer(settings)
        self.redirect_uri = console_redirect_uri(settings)
        secret = settings.oidc_client_secret
        self.oauth = OAuth()
        self.oauth.register(
            CLIENT_NAME,
            client_id=console_client_id(settings),
            client_secret=secret.get_secret_value() if secret is not None else None,
            server_metadata_url=discovery_url(self.issuer),
            client_kwargs={
                "scope": "openid",
                "code_challenge_method": "S256",
                "timeout": PROVIDER_TIMEOUT_S,
            },
        )

    @property
    def client(self) -> Any:
        """Authlib's Starlette client for the issuer."""
        return self.oauth.create_client(CLIENT_NAME)

    def users(self, request: Request) -> list[DevUser]:
        """The development users to list (none in production, or when the store is not ready)."""
        if not self.development or self.settings.oidc_issuer:
            return []
        try:
            engine = request.app.state.resources.store.engine()
        except StoreError as error:
            log.warning("the directory cannot be read for the sign-in page: %s", error)
            return []
        return dev_users(self.settings, DirectoryStore(engine), datetime.now(UTC).date())

    def page(
        self,
        request: Request,
        *,
        next_path: str = "/",
        error: str | None = None,
        refused: str | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        """The sign-in page, saying `error` (a failed sign-in) or `refused` (no role) if any."""
        notice = request.session.pop(NOTICE_KEY, None)
        if request.query_params.get("signed_out"):
            notice = "You have signed out."
        users = self.users(request) if self.development else []
        return render_page(
            request,
            "sign_in.html",
            {
                "viewer": None,
                "next_path": next_path,
                "notice": notice if isinstance(notice, str) else None,
                "error": error,
                "refused": refused,
                "development": self.development and not self.settings.oidc_issuer,
                "users": users,
                "as_format": AS_FORMAT,
                "issuer": self.issuer,
            },
            status_code=status_code,
        )


def _sign_in(request: Request) -> SignIn:
    held: SignIn = request.app.state.console_sign_in
    return held


def refused_page(request: Request, error: Exception) -> Response:
    """The 403 answer to SignInRefused: the sign-in page, saying why the person may not act."""
    assert isinstance(error, SignInRefused)
    return _sign_in(request).page(request, refused=error.message, status_code=403)


router = APIRouter(tags=["console sign-in"], include_in_schema=False)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str | None = None) -> HTMLResponse:
    """The sign-in page; its button starts the sign-in with the issuer."""
    return _sign_in(request).page(request, next_path=local_path(next))


@router.post("/sign-in")
async def start_sign_in(
    request: Request,
    _: CsrfChecked,
    next: Annotated[str, Form()] = "/",
    login_hint: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Start the authorization code flow: 302 to the issuer's authorization endpoint."""
    sign_in = _sign_in(request)
    # One sign-in waits at a time: each keeps its state, nonce and verifier in the cookie, and
    # a person who starts again and again would otherwise grow it past what browsers keep.
    for key in [k for k in request.session if k.startswith(FLOW_STATE_PREFIX)]:
        del request.session[key]
    request.session[NEXT_KEY] = local_path(next)
    extra = {"login_hint": login_hint.strip()} if login_hint.strip() else {}
    try:
        redirect: Response = await sign_in.client.authorize_redirect(
            request, sign_in.redirect_uri, **extra
        )
    except (httpx.HTTPError, OAuthError, ValueError) as error:
        log.warning("the issuer's discovery document cannot be read: %s", error)
        return sign_in.page(
            request,
            next_path=local_path(next),
            error=f"The identity provider ({sign_in.issuer}) cannot be reached now, so nobody "
            "can sign in; try again shortly.",
            status_code=503,
        )
    return redirect


@router.get("/sign-in/callback")
async def sign_in_callback(request: Request) -> Response:
    """Redeem the issuer's code, verify the token as the API would, and start the session."""
    sign_in = _sign_in(request)
    next_path = local_path(request.session.get(NEXT_KEY))
    try:
        answer: dict[str, Any] = await sign_in.client.authorize_access_token(request)
    except OAuthError as error:
        return sign_in.page(request, next_path=next_path, error=_flow_error(error), status_code=400)
    except httpx.HTTPError as error:
        log.warning("the issuer's token endpoint cannot be reached: %s", error)
        return sign_in.page(
            request,
            next_path=next_path,
            error="The identity provider could not be reached to finish signing in; try again.",
            status_code=503,
        )
    token = answer.get(sign_in.settings.console_token)
    if not isinstance(token, str) or not token:
        return sign_in.page(
            request,
            next_path=next_path,
            error=f"The identity provider's answer holds no {sign_in.settings.console_token} "
            "(CONSOLE_TOKEN), so the sign-in cannot be completed.",
            status_code=502,
        )
    if len(token) > MAX_SESSION_TOKEN_CHARS:
        return sign_in.page(
            request,
            next_path=next_path,
            error=f"The identity provider's {sign_in.settings.console_token} has "
            f"{len(token):,} characters, more than the {MAX_SESSION_TOKEN_CHARS:,} a session "
            "cookie can hold; an operator sets CONSOLE_TOKEN to the provider's shorter token.",
            status_code=502,
        )
    authenticator = request.app.state.resources.authenticator
    try:
        await run_in_threadpool(authenticator.authenticate, f"Bearer {token}")
    except Unauthenticated as refused:
        end_session(request)
        return sign_in.page(
            request,
            next_path=next_path,
            error=f"The identity provider's token was refused: {refused.message}.",
            status_code=401,
        )
    except NoBinding as refused:
        end_session(request)
        return sign_in.page(request, next_path=next_path, refused=refused.message, status_code=403)
    except KeysUnavailable:
        return sign_in.page(
            request,
            next_path=next_path,
            error="The identity provider's keys cannot be fetched now, so the sign-in cannot "
            "be checked; try again shortly.",
            status_code=503,
        )
    start_session(request, token)
    return RedirectResponse(next_path, status_code=303)


def _flow_error(error: OAuthError) -> str:
    """Why a sign-in could not be finished, in words for the person trying."""
    if error.error == "mismatching_state" or "state" in (error.description or ""):
        return (
            "This sign-in could not be matched to this browser's session (it may have been "
            "started in another tab, at another address, or too long ago). Sign in again."
        )
    detail = error.description or error.error or "no reason given"
    return f"The identity provider refused the sign-in: {detail}."


@router.post("/sign-out")
def sign_out(request: Request, _: CsrfChecked) -> RedirectResponse:
    """Sign out: empty the session (its cookie is cleared) and show the sign-in page."""
    end_session(request)
    return RedirectResponse("/sign-in?signed_out=1", status_code=303)


def install_sign_in(app: FastAPI, settings: Settings) -> None:
    """Mount the sign-in routes and keep the console's client at the issuer on the app."""
    app.state.console_sign_in = SignIn(settings)
    app.include_router(router)
