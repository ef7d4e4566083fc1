"""Talks rounds are numbered by the day they were held, whatever order they were recorded in
(issue 13, item 7): the state, the status view and the talks report list them in the order
held, numbered 1..n, ties in the order recorded; each event keeps the number it was recorded
with, and the timeline names a round by its date, never by a number that would go stale."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain import Partnership, render_report, status_view
from domain.events import TalksRoundRecorded
from domain.narration import what_happened
from domain.state import TalksRound, in_held_order
from tests.unit.strategies import (
    COMMISSION,
    Story,
    at,
    at_exploratory_talks,
    talks_round,
)

AUTHORISED_ON = date(2025, 4, 8)  # the story's talks are authorised that day
HELD = st.dates(min_value=AUTHORISED_ON, max_value=AUTHORISED_ON + timedelta(days=80))


def _recorded(held: list[date]) -> Story:
    """Talks with one round per date of `held`, recorded in that order; round i's summary
    says it was recorded i-th."""
    story = at_exploratory_talks(rounds=False)
    for i, day in enumerate(held, start=1):
        story.do(
            talks_round("FR", held_on=day, summary=f"recorded {i}"),
            COMMISSION,
            at(2025, 7, 1) + timedelta(minutes=i),
        )
    return story


@settings(max_examples=60, deadline=None)
@given(held=st.lists(HELD, min_size=1, max_size=8))
def test_rounds_recorded_in_any_order_are_numbered_by_the_day_they_were_held(
    held: list[date],
) -> None:
    rounds = _recorded(held).state.rounds

    assert [r.number for r in rounds] == list(range(1, len(held) + 1))
    assert [r.held_on for r in rounds] == sorted(held)
    # Rounds held on the same day keep the order they were recorded in.
    recorded_as = [int(r.summary.split()[1]) for r in rounds]
    assert recorded_as == sorted(recorded_as, key=lambda i: (held[i - 1], i))


@settings(max_examples=40, deadline=None)
@given(held=st.lists(HELD, min_size=1, max_size=8))
def test_each_event_keeps_the_number_it_was_recorded_with(held: list[date]) -> None:
    story = _recorded(held)
    recorded = [e for e in story.events if isinstance(e, TalksRoundRecorded)]

    assert [e.round_number for e in recorded] == list(range(1, len(held) + 1))
    assert [e.occurred_on for e in recorded] == held


@settings(max_examples=40, deadline=None)
@given(held=st.lists(HELD, min_size=1, max_size=8))
def test_the_view_and_the_talks_report_list_the_rounds_in_the_order_held(
    held: list[date],
) -> None:
    story = _recorded(held)
    view = status_view(story.state)
    report = render_report(story.events)  # the whole log: the talks are still going on

    assert [(r.number, r.held_on) for r in view.talks] == list(enumerate(sorted(held), start=1))
    lines = [line for line in report.splitlines() if line.startswith("- Round ")]
    assert lines == [
        f"- Round {r.number}, {r.held_on.isoformat()} (FR): {r.summary}" for r in view.talks
    ]


def test_a_round_recorded_late_becomes_the_first_round_when_it_was_held_first() -> None:
    story = _recorded([date(2025, 6, 2), date(2025, 6, 20), date(2025, 5, 5)])

    assert [(r.number, r.held_on, r.summary) for r in story.state.rounds] == [
        (1, date(2025, 5, 5), "recorded 3"),
        (2, date(2025, 6, 2), "recorded 1"),
        (3, date(2025, 6, 20), "recorded 2"),
    ]


def test_the_timeline_names_a_round_by_its_date_not_by_a_number_that_would_go_stale() -> None:
    story = _recorded([date(2025, 6, 2), date(2025, 5, 5)])
    late = story.events[-1]

    assert isinstance(late, TalksRoundRecorded)
    assert late.round_number == 2  # recorded second
    assert what_happened(late) == "talks round with FR"
    assert late.occurred_on == date(2025, 5, 5)  # the line's business date names it


def test_a_state_carried_with_its_rounds_as_recorded_is_read_in_the_order_held() -> None:
    # A run continued by an older version may carry its rounds in the order recorded.
    def held(number: int, day: date) -> TalksRound:
        return TalksRound(
            number=number, held_on=day, member_states=("FR",), summary="s", location=None
        )

    carried = {"rounds": [held(1, date(2025, 6, 2)), held(2, date(2025, 5, 5))]}
    state = Partnership.model_validate(carried)

    assert [(r.number, r.held_on) for r in state.rounds] == [
        (1, date(2025, 5, 5)),
        (2, date(2025, 6, 2)),
    ]


@given(
    rounds=st.lists(
        st.builds(
            TalksRound,
            number=st.integers(min_value=1, max_value=50),
            held_on=HELD,
            member_states=st.just(("FR",)),
            summary=st.text(max_size=5),
            location=st.none(),
        ),
        max_size=10,
    )
)
def test_numbering_in_held_order_is_idempotent_and_keeps_every_round(
    rounds: list[TalksRound],
) -> None:
    once = in_held_order(rounds)

    assert in_held_order(once) == once
    assert sorted(r.held_on for r in once) == [r.held_on for r in once]
    assert sorted((r.held_on, r.summary) for r in once) == sorted(
        (r.held_on, r.summary) for r in rounds
    )
