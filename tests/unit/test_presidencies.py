"""The rotating Presidency of the Council by half-year, as the Council's decisions ordered it."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.bounds import EARLIEST_BUSINESS_DATE
from domain.countries import is_member_state, member_states_on
from domain.errors import InvalidCountry
from domain.presidencies import (
    DECISION_2007_5,
    DECISION_2016_1316,
    FIRST_DAY,
    LAST_DAY,
    PRESIDENCIES,
    presidency_on,
    presidency_refusal,
    term_on,
    terms_of,
)

IN_TABLE = st.dates(min_value=FIRST_DAY, max_value=LAST_DAY)
FROM_2007 = st.dates(min_value=date(2007, 1, 1), max_value=LAST_DAY)
OUTSIDE = st.one_of(
    st.dates(max_value=FIRST_DAY - timedelta(days=1)),
    st.dates(min_value=LAST_DAY + timedelta(days=1)),
)


@given(FROM_2007)
def test_every_day_from_2007_to_the_end_of_the_table_has_exactly_one_presidency(
    day: date,
) -> None:
    holding = [t for t in PRESIDENCIES if t.covers(day)]
    assert len(holding) == 1
    assert term_on(day) == holding[0]
    assert presidency_on(day) == holding[0].member_state


@given(IN_TABLE)
def test_the_presidency_is_a_member_state_on_every_day_of_its_term(day: date) -> None:
    holder = presidency_on(day)
    assert holder is not None
    assert is_member_state(holder, day)


def test_the_terms_are_contiguous_half_years() -> None:
    for term in PRESIDENCIES:
        assert (term.first_day.month, term.first_day.day) in {(1, 1), (7, 1)}
        assert term.last_day.year == term.first_day.year
        assert (term.last_day.month, term.last_day.day) == (
            (6, 30) if term.first_day.month == 1 else (12, 31)
        )
    for earlier, later in itertools.pairwise(PRESIDENCIES):
        assert later.first_day == earlier.last_day + timedelta(days=1)
        # The order rotates: nobody holds two terms in a row.
        assert later.member_state != earlier.member_state


def test_the_table_covers_every_business_date_the_domain_accepts_until_the_last_order() -> None:
    assert FIRST_DAY <= EARLIEST_BUSINESS_DATE
    assert date(2030, 12, 31) == LAST_DAY


@given(OUTSIDE)
def test_no_presidency_is_known_outside_the_table(day: date) -> None:
    assert term_on(day) is None
    assert presidency_on(day) is None


@pytest.mark.parametrize(
    ("day", "holder"),
    [
        (date(2005, 12, 15), "UK"),  # the European Council adopts the Global Approach
        (date(2007, 6, 18), "DE"),  # the conclusions on mobility partnerships
        (date(2007, 12, 10), "PT"),  # the Council invites the launch with CV and MD
        (date(2008, 6, 5), "SI"),  # both joint declarations signed
        (date(2008, 7, 1), "FR"),
        (date(2009, 11, 30), "SE"),  # Georgia's joint declaration
        (date(2014, 3, 1), "EL"),  # the EU's code for Greece
        (date(2017, 6, 30), "MT"),
        (date(2017, 7, 1), "EE"),  # not the UK: it relinquished the second half of 2017
        (date(2020, 1, 1), "HR"),  # Croatia, added by Decision (EU) 2016/1316
        (date(2020, 7, 1), "DE"),
        (date(2030, 12, 31), "MT"),
    ],
)
def test_the_presidency_on_a_day_is_the_one_the_council_ordered(day: date, holder: str) -> None:
    assert presidency_on(day) == holder


def test_each_term_names_the_decision_it_comes_from() -> None:
    assert term_on(date(2007, 12, 10)).source == DECISION_2007_5  # type: ignore[union-attr]
    assert term_on(date(2017, 7, 1)).source == DECISION_2016_1316  # type: ignore[union-attr]
    assert all(t.source.startswith("Council Decision") for t in PRESIDENCIES)


def test_every_member_state_of_the_twenty_seven_held_it_once_in_the_first_cycle() -> None:
    # The cycle that began with Germany in 2007 ended with Croatia in the first half of 2020;
    # the United Kingdom, which was to hold the second half of 2017, never did.
    cycle = [t for t in PRESIDENCIES if date(2007, 1, 1) <= t.first_day <= date(2020, 1, 1)]
    holders = [t.member_state for t in cycle]
    assert len(holders) == len(set(holders)) == 27
    assert set(holders) == set(member_states_on(date(2020, 2, 1)))
    assert "UK" not in holders


def test_the_second_cycle_starts_again_with_germany() -> None:
    second = [t.member_state for t in PRESIDENCIES if t.first_day >= date(2020, 7, 1)]
    first = [t.member_state for t in PRESIDENCIES if date(2007, 1, 1) <= t.first_day][:21]
    assert second == first


def test_a_member_states_terms_are_found_by_its_iso_or_eu_code() -> None:
    assert terms_of("GR") == terms_of("EL")
    assert [t.first_day.year for t in terms_of("PT")] == [2007, 2021]
    with pytest.raises(InvalidCountry):
        terms_of("ZZ")


@given(IN_TABLE)
def test_only_the_presidency_in_office_may_act_on_a_day(day: date) -> None:
    holder = presidency_on(day)
    assert holder is not None
    assert presidency_refusal(holder, day, what="authorise talks") is None
    for other in member_states_on(day):
        if other != holder:
            reason = presidency_refusal(other, day, what="authorise talks")
            assert reason is not None
            # The refusal says who held it then, and on which day.
            assert f"({holder})" in reason
            assert day.isoformat() in reason
            assert f"not by {other}" in reason


def test_a_refusal_names_the_presidency_in_office_and_its_term() -> None:
    reason = presidency_refusal("SI", date(2007, 12, 10), what="record the Council's decision")
    assert reason == (
        "the Presidency of the Council on 2007-12-10 was held by Portugal (PT), 2007-07-01 to "
        "2007-12-31 (Council Decision 2007/5/EC, Euratom), not by SI; only the Presidency in "
        "office on the step's date may record the Council's decision"
    )


def test_the_eu_and_iso_codes_of_greece_are_one_presidency() -> None:
    assert presidency_refusal("GR", date(2014, 3, 1), what="act") is None
    assert presidency_refusal("EL", date(2014, 3, 1), what="act") is None


@given(OUTSIDE.filter(lambda d: d > LAST_DAY))
def test_a_day_after_the_last_order_is_refused_with_where_the_table_ends(day: date) -> None:
    reason = presidency_refusal("MT", day, what="authorise talks")
    assert reason is not None
    assert LAST_DAY.isoformat() in reason
    assert DECISION_2016_1316 in reason
