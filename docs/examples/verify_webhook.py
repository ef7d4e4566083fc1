"""How a receiver checks that a Pilot Partnerships webhook is genuine (Standard Webhooks).

Standard library only: copy `verify_webhook` into your receiver. Give it the secret that
`partnerships subscribers secret NAME` shows (`whsec_…`), the request's headers and its body
exactly as received (bytes, before any JSON parsing). It raises ValueError unless the request
was signed with that secret within the last five minutes.

Run it as written for a demonstration: `python docs/examples/verify_webhook.py`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time


def verify_webhook(
    secret: str, headers: dict[str, str], body: bytes, *, tolerance_s: int = 300
) -> None:
    """Raise ValueError unless `body` and `headers` carry a valid signature made with `secret`."""
    wanted = {name.lower(): value for name, value in headers.items()}
    try:
        msg_id, timestamp, signatures = (
            wanted[name] for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
        )
    except KeyError as missing:
        raise ValueError(f"the request has no {missing} header") from None
    # A request replayed later than the tolerance is refused even with a valid signature.
    if abs(time.time() - int(timestamp)) > tolerance_s:
        raise ValueError("webhook-timestamp is outside the tolerance")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    # The header may list several signatures (e.g. while a secret is rotated): one must match.
    for signature in signatures.split(" "):
        if hmac.compare_digest(signature.encode(), expected.encode()):
            return
    raise ValueError("no signature matches")


if __name__ == "__main__":
    # A request signed just now with a made-up secret, as the service signs each delivery.
    demo_secret = "whsec_" + base64.b64encode(b"an example key of 32 bytes......").decode()
    demo_body = b'{"type": "milestone", "milestone": {"kind": "launch", "country": "CV"}}'
    demo_id, demo_stamp = "msg_partnership-CV-1_12_launch", str(int(time.time()))
    demo_key = base64.b64decode(demo_secret.removeprefix("whsec_"))
    demo_mac = hmac.new(demo_key, f"{demo_id}.{demo_stamp}.".encode() + demo_body, hashlib.sha256)
    demo_headers = {
        "webhook-id": demo_id,
        "webhook-timestamp": demo_stamp,
        "webhook-signature": "v1," + base64.b64encode(demo_mac.digest()).decode(),
    }
    verify_webhook(demo_secret, demo_headers, demo_body)
    print("genuine: the signature verifies")
    try:
        verify_webhook(demo_secret, demo_headers, demo_body.replace(b"CV", b"MD"))
    except ValueError as refused:
        print(f"forged: {refused}")
