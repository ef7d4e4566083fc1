"""The canonical encoding and the hash chain: pure functions, no I/O."""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from activities.appenders import EMPTY_HEAD, Head, prepare_rows
from activities.hashing import (
    GENESIS_HASH,
    canonical_header,
    canonical_json,
    chain_hash,
    utc_timestamp,
)
from activities.records import NewEvent
from activities.upcasting import Upcasters

texts = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"))
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=15,
)

WHEN = datetime.datetime(2007, 12, 10, 17, 0, tzinfo=datetime.UTC)


def event(**changes: Any) -> NewEvent:
    fields: dict[str, Any] = {
        "event_id": uuid.UUID(int=1),
        "type": "CouncilDecisionRecorded",
        "schema_version": 1,
        "payload": {"outcome": "invite_launch"},
        "metadata": {"actor": "presidency"},
        "occurred_on": datetime.date(2007, 12, 10),
        "recorded_at": WHEN,
    }
    fields.update(changes)
    return NewEvent(**fields)


@given(json_values)
def test_canonical_json_is_a_fixed_point_of_decoding_and_reencoding(value: Any) -> None:
    text = canonical_json(value)
    assert canonical_json(json.loads(text)) == text


@given(st.dictionaries(texts, json_values, max_size=6))
def test_canonical_json_does_not_depend_on_key_order(mapping: dict[str, Any]) -> None:
    reversed_mapping = dict(reversed(list(mapping.items())))
    assert canonical_json(reversed_mapping) == canonical_json(mapping)


@given(json_values)
def test_canonical_json_never_contains_a_raw_newline(value: Any) -> None:
    # The hash input joins parts with newlines; that is only unambiguous if none occur inside.
    assert "\n" not in canonical_json(value)


def test_integral_floats_encode_as_integers_so_jsonb_cannot_change_the_hash() -> None:
    assert (
        canonical_json({"a": 1e20, "b": 2.0, "c": 0.5})
        == '{"a":100000000000000000000,"b":2,"c":0.5}'
    )


def test_canonical_json_refuses_nan_and_nul() -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        canonical_json({"x": float("nan")})
    with pytest.raises(ValueError, match="NUL"):
        canonical_json({"x": "\x00"})


def test_recorded_at_is_hashed_in_utc_whatever_zone_it_came_in() -> None:
    paris = datetime.timezone(datetime.timedelta(hours=1))
    assert utc_timestamp(WHEN.astimezone(paris)) == WHEN
    header: dict[str, Any] = {
        "stream_id": "s",
        "stream_version": 1,
        "event_id": uuid.UUID(int=1),
        "type": "t",
        "schema_version": 1,
        "occurred_on": datetime.date(2007, 12, 10),
    }
    assert canonical_header(**header, recorded_at=WHEN) == canonical_header(
        **header, recorded_at=WHEN.astimezone(paris)
    )


def test_a_naive_recorded_at_is_refused_as_ambiguous() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        utc_timestamp(datetime.datetime(2007, 12, 10))


# The hash input of `event()` first in partnership-CV/1, typed by hand: the predecessor (64
# zeros at a stream's start), the header, the payload and the metadata, joined by line feeds.
FIRST_EVENT_HASH_INPUT = (
    b"0000000000000000000000000000000000000000000000000000000000000000\n"
    b'["partnership-CV/1",1,"00000000-0000-0000-0000-000000000001","CouncilDecisionRecorded",1,'
    b'"2007-12-10","2007-12-10T17:00:00.000000+00:00"]\n'
    b'{"outcome":"invite_launch"}\n'
    b'{"actor":"presidency"}'
)
FIRST_EVENT_HASH = "cdb8b88ff6924d2e9f798b8335c05f53c53403771cca971db406388c31436b09"
"""`sha256sum` over FIRST_EVENT_HASH_INPUT, run by hand."""


def test_the_first_event_of_a_stream_links_to_the_genesis_hash() -> None:
    (row,) = prepare_rows("partnership-CV/1", EMPTY_HEAD, [event()])
    assert row.prev_hash == "0" * 64 == GENESIS_HASH
    assert row.stream_version == 1
    assert hashlib.sha256(FIRST_EVENT_HASH_INPUT).hexdigest() == FIRST_EVENT_HASH
    assert row.hash == FIRST_EVENT_HASH


def test_each_event_links_to_its_predecessors_hash() -> None:
    rows = prepare_rows("s", Head(4, "a" * 64), [event(), event(event_id=uuid.UUID(int=2))])
    assert [r.stream_version for r in rows] == [5, 6]
    assert rows[0].prev_hash == "a" * 64
    assert rows[1].prev_hash == rows[0].hash


@pytest.mark.parametrize(
    "change",
    [
        {"type": "Other"},
        {"schema_version": 2},
        {"payload": {"outcome": "decline"}},
        {"metadata": {"actor": "someone else"}},
        {"occurred_on": datetime.date(2007, 12, 11)},
        {"recorded_at": WHEN + datetime.timedelta(microseconds=1)},
        {"event_id": uuid.UUID(int=2)},
    ],
)
def test_changing_any_field_changes_the_hash(change: dict[str, Any]) -> None:
    (original,) = prepare_rows("s", EMPTY_HEAD, [event()])
    (changed,) = prepare_rows("s", EMPTY_HEAD, [event(**change)])
    assert changed.hash != original.hash


def test_the_same_event_at_another_place_hashes_differently() -> None:
    (here,) = prepare_rows("s", EMPTY_HEAD, [event()])
    (elsewhere,) = prepare_rows("t", EMPTY_HEAD, [event()])
    (later,) = prepare_rows("s", Head(1, GENESIS_HASH), [event()])
    assert len({here.hash, elsewhere.hash, later.hash}) == 3


def test_chain_hash_is_sha256_of_the_documented_layout() -> None:
    # printf 'p\nh\n{}\n{}' | sha256sum
    expected = "765fd0b904dd7f1acf5053e1ad60ee291ada51c9e35c4631caa082f7939733d9"
    assert chain_hash("p", "h", "{}", "{}") == expected


def test_upcasters_step_one_version_at_a_time_and_leave_other_types_alone() -> None:
    upcasters = Upcasters()
    upcasters.add("A", 1, lambda p: {**p, "b": 1})
    upcasters.add("A", 2, lambda p: {**p, "c": 2})
    assert upcasters.upcast("A", 1, {}) == (3, {"b": 1, "c": 2})
    assert upcasters.upcast("A", 2, {}) == (3, {"c": 2})
    assert upcasters.upcast("B", 1, {"x": 0}) == (1, {"x": 0})
    with pytest.raises(ValueError, match="already registered"):
        upcasters.add("A", 1, lambda p: p)


def test_the_chain_of_a_known_append_is_pinned_so_a_faster_encoder_cannot_change_it() -> None:
    # Hashes written by the first release of the store: a legal record written then must still
    # verify now, so the encoding may get faster but never different.
    first = event(payload={"outcome": "invite_launch", "n": [1.0, 2.5, 1e20], "é": 'x"y'})
    second = NewEvent(**{**first.__dict__, "event_id": uuid.UUID(int=2)})
    rows = prepare_rows("partnership-CV/1", Head(2, "a" * 64), [first, second])
    assert [r.hash for r in rows] == [
        "40572028cb98b7115eecaa45b01a33049c92e0ff0aeff4bc8835d196db81fdf6",
        "b6703497199fb042e2f6dd3aa63ecb703f73d3f9306ae1cb67891e2e098c9c0d",
    ]


_generic = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@given(
    texts.filter(bool),
    st.integers(min_value=1, max_value=2**31),
    st.uuids(),
    texts,
    st.integers(min_value=1, max_value=1000),
    st.dates(),
    st.datetimes(timezones=st.just(datetime.UTC)),
)
def test_the_hand_written_header_is_the_generic_encoders_text(
    stream_id: str,
    version: int,
    event_id: uuid.UUID,
    type_: str,
    schema_version: int,
    occurred_on: datetime.date,
    recorded_at: datetime.datetime,
) -> None:
    fields = [
        stream_id,
        version,
        str(event_id),
        type_,
        schema_version,
        occurred_on.isoformat(),
        recorded_at.isoformat(timespec="microseconds"),
    ]
    header = canonical_header(
        stream_id=stream_id,
        stream_version=version,
        event_id=event_id,
        type=type_,
        schema_version=schema_version,
        occurred_on=occurred_on,
        recorded_at=recorded_at,
    )
    assert header == _generic.encode(fields)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_integral_float_is_written_as_an_integer(number: float) -> None:
    expected = str(int(number)) if number.is_integer() else repr(number)
    assert canonical_json([number]) == f"[{expected}]"
    assert canonical_json({"k": [number]}) == f'{{"k":[{expected}]}}'


def test_a_value_containing_itself_is_refused_as_a_value_error() -> None:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    with pytest.raises(ValueError, match="containing itself"):
        canonical_json(loop)
