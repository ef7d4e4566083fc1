"""Sending one webhook as the Standard Webhooks specification has it (httpx).

The body is JSON; the headers `webhook-id` (the delivery's idempotency key, the same on every
attempt), `webhook-timestamp` (seconds since the epoch, when this attempt is sent) and
`webhook-signature` (`v1,` and the HMAC-SHA256 of `id.timestamp.body` with the subscriber's
secret) let the receiver check who sent it and drop a repeat. What an answer means (2xx
delivered, 410 stop, anything else retried) is decided by the caller and activities/failures.py.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from typing import Final

import httpx

from activities.webhook_signatures import sign

USER_AGENT: Final = "pilot-partnerships-webhooks/1"
_REPLY_SHOWN = 200


class WebhookRefused(Exception):
    """The receiver answered, but not with a 2xx (nor 410): the attempt is retried."""

    def __init__(self, status_code: int, reply: str) -> None:
        self.status_code = status_code
        self.reply = reply
        shown = f": {reply}" if reply else ""
        super().__init__(f"the receiver answered HTTP {status_code}{shown}")


@dataclass(frozen=True)
class WebhookAnswer:
    """What the receiver answered, and how long it took."""

    status_code: int
    reply: str
    duration_ms: int


def webhook_headers(
    *, message_id: str, body: bytes, secret: str, sent_at: datetime.datetime
) -> dict[str, str]:
    """The Standard Webhooks headers (and content type) for `body`, signed with `secret`."""
    timestamp = int(sent_at.timestamp())
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }


def post_webhook(
    url: str,
    *,
    message_id: str,
    body: bytes,
    secret: str,
    timeout: datetime.timedelta,
    sent_at: datetime.datetime,
) -> WebhookAnswer:
    """POST `body` to `url`; the answer whatever its status. Connection errors are raised.

    Redirects are not followed: a receiver that moved answers 3xx, which is retried until
    its subscription is corrected, rather than posting signed milestones somewhere unasked.
    """
    headers = webhook_headers(message_id=message_id, body=body, secret=secret, sent_at=sent_at)
    started = time.monotonic()
    response = httpx.post(
        url,
        content=body,
        headers=headers,
        timeout=timeout.total_seconds(),
        follow_redirects=False,
    )
    elapsed = int((time.monotonic() - started) * 1000)
    reply = response.text[:_REPLY_SHOWN].strip() if response.content else ""
    return WebhookAnswer(response.status_code, reply, elapsed)
