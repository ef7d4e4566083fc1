"""Free text and labels: bounded in UTF-8 bytes, free of invisible format characters, and shown
in Markdown exactly as written (`domain/text.py`)."""

from __future__ import annotations

import html
import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from pydantic import ValidationError

from domain.commands import RecordTalksRound, SubmitReport, Withdraw
from domain.events import PartnershipWithdrawn, event_payload, parse_event
from domain.text import (
    LABEL_MAX_BYTES,
    LABEL_MAX_CHARS,
    TEXT_MAX_BYTES,
    markdown_inert,
    utf8_size,
)
from tests.unit.strategies import COMMISSION, at

# The characters the issue names: bidirectional embeddings, overrides, isolates and marks,
# and the zero-width ones. Every one is of Unicode's category Cf, which is refused whole.
NAMED_FORMAT_CHARACTERS = [
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)),
    "\u200e",
    "\u200f",
    "\u061c",
    *map(chr, range(0x200B, 0x200E)),
    "\u2060",
    "\ufeff",
]
FORMAT = st.characters(categories=["Cf"])
# Text a person may write around it: no controls, no format characters, no surrogates.
WRITTEN = st.text(st.characters(exclude_categories=["Cc", "Cf", "Cs"]), max_size=20)


def _reason(text: str) -> str:
    return Withdraw(reason=text).reason


def _location(label: str) -> str | None:
    return RecordTalksRound(
        held_on=at(2025, 5, 5).date(), member_states=["FR"], summary="s", location=label
    ).location


# --- Free text in bytes --------------------------------------------------------------------


def test_free_text_is_bounded_in_utf8_bytes_not_characters() -> None:
    two_byte = "é"
    assert _reason(two_byte * (TEXT_MAX_BYTES // 2)) == two_byte * (TEXT_MAX_BYTES // 2)
    with pytest.raises(ValidationError, match="reason"):
        _reason(two_byte * (TEXT_MAX_BYTES // 2 + 1))


def test_an_oversized_text_is_refused_naming_its_size_and_the_limit() -> None:
    with pytest.raises(ValidationError) as refused:
        _reason("é" * 4_560)
    assert "is 9,120 bytes in UTF-8; at most 8,192 bytes are allowed" in str(refused.value)
    assert "reference" in str(refused.value)  # where a longer document belongs


def test_the_text_bound_is_8_kib() -> None:
    assert TEXT_MAX_BYTES == 8_192


@given(
    st.text(st.characters(exclude_categories=["Cc", "Cf", "Cs"]), min_size=1, max_size=6),
    st.integers(min_value=1, max_value=3_000),
)
def test_free_text_is_accepted_exactly_when_its_stripped_bytes_are_within_the_bound(
    unit: str, times: int
) -> None:
    text = unit * times
    stripped = text.strip()
    if not stripped:
        with pytest.raises(ValidationError, match="at least 1 character"):
            _reason(text)
    elif utf8_size(stripped) > TEXT_MAX_BYTES:
        with pytest.raises(ValidationError, match=f"is {utf8_size(stripped):,} bytes in UTF-8"):
            _reason(text)
    else:
        assert _reason(text) == stripped


def test_a_label_is_bounded_in_characters_and_in_bytes() -> None:
    assert _location("a" * LABEL_MAX_CHARS) == "a" * LABEL_MAX_CHARS
    with pytest.raises(ValidationError, match=f"at most {LABEL_MAX_CHARS} characters"):
        _location("a" * (LABEL_MAX_CHARS + 1))
    assert _location("é" * LABEL_MAX_CHARS) == "é" * LABEL_MAX_CHARS  # 600 bytes, the bound
    with pytest.raises(ValidationError, match=f"at most {LABEL_MAX_BYTES:,} bytes"):
        _location("€" * LABEL_MAX_CHARS)  # 900 bytes


def test_events_recorded_under_the_old_20000_character_rule_still_load() -> None:
    old = PartnershipWithdrawn(
        actor=COMMISSION,
        occurred_on=at(2024, 1, 1).date(),
        recorded_at=at(2024, 1, 1),
        reason="x" * 20_000,
        stage="consultation",
    )
    assert parse_event(event_payload(old)) == old


# --- Format characters -----------------------------------------------------------------------


@pytest.mark.parametrize("character", NAMED_FORMAT_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
def test_each_bidirectional_and_zero_width_character_is_refused_by_code_point(
    character: str,
) -> None:
    assert unicodedata.category(character) == "Cf"
    with pytest.raises(ValidationError, match=f"U\\+{ord(character):04X} at position 3"):
        _reason(f"abc{character}def")


@given(WRITTEN, FORMAT, st.text(max_size=20))
def test_free_text_holding_a_format_character_is_refused_naming_it_and_where_it_is(
    before: str, character: str, after: str
) -> None:
    # `after` may hold anything; the first format character is the one named, unless a
    # control character (refused by its own rule, checked first) comes after it.
    text = f"x{before}{character}{after}x"
    with pytest.raises(ValidationError) as refused:
        _reason(text)
    message = str(refused.value)
    if "control characters" not in message:
        assert f"U+{ord(character):04X} at position {1 + len(before)}" in message
        assert "format characters" in message


@given(WRITTEN, FORMAT, WRITTEN)
def test_a_label_holding_a_format_character_is_refused(
    before: str, character: str, after: str
) -> None:
    with pytest.raises(ValidationError, match=f"U\\+{ord(character):04X}"):
        _location(f"x{before}{character}{after}x"[:LABEL_MAX_CHARS])


@given(st.text(max_size=40))
def test_any_accepted_text_holds_no_format_character_and_fits_the_bound(text: str) -> None:
    for accepts in (
        _reason,
        lambda t: SubmitReport(recommendation="launch", summary="s", reference=t).reference,
    ):
        try:
            accepted = accepts(text)
        except ValidationError:
            continue
        assert accepted is not None
        assert not any(unicodedata.category(c) in ("Cf", "Cs") for c in accepted)
        assert utf8_size(accepted) <= TEXT_MAX_BYTES


def test_a_lone_surrogate_is_refused_as_not_unicode() -> None:
    with pytest.raises(ValidationError, match="valid string"):
        _reason("a\ud800b")


# --- Inert Markdown --------------------------------------------------------------------------

COMMONMARK = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_TAG = re.compile(r"<[^>]*>")

HOSTILE = [
    "[click](http://evil)",
    "![pixel](http://evil/p.png)",
    "<script>alert(1)</script>",
    "<a href='http://evil'>x</a>",
    "# Heading",
    "**bold** and _em_ and ~~gone~~ and `code`",
    "intro\n- item",
    "intro\n1. item",
    "| a | b |\n|---|---|\n| c | d |",
    "title\n===",
    "> quoted",
    "    indented\n\n    code",
    "[ref]: http://evil",
    "&lt;b&gt; &amp; &#x3C;",
    "<http://evil>",
]


def _shown(markdown: str) -> str:
    """What a reader sees of rendered Markdown: its text, without tags."""
    return html.unescape(_TAG.sub("", COMMONMARK.render(markdown)))


def _tags(markdown: str) -> set[str]:
    return {tag.split()[0].strip("</>") for tag in _TAG.findall(COMMONMARK.render(markdown))}


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_markdown_renders_as_the_text_that_was_written(hostile: str) -> None:
    one_line = markdown_inert(hostile)
    assert "\n" not in one_line
    assert _tags(one_line) == {"p"}
    assert _shown(one_line).strip() == " ↵ ".join(hostile.splitlines()).strip()

    block = markdown_inert(hostile, block=True)
    assert _tags(block) <= {"p", "br"}
    written = [line.strip() for line in hostile.splitlines() if line.strip()]
    assert [line for line in _shown(block).splitlines() if line] == written


def test_the_hostile_forms_are_escaped_not_active() -> None:
    assert markdown_inert("[click](http://evil)") == r"\[click\]\(http://evil\)"
    assert markdown_inert("<script>alert(1)</script>") == r"\<script\>alert\(1\)\</script\>"
    assert markdown_inert("# Heading") == r"\# Heading"
    assert markdown_inert("**bold**") == r"\*\*bold\*\*"
    assert markdown_inert("intro\n- item") == r"intro ↵ \- item"
    assert markdown_inert("| a | b |") == r"\| a \| b \|"


def test_prose_stays_readable() -> None:
    assert markdown_inert("Talks went well, didn't they? 50% agreed: yes.") == (
        r"Talks went well, didn't they? 50% agreed: yes\."
    )


@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=60))
def test_any_text_renders_as_one_paragraph_showing_what_was_written(text: str) -> None:
    inert = markdown_inert(text)
    assert "\n" not in inert
    assert "\r" not in inert
    assert not any(unicodedata.category(c) in ("Cc", "Cf") for c in inert)
    expected = " ↵ ".join(
        "".join(
            f"⟨U+{ord(c):04X}⟩" if unicodedata.category(c) in ("Cc", "Cf") and c != "\t" else c
            for c in line.replace("\t", " ")
        )
        for line in text.splitlines()
    ).strip()
    assert _tags(inert) <= {"p"}
    assert _shown(inert).strip() == expected


@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=60))
def test_any_text_as_a_block_makes_only_paragraphs_and_line_breaks(text: str) -> None:
    block = markdown_inert(text, block=True)
    assert _tags(block) <= {"p", "br"}
    assert not any(unicodedata.category(c) in ("Cf",) for c in block)
