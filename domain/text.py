"""Constrained text for commands, and the one way user-written text is shown in Markdown.

`Text` and `Label` bound what a caller may write in a command. Events hold plain `str`, so an
event recorded under an older, looser rule still loads: these rules refuse new input only.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Final

from pydantic import AfterValidator, StringConstraints

TEXT_MAX_BYTES: Final[int] = 8_192
"""The most a free text (a rationale, a summary, a reason) may hold, in UTF-8 bytes.

Bytes, not characters, because what must stay small is the payload: an update returns the
status view, which carries up to about sixty such texts (answers, rounds, report, reasons),
and Temporal refuses a payload over 2 MB and fails the workflow task that produced it. At
8 KiB a text is still a few pages of prose; a longer document belongs in a reference
(`reference`, `council_reference`, `joint_declaration_reference`), not in the record itself.
"""

LABEL_MAX_CHARS: Final[int] = 300
"""The most characters a short label (a reference number, a place) may hold."""

LABEL_MAX_BYTES: Final[int] = 600
"""The most a short label may hold in UTF-8 bytes: 300 characters of Latin text with accents.

A label is a number or a place, shown on one line; the byte bound keeps 300 characters of a
four-byte script from weighing four times as much in the status view.
"""

# C0 controls but tab, line feed and carriage return, and DEL: never meaningful in a record,
# and a NUL cannot even be stored by PostgreSQL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def printable(value: str) -> str:
    """Refuse control characters, naming the first one found."""
    found = _CONTROL.search(value)
    if found is not None:
        raise ValueError(
            f"must not contain control characters (found U+{ord(found.group()):04X} at "
            f"position {found.start()}); use plain text, tabs and line breaks"
        )
    return value


# Why every character of Unicode's category Cf ("format") is refused, not a hand-picked list:
# format characters are invisible and change how the text around them is displayed or joined.
# The bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) make a
# record read differently from what it holds (the "Trojan Source" trick); the zero-width ones
# (U+200B–U+200D, U+2060, U+FEFF) make two different ids or references look the same. The
# category also holds the deprecated and rarer ones (U+206A–U+206F, the interlinear
# annotations U+FFF9–U+FFFB, the tag characters) and whatever Unicode adds later, and one rule
# a reader can look up is easier to trust than a list. The cost is known: ZWNJ and ZWJ are
# needed for the correct spelling of some scripts (Persian, several Indic ones) and in emoji
# sequences, and a soft hyphen often comes with text pasted from a PDF. A legal record people
# read must show exactly what it holds, so refusing is the safe call; it is refused rather
# than stripped because silently changing what someone wrote (in Persian, removing a ZWNJ
# changes how a word reads) is worse than asking them to remove it, and the refusal names the
# character and where it is. (A lone surrogate, JSON's `\ud800`, never gets this far: pydantic
# refuses it as not a valid string.)
def no_format_characters(value: str) -> str:
    """Refuse Unicode format characters (category Cf), naming the first and its position."""
    if value.isascii():  # the common case, and no ASCII character is of category Cf
        return value
    for position, character in enumerate(value):
        if unicodedata.category(character) == "Cf":
            raise ValueError(
                "must not contain invisible format characters such as bidirectional or "
                f"zero-width ones (found U+{ord(character):04X} at position {position}); "
                "remove it, so that the record reads as it is written"
            )
    return value


def utf8_size(value: str) -> int:
    """The size of `value` in UTF-8 bytes (never raises: a lone surrogate counts 3 bytes)."""
    return len(value.encode("utf-8", "surrogatepass"))


def _at_most_bytes(limit: int, advice: str) -> AfterValidator:
    def bounded(value: str) -> str:
        size = utf8_size(value)
        if size > limit:
            raise ValueError(
                f"is {size:,} bytes in UTF-8; at most {limit:,} bytes are allowed; {advice}"
            )
        return value

    return AfterValidator(bounded)


# Free text a user writes: a summary, a reason. The byte bound runs first, so an oversized
# paste is refused by its size before anything scans its characters.
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1),
    _at_most_bytes(
        TEXT_MAX_BYTES, "summarise, and cite a longer document by its reference instead"
    ),
    AfterValidator(printable),
    AfterValidator(no_format_characters),
]
# A short label: a reference number, a place.
Label = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=LABEL_MAX_CHARS),
    _at_most_bytes(LABEL_MAX_BYTES, "a label is a short reference or a place name"),
    AfterValidator(printable),
    AfterValidator(no_format_characters),
]


# --- Showing what people wrote, in Markdown --------------------------------------------------

# Every ASCII punctuation character that Markdown (CommonMark and GitHub's tables and
# strikethrough) gives a meaning to. CommonMark lets any ASCII punctuation be escaped with a
# backslash, and an escaped character is always shown as itself. Escaping them wherever they
# stand, not only at the start of a line, is simpler than knowing every context in which one
# becomes active: `[`/`]`/`(`/`)` make links, `!` images, `<`/`>` HTML and autolinks,
# `&` entities, `|` table cells, `=` and `-` setext headings, `#`, `+`, `-`, `*`, `.`, `)` and
# `>` block markers (headings, lists, quotes), `` ` `` and `~` code, `*`/`_`/`~` emphasis.
# `$` is math in some renderers (GitHub's among them), `{`/`}` attributes in others. The rest of
# ASCII punctuation (`,` `;` `:` `'` `"` `?` `/` `%` `@` `^`) makes nothing on its own and is
# left alone, so prose stays readable in a report read as plain text. A bare `http://…` may
# still be linked by a renderer that autolinks, but it then shows its own address: nothing
# written can disguise where a link goes.
_MARKDOWN_ACTIVE = "\\`*_{}[]()#+-.!|<>~=&$"

# One pass over a line: each active character backslash-escaped, a tab made a blank (blanks
# are what `markdown_inert` strips; a tab is no active character, so the order is immaterial).
_INERT = str.maketrans({**{c: "\\" + c for c in _MARKDOWN_ACTIVE}, "\t": " "})

# What a user's line break becomes on one line: it must not start a Markdown block of its own.
_ONE_LINE_BREAK: Final[str] = " ↵ "


def _visible(character: str) -> str:
    # Controls and format characters are shown by their code point, so an operator sees that
    # something invisible was there (events recorded before a rule refused them may hold one).
    return f"⟨U+{ord(character):04X}⟩"


def _inert_line(line: str) -> str:
    escaped = line.translate(_INERT)
    if escaped.isascii() and escaped.isprintable():
        return escaped
    return "".join(
        _visible(c) if unicodedata.category(c) in ("Cc", "Cf", "Cs") else c for c in escaped
    )


def markdown_inert(text: str, *, block: bool = False) -> str:
    """`text` as Markdown that shows it exactly as written and can do nothing else.

    Every character Markdown gives a meaning to is backslash-escaped, so no link, image, HTML
    tag, heading, list, table or emphasis can be made from it; control and format characters
    are shown by their code point, and blanks that would indent a line into a code block are
    dropped. By default the result is one line: each line break becomes ` ↵ `, for places
    such as a timeline entry or a table cell where a break would end the line. With
    `block=True` (a paragraph of its own) line breaks are kept as hard line breaks and blank
    lines as paragraph breaks.
    """
    # Every kind of line break splits: \r\n, \r, \n, \v, \f, U+001C–U+001E, U+0085, U+2028/9.
    lines = text.splitlines()
    if not block:
        # Leading blanks dropped: four of them at the start of a line would make a code block.
        return _ONE_LINE_BREAK.join(_inert_line(line) for line in lines).lstrip(" \t")
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        stripped = line.strip(" \t")  # the blanks that make indentation, no more
        if stripped:
            paragraphs[-1].append(_inert_line(stripped))
        elif paragraphs[-1]:
            paragraphs.append([])
    # A backslash at the end of a line is CommonMark's hard line break.
    return "\n\n".join("\\\n".join(p) for p in paragraphs if p)
