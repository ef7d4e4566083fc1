"""The rotating Presidency of the Council: which Member State held it on which day.

The Member States hold the Presidency of the Council in turn, for six months each, from
1 January to 30 June and from 1 July to 31 December, in an order the Council adopts
(Article 16(9) TEU; before the Lisbon Treaty, Article 203 EC). Point 11 of the Council
conclusions of June 2007 has the Commission hold its exploratory talks "in close cooperation
with the Presidency", and the Presidency is the one that acts for the Council here, so a
Presidency step is tied to the Member State in office on the step's business date: Portugal in
the second half of 2007, Slovenia in the first half of 2008.

Sources, each term naming the one it comes from:

- Council Decision 95/2/EC, Euratom, ECSC of 1 January 1995 (OJ L 1, 1.1.1995, p. 220): the
  United Kingdom in the second half of 2005, the Presidency in office when the European Council
  adopted the Global Approach to Migration (the earliest business date, domain/bounds.py).
- Council Decision 2005/902/EC, Euratom of 12 December 2005 (OJ L 328, 15.12.2005, p. 60):
  Austria and Finland in 2006.
- Council Decision 2007/5/EC, Euratom of 1 January 2007 (OJ L 1, 4.1.2007, p. 11): the order
  from 1 January 2007, restated when the Lisbon Treaty came into force as Annex I to Council
  Decision 2009/908/EU of 1 December 2009 (OJ L 322, 9.12.2009, p. 28). It applies here up to
  Malta in the first half of 2017.
- Council Decision (EU) 2016/1316 of 26 July 2016 (OJ L 208, 2.8.2016, p. 42), amending
  Decision 2009/908/EU: after the United Kingdom relinquished its Presidency of the second half
  of 2017, the order from 1 July 2017 moved forward by six months, Croatia was added for the
  first half of 2020, and the order was set until 31 December 2030.

That is the last order the Council has adopted that this table could confirm: Decision (EU)
2016/1316 requires the Council to decide the order from 1 January 2031 before 31 December 2029,
and no such decision was found. So the table ends on 31 December 2030 (`LAST_DAY`), and
`presidency_on` knows no Presidency after it; extend `_ORDER` when the Council adopts one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from domain.countries import country_name, eu_code, member_state

DECISION_95_2: Final = "Council Decision 95/2/EC, Euratom, ECSC"
DECISION_2005_902: Final = "Council Decision 2005/902/EC, Euratom"
DECISION_2007_5: Final = "Council Decision 2007/5/EC, Euratom"
DECISION_2016_1316: Final = "Council Decision (EU) 2016/1316"


@dataclass(frozen=True)
class Term:
    """One Member State's six months in the Presidency of the Council."""

    member_state: str
    """The Member State that held it, as the EU writes it (EL, UK)."""
    first_day: date
    last_day: date
    source: str
    """The Council decision that set this term in the order."""

    def covers(self, day: date) -> bool:
        """Whether `day` falls within this term."""
        return self.first_day <= day <= self.last_day

    def __str__(self) -> str:
        return (
            f"{country_name(self.member_state)} ({self.member_state}), "
            f"{self.first_day.isoformat()} to {self.last_day.isoformat()}"
        )


# (first year, first half?, source, Member States in order). Each row continues from the last.
_ORDER: Final[tuple[tuple[int, bool, str, str], ...]] = (
    (2005, False, DECISION_95_2, "UK"),
    (2006, True, DECISION_2005_902, "AT FI"),
    (
        2007,
        True,
        DECISION_2007_5,
        "DE PT SI FR CZ SE ES BE HU PL DK CY IE LT EL IT LV LU NL SK MT",
    ),
    (
        2017,
        False,
        DECISION_2016_1316,
        "EE BG AT RO FI HR DE PT SI FR CZ SE ES BE HU PL DK CY IE LT EL IT LV LU NL SK MT",
    ),
)


def _half_year(year: int, first_half: bool) -> tuple[date, date]:
    if first_half:
        return date(year, 1, 1), date(year, 6, 30)
    return date(year, 7, 1), date(year, 12, 31)


def _terms() -> tuple[Term, ...]:
    terms: list[Term] = []
    for year, first_half, source, codes in _ORDER:
        for code in codes.split():
            first, last = _half_year(year, first_half)
            # Validated as a Member State on its first day, so a typo fails at import.
            terms.append(Term(member_state(code, first), first, last, source))
            year, first_half = (year, False) if first_half else (year + 1, True)
    return tuple(terms)


PRESIDENCIES: Final[tuple[Term, ...]] = _terms()
"""Every term of the Presidency this table knows, in order, contiguous half-years."""

FIRST_DAY: Final[date] = PRESIDENCIES[0].first_day
"""The first day the table covers (1 July 2005)."""

LAST_DAY: Final[date] = PRESIDENCIES[-1].last_day
"""The last day the table covers (31 December 2030, the end of the last order adopted)."""


def term_on(day: date) -> Term | None:
    """The term of the Presidency in office on `day`, or None outside the table."""
    if not FIRST_DAY <= day <= LAST_DAY:
        return None
    # Terms are contiguous half-years from FIRST_DAY: the index follows from the date.
    return PRESIDENCIES[_half_year_number(day) - _half_year_number(FIRST_DAY)]


def _half_year_number(day: date) -> int:
    return day.year * 2 + (0 if day.month <= 6 else 1)


def presidency_on(day: date) -> str | None:
    """The Member State (EU code) that held the Presidency on `day`, or None outside the table."""
    term = term_on(day)
    return term.member_state if term is not None else None


def terms_of(code: str) -> tuple[Term, ...]:
    """Every term the Member State `code` (ISO or EU form) held or holds in the table.

    Raises InvalidCountry for a code that is no country.
    """
    eu = eu_code(code)
    return tuple(t for t in PRESIDENCIES if t.member_state == eu)


def presidency_refusal(code: str, day: date, *, what: str) -> str | None:
    """Why a Presidency of Member State `code` may not take `what` on `day`, or None if it may.

    `code` may be in ISO or EU form (an actor carries the EU's). The message says who held
    the Presidency then, or that the table does not reach that day. Raises InvalidCountry for
    a code that is no country.
    """
    eu = eu_code(code)
    term = term_on(day)
    if term is None:
        return (
            f"the order of Presidencies known here runs from {FIRST_DAY.isoformat()} to "
            f"{LAST_DAY.isoformat()} ({DECISION_2016_1316}), so no Presidency can be "
            f"confirmed for {day.isoformat()} to {what}; the order the Council adopts for "
            "later years must be added to domain/presidencies.py first"
        )
    if term.member_state == eu:
        return None
    return (
        f"the Presidency of the Council on {day.isoformat()} was held by {term} "
        f"({term.source}), not by {eu}; only the Presidency in office on the step's "
        f"date may {what}"
    )
