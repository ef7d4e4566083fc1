"""Inputs the domain refuses before anything could reach the record, and what it shows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain import (
    Actor,
    Component,
    ConcludeTalks,
    InvalidDeadline,
    InvalidInput,
    Position,
    Withdraw,
    deadline_instant,
    next_actions,
    status_view,
)
from tests.unit.strategies import (
    COMMISSION,
    CONCLUDED,
    CONSULTATION_DEADLINE,
    DECISION_DEADLINE,
    answer,
    at_consultation,
    at_council_decision,
    at_exploratory_talks,
    at_launch_preparation,
    rep,
)

CONTROLS = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)]


PLAIN = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=20)


@given(PLAIN, st.sampled_from(CONTROLS), st.text(max_size=20))
def test_free_text_with_a_control_character_is_refused_with_its_code_point(
    before: str, control: str, after: str
) -> None:
    with pytest.raises(ValidationError, match=f"U\\+{ord(control):04X}"):
        Withdraw(reason=f"x{before}{control}{after}x")


def test_tabs_and_line_breaks_are_plain_text() -> None:
    assert Withdraw(reason="first line\n\tsecond line\r\n").reason == "first line\n\tsecond line"


def test_an_actor_id_with_a_control_character_is_refused() -> None:
    with pytest.raises(ValidationError, match="control characters"):
        Actor(id="ali\x00ce", role="commission")


def test_the_third_country_commits_only_to_what_it_can_bring() -> None:
    story = at_exploratory_talks()
    story.reject(
        ConcludeTalks(
            third_country_willing=True,
            commitments=[Component.READMISSION_AND_RETURN, Component.VISA_FACILITATION],
        ),
        COMMISSION,
        CONCLUDED,
        InvalidInput,
        "visa_facilitation is for the EU and its Member States to offer",
        "illegal_immigration_cooperation, readmission_and_return",
    )


def test_no_reminder_is_shown_once_the_council_has_decided() -> None:
    assert status_view(at_launch_preparation().state).reminder_due_at is None


def test_after_the_consultation_deadline_no_answer_is_offered_nor_accepted() -> None:
    story = at_consultation()
    later = deadline_instant(CONSULTATION_DEADLINE)
    assert "respond_to_consultation" in next_actions(story.state)["member_state"]
    assert next_actions(story.state, later)["member_state"] == []
    story.reject(
        answer("PT", Position.INTERESTED),
        rep("PT"),
        later,
        InvalidDeadline,
        "has passed, so answers are no longer accepted",
    )


def test_after_the_decision_deadline_the_presidency_is_offered_nothing() -> None:
    story = at_council_decision()
    later = deadline_instant(DECISION_DEADLINE)
    assert next_actions(story.state, later - timedelta(seconds=1))["presidency"] == [
        "extend_decision_deadline",
        "record_council_decision",
    ]
    assert next_actions(story.state, later)["presidency"] == []
    assert status_view(story.state, later).next_actions["presidency"] == []
