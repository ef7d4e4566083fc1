"""Every request gets a request id: the caller's `X-Request-ID`, or one made here.

The id is echoed in the response's `X-Request-ID` header and carried by every log line written
while the request is handled (app/log_context.py), so an operator can find a caller's request in
the logs. A given id is kept when it is 1 to 128 characters of letters, digits and `._:-`;
anything else is replaced by a new one, so a header cannot forge or break log lines.
"""

from __future__ import annotations

import re
import uuid
from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.log_context import bound

HEADER: Final = "X-Request-ID"
_ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id(given: str | None) -> str:
    """The caller's id when it is acceptable, else a new one (32 hex digits)."""
    if given is not None and _ACCEPTED.fullmatch(given):
        return given
    return uuid.uuid4().hex


class RequestIds:
    """ASGI middleware: assigns or propagates the request id, logs with it, returns it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one request (other scopes pass through untouched)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                given = value.decode("latin-1")
                break
        rid = request_id(given)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = rid
            await send(message)

        with bound(request_id=rid):
            await self.app(scope, receive, send_with_id)
