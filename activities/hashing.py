"""Canonical encoding of events and the per-stream SHA-256 chain that makes tampering evident.

The encoding is split into three canonical JSON documents (header, payload, metadata) so the
payload and metadata texts can be stored as they were hashed, without encoding them twice.
Compact JSON never contains a raw newline, so joining the parts with newlines is unambiguous.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from collections.abc import Callable
from typing import Any

type_ = type  # canonical_header's keyword `type` shadows the builtin

GENESIS_HASH = "0" * 64
"""The predecessor hash of every stream's first event."""

_encoder = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def _make_encode() -> Callable[[Any], str]:
    """The canonical encoder as one call into the C scanner, built once.

    JSONEncoder.encode builds a new C encoder (and a circular-reference memo) on every call,
    a large share of each encode's cost. Without the memo a self-containing value ends in a
    RecursionError, which canonical_json reports as the ValueError the memo would have raised.
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # a Python without the C accelerator: the same text, the slow way
        return _encoder.encode
    chunks = make(
        None, _encoder.default, json.encoder.encode_basestring, None, ":", ",", True, False, False
    )

    def encode(value: Any) -> str:
        return "".join(chunks(value, 0))

    return encode


_encode = _make_encode()
# JSON string literal for a str, exactly as the canonical encoder writes one (ensure_ascii off).
_string = json.encoder.encode_basestring


def canonical_json(value: Any) -> str:
    """Encode a JSON value deterministically: sorted keys, no whitespace, UTF-8, no NaN.

    Integral floats are written as integers: PostgreSQL's JSONB prints 1e20 back as
    100000000000000000000, and the hash must not depend on the backend. NUL characters are
    refused everywhere because JSONB cannot store them.
    """
    try:
        text = _encode(value)
    except RecursionError:
        raise ValueError(
            "a value nested too deeply, or containing itself, cannot be encoded"
        ) from None
    # Walking the value in Python costs more than the C encoder itself, so only do it when the
    # text shows it may be needed: an escaped NUL, or an integral float. Python writes an
    # integral float as "N.0" below 1e16 and with "e+" from there on, so a text with neither
    # substring has none; two substring searches are far cheaper than a regular expression.
    maybe_float = ".0" in text or "e+" in text
    if "\\u0000" in text or (maybe_float and _has_integral_float(text)):
        text = _encode(_normalise(value))
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
    return header_text(
        stream_id,
        stream_version,
        event_id,
        type,
        schema_version,
        occurred_on.isoformat(),
        utc_timestamp(recorded_at).isoformat(timespec="microseconds"),
    )


def header_text(
    stream_id: str,
    stream_version: int,
    event_id: uuid.UUID,
    type: str,
    schema_version: int,
    occurred_on_iso: str,
    recorded_at_iso: str,
) -> str:
    """canonical_header from already rendered dates (the append path renders them once).

    Equal to the canonical encoding of the seven-item list, written out by hand because the
    generic encoder costs more than the hash: strings go through the encoder's own string
    escaper; a UUID's and an ISO date's text never needs escaping; anything but a plain int
    (a bool, an int subclass with another repr) takes the generic encoder.
    """
    if type_(stream_version) is int and type_(schema_version) is int:
        return (
            f'[{_string(stream_id)},{stream_version},"{event_id}",{_string(type)},'
            f'{schema_version},"{occurred_on_iso}","{recorded_at_iso}"]'
        )
    # Every field is a str, int or date: nothing for canonical_json's float and NUL checks
    # (a NUL in the stream id or type fails at the database instead).
    return _encoder.encode(
        [
            stream_id,
            stream_version,
            str(event_id),
            type,
            schema_version,
            occurred_on_iso,
            recorded_at_iso,
        ]
    )


def chain_hash(prev_hash: str, header: str, payload_json: str, metadata_json: str) -> str:
    """SHA-256 over the predecessor's hash and the event's canonical parts, as lowercase hex."""
    digest = hashlib.sha256()
    digest.update(f"{prev_hash}\n{header}\n{payload_json}\n{metadata_json}".encode())
    return digest.hexdigest()
