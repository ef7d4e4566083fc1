"""Countries: Member States by date, third countries, and the EU's own country codes.

Membership is a function of the business date, because a partnership's record spans years in
which the Union changed: the United Kingdom was a Member State until 31 January 2020 and
Croatia became one on 1 July 2013.
"""

from __future__ import annotations

from datetime import date
from typing import Final

import pycountry

from domain.errors import InvalidCountry, NotAMemberState, NotAThirdCountry

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

# Read pycountry's table once, at import: its lazy first read opens a file, which a workflow
# sandbox forbids, and a set lookup is cheaper than its query on every validation.
_ISO_NAMES: Final[dict[str, str]] = {c.alpha_2: str(c.name) for c in pycountry.countries}

EVER_MEMBER_STATES: Final[frozenset[str]] = frozenset(code for code, _, _ in _MEMBERSHIP)


def _shown(code: str) -> str:
    """The code as a message shows it: as given when it is plain text, quoted otherwise."""
    stripped = code.strip()
    if stripped and stripped.isascii() and stripped.isprintable():
        return stripped[:20]
    return repr(code[:20])


def iso_code(code: str) -> str:
    """The ISO 3166-1 alpha-2 code for `code` (EU aliases EL/UK resolved), or InvalidCountry.

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


def third_country(code: str, on: date, *, recorded_on: date | None = None) -> str:
    """Validate a third country on a business date and return its ISO code.

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
    return iso
