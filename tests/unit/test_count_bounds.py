"""The count caps (domain/bounds.py): how many answers a Member State may give and how many talks
rounds a partnership may record, so one partnership's record and status view stay bounded."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain import (
    MAX_ANSWERS_PER_MEMBER_STATE,
    MAX_DEADLINE_EXTENSIONS,
    MAX_TALKS_ROUNDS,
    ExtendDecisionDeadline,
    ForeignMemberState,
    LimitReached,
    Position,
    RecordTalksRound,
    decide,
    replay,
)
from domain.bounds import limit_refusal
from tests.unit.strategies import (
    COMMISSION,
    PRESIDENCY,
    Story,
    answer,
    at,
    at_consultation,
    at_council_decision,
    at_exploratory_talks,
    rep,
    talks_round,
)


def test_the_caps_are_twenty_answers_thirty_talks_rounds_and_ten_deadline_extensions() -> None:
    assert MAX_ANSWERS_PER_MEMBER_STATE == 20
    assert MAX_TALKS_ROUNDS == 30
    assert MAX_DEADLINE_EXTENSIONS == 10


def _answered(times: int) -> tuple[Story, datetime]:
    """At consultation, with IT having answered `times` times (alternating its position)."""
    story = at_consultation()
    now = at(2025, 3, 14, 8)
    for number in range(times):
        position = Position.INTERESTED if number % 2 == 0 else Position.NOT_INTERESTED
        story.do(answer("IT", position), rep("IT"), now)
        now += timedelta(minutes=10)
    return story, now


def test_a_member_state_may_answer_and_amend_up_to_the_cap() -> None:
    story, _ = _answered(MAX_ANSWERS_PER_MEMBER_STATE)

    assert story.state.answers_given["IT"] == 20
    assert story.state.latest_answers["IT"].position is Position.NOT_INTERESTED


def test_an_answer_beyond_the_cap_is_refused_and_the_latest_answer_stands() -> None:
    story, now = _answered(MAX_ANSWERS_PER_MEMBER_STATE)

    story.reject(
        answer("IT"),
        rep("IT"),
        now,
        LimitReached,
        "IT has already answered the consultation 20 times",
        "the most a Member State may (20, its first answer and its amendments)",
        "its latest answer (not_interested, of 2025-03-14) stands",
    )
    assert story.state.latest_answers["IT"].position is Position.NOT_INTERESTED


def test_the_cap_counts_each_member_state_on_its_own() -> None:
    story, now = _answered(MAX_ANSWERS_PER_MEMBER_STATE)
    story.do(answer("LU"), rep("LU"), now)

    assert "LU" in story.state.interested_member_states


def test_a_foreign_representative_hears_that_it_answers_for_its_own_country_first() -> None:
    story, now = _answered(MAX_ANSWERS_PER_MEMBER_STATE)
    story.reject(answer("IT"), rep("FR"), now, ForeignMemberState, "may answer only for FR")


def _with_rounds(count: int) -> Story:
    """In exploratory talks (authorised 2025-04-08) with `count` rounds recorded."""
    story = at_exploratory_talks(rounds=False)
    for number in range(count):
        held_on = date(2025, 4, 9) + timedelta(days=number)
        story.do(talks_round("FR", held_on=held_on), COMMISSION, at(2025, 6, 1))
    return story


def test_talks_may_have_up_to_the_cap_of_rounds() -> None:
    story = _with_rounds(MAX_TALKS_ROUNDS)

    assert [r.number for r in story.state.rounds] == list(range(1, 31))


def test_a_talks_round_beyond_the_cap_is_refused_naming_it() -> None:
    story = _with_rounds(MAX_TALKS_ROUNDS)

    story.reject(
        talks_round("FR", held_on=date(2025, 5, 30)),
        COMMISSION,
        at(2025, 6, 1),
        LimitReached,
        "the talks already have 30 rounds recorded, the most one partnership may (30)",
        "conclude the talks to go on",
    )


def test_the_status_view_and_decide_read_the_round_cap_from_one_rule() -> None:
    below, at_cap = _with_rounds(MAX_TALKS_ROUNDS - 1), _with_rounds(MAX_TALKS_ROUNDS)

    assert limit_refusal(below.state, RecordTalksRound) is None
    error = at_cap.reject(
        talks_round("FR", held_on=date(2025, 5, 30)), COMMISSION, at(2025, 6, 1), LimitReached
    )
    assert limit_refusal(at_cap.state, RecordTalksRound) == str(error)


def _extended(times: int) -> Story:
    """At the Council's decision (deadline 2025-12-31), extended `times` times by a month."""
    story = at_council_decision()
    for number in range(times):
        new_deadline = date(2026 + number // 12, 1 + number % 12, 28)
        story.do(
            ExtendDecisionDeadline(new_deadline=new_deadline, reason="Agenda"),
            PRESIDENCY,
            at(2025, 12, 1),
        )
    return story


def test_the_decision_deadline_may_be_extended_up_to_the_cap() -> None:
    story = _extended(MAX_DEADLINE_EXTENSIONS)

    assert story.state.deadline_extensions == 10
    assert story.state.decision_deadline == date(2026, 10, 28)


def test_an_extension_beyond_the_cap_is_refused_naming_it_and_the_deadline_that_stands() -> None:
    story = _extended(MAX_DEADLINE_EXTENSIONS)

    error = story.reject(
        ExtendDecisionDeadline(new_deadline=date(2027, 6, 30), reason="Once more"),
        PRESIDENCY,
        at(2025, 12, 1),
        LimitReached,
        "the decision deadline was already extended 10 times, the most one partnership may (10)",
        "the Council decides by 2026-10-28, or the partnership lapses",
    )
    assert limit_refusal(story.state, ExtendDecisionDeadline) == str(error)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["FR", "ES", "IT", "PT"]), min_size=60, max_size=100))
def test_however_often_member_states_answer_none_has_more_answers_than_the_cap(
    answering: list[str],
) -> None:
    state = at_consultation().state
    now = at(2025, 3, 14, 8)
    for code in answering:
        now += timedelta(minutes=1)
        try:
            state = replay(decide(state, answer(code), rep(code), now), state)
        except LimitReached:
            assert state.answers_given[code] == 20
    for code in set(answering):
        given = state.answers_given[code]
        assert given == min(MAX_ANSWERS_PER_MEMBER_STATE, answering.count(code) + (code != "IT"))
