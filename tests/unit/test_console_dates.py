"""Dates, deadlines and country names as the console shows them to people."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pycountry
from hypothesis import given
from hypothesis import strategies as st

from domain.countries import country_name as iso_name
from interfaces.console.dates import country_name, days_left_phrase, people_date

# Years of four digits: what strptime's %Y reads back. Earlier ones are written without
# padding ("5 June 999"), as people write them, and are checked by the pattern below.
FOUR_DIGIT_YEARS = st.dates(min_value=date(1000, 1, 1), max_value=date.max)
PEOPLES_DATE = re.compile(
    r"[1-9][0-9]? (January|February|March|April|May|June|July|August|"
    r"September|October|November|December) [1-9][0-9]*"
)


def test_a_date_reads_as_people_write_it() -> None:
    assert people_date(date(2008, 6, 5)) == "5 June 2008"
    assert people_date(date(2020, 1, 31)) == "31 January 2020"
    assert people_date(date(2013, 7, 1)) == "1 July 2013"


@given(FOUR_DIGIT_YEARS)
def test_every_date_round_trips_through_the_day_month_year_format(day: date) -> None:
    shown = people_date(day)

    assert datetime.strptime(shown, "%d %B %Y").date() == day


@given(st.dates())
def test_every_date_has_no_leading_zero_and_an_english_month(day: date) -> None:
    shown = people_date(day)

    assert PEOPLES_DATE.fullmatch(shown), shown
    assert not shown.startswith("0")


def test_the_days_left_to_a_deadline_are_said_in_words() -> None:
    today = date(2026, 12, 2)

    assert days_left_phrase(date(2026, 12, 14), today) == "12 days left"
    assert days_left_phrase(date(2026, 12, 3), today) == "1 day left"
    assert days_left_phrase(today, today) == "due today"
    assert days_left_phrase(date(2026, 12, 1), today) == "1 day overdue"
    assert days_left_phrase(date(2026, 11, 29), today) == "3 days overdue"


@given(st.dates(), st.integers(min_value=-5000, max_value=5000))
def test_the_phrase_says_how_many_days_and_which_way(today: date, days: int) -> None:
    try:
        deadline = today + timedelta(days=days)
    except OverflowError:
        return  # no such deadline exists to be shown
    phrase = days_left_phrase(deadline, today)

    if days == 0:
        assert phrase == "due today"
        return
    count, unit, which = phrase.split(" ")
    assert int(count) == abs(days)
    assert unit == ("day" if abs(days) == 1 else "days")
    assert which == ("left" if days > 0 else "overdue")


def test_a_country_is_named_as_people_name_it_in_english() -> None:
    assert country_name("CV") == "Cabo Verde"
    assert country_name("MD") == "Moldova"
    assert country_name("KR") == "South Korea"
    assert country_name("GE") == "Georgia"
    assert country_name("XK") == "Kosovo"


def test_the_eu_aliases_name_the_same_countries_as_iso() -> None:
    assert country_name("EL") == country_name("GR") == "Greece"
    assert country_name("UK") == country_name("GB") == "United Kingdom"


def test_a_code_that_names_no_country_is_shown_as_given() -> None:
    assert country_name("ZZ") == "ZZ"
    assert country_name("<b>") == "<b>"


def words(name: str) -> list[str]:
    """A name's words, whatever their order, without commas and the capitalised "The" that
    only an inverted name needs ("Congo, The Democratic Republic of the")."""
    return sorted(word for word in name.replace(",", "").split() if word != "The")


def test_an_inverted_iso_name_without_a_common_name_is_put_the_right_way_round() -> None:
    assert country_name("PS") == "State of Palestine"
    assert country_name("CD") == "Democratic Republic of the Congo"
    assert country_name("FM") == "Federated States of Micronesia"
    # A comma that does not invert the name stays.
    assert country_name("BQ") == "Bonaire, Sint Eustatius and Saba"


@given(st.sampled_from(sorted(c.alpha_2 for c in pycountry.countries)))
def test_every_country_is_named_in_english_never_inverted(code: str) -> None:
    shown = country_name(code)
    common = getattr(pycountry.countries.get(alpha_2=code), "common_name", None)

    if common:
        assert shown == common
    else:  # the ISO name's own words, at most put the right way round
        assert words(shown) == words(iso_name(code))
    # ISO's inverted form ("Moldova, Republic of") is never shown; a name with a comma of
    # its own ("Bonaire, Sint Eustatius and Saba") stays as it is.
    _, comma, tail = shown.partition(", ")
    assert not (comma and tail.endswith((" of", " of the")))


@given(st.text(max_size=20))
def test_any_text_given_as_a_country_is_named_or_returned_never_refused(code: str) -> None:
    assert isinstance(country_name(code), str)
