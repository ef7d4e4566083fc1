"""Webhook signatures (activities/webhook_signatures.py) as Standard Webhooks defines them."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from activities.webhook_signatures import (
    MIN_KEY_BYTES,
    SigningKeyError,
    WebhookVerificationError,
    secret_for,
    secret_key,
    sign,
    signed_headers,
    signing_key,
    verify,
)

# The reference vector published with the Standard Webhooks specification (its libraries'
# "sign function works" test), which every conforming receiver library reproduces.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

KEY = bytes(range(32))
NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
STAMP = int(NOW.timestamp())


def test_the_signature_of_the_specifications_reference_vector_is_reproduced() -> None:
    assert sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE
    headers = {
        "webhook-id": SPEC_ID,
        "webhook-timestamp": str(SPEC_TIMESTAMP),
        "webhook-signature": SPEC_SIGNATURE,
    }
    verify(SPEC_SECRET, headers, SPEC_BODY, now=datetime.fromtimestamp(SPEC_TIMESTAMP, UTC))


def test_a_subscribers_secret_is_derived_from_the_key_and_its_id_alone() -> None:
    secret = secret_for(KEY, "s1")
    assert secret.startswith("whsec_")
    assert len(secret_key(secret)) == 32
    assert secret == secret_for(KEY, "s1")
    assert secret != secret_for(KEY, "s2")
    assert secret != secret_for(bytes(32), "s1")


@given(
    body=st.binary(max_size=300), msg_id=st.text(min_size=1, max_size=40), sid=st.text(max_size=20)
)
def test_every_signed_body_verifies_and_any_changed_byte_does_not(
    body: bytes, msg_id: str, sid: str
) -> None:
    secret = secret_for(KEY, sid)
    headers = signed_headers(secret, msg_id, STAMP, body)
    verify(secret, headers, body, now=NOW)
    with pytest.raises(WebhookVerificationError, match="matches the body"):
        verify(secret, headers, body + b" ", now=NOW)
    with pytest.raises(WebhookVerificationError, match="matches the body"):
        verify(secret_for(KEY, sid + "x"), headers, body, now=NOW)


def test_a_request_outside_the_tolerance_either_way_is_refused_saying_by_how_much() -> None:
    secret = secret_for(KEY, "s1")
    headers = signed_headers(secret, "msg_1", STAMP, b"{}")
    verify(secret, headers, b"{}", now=NOW + timedelta(seconds=300))
    with pytest.raises(WebhookVerificationError, match="too old: 301 s from now, and at most 300"):
        verify(secret, headers, b"{}", now=NOW + timedelta(seconds=301))
    with pytest.raises(WebhookVerificationError, match="too far in the future"):
        verify(secret, headers, b"{}", now=NOW - timedelta(minutes=10))
    verify(secret, headers, b"{}", now=NOW - timedelta(minutes=10), tolerance=timedelta(hours=1))


def test_headers_are_read_in_any_case_and_one_matching_signature_of_several_suffices() -> None:
    secret = secret_for(KEY, "s1")
    good = sign(secret, "msg_1", STAMP, b"{}")
    headers = {
        "Webhook-Id": "msg_1",
        "WEBHOOK-TIMESTAMP": str(STAMP),
        "webhook-signature": f"v1a,whatever v1,bm90IGl0 {good}",
    }
    verify(secret, headers, b"{}", now=NOW)


def test_a_missing_or_malformed_header_is_named() -> None:
    secret = secret_for(KEY, "s1")
    headers = signed_headers(secret, "msg_1", STAMP, b"{}")
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        partial = {k: v for k, v in headers.items() if k != name}
        with pytest.raises(WebhookVerificationError, match=f"has no {name} header"):
            verify(secret, partial, b"{}", now=NOW)
    with pytest.raises(WebhookVerificationError, match="is not a number of seconds"):
        verify(secret, {**headers, "webhook-timestamp": "soon"}, b"{}", now=NOW)
    with pytest.raises(WebhookVerificationError, match="not whsec_ followed by base64"):
        verify("whsec_%%%", headers, b"{}", now=NOW)


def test_the_signing_key_is_required_in_production_and_must_be_long_enough() -> None:
    configured = base64.b64encode(KEY).decode()
    assert signing_key(SecretStr(configured), production=True, data_dir="/nonexistent") == KEY
    assert signing_key(f"whsec_{configured}", production=True, data_dir="/nonexistent") == KEY
    with pytest.raises(SigningKeyError, match="WEBHOOK_SIGNING_KEY is required in production"):
        signing_key(None, production=True, data_dir="/nonexistent")
    short = base64.b64encode(bytes(MIN_KEY_BYTES - 1)).decode()
    with pytest.raises(SigningKeyError, match="base64 of at least 32 random bytes"):
        signing_key(short, production=True, data_dir="/nonexistent")
    with pytest.raises(SigningKeyError, match="WEBHOOK_SIGNING_KEY must be"):
        signing_key("not base64!", production=False, data_dir="/nonexistent")
