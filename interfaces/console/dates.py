"""Dates as people read them in English ("5 June 2008"), and how long until a deadline.

The domain, the API and the record write dates in ISO 8601 (2008-06-05); the console shows
them the way a desk officer reads them. The month names are spelled out here rather than taken
from `strftime("%B")` or `calendar.month_name`, which follow the process's locale: the console
speaks English whatever the server's locale is.
"""

from __future__ import annotations

from datetime import date
from typing import Final

import pycountry

from domain.countries import country_name as _iso_country_name
from domain.countries import iso_code
from domain.errors import InvalidCountry

MONTHS: Final[tuple[str, ...]] = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def people_date(d: date) -> str:
    """The date as people write it in English: "5 June 2008" (no leading zero on the day)."""
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


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
    except where ISO inverts it for sorting ("Moldova, Republic of") and pycountry records the
    common name people use ("Moldova", "South Korea", "Iran"). A code that names no country is
    returned as given (a page still shows what it was given, escaped, rather than failing).
    """
    try:
        iso = iso_code(code)
    except InvalidCountry:
        return code
    common = getattr(pycountry.countries.get(alpha_2=iso), "common_name", None)
    return common if isinstance(common, str) else _iso_country_name(iso)
