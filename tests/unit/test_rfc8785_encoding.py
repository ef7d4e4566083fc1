"""The chain's canonical JSON coincides with RFC 8785 (JSON Canonicalization Scheme) for every
value the engine writes: strings, integers within ±(2^53 - 1), booleans, null, lists, and objects
whose keys sort alike by code point and by UTF-16 unit. Where it does not (non-integral floats
written with an exponent, integers past 2^53 - 1, keys from U+E000 on beside keys past U+FFFF) the
engine writes no such value; these tests pin both statements made in README."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import rfc8785
from hypothesis import assume, given
from hypothesis import strategies as st

from activities.codec import to_new_event
from activities.hashing import canonical_header, canonical_json
from domain.events import Event
from tests.unit.strategies import ENDED_STAGES, OPEN_STAGES, any_event

SAFE = 2**53 - 1  # RFC 8785 refuses integers an IEEE double cannot hold exactly
keys = st.text(
    alphabet=st.characters(max_codepoint=0xD7FF, blacklist_characters="\x00"), max_size=8
)
texts = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"))
engine_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-SAFE, max_value=SAFE) | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=12,
)


def rows(event: Event) -> list[Any]:
    """What the chain encodes of an event: its header fields, payload and metadata."""
    row = to_new_event(uuid.uuid4(), event, {"workflow_id": "partnership-CV", "run_id": "r"})
    header = canonical_header(
        stream_id="partnership-CV/1",
        stream_version=1,
        event_id=row.event_id,
        type=row.type,
        schema_version=row.schema_version,
        occurred_on=row.occurred_on,
        recorded_at=row.recorded_at,
    )
    return [header, row.payload, row.metadata]


@given(engine_values)
def test_for_every_value_of_the_kinds_the_engine_writes_the_bytes_are_rfc_8785s(
    value: Any,
) -> None:
    assert canonical_json(value).encode("utf-8") == rfc8785.dumps(value)


@given(any_event)
def test_every_event_the_domain_can_make_is_encoded_as_rfc_8785_encodes_it(event: Event) -> None:
    header, payload, metadata = rows(event)
    try:
        canonical_json(payload)
    except ValueError:  # a NUL character: refused by the store, never recorded
        assume(False)
    assert header.encode() == rfc8785.dumps(json.loads(header))
    assert canonical_json(payload).encode() == rfc8785.dumps(payload)
    assert canonical_json(metadata).encode() == rfc8785.dumps(metadata)


@pytest.mark.parametrize("story", [*ENDED_STAGES.values(), *OPEN_STAGES.values()])
def test_every_lifecycle_s_events_and_headers_are_rfc_8785(story: Any) -> None:
    for event in story().events:
        header, payload, metadata = rows(event)
        # The header is written by hand; it is the canonical encoding of its seven fields.
        assert header.encode() == rfc8785.dumps(json.loads(header))
        assert canonical_json(payload).encode() == rfc8785.dumps(payload)
        assert canonical_json(metadata).encode() == rfc8785.dumps(metadata)


@pytest.mark.parametrize(
    ("value", "ours", "theirs"),
    [
        (2.5e-05, b"2.5e-05", b"0.000025"),
        (1e-07, b"1e-07", b"1e-7"),
        ({"\ue000": 1, "\U0001f600": 2}, '{"\ue000":1,"\U0001f600":2}'.encode(), None),
    ],
)
def test_where_the_encodings_part_the_engine_writes_no_value(
    value: Any, ours: bytes, theirs: bytes | None
) -> None:
    assert canonical_json(value).encode() == ours
    assert rfc8785.dumps(value) != ours
    if theirs is not None:
        assert rfc8785.dumps(value) == theirs


def test_an_integer_past_2_53_is_written_exactly_where_rfc_8785_refuses_it() -> None:
    assert canonical_json(2**53) == "9007199254740992"
    with pytest.raises(rfc8785.IntegerDomainError):
        rfc8785.dumps(2**53)
