"""Countries: Member States by date, third countries, and the EU's own country codes.

Membership is a function of the business date, because a partnership's record spans years in
which the Union changed: the United Kingdom was a Member State until 31 January 2020 and
Croatia became one on 1 July 2013.

Some ISO 3166-1 codes name no country of their own but a territory of a Member State. They are
never proposed as third countries: the outermost regions and Åland are part of the Union, and
the overseas countries and territories of Annex II TFEU are associated with it (Part Four
TFEU). Each has its dates, since Mayotte, Saint-Barthélemy, Greenland, Gibraltar and the
British overseas territories changed status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import pycountry

from domain.errors import (
    InvalidCountry,
    NotAMemberState,
    NotAThirdCountry,
    OverseasCountryOrTerritory,
    UnionTerritory,
)

# The EU writes Greece and the United Kingdom differently from ISO 3166-1.
EU_TO_ISO: Final[dict[str, str]] = {"EL": "GR", "UK": "GB"}
ISO_TO_EU: Final[dict[str, str]] = {iso: eu for eu, iso in EU_TO_ISO.items()}

_FOUNDERS = date(1958, 1, 1)

# (EU code, accession date, last day of membership or None).
_MEMBERSHIP: Final[tuple[tuple[str, date, date | None], ...]] = (
    ("BE", _FOUNDERS, None),
    ("DE", _FOUNDERS, None),
    ("FR", _FOUNDERS, None),
    ("IT", _FOUNDERS, None),
    ("LU", _FOUNDERS, None),
    ("NL", _FOUNDERS, None),
    ("DK", date(1973, 1, 1), None),
    ("IE", date(1973, 1, 1), None),
    ("UK", date(1973, 1, 1), date(2020, 1, 31)),
    ("EL", date(1981, 1, 1), None),
    ("ES", date(1986, 1, 1), None),
    ("PT", date(1986, 1, 1), None),
    ("AT", date(1995, 1, 1), None),
    ("FI", date(1995, 1, 1), None),
    ("SE", date(1995, 1, 1), None),
    ("CY", date(2004, 5, 1), None),
    ("CZ", date(2004, 5, 1), None),
    ("EE", date(2004, 5, 1), None),
    ("HU", date(2004, 5, 1), None),
    ("LT", date(2004, 5, 1), None),
    ("LV", date(2004, 5, 1), None),
    ("MT", date(2004, 5, 1), None),
    ("PL", date(2004, 5, 1), None),
    ("SI", date(2004, 5, 1), None),
    ("SK", date(2004, 5, 1), None),
    ("BG", date(2007, 1, 1), None),
    ("RO", date(2007, 1, 1), None),
    ("HR", date(2013, 7, 1), None),
)

KOSOVO: Final = "XK"
"""The code the Union (and the Commission's own lists) gives Kosovo; ISO 3166-1 has none."""

# Read pycountry's table once, at import: its lazy first read opens a file, which a workflow
# sandbox forbids, and a set lookup is cheaper than its query on every validation.
# Kosovo is added under XK: the EU writes it "Kosovo*", the asterisk calling the footnote
# "This designation is without prejudice to positions on status, and is in line with UNSCR
# 1244/1999 and the ICJ Opinion on the Kosovo declaration of independence"; a country name
# here is plain text, so the name is shown without it.
_ISO_NAMES: Final[dict[str, str]] = {
    **{c.alpha_2: str(c.name) for c in pycountry.countries},
    KOSOVO: "Kosovo",
}

EVER_MEMBER_STATES: Final[frozenset[str]] = frozenset(code for code, _, _ in _MEMBERSHIP)


def _shown(code: str) -> str:
    """The code as a message shows it: as given when it is plain text, quoted otherwise."""
    stripped = code.strip()
    if stripped and stripped.isascii() and stripped.isprintable():
        return stripped[:20]
    return repr(code[:20])


def iso_code(code: str) -> str:
    """The ISO 3166-1 alpha-2 code for `code` (EU aliases EL/UK resolved), or InvalidCountry.

    XK (Kosovo), which the Union uses although ISO 3166-1 assigns it to nobody, is accepted too.

    Case and surrounding spaces do not matter (` cv ` is Cabo Verde), but only ASCII letters
    are read: upper-casing other letters would turn "ß" into SS and "ﬁ" into FI.
    """
    stripped = code.strip()
    # Checked before upper-casing, which turns "ß" into SS, "ﬁ" into FI and "ı" into I.
    ascii_letters = stripped.isascii() and stripped.isalpha()
    normal = stripped.upper() if ascii_letters else ""
    iso = EU_TO_ISO.get(normal, normal)
    if iso not in _ISO_NAMES:
        raise InvalidCountry(
            f"{_shown(code)} is not an ISO 3166-1 alpha-2 country code; give two ASCII "
            "letters naming a country, such as CV or MD (the EU's EL and UK are accepted "
            "for Greece and the United Kingdom)"
        )
    return iso


def eu_code(code: str) -> str:
    """The code as the EU writes it: EL for Greece, UK for the United Kingdom, ISO otherwise."""
    iso = iso_code(code)
    return ISO_TO_EU.get(iso, iso)


def country_name(code: str) -> str:
    """The country's ISO short name, e.g. "Cabo Verde" for CV."""
    return _ISO_NAMES[iso_code(code)]


def member_states_on(day: date) -> tuple[str, ...]:
    """The Member States (EU codes, sorted) of the Union on `day`."""
    return tuple(
        sorted(
            code
            for code, joined, left in _MEMBERSHIP
            if joined <= day and (left is None or day <= left)
        )
    )


def is_member_state(code: str, on: date) -> bool:
    """Whether `code` (ISO or EU form) is a Member State on `on`."""
    return eu_code(code) in member_states_on(on)


def member_state(code: str, on: date) -> str:
    """Validate a Member State on a business date and return it as the EU writes it."""
    eu = eu_code(code)
    if eu not in member_states_on(on):
        members = ", ".join(member_states_on(on))
        raise NotAMemberState(
            f"{eu} is not an EU Member State on {on.isoformat()}; "
            f"the Member States then were: {members}"
        )
    return eu


@dataclass(frozen=True)
class Territory:
    """A territory with its own ISO code, its Member State and one period of its status."""

    code: str
    """Its ISO 3166-1 alpha-2 code."""
    name: str
    """Its English short name, as a message shows it."""
    member_state: str
    """The Member State it belongs to (or whose external relations cover it), EU code."""
    status: str
    """What it is to the Union in this period, as a message says it after "is"/"was"."""
    since: date
    until: date | None = None
    """The last day of this status; None while it lasts."""

    def on(self, day: date) -> bool:
        """Whether the territory has this status on `day`."""
        return self.since <= day and (self.until is None or day <= self.until)

    def period(self) -> str:
        """The period as a message shows it."""
        if self.until is None:
            return f"since {self.since.isoformat()}"
        return f"from {self.since.isoformat()} until {self.until.isoformat()}"


_FR_REGION = "an outermost region of France (FR), Article 349 TFEU"
_OCT = "an overseas country or territory of {state}"

UNION_TERRITORIES: Final[tuple[Territory, ...]] = (
    # The French overseas departments have been part of the Community since the EEC Treaty
    # (Article 227(2) EEC; Hansen, 148/77); outermost regions under Article 349 TFEU.
    Territory("RE", "Réunion", "FR", _FR_REGION, _FOUNDERS),
    Territory("GP", "Guadeloupe", "FR", _FR_REGION, _FOUNDERS),
    Territory("GF", "French Guiana", "FR", _FR_REGION, _FOUNDERS),
    Territory("MQ", "Martinique", "FR", _FR_REGION, _FOUNDERS),
    # Part of Guadeloupe until it became a collectivity of its own on 22 February 2007, and an
    # outermost region in its own name since (Article 349 TFEU as amended at Lisbon).
    Territory("MF", "Saint-Martin", "FR", _FR_REGION, _FOUNDERS),
    # Likewise part of Guadeloupe, then an outermost region until it became an OCT on
    # 1 January 2012 (European Council Decision 2010/718/EU).
    Territory("BL", "Saint-Barthélemy", "FR", _FR_REGION, _FOUNDERS, date(2011, 12, 31)),
    # An OCT until it became an outermost region on 1 January 2014
    # (European Council Decision 2012/419/EU).
    Territory("YT", "Mayotte", "FR", _FR_REGION, date(2014, 1, 1)),
    # Part of Finland under Protocol 2 of the 1994 Act of Accession (Article 355(4) TFEU).
    Territory("AX", "Åland", "FI", "a part of Finland (FI), Article 355(4) TFEU", date(1995, 1, 1)),
    # A European territory whose external relations the United Kingdom conducts (Article
    # 355(3) TFEU), in the Union while the UK was: a third-country territory since Brexit.
    Territory(
        "GI",
        "Gibraltar",
        "UK",
        "a European territory for whose external relations the United Kingdom (UK) is "
        "responsible, Article 355(3) TFEU",
        date(1973, 1, 1),
        date(2020, 1, 31),
    ),
    # In the Community with Denmark until it left on 1 February 1985 (Greenland Treaty).
    Territory(
        "GL", "Greenland", "DK", "a part of Denmark (DK)", date(1973, 1, 1), date(1985, 1, 31)
    ),
)
"""The territories of the Member States with their own ISO code that are (or were) part of the
Union. The Canary Islands, Ceuta and Melilla (IC, EA), the Azores and Madeira have no ISO
3166-1 alpha-2 code, so no code reaches them. The Faroe Islands (FO), Jersey (JE), Guernsey
(GG) and the Isle of Man (IM) are outside the Union and are not OCTs: the Union deals with them
as third countries (the Commission's adequacy decisions of 2003–2010 name each so), so they
may be proposed."""

_FR_OCT = _OCT.format(state="France (FR)")
_NL_OCT = _OCT.format(state="the Netherlands (NL)")
_UK_OCT = _OCT.format(state="the United Kingdom (UK)")
# The Netherlands Antilles were associated by the Convention in force from 1 October 1964.
_NL_ASSOCIATED = date(1964, 10, 1)
_UK_JOINED, _UK_LEFT = date(1973, 1, 1), date(2020, 1, 31)

OVERSEAS_COUNTRIES_AND_TERRITORIES: Final[tuple[Territory, ...]] = (
    Territory("GL", "Greenland", "DK", _OCT.format(state="Denmark (DK)"), date(1985, 2, 1)),
    Territory("NC", "New Caledonia", "FR", _FR_OCT, _FOUNDERS),
    Territory("PF", "French Polynesia", "FR", _FR_OCT, _FOUNDERS),
    Territory("TF", "French Southern and Antarctic Territories", "FR", _FR_OCT, _FOUNDERS),
    Territory("WF", "Wallis and Futuna", "FR", _FR_OCT, _FOUNDERS),
    Territory("PM", "Saint-Pierre-et-Miquelon", "FR", _FR_OCT, _FOUNDERS),
    Territory("BL", "Saint-Barthélemy", "FR", _FR_OCT, date(2012, 1, 1)),
    Territory("YT", "Mayotte", "FR", _FR_OCT, _FOUNDERS, date(2013, 12, 31)),
    Territory("AW", "Aruba", "NL", _NL_OCT, _NL_ASSOCIATED),
    # The Netherlands Antilles of Annex II: Curaçao, Sint Maarten, and Bonaire, Sint
    # Eustatius and Saba (the Caribbean Netherlands), each under its own code since 2010.
    Territory("CW", "Curaçao", "NL", _NL_OCT, _NL_ASSOCIATED),
    Territory("SX", "Sint Maarten", "NL", _NL_OCT, _NL_ASSOCIATED),
    Territory("BQ", "Caribbean Netherlands", "NL", _NL_OCT, _NL_ASSOCIATED),
    # The British ones, from the UK's accession until it left the Union; the British Antarctic
    # Territory, also in Annex II, has no ISO code of its own.
    Territory("AI", "Anguilla", "UK", _UK_OCT, _UK_JOINED, _UK_LEFT),
    Territory("BM", "Bermuda", "UK", _UK_OCT, _UK_JOINED, _UK_LEFT),
    Territory("IO", "British Indian Ocean Territory", "UK", _UK_OCT, _UK_JOINED, _UK_LEFT),
    Territory("VG", "British Virgin Islands", "UK", _UK_OCT, _UK_JOINED, _UK_LEFT),
    Territory("KY", "Cayman Islands", "UK", _UK_OCT, _UK_JOINED, _UK_LEFT),
    Territory("FK", "Falkland Islands", "UK", _UK_OCT, _UK_JOINED, _UK_LEFT),
    Territory("MS", "Montserrat", "UK", _UK_OCT, _UK_JOINED, _UK_LEFT),
    Territory("PN", "Pitcairn", "UK", _UK_OCT, _UK_JOINED, _UK_LEFT),
    Territory(
        "SH",
        "Saint Helena, Ascension and Tristan da Cunha",
        "UK",
        _UK_OCT,
        _UK_JOINED,
        _UK_LEFT,
    ),
    Territory(
        "GS",
        "South Georgia and the South Sandwich Islands",
        "UK",
        _UK_OCT,
        _UK_JOINED,
        _UK_LEFT,
    ),
    Territory("TC", "Turks and Caicos Islands", "UK", _UK_OCT, _UK_JOINED, _UK_LEFT),
)
"""The overseas countries and territories with an ISO code, from Annex II TFEU ("Overseas
countries and territories to which the provisions of Part Four of the Treaties apply"), each
for the years it was listed. They are associated with the Union under Part Four TFEU
(Articles 198–204) and its Overseas Association Decision, so they are not third countries
for the Global Approach to Migration."""


def _territory(table: tuple[Territory, ...], iso: str, day: date) -> Territory | None:
    return next((t for t in table if t.code == iso and t.on(day)), None)


def _refuse_territory(iso: str, day: date, when: str, rule: str) -> None:
    """Raise if `iso` is Union territory or an OCT on `day`; `when` says which day it is."""
    if (part := _territory(UNION_TERRITORIES, iso, day)) is not None:
        raise UnionTerritory(
            f"{iso} ({part.name}) is part of the Union, not a third country {when}: it is "
            f"{part.status}, {part.period()}; {rule}"
        )
    if (oct_ := _territory(OVERSEAS_COUNTRIES_AND_TERRITORIES, iso, day)) is not None:
        raise OverseasCountryOrTerritory(
            f"{iso} ({oct_.name}) is {oct_.status} (Annex II TFEU), {oct_.period()}: it is "
            "associated with the Union under Part Four TFEU, not a third country for this "
            f"policy {when}; {rule}"
        )


def third_country(code: str, on: date, *, recorded_on: date | None = None) -> str:
    """Validate a third country on a business date and return its ISO code.

    A Member State is refused (NotAThirdCountry), and so is a territory with its own ISO code
    that is part of the Union (UnionTerritory) or an overseas country or territory of Annex II
    TFEU (OverseasCountryOrTerritory) on that date. Kosovo (XK) is a third country.

    Given `recorded_on` (the day the proposal is recorded), the country must be outside the
    Union on that day too: a partnership is proposed with a country that is a third country
    both when the proposal was made and now (Croatia, proposed today with a 2010 date, is not).
    """
    iso = iso_code(code)
    rule = (
        "propose a country outside the Union"
        if recorded_on is None
        else "propose a country outside the Union both on the proposal's date and on the day "
        "it is recorded"
    )
    if is_member_state(iso, on):
        raise NotAThirdCountry(
            f"{eu_code(iso)} is an EU Member State, not a third country "
            f"(on {on.isoformat()}); {rule}"
        )
    if recorded_on is not None and is_member_state(iso, recorded_on):
        raise NotAThirdCountry(
            f"{eu_code(iso)} is an EU Member State, not a third country, on "
            f"{recorded_on.isoformat()}, the day this is recorded (it was a third country on "
            f"{on.isoformat()}); {rule}"
        )
    _refuse_territory(iso, on, f"(on {on.isoformat()})", rule)
    if recorded_on is not None:
        _refuse_territory(
            iso, recorded_on, f"on {recorded_on.isoformat()}, the day this is recorded", rule
        )
    return iso
