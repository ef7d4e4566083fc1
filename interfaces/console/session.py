"""Console sessions: who is signed in, the CSRF token of every form, and the session cookie.

What the pages use:

- `SignedIn`, a FastAPI dependency giving the signed-in person's `Caller` (app/identity.py),
  the same type the API's `Authenticated` gives. The session keeps only the token; on every
  request it is verified by the app's one authenticator (`app.state.resources.authenticator`,
  the API's) and the person's bindings are read from the directory then, so a revoked binding
  or an expired token takes effect at once.
  - Nobody signed in, or a token that no longer verifies (expired, say): the dependency raises
    `SignInRequired`, whose handler answers 303 to `/sign-in?next=<path>`; for an htmx request
    it answers 200 with `HX-Redirect` instead, so the whole page goes to the sign-in page
    rather than a fragment of it (`next` is then the page the person was on).
  - A good token whose subject holds no current binding: it raises `SignInRefused`, whose
    handler answers 403 with the sign-in page saying why; the session's token is dropped.
- `csrf_token(request)`: the session's CSRF token. Put it in every form as the hidden field
  `csrf_token` (CSRF_FIELD) and in htmx's `hx-headers` as `X-CSRF-Token` (CSRF_HEADER).
- `CsrfChecked` (a dependency, also `check_csrf`): refuses a POST (any unsafe method) whose
  header or form field does not match the session's token, with 403 and a page that says so.
  Use it as a parameter `_: CsrfChecked` or in `dependencies=[Depends(check_csrf)]`.
- `install_console_sessions(app, settings)`: the session middleware (a signed, `HttpOnly`,
  `SameSite=Lax` cookie, `Secure` in production), the handlers above, and the sign-in routes
  (interfaces/console/signin.py). `create_app` calls it.

The cookie holds the token and the CSRF token (and, during a sign-in, the flow's state); it is
signed, not encrypted, and never readable by JavaScript.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Annotated, Final, Protocol
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp

from app.identity import Caller, NoBinding, Unauthenticated
from interfaces.console.signin_settings import check_console_settings, session_secret
from settings import Settings

SESSION_COOKIE: Final = "partnerships_console"
SESSION_MAX_AGE: Final = timedelta(hours=12)
"""How long a session cookie lives at most; the token's own expiry usually ends it sooner."""

TOKEN_KEY: Final = "token"
CSRF_KEY: Final = "csrf"
NOTICE_KEY: Final = "notice"
"""What the sign-in page says once, e.g. why the person must sign in again."""

CSRF_FIELD: Final = "csrf_token"
"""The hidden form field that carries the CSRF token."""

CSRF_HEADER: Final = "X-CSRF-Token"
"""The request header that carries the CSRF token (htmx's `hx-headers`)."""

SIGN_IN_PATH: Final = "/sign-in"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})


class SignInRequired(Exception):
    """Nobody is signed in (or their sign-in has ended): send them to the sign-in page."""

    def __init__(self, next_path: str, reason: str | None = None) -> None:
        super().__init__(reason or "sign in to continue")
        self.next_path = next_path
        self.reason = reason


class SignInRefused(Exception):
    """The person's token is good, but the directory gives them no role here (403)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CsrfRefused(Exception):
    """A form or htmx request without the session's CSRF token (403)."""


class _Authenticates(Protocol):
    def authenticate(self, authorization: str | None) -> Caller: ...


def _authenticator(request: Request) -> _Authenticates:
    """The app's one authenticator, the API's (`app.state.resources.authenticator`)."""
    authenticator: _Authenticates = request.app.state.resources.authenticator
    return authenticator


def local_path(candidate: str | None, default: str = "/") -> str:
    """`candidate` when it is a path on this site (`/…`, not `//host` or a URL), else `default`.

    The `next` of a sign-in goes through here, so a link cannot send a person elsewhere.
    """
    if not candidate or not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
        return default
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc or any(ord(c) < 0x20 for c in candidate):
        return default
    return candidate


def _here(request: Request) -> str:
    """The path (and query) a request is for, or for htmx the page it came from."""
    if request.headers.get("HX-Request") == "true":
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        if current.path:
            return local_path(current.path + (f"?{current.query}" if current.query else ""))
    query = request.url.query
    return local_path(request.url.path + (f"?{query}" if query else ""))


def session_token(request: Request) -> str | None:
    """The token the session keeps, if any."""
    token = request.session.get(TOKEN_KEY)
    return token if isinstance(token, str) and token else None


def signed_in_caller(request: Request) -> Caller:
    """The signed-in person of a request, verified now (the `SignedIn` dependency).

    A sync dependency: FastAPI runs it in a thread, where fetching the issuer's keys or reading
    the directory may block. Raises SignInRequired or SignInRefused (see the module's doc);
    KeysUnavailable and store errors go to the app's handlers as for the API (503).
    """
    token = session_token(request)
    if token is None:
        raise SignInRequired(_here(request))
    try:
        return _authenticator(request).authenticate(f"Bearer {token}")
    except Unauthenticated as refused:
        request.session.pop(TOKEN_KEY, None)
        raise SignInRequired(
            _here(request), f"Your sign-in has ended: {refused.message}."
        ) from None
    except NoBinding as refused:
        request.session.pop(TOKEN_KEY, None)
        raise SignInRefused(refused.message) from None


SignedIn = Annotated[Caller, Depends(signed_in_caller)]
"""The signed-in person's Caller; nobody signed in: 303 to the sign-in page."""


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use; put it in every form and htmx request."""
    token = request.session.get(CSRF_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_KEY] = token
    return token


async def check_csrf(request: Request) -> None:
    """Refuse (CsrfRefused, 403) an unsafe request whose CSRF token is not the session's.

    The token is read from the `X-CSRF-Token` header, else from the form field `csrf_token`.
    """
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get(CSRF_KEY)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and _is_form(request):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not (isinstance(expected, str) and expected and sent) or not hmac.compare_digest(
        expected.encode(), sent.encode()
    ):
        raise CsrfRefused()


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind in ("application/x-www-form-urlencoded", "multipart/form-data")


CsrfChecked = Annotated[None, Depends(check_csrf)]
"""A dependency that refuses an unsafe request without the session's CSRF token (403)."""


def start_session(request: Request, token: str) -> None:
    """Sign a person in: a fresh session holding `token` and a new CSRF token.

    Everything the session held before (a sign-in flow's state, an old CSRF token) is dropped,
    so a session fixed before sign-in is not the one used after it.
    """
    request.session.clear()
    request.session[TOKEN_KEY] = token
    request.session[CSRF_KEY] = secrets.token_urlsafe(32)


def end_session(request: Request) -> None:
    """Sign the person out: the session is emptied, and the cookie cleared."""
    request.session.clear()


def sign_in_url(next_path: str | None = None) -> str:
    """The sign-in page's path, with `next` when it is not the home page."""
    target = local_path(next_path)
    return SIGN_IN_PATH if target == "/" else f"{SIGN_IN_PATH}?{urlencode({'next': target})}"


def _to_sign_in(request: Request, error: Exception) -> Response:
    assert isinstance(error, SignInRequired)
    if error.reason:
        request.session[NOTICE_KEY] = error.reason
    url = sign_in_url(error.next_path)
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


CSRF_PAGE: Final = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Form refused</title></head>
<body><main><h1>This form was refused</h1>
<p role="alert">The form did not carry this session's security token (CSRF token): it may
be from an older page or from another site. Nothing was recorded. Reload the page and try
again.</p>
<p><a href="/">Back to the console</a></p></main></body></html>
"""


def _csrf_refused(request: Request, error: Exception) -> Response:
    return HTMLResponse(CSRF_PAGE, status_code=403)


class ConsoleSessions(SessionMiddleware):
    """The console's session cookie: signed, `HttpOnly`, `SameSite=Lax`, `Secure` in production.

    The secret is read (in development, made in the data directory) when the app first runs,
    not when it is built, so building an app writes nothing.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        super().__init__(
            app,
            secret_key=session_secret(settings),
            session_cookie=SESSION_COOKIE,
            max_age=int(SESSION_MAX_AGE.total_seconds()),
            same_site="lax",
            https_only=settings.partnerships_env == "production",
        )


def install_console_sessions(app: FastAPI, settings: Settings) -> None:
    """Add the session middleware, the console's sign-in handlers and the sign-in routes.

    Raises SettingsError at once when production settings lack what sign-in needs.
    """
    # The routes' module reads this one's names, so it is imported here, when the app is built.
    from interfaces.console.signin import install_sign_in, refused_page

    check_console_settings(settings)
    app.add_middleware(ConsoleSessions, settings=settings)
    app.add_exception_handler(SignInRequired, _to_sign_in)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(SignInRefused, refused_page)
    install_sign_in(app, settings)
