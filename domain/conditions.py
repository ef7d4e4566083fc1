"""The conditions of a partnership (point 10 of the Council conclusions of June 2007).

Point 10 says what each party brings. The third country commits to genuine cooperation against
illegal immigration (with trafficking and smuggling) and to effective readmission and return;
without both there is no partnership to launch. The EU side brings the rest, from two parties:

- the Member States, each for itself: legal migration opportunities adapted to their own
  labour markets (theirs alone), and capacity building, migration and development,
  reintegration of returnees, protection of human rights and of refugees;
- the Community, through the Commission: visa facilitation (a Community competence, so never a
  Member State's offer), capacity building and the other Community measures, which are the
  same EU components funded by the Community instead of by a Member State.

A launch puts into the joint declaration only what was offered (by a Member State or the
Community) and committed to, and never goes without readmission and return. It is signed by the
Member States that took part, and by any that declared interest later; others join afterwards
by accession, as the joint declarations provide for.

Each rule is a pure function that returns why it refuses, or None: `decide` raises the reason,
and every message names the point it fails.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from domain.components import EU_COMPONENTS, THIRD_COUNTRY_COMPONENTS, Component

POINT_10: Final = "point 10 of the Council conclusions of June 2007"

REQUIRED_COMMITMENTS: Final[frozenset[Component]] = THIRD_COUNTRY_COMPONENTS
"""What a willing third country must commit to: both of its components."""

COMMUNITY_ONLY: Final[frozenset[Component]] = frozenset({Component.VISA_FACILITATION})
"""What only the Community offers: visa facilitation is negotiated by the Community."""

MEMBER_STATES_ONLY: Final[frozenset[Component]] = frozenset({Component.LEGAL_MIGRATION})
"""What only the Member States offer: legal migration, adapted to their own labour markets."""

MEMBER_STATE_OFFERS: Final[frozenset[Component]] = EU_COMPONENTS - COMMUNITY_ONLY
"""What a Member State may offer in its answer to the consultation or with late interest."""

COMMUNITY_OFFERS: Final[frozenset[Component]] = EU_COMPONENTS - MEMBER_STATES_ONLY
"""What the Commission may record as the Community's offer when it concludes the talks."""

REQUIRED_AT_LAUNCH: Final[frozenset[Component]] = frozenset({Component.READMISSION_AND_RETURN})
"""What every joint declaration contains: readmission and return."""


def _names(components: Iterable[Component]) -> str:
    """Components in the contract's order (domain/components.py), comma-separated."""
    chosen = set(components)
    return ", ".join(c.value for c in Component if c in chosen) or "none"


def commitments_refusal(willing: bool, commitments: Iterable[Component]) -> str | None:
    """Why a conclusion of the talks with these commitments fails point 10, or None.

    A third country found willing commits to cooperation against illegal immigration and to
    readmission and return; an unwilling one commits to nothing; and a third country commits
    only to its own components.
    """
    given = set(commitments)
    foreign = given - THIRD_COUNTRY_COMPONENTS
    if foreign:
        return (
            f"{_names(foreign)} is for the EU and its Member States to offer, not for the "
            f"third country to commit to ({POINT_10}); the third country may commit to: "
            f"{_names(THIRD_COUNTRY_COMPONENTS)}"
        )
    if not willing:
        if given:
            return "an unwilling third country commits to nothing; leave commitments empty"
        return None
    missing = REQUIRED_COMMITMENTS - given
    if missing:
        return (
            f"a third country found willing must commit to cooperation against illegal "
            f"immigration and to readmission and return ({POINT_10}); missing: "
            f"{_names(missing)}. Conclude with both, or conclude that it is not willing"
        )
    return None


def member_state_offers_refusal(offers: Iterable[Component]) -> str | None:
    """Why a Member State may not offer these components, or None when it may."""
    given = set(offers)
    if community := given & COMMUNITY_ONLY:
        return (
            f"{_names(community)} is offered by the Community, not by a Member State "
            f"({POINT_10}); the Commission records it with the Community's offers when it "
            f"concludes the talks. Member States may offer: {_names(MEMBER_STATE_OFFERS)}"
        )
    if third := given & THIRD_COUNTRY_COMPONENTS:
        return (
            f"{_names(third)} is for the third country to commit to, not for a Member State "
            f"to offer ({POINT_10}); Member States may offer: {_names(MEMBER_STATE_OFFERS)}"
        )
    return None


def community_offers_refusal(offers: Iterable[Component]) -> str | None:
    """Why the Community may not offer these components, or None when it may."""
    given = set(offers)
    if national := given & MEMBER_STATES_ONLY:
        return (
            f"{_names(national)} is offered by the Member States, each for its own labour "
            f"market, not by the Community ({POINT_10}); the Community may offer: "
            f"{_names(COMMUNITY_OFFERS)}"
        )
    if third := given & THIRD_COUNTRY_COMPONENTS:
        return (
            f"{_names(third)} is for the third country to commit to, not for the Community "
            f"to offer ({POINT_10}); the Community may offer: {_names(COMMUNITY_OFFERS)}"
        )
    return None


def launch_components_refusal(
    components: Iterable[Component],
    *,
    offered: Iterable[Component],
    committed: Iterable[Component],
) -> str | None:
    """Why a joint declaration with these components fails point 10, or None.

    `offered` is everything offered by the Member States (in their answers and late interest)
    and by the Community; `committed` is what the third country committed to.
    """
    given = set(components)
    available = set(offered) | set(committed)
    unavailable = given - available
    if unavailable:
        return (
            f"{_names(unavailable)} was neither offered by a Member State or the Community nor "
            f"committed to by the third country ({POINT_10}); a launch may contain only what "
            f"was offered or committed: {_names(available)}"
        )
    missing = REQUIRED_AT_LAUNCH - given
    if missing:
        return (
            f"a partnership's joint declaration must include {_names(missing)}, the third "
            f"country's commitment to readmission and return ({POINT_10}); add it to the "
            "components"
        )
    return None


def eligible_signatories(
    *,
    interested: Iterable[str],
    took_part: Iterable[str],
    late: Iterable[str],
) -> tuple[str, ...]:
    """The Member States that may sign the joint declaration at its launch, sorted.

    Those that declared interest in the consultation (`interested`), those that took part in
    a talks round (`took_part`, which may include the Presidency's Member State), and those
    that declared interest later, during the talks (`late`).
    """
    return tuple(sorted({*interested, *took_part, *late}))


def signatories_refusal(signing: Iterable[str], *, eligible: Iterable[str]) -> str | None:
    """Why these Member States may not all sign at the launch, or None when they may."""
    allowed = set(eligible)
    outside = [code for code in dict.fromkeys(signing) if code not in allowed]
    if outside:
        return (
            f"{', '.join(outside)} did not declare interest in the consultation, so it cannot "
            "sign the joint declaration: nor did it take part in the talks or declare interest "
            "later; it may join the launched partnership by accession. Member States that may "
            "sign: "
            f"{', '.join(sorted(allowed)) or 'none'}"
        )
    return None


def late_interest_refusal(
    code: str, *, interested: Iterable[str], late: Iterable[str]
) -> str | None:
    """Why Member State `code` may not declare interest during the talks, or None.

    A Member State that declared interest in the consultation, or already during the talks,
    has nothing to declare.
    """
    if code in set(interested):
        return (
            f"{code} already declared interest in the consultation; it takes part in the "
            "talks without declaring it again"
        )
    if code in set(late):
        return f"{code} already declared interest during the talks; it is recorded as joining late"
    return None


def accession_refusal(
    code: str, *, signatories: Iterable[str], acceded: Iterable[str]
) -> str | None:
    """Why Member State `code` may not accede to a launched partnership, or None.

    A signatory of the joint declaration, or a Member State that already acceded, is in it.
    """
    if code in set(signatories):
        return f"{code} signed the joint declaration at its launch; it is already a party"
    if code in set(acceded):
        return f"{code} already acceded to the partnership"
    return None
