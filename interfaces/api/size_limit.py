"""The request-size limit: a body larger than the API takes is refused with 413, unread.

A declared `Content-Length` over the limit is answered at once. A body sent in chunks is
counted as it arrives and refused as soon as it passes the limit, so a client that lies about
its length (or names none) still cannot make the server buffer more than the limit.
"""

from __future__ import annotations

from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from interfaces.api.problems import ProblemError

MAX_BODY_BYTES: Final = 256 * 1024
"""The largest body the API accepts: 256 KiB.

The largest valid step is a few free texts of at most 8 KiB each (domain/text.py) and lists of
at most forty codes, far below this; the margin lets a client's pretty-printing through.
"""


def too_large(limit: int) -> ProblemError:
    """The 413 problem for a body over `limit` bytes."""
    return ProblemError(
        413,
        "ContentTooLarge",
        f"the request body is larger than the {limit:,} bytes this API accepts; a step's "
        "free texts hold at most 8 KiB each, and longer documents belong in a reference",
    )


class BodySizeLimit:
    """ASGI middleware refusing request bodies over `limit` bytes."""

    def __init__(self, app: ASGIApp, *, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, counting its body; refuse it once it passes the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await (
                too_large(self.limit)
                .problem.response(scope.get("path"))
                .__call__(scope, receive, send)
            )
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    # Raised inside the route's read of the body: answered as a problem there.
                    raise too_large(self.limit)
            return message

        await self.app(scope, counted, send)
