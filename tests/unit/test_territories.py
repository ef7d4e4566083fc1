"""Who is a third country: the Member States' own territories and the OCTs of Annex II TFEU."""

from __future__ import annotations

from datetime import date, timedelta

import pycountry
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import (
    EARLIEST_BUSINESS_DATE,
    InvalidCountry,
    NotAThirdCountry,
    country_name,
    is_member_state,
    member_states_on,
    third_country,
)
from domain.countries import (
    EVER_MEMBER_STATES,
    OVERSEAS_COUNTRIES_AND_TERRITORIES,
    UNION_TERRITORIES,
    Territory,
    iso_code,
)
from domain.errors import OverseasCountryOrTerritory, UnionTerritory
from domain.events import PartnershipProposed
from domain.regions import _REGION_OF
from tests.unit.strategies import COMMISSION, PROPOSED, Story, at, propose

BREXIT = date(2020, 1, 31)
RULE = "propose a country outside the Union"

# Part of the Union or an OCT on every business date the domain accepts.
NEVER_THIRD_COUNTRIES = ("RE", "GP", "GF", "MQ", "MF", "YT", "AX")
STILL_OCTS = ("GL", "NC", "PF", "TF", "WF", "PM", "BL", "AW", "CW", "SX", "BQ")
FORMER_UK_OCTS = ("AI", "BM", "IO", "VG", "KY", "FK", "MS", "PN", "SH", "GS", "TC")

ANY_DAY = st.dates(min_value=date(1958, 1, 1), max_value=date(2100, 12, 31))
BUSINESS_DAYS = st.dates(min_value=EARLIEST_BUSINESS_DATE, max_value=date(2100, 12, 31))
AFTER_BREXIT = st.dates(min_value=BREXIT + timedelta(days=1), max_value=date(2100, 12, 31))
UNTIL_BREXIT = st.dates(min_value=EARLIEST_BUSINESS_DATE, max_value=BREXIT)


# -- part of the Union -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "name", "state"),
    [
        ("RE", "Réunion", "France (FR)"),
        ("GP", "Guadeloupe", "France (FR)"),
        ("GF", "French Guiana", "France (FR)"),
        ("MQ", "Martinique", "France (FR)"),
        ("MF", "Saint-Martin", "France (FR)"),
        ("YT", "Mayotte", "France (FR)"),
        ("AX", "Åland", "Finland (FI)"),
    ],
)
def test_an_outermost_region_or_aland_is_refused_as_union_territory_naming_its_member_state(
    code: str, name: str, state: str
) -> None:
    with pytest.raises(UnionTerritory) as info:
        third_country(code.lower(), date(2025, 1, 1))

    message = str(info.value)
    assert message.startswith(f"{code} ({name}) is part of the Union, not a third country")
    assert "(on 2025-01-01)" in message
    assert state in message
    assert " since " in message
    assert message.endswith(RULE)


def test_a_union_territory_message_gives_its_dates() -> None:
    with pytest.raises(UnionTerritory) as info:
        third_country("YT", date(2014, 1, 1))

    assert "an outermost region of France (FR), Article 349 TFEU, since 2014-01-01" in str(
        info.value
    )


@given(code=st.sampled_from(NEVER_THIRD_COUNTRIES), day=BUSINESS_DAYS)
def test_an_outermost_region_or_aland_is_never_a_third_country_on_any_business_date(
    code: str, day: date
) -> None:
    with pytest.raises(NotAThirdCountry) as info:
        third_country(code, day)
    assert isinstance(info.value, UnionTerritory | OverseasCountryOrTerritory)
    assert str(info.value).endswith(RULE)


@given(code=st.sampled_from(("RE", "GP", "GF", "MQ", "MF")), day=ANY_DAY)
def test_the_french_outermost_regions_are_union_territory_on_any_date(code: str, day: date) -> None:
    with pytest.raises(UnionTerritory, match=r"France \(FR\)"):
        third_country(code, day)


def test_mayotte_was_an_oct_until_2013_and_is_an_outermost_region_from_2014() -> None:
    with pytest.raises(OverseasCountryOrTerritory, match="until 2013-12-31"):
        third_country("YT", date(2013, 12, 31))
    with pytest.raises(UnionTerritory, match="since 2014-01-01"):
        third_country("YT", date(2014, 1, 1))


def test_saint_barthelemy_was_an_outermost_region_until_2011_and_is_an_oct_from_2012() -> None:
    with pytest.raises(UnionTerritory, match="until 2011-12-31"):
        third_country("BL", date(2011, 12, 31))
    with pytest.raises(OverseasCountryOrTerritory, match="since 2012-01-01"):
        third_country("BL", date(2012, 1, 1))


def test_aland_is_part_of_the_union_with_finland_and_was_outside_it_before_1995() -> None:
    # Before Finland joined, Åland was, like Finland, outside the Union.
    assert third_country("AX", date(1994, 12, 31)) == "AX"
    assert third_country("FI", date(1994, 12, 31)) == "FI"
    with pytest.raises(UnionTerritory, match=r"Finland \(FI\).*since 1995-01-01"):
        third_country("AX", date(1995, 1, 1))


# -- Gibraltar ---------------------------------------------------------------------------------


def test_gibraltar_was_union_territory_until_31_january_2020() -> None:
    with pytest.raises(UnionTerritory) as info:
        third_country("GI", BREXIT)

    message = str(info.value)
    assert "GI (Gibraltar) is part of the Union, not a third country (on 2020-01-31)" in message
    assert "the United Kingdom (UK)" in message
    assert "from 1973-01-01 until 2020-01-31" in message
    assert message.endswith(RULE)


@given(UNTIL_BREXIT)
def test_gibraltar_is_refused_as_union_territory_on_any_business_date_until_brexit(
    day: date,
) -> None:
    with pytest.raises(UnionTerritory, match="GI"):
        third_country("GI", day)


@given(AFTER_BREXIT)
def test_gibraltar_is_not_refused_as_union_territory_after_31_january_2020(day: date) -> None:
    assert third_country("GI", day) == "GI"
    assert third_country("GI", day, recorded_on=day) == "GI"


def test_gibraltar_proposed_today_with_a_date_before_brexit_is_refused() -> None:
    Story().reject(
        propose("GI", occurred_on=date(2019, 6, 1)),
        COMMISSION,
        at(2026, 1, 15),
        UnionTerritory,
        "GI (Gibraltar) is part of the Union, not a third country (on 2019-06-01)",
        "propose a country outside the Union both on the proposal's date and on the day it is "
        "recorded",
    )


# -- the overseas countries and territories (Annex II TFEU) -----------------------------------


@pytest.mark.parametrize("code", STILL_OCTS)
def test_an_oct_is_refused_saying_it_is_associated_under_part_four(code: str) -> None:
    with pytest.raises(OverseasCountryOrTerritory) as info:
        third_country(code, date(2025, 1, 1))

    message = str(info.value)
    assert message.startswith(f"{code} (")
    assert "is an overseas country or territory of " in message
    assert "(Annex II TFEU)" in message
    assert "associated with the Union under Part Four TFEU, not a third country" in message
    assert message.endswith(RULE)


@given(code=st.sampled_from(STILL_OCTS), day=st.dates(date(2012, 1, 1), date(2100, 12, 31)))
def test_an_oct_of_today_is_never_a_third_country_since_2012(code: str, day: date) -> None:
    with pytest.raises(NotAThirdCountry) as info:
        third_country(code, day)
    assert isinstance(info.value, OverseasCountryOrTerritory)


@given(code=st.sampled_from(FORMER_UK_OCTS), day=UNTIL_BREXIT)
def test_a_british_oct_is_refused_until_31_january_2020(code: str, day: date) -> None:
    with pytest.raises(OverseasCountryOrTerritory, match=r"the United Kingdom \(UK\)"):
        third_country(code, day)


@given(code=st.sampled_from(FORMER_UK_OCTS), day=AFTER_BREXIT)
def test_a_former_british_oct_is_a_third_country_territory_after_brexit(
    code: str, day: date
) -> None:
    assert third_country(code, day) == code


def test_an_oct_cannot_be_proposed() -> None:
    Story().reject(
        propose("nc"),
        COMMISSION,
        PROPOSED,
        OverseasCountryOrTerritory,
        "NC (New Caledonia) is an overseas country or territory of France (FR) (Annex II TFEU)",
        "associated with the Union under Part Four TFEU",
        "propose a country outside the Union",
    )


def test_an_outermost_region_cannot_be_proposed() -> None:
    Story().reject(
        propose("RE"),
        COMMISSION,
        PROPOSED,
        UnionTerritory,
        "RE (Réunion) is part of the Union, not a third country (on 2025-03-03)",
        "France (FR)",
        "propose a country outside the Union",
    )


# -- what stays a third country ----------------------------------------------------------------


@pytest.mark.parametrize("code", ["FO", "JE", "GG", "IM", "SJ", "MC", "SM", "VA", "AD"])
def test_territories_outside_the_union_that_are_no_octs_are_third_countries(code: str) -> None:
    assert third_country(code, date(2025, 1, 1)) == code


@pytest.mark.parametrize("code", ["IC", "EA"])
def test_the_canaries_ceuta_and_melilla_have_no_iso_code_of_their_own(code: str) -> None:
    with pytest.raises(InvalidCountry, match="is not an ISO 3166-1 alpha-2 country code"):
        iso_code(code)


def test_a_former_oct_is_proposed_after_brexit() -> None:
    [event] = Story().do(propose("FK", occurred_on=date(2021, 1, 1)), COMMISSION, PROPOSED)

    assert isinstance(event, PartnershipProposed)
    assert event.country == "FK"


# -- the tables ----------------------------------------------------------------------------------

TERRITORIES = (*UNION_TERRITORIES, *OVERSEAS_COUNTRIES_AND_TERRITORIES)


@pytest.mark.parametrize("territory", TERRITORIES, ids=lambda t: f"{t.code}-{t.since}")
def test_every_territory_is_an_iso_country_of_its_own_not_a_member_state(
    territory: Territory,
) -> None:
    assert pycountry.countries.get(alpha_2=territory.code) is not None
    assert territory.code not in EVER_MEMBER_STATES
    assert territory.member_state in EVER_MEMBER_STATES
    assert territory.until is None or territory.since <= territory.until
    assert country_name(territory.code)


@pytest.mark.parametrize("territory", TERRITORIES, ids=lambda t: f"{t.code}-{t.since}")
def test_every_territory_has_its_status_only_while_its_member_state_is_one(
    territory: Territory,
) -> None:
    assert is_member_state(territory.member_state, territory.since)
    if territory.until is not None:
        assert is_member_state(territory.member_state, territory.until)


@given(ANY_DAY)
def test_no_territory_is_both_union_territory_and_an_oct_on_the_same_day(day: date) -> None:
    parts = {t.code for t in UNION_TERRITORIES if t.on(day)}
    octs = {t.code for t in OVERSEAS_COUNTRIES_AND_TERRITORIES if t.on(day)}

    assert not parts & octs


@given(ANY_DAY)
def test_a_territory_is_refused_naming_a_member_state_of_that_day(day: date) -> None:
    for territory in TERRITORIES:
        if territory.on(day):
            assert territory.member_state in member_states_on(day)
            with pytest.raises((UnionTerritory, OverseasCountryOrTerritory)) as info:
                third_country(territory.code, day)
            assert f"({territory.member_state})" in str(info.value)


def test_no_region_lists_a_code_that_is_never_a_third_country() -> None:
    for code in NEVER_THIRD_COUNTRIES + STILL_OCTS:
        assert code not in _REGION_OF
