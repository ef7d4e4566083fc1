"""How events read (`domain/narration.py`): in the Temporal UI and the terminal, what people wrote
is shown, never obeyed."""

from __future__ import annotations

from markdown_it import MarkdownIt

from domain.commands import Withdraw
from domain.events import PartnershipWithdrawn
from domain.narration import QUOTED_CHARS, current_details, describe, what_happened
from tests.unit.strategies import COMMISSION, Story, at, at_consultation

HOSTILE = "[click](http://evil) <script>alert(1)</script>\n# Heading\n**bold**\n- item\n| a | b |"
COMMONMARK = MarkdownIt("commonmark").enable(["table", "strikethrough"])
LATER = at(2025, 3, 21)


def _withdrawn(reason: str) -> tuple[Story, PartnershipWithdrawn]:
    story = at_consultation()
    [withdrawn] = story.do(Withdraw(reason=reason), COMMISSION, at(2025, 3, 20))
    assert isinstance(withdrawn, PartnershipWithdrawn)
    return story, withdrawn


def test_a_timeline_line_shows_a_hostile_reason_escaped_on_one_line() -> None:
    _, withdrawn = _withdrawn(HOSTILE)
    line = describe(withdrawn)

    assert line == (
        "2025-03-20 · commission: withdrawn at consultation: "
        r"\[click\]\(http://evil\) \<script\>alert\(1\)\</script\> ↵ \# Heading ↵ "
        r"\*\*bold\*\* ↵ \- item ↵ \| a \| b \|"
    )


def test_the_current_details_render_only_their_own_structure_whatever_people_wrote() -> None:
    story, _ = _withdrawn(HOSTILE)
    recent = [describe(event) for event in story.events]
    details = current_details(story.state, recent, LATER)
    rendered = COMMONMARK.render(details)

    assert r"Ended: \[click\]\(http://evil\)" in details
    for active in ("<a ", "<script", "<h1>", "<em>", "<table>"):
        assert active not in rendered
    # Bold only where the details put it (the country and the stage); one item per line.
    assert rendered.count("<strong>") == 2
    assert rendered.count("<li>") == len(recent)
    assert "[click](http://evil)" in rendered


def test_a_long_reason_is_quoted_in_part_and_kept_whole_for_the_terminal() -> None:
    reason = "word " * 200
    story, withdrawn = _withdrawn(reason)

    line = describe(withdrawn)
    quoted = line.split("withdrawn at consultation: ", 1)[1]
    assert quoted.endswith("…")
    assert len(quoted) <= QUOTED_CHARS + 1
    assert f"Ended: {quoted}" in current_details(story.state, [line], LATER)
    assert what_happened(withdrawn) == f"withdrawn at consultation: {reason.strip()}"


def test_the_terminals_words_are_plain_text_as_written() -> None:
    _, withdrawn = _withdrawn(HOSTILE)

    assert what_happened(withdrawn) == f"withdrawn at consultation: {HOSTILE}"


def test_an_invisible_character_in_a_recorded_reason_is_shown_by_its_code_point() -> None:
    # Recorded before the rule refused it: the event holds plain text and still describes.
    _, withdrawn = _withdrawn("Priorities changed")
    recorded = withdrawn.model_copy(update={"reason": "abc\u202edcba"})

    assert describe(recorded).endswith("withdrawn at consultation: abc⟨U+202E⟩dcba")
