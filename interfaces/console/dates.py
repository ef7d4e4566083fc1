"""Dates as people read them in English ("5 June 2008"), and how long until a deadline.

The API and the record write dates in ISO 8601 (2008-06-05); the console shows them the way a
desk officer reads them, with the words the domain's Council documents use (English month names
spelled out there, not taken from `strftime("%B")`, which follows the process's locale).
"""

from __future__ import annotations

from datetime import date

import pycountry

from domain.council_document import long_date
from domain.countries import country_name as _iso_country_name
from domain.countries import iso_code
from domain.errors import InvalidCountry


def people_date(d: date) -> str:
    """The date as people write it in English: "5 June 2008" (no leading zero on the day).

    The rule is the domain's, the one the Council documents use (`long_date`), so a date reads
    the same on a page and in the document sent to the Council.
    """
    return long_date(d)


def days_left_phrase(deadline: date, today: date) -> str:
    """How far `deadline` lies from `today`: "12 days left", "1 day left", "due today",
    "1 day overdue" or "3 days overdue".

    A deadline passes at the end of its day (DESIGN §2: deadlines pass at UTC midnight), so a
    deadline of today is still "due today", and it is overdue from the day after.
    """
    days = (deadline - today).days
    if days == 0:
        return "due today"
    count = abs(days)
    unit = "day" if count == 1 else "days"
    return f"{count} {unit} left" if days > 0 else f"{count} {unit} overdue"


def country_name(code: str) -> str:
    """The country's name as people read it in English: "Moldova" for MD, "Cabo Verde" for CV.

    The name is the domain's (`domain.countries.country_name`, the ISO 3166-1 short name),
    except where ISO inverts it for sorting ("Moldova, Republic of"): then the common name
    pycountry records ("Moldova", "South Korea", "Iran"), or the ISO name the right way round
    when it records none ("State of Palestine"). A code that names no country is
    returned as given (a page still shows what it was given, escaped, rather than failing).
    """
    try:
        iso = iso_code(code)
    except InvalidCountry:
        return code
    common = getattr(pycountry.countries.get(alpha_2=iso), "common_name", None)
    if isinstance(common, str):
        return common
    return _uninverted(_iso_country_name(iso))


def _uninverted(name: str) -> str:
    """An ISO name inverted for sorting put the right way round: "Palestine, State of" is
    "State of Palestine", "Congo, The Democratic Republic of the" is "Democratic Republic of
    the Congo". Only a tail ending in "of" or "of the" is an inversion: "Virgin Islands,
    British" and "Bonaire, Sint Eustatius and Saba" stay as they are.
    """
    head, comma, tail = name.partition(", ")
    if not comma or not (tail.endswith(" of") or tail.endswith(" of the")):
        return name
    return f"{tail.removeprefix('The ')} {head}"
