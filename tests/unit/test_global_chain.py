"""The global chain over positions: walked in pieces it gives what one walk gives, and any change
to the log it covers — a hash, a position, an event removed or added — changes its value."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from activities.global_chain import GLOBAL_GENESIS, ChainWalk, global_link

hashes = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


@st.composite
def logs(draw: st.DrawFn) -> list[tuple[int, str, int, str]]:
    """Rows (position, stream, version, hash) as a log holds them: positions rise, with gaps."""
    count = draw(st.integers(min_value=1, max_value=12))
    positions = sorted(draw(st.sets(st.integers(1, 1000), min_size=count, max_size=count)))
    versions: dict[str, int] = {}
    rows = []
    for position in positions:
        stream = draw(st.sampled_from(["partnership-CV/1", "partnership-MD/1", "directory"]))
        versions[stream] = versions.get(stream, 0) + 1
        rows.append((position, stream, versions[stream], draw(hashes)))
    return rows


def walk(rows: list[tuple[int, str, int, str]], start: ChainWalk | None = None) -> ChainWalk:
    chain = start or ChainWalk()
    for row in rows:
        chain.take(*row)
    return chain


def test_an_empty_log_chains_to_the_genesis_value() -> None:
    assert ChainWalk().value == GLOBAL_GENESIS == "0" * 64


def test_one_link_is_the_sha256_of_three_lines() -> None:
    text = f"{GLOBAL_GENESIS}\n7\n{'a' * 64}"
    assert global_link(GLOBAL_GENESIS, 7, "a" * 64) == hashlib.sha256(text.encode()).hexdigest()


@given(logs(), st.data())
def test_a_walk_resumed_from_any_point_ends_where_one_walk_ends(
    rows: list[tuple[int, str, int, str]], data: st.DataObject
) -> None:
    cut = data.draw(st.integers(0, len(rows)))
    first = walk(rows[:cut])
    resumed = walk(
        rows[cut:], ChainWalk(first.position, first.events, first.value, dict(first.heads))
    )
    whole = walk(rows)
    assert (resumed.value, resumed.events, resumed.heads) == (
        whole.value,
        whole.events,
        whole.heads,
    )


@given(logs(), st.data())
def test_any_change_to_a_covered_event_changes_the_chain(
    rows: list[tuple[int, str, int, str]], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(rows) - 1))
    position, stream, version, hash_ = rows[index]
    other_hash = data.draw(hashes.filter(lambda h: h != hash_))
    changed = [
        [*rows[:index], (position, stream, version, other_hash), *rows[index + 1 :]],
        rows[:index] + rows[index + 1 :],
        [*rows[:index], (position + 1000, stream, version, hash_), *rows[index + 1 :]],
        [*rows, (rows[-1][0] + 1, stream, version + 1, hash_)],
    ]
    original = walk(rows).value
    for variant in changed:
        assert walk(variant).value != original
