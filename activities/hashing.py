"""Canonical encoding of events and the per-stream SHA-256 chain that makes tampering evident.

The encoding is split into three canonical JSON documents (header, payload, metadata) so the
payload and metadata texts can be stored as they were hashed, without encoding them twice.
Compact JSON never contains a raw newline, so joining the parts with newlines is unambiguous.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import uuid
from typing import Any

GENESIS_HASH = "0" * 64
"""The predecessor hash of every stream's first event."""

# A float literal in compact JSON starts the text or follows ":", "[" or ",", and has "." or
# an exponent after its integer digits. Text inside strings can match too; that only costs a
# closer look.
_FLOAT_LITERAL = re.compile(r"[:\[,]-?[0-9]+[.eE]")

_encoder = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def canonical_json(value: Any) -> str:
    """Encode a JSON value deterministically: sorted keys, no whitespace, UTF-8, no NaN.

    Integral floats are written as integers: PostgreSQL's JSONB prints 1e20 back as
    100000000000000000000, and the hash must not depend on the backend. NUL characters are
    refused everywhere because JSONB cannot store them.
    """
    text = _encoder.encode(value)
    # Walking the value in Python costs more than the C encoder itself, so only do it when the
    # text shows it may be needed: an escaped NUL, or what looks like a float literal.
    maybe_float = text[:1] in "-0123456789" or _FLOAT_LITERAL.search(text) is not None
    if "\\u0000" in text or (maybe_float and _has_integral_float(text)):
        text = _encoder.encode(_normalise(value))
    return text


def _has_integral_float(text: str) -> bool:
    found = False

    def parse_float(literal: str) -> float:
        nonlocal found
        number = float(literal)
        found = found or number.is_integer()
        return number

    json.loads(text, parse_float=parse_float)
    return found


def _normalise(value: Any) -> Any:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("a NUL character cannot be stored in an event")
        return value
    if isinstance(value, dict):
        return {_normalise(key): _normalise(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def utc_timestamp(moment: datetime.datetime) -> datetime.datetime:
    """Normalise an aware datetime to UTC; naive datetimes are refused as ambiguous."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"recorded_at must be timezone-aware, got naive {moment!r}")
    return moment.astimezone(datetime.UTC)


def canonical_header(
    *,
    stream_id: str,
    stream_version: int,
    event_id: uuid.UUID,
    type: str,
    schema_version: int,
    occurred_on: datetime.date,
    recorded_at: datetime.datetime,
) -> str:
    """Encode the identifying fields of an event; recorded_at is rendered in UTC to the µs."""
    # Every field is a str, int or date: nothing for canonical_json's float and NUL checks
    # (a NUL in the stream id or type fails at the database instead).
    return _encoder.encode(
        [
            stream_id,
            stream_version,
            str(event_id),
            type,
            schema_version,
            occurred_on.isoformat(),
            utc_timestamp(recorded_at).isoformat(timespec="microseconds"),
        ]
    )


def chain_hash(prev_hash: str, header: str, payload_json: str, metadata_json: str) -> str:
    """SHA-256 over the predecessor's hash and the event's canonical parts, as lowercase hex."""
    digest = hashlib.sha256()
    digest.update(f"{prev_hash}\n{header}\n{payload_json}\n{metadata_json}".encode())
    return digest.hexdigest()
