"""Countries: Member States by business date, third countries, the EU's own codes, regions."""

from __future__ import annotations

import re
from datetime import date

import pycountry
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from domain import (
    Actor,
    InvalidCountry,
    NotAMemberState,
    NotAThirdCountry,
    Region,
    Role,
    country_name,
    eu_code,
    is_member_state,
    iso_code,
    member_state,
    member_states_on,
    region_of,
    third_country,
)
from domain.countries import KOSOVO
from domain.errors import OverseasCountryOrTerritory, UnionTerritory
from domain.events import PartnershipProposed
from tests.unit.strategies import COMMISSION, PROPOSED, Story, propose

EU_27_OF_2007 = (
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "EL",
    "ES",
    "FI",
    "FR",
    "HU",
    "IE",
    "IT",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
    "UK",
)


def test_the_union_of_2007_had_twenty_seven_member_states_including_the_uk() -> None:
    assert member_states_on(date(2007, 6, 12)) == EU_27_OF_2007


def test_the_union_has_twenty_seven_member_states_after_brexit_with_croatia() -> None:
    today = member_states_on(date(2025, 1, 1))

    assert len(today) == 27
    assert "HR" in today
    assert "UK" not in today


def test_the_uk_was_a_member_state_until_31_january_2020() -> None:
    assert is_member_state("UK", date(2020, 1, 31))
    assert member_state("UK", date(2020, 1, 31)) == "UK"
    with pytest.raises(NotAThirdCountry, match="UK is an EU Member State"):
        third_country("GB", date(2020, 1, 31))


def test_the_uk_is_a_third_country_from_1_february_2020() -> None:
    assert not is_member_state("UK", date(2020, 2, 1))
    assert third_country("UK", date(2020, 2, 1)) == "GB"
    with pytest.raises(NotAMemberState, match="UK is not an EU Member State on 2020-02-01"):
        member_state("GB", date(2020, 2, 1))


def test_croatia_was_a_third_country_before_1_july_2013() -> None:
    assert third_country("HR", date(2013, 6, 30)) == "HR"
    with pytest.raises(NotAMemberState, match="HR is not an EU Member State on 2013-06-30"):
        member_state("HR", date(2013, 6, 30))


def test_croatia_is_a_member_state_from_1_july_2013() -> None:
    assert member_state("HR", date(2013, 7, 1)) == "HR"
    with pytest.raises(NotAThirdCountry, match="HR is an EU Member State, not a third country"):
        third_country("HR", date(2013, 7, 1))


@pytest.mark.parametrize("code", ["BG", "RO"])
def test_bulgaria_and_romania_are_member_states_from_1_january_2007(code: str) -> None:
    assert not is_member_state(code, date(2006, 12, 31))
    assert third_country(code, date(2006, 12, 31)) == code
    assert is_member_state(code, date(2007, 1, 1))


@pytest.mark.parametrize(("given", "iso", "eu"), [("EL", "GR", "EL"), ("UK", "GB", "UK")])
def test_the_eus_codes_el_and_uk_are_aliases_of_iso_gr_and_gb(
    given: str, iso: str, eu: str
) -> None:
    assert iso_code(given) == iso
    assert eu_code(given) == eu
    assert eu_code(iso) == eu


@pytest.mark.parametrize(("given", "shown"), [("GR", "EL"), ("gr", "EL"), ("el", "EL")])
def test_greece_is_accepted_under_either_code_and_shown_as_el(given: str, shown: str) -> None:
    assert member_state(given, date(2025, 1, 1)) == shown


def test_codes_are_accepted_in_lower_case_and_with_spaces() -> None:
    assert iso_code(" cv ") == "CV"
    assert member_state("fr", date(2025, 1, 1)) == "FR"
    assert third_country("md", date(2025, 1, 1)) == "MD"


def test_member_state_errors_list_the_member_states_of_that_day() -> None:
    with pytest.raises(NotAMemberState) as info:
        member_state("NO", date(2008, 6, 5))

    message = str(info.value)
    assert "NO is not an EU Member State on 2008-06-05" in message
    assert "the Member States then were: " + ", ".join(EU_27_OF_2007) in message


@pytest.mark.parametrize("code", ["XX", "ZZ", "EU", "12", "CPV", ""])
def test_a_code_that_is_no_iso_country_is_rejected_with_its_reason(code: str) -> None:
    with pytest.raises(InvalidCountry, match="is not an ISO 3166-1 alpha-2 country code"):
        iso_code(code)


def test_every_code_that_was_ever_a_member_state_is_an_iso_country() -> None:
    for code in (*member_states_on(date(2007, 1, 1)), "HR"):
        assert pycountry.countries.get(alpha_2=iso_code(code)) is not None


def test_country_names_come_from_iso() -> None:
    assert country_name("CV") == "Cabo Verde"
    assert country_name("EL") == "Greece"
    assert country_name("md") == "Moldova, Republic of"


def test_a_member_state_actor_is_bound_to_its_country_as_the_eu_writes_it() -> None:
    assert Actor(id="n", role=Role.MEMBER_STATE, member_state="gr").member_state == "EL"
    assert Actor(id="n", role=Role.MEMBER_STATE, member_state="GB").member_state == "UK"


def test_a_member_state_actor_must_name_a_real_country() -> None:
    with pytest.raises(ValidationError, match="XX is not an ISO 3166-1 alpha-2 country code"):
        Actor(id="n", role=Role.MEMBER_STATE, member_state="XX")


def test_a_member_state_actor_must_name_its_member_state() -> None:
    with pytest.raises(ValidationError, match="a member_state actor must name its Member State"):
        Actor(id="n", role=Role.MEMBER_STATE)


def test_only_member_state_and_presidency_actors_name_a_member_state() -> None:
    with pytest.raises(
        ValidationError, match="only member_state and presidency actors name a Member State"
    ):
        Actor(id="n", role=Role.COMMISSION, member_state="FR")
    assert Actor(id="joao", role=Role.PRESIDENCY, member_state="pt").member_state == "PT"


@pytest.mark.parametrize(
    ("code", "region"),
    [
        ("CV", Region.AFRICA_MEDITERRANEAN),
        ("SN", Region.AFRICA_MEDITERRANEAN),
        ("MA", Region.AFRICA_MEDITERRANEAN),
        ("MD", Region.EASTERN_SOUTH_EASTERN),
        ("GE", Region.EASTERN_SOUTH_EASTERN),
        ("TR", Region.EASTERN_SOUTH_EASTERN),
        ("RU", Region.EASTERN_SOUTH_EASTERN),
        ("RS", Region.EASTERN_SOUTH_EASTERN),
        ("LB", Region.EASTERN_MEDITERRANEAN_MIDDLE_EAST),
        ("KZ", Region.CENTRAL_ASIA),
        ("PK", Region.ASIA_ORIGIN),
        ("BR", Region.OTHER),
        ("GB", Region.OTHER),
    ],
)
def test_each_third_country_has_a_default_migratory_region(code: str, region: Region) -> None:
    assert region_of(code) is region


def test_every_region_the_domain_knows_names_an_iso_country_or_kosovo() -> None:
    from domain.regions import _REGION_OF

    unknown = {code for code in _REGION_OF if pycountry.countries.get(alpha_2=code) is None}
    assert unknown <= {"XK"}


def test_the_region_defaults_at_proposal() -> None:
    story = Story()
    [event] = story.do(propose("SN"), COMMISSION, PROPOSED)

    assert isinstance(event, PartnershipProposed)
    assert event.region is Region.AFRICA_MEDITERRANEAN


def test_the_region_may_be_overridden_at_proposal() -> None:
    story = Story()
    story.do(propose("CV", region=Region.OTHER), COMMISSION, PROPOSED)

    assert story.state.region is Region.OTHER


def test_an_unknown_region_is_rejected_at_proposal() -> None:
    with pytest.raises(ValidationError):
        propose("CV", region="antarctic")


def test_a_third_country_is_stored_under_its_iso_code() -> None:
    story = Story()
    story.do(propose(" uk ", occurred_on=date(2021, 1, 1)), COMMISSION, PROPOSED)

    assert story.state.country == "GB"


def test_the_member_states_of_any_day_are_sorted_and_unique() -> None:
    for year in range(1958, 2030, 3):
        states = member_states_on(date(year, 7, 1))
        assert list(states) == sorted(set(states))


ISO_CODES = sorted(country.alpha_2 for country in pycountry.countries)


@settings(max_examples=300, deadline=None)
@given(
    code=st.sampled_from([*ISO_CODES, "EL", "UK", "el", "uk", "XK", "xk"]),
    day=st.dates(min_value=date(1958, 1, 1), max_value=date(2100, 12, 31)),
)
def test_every_country_is_a_member_state_a_territory_of_one_or_a_third_country_on_any_day(
    code: str, day: date
) -> None:
    as_member: str | None
    try:
        as_member = member_state(code, day)
    except NotAMemberState:
        as_member = None
    as_territory: NotAThirdCountry | None = None
    try:
        as_third: str | None = third_country(code, day)
    except (UnionTerritory, OverseasCountryOrTerritory) as territory:
        as_third, as_territory = None, territory
    except NotAThirdCountry:
        as_third = None

    # Exactly one of the three: a Member State, one of their territories, a third country.
    assert [as_member is not None, as_territory is not None, as_third is not None].count(True) == 1
    assert is_member_state(code, day) == (as_member is not None)
    if as_member is not None:
        assert as_member == eu_code(code)
    if as_territory is not None:
        # A territory is refused naming the Member State it belongs to, a member that day.
        named = re.findall(r"\(([A-Z]{2})\)", str(as_territory))
        assert set(named) & set(member_states_on(day)), str(as_territory)
    if as_third is not None:
        assert as_third == iso_code(code)
    assert eu_code(iso_code(code)) == eu_code(code)


# -- Kosovo ----------------------------------------------------------------------------------


@pytest.mark.parametrize("given", ["XK", "xk", " Xk "])
def test_kosovo_is_accepted_under_the_code_the_union_uses(given: str) -> None:
    assert pycountry.countries.get(alpha_2="XK") is None
    assert iso_code(given) == KOSOVO == "XK"
    assert eu_code(given) == "XK"
    assert country_name(given) == "Kosovo"


def test_kosovo_is_in_the_western_balkans_region() -> None:
    assert region_of("XK") is Region.EASTERN_SOUTH_EASTERN


@given(st.dates(min_value=date(1958, 1, 1), max_value=date(2100, 12, 31)))
def test_kosovo_is_a_third_country_on_any_date(day: date) -> None:
    assert third_country("XK", day) == "XK"
    assert third_country("xk", day, recorded_on=day) == "XK"
    assert not is_member_state("XK", day)


def test_kosovo_can_be_proposed_and_defaults_to_the_western_balkans() -> None:
    [event] = Story().do(propose("xk"), COMMISSION, PROPOSED)

    assert isinstance(event, PartnershipProposed)
    assert event.country == "XK"
    assert event.region is Region.EASTERN_SOUTH_EASTERN


# -- only ASCII letters make a country code -------------------------------------------------


@pytest.mark.parametrize(
    ("given", "would_have_been"),
    [("ß", "SS"), ("ﬁ", "FI"), ("ﬀ", "FF"), ("ıt", "IT"), ("ſe", "SE"), ("ÇV", "ÇV")],
)
def test_a_code_with_letters_outside_ascii_is_refused_not_upper_cased_into_a_country(
    given: str, would_have_been: str
) -> None:
    assert given.upper() == would_have_been
    with pytest.raises(InvalidCountry) as info:
        iso_code(given)

    message = str(info.value)
    assert "is not an ISO 3166-1 alpha-2 country code" in message
    assert "give two ASCII letters naming a country, such as CV or MD" in message
    assert "the EU's EL and UK are accepted" in message


def test_a_member_state_written_with_a_ligature_is_refused_at_every_entry() -> None:
    with pytest.raises(InvalidCountry):
        member_state("ﬁ", date(2025, 1, 1))
    with pytest.raises(InvalidCountry):
        third_country("ß", date(2025, 1, 1))
    with pytest.raises(ValidationError, match="give two ASCII letters"):
        Actor(id="n", role=Role.MEMBER_STATE, member_state="ﬁ")


def test_a_code_that_is_not_plain_text_is_shown_quoted() -> None:
    with pytest.raises(InvalidCountry, match=r"^'C\\u200bV' is not"):
        iso_code("C\u200bV")


@given(
    st.text(max_size=12).filter(lambda text: not text.isascii())
    | st.sampled_from(["Ｃ Ｖ", "ＦＲ", "C\u200bV", "\u202eVC", "ﬁ", "ıt", "ſe", " ﬁ "])
)
def test_any_code_with_a_character_outside_ascii_is_refused(given: str) -> None:
    with pytest.raises(InvalidCountry):
        iso_code(given)


@given(st.text(max_size=6) | st.sampled_from([*ISO_CODES, "el", " uk ", "xk", "ß", "ﬁ", "ıt"]))
def test_any_accepted_code_is_exactly_two_ascii_capitals_naming_an_iso_country_or_kosovo(
    given: str,
) -> None:
    try:
        iso = iso_code(given)
    except InvalidCountry:
        return
    assert len(iso) == 2
    assert iso.isascii()
    assert iso.isalpha()
    assert iso.isupper()
    assert pycountry.countries.get(alpha_2=iso) is not None or iso == KOSOVO
    assert given.strip().isascii()
    assert given.strip().upper() in {iso, eu_code(iso)}
