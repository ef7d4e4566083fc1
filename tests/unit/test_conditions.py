"""The conditions of a partnership (point 10): commitments, offers, launches and signatories."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.components import EU_COMPONENTS, THIRD_COUNTRY_COMPONENTS, Component
from domain.conditions import (
    COMMUNITY_OFFERS,
    MEMBER_STATE_OFFERS,
    POINT_10,
    accession_refusal,
    commitments_refusal,
    community_offers_refusal,
    eligible_signatories,
    late_interest_refusal,
    launch_components_refusal,
    member_state_offers_refusal,
    signatories_refusal,
)
from domain.countries import member_states_on

ANY_COMPONENTS = st.frozensets(st.sampled_from(Component))
MEMBER_STATES = st.sampled_from(member_states_on(date(2008, 6, 5)))
CODES = st.frozensets(MEMBER_STATES, max_size=8)

ILLEGAL = Component.ILLEGAL_IMMIGRATION_COOPERATION
READMISSION = Component.READMISSION_AND_RETURN
VISA = Component.VISA_FACILITATION


# -- what a willing third country commits to ---------------------------------------------------


@given(ANY_COMPONENTS)
def test_a_willing_third_country_must_commit_to_both_of_its_components(
    commitments: frozenset[Component],
) -> None:
    reason = commitments_refusal(True, commitments)
    assert (reason is None) == (commitments == THIRD_COUNTRY_COMPONENTS)
    if reason is not None:
        assert POINT_10 in reason


@pytest.mark.parametrize(
    ("commitments", "missing"),
    [
        ({READMISSION}, "illegal_immigration_cooperation"),
        ({ILLEGAL}, "readmission_and_return"),
        (set(), "illegal_immigration_cooperation, readmission_and_return"),
    ],
)
def test_a_willing_third_country_committing_to_less_is_refused_naming_what_is_missing(
    commitments: set[Component], missing: str
) -> None:
    reason = commitments_refusal(True, commitments)
    assert reason is not None
    assert f"missing: {missing}." in reason
    assert "cooperation against illegal immigration and to readmission and return" in reason


@given(ANY_COMPONENTS)
def test_an_unwilling_third_country_commits_to_nothing(commitments: frozenset[Component]) -> None:
    assert (commitments_refusal(False, commitments) is None) == (not commitments)


def test_a_third_country_commits_only_to_its_own_components() -> None:
    reason = commitments_refusal(True, {ILLEGAL, READMISSION, VISA})
    assert reason is not None
    assert reason.startswith("visa_facilitation is for the EU and its Member States to offer")


# -- who offers what ----------------------------------------------------------------------------


def test_visa_facilitation_is_the_communitys_and_legal_migration_the_member_states() -> None:
    assert VISA in COMMUNITY_OFFERS
    assert VISA not in MEMBER_STATE_OFFERS
    assert Component.LEGAL_MIGRATION in MEMBER_STATE_OFFERS
    assert Component.LEGAL_MIGRATION not in COMMUNITY_OFFERS
    assert Component.CAPACITY_BUILDING in COMMUNITY_OFFERS & MEMBER_STATE_OFFERS
    # Between them, the EU side offers every EU component and nothing of the third country's.
    assert COMMUNITY_OFFERS | MEMBER_STATE_OFFERS == EU_COMPONENTS
    assert not (COMMUNITY_OFFERS | MEMBER_STATE_OFFERS) & THIRD_COUNTRY_COMPONENTS


@given(ANY_COMPONENTS)
def test_a_member_state_may_offer_exactly_the_member_states_components(
    offers: frozenset[Component],
) -> None:
    assert (member_state_offers_refusal(offers) is None) == (offers <= MEMBER_STATE_OFFERS)


@given(ANY_COMPONENTS)
def test_the_community_may_offer_exactly_the_communitys_components(
    offers: frozenset[Component],
) -> None:
    assert (community_offers_refusal(offers) is None) == (offers <= COMMUNITY_OFFERS)


def test_a_member_state_offering_visa_facilitation_is_told_it_is_the_communitys() -> None:
    reason = member_state_offers_refusal({Component.LEGAL_MIGRATION, VISA})
    assert reason is not None
    assert reason.startswith("visa_facilitation is offered by the Community, not by a Member")
    assert POINT_10 in reason


def test_the_community_offering_legal_migration_is_told_it_is_the_member_states() -> None:
    reason = community_offers_refusal({Component.LEGAL_MIGRATION})
    assert reason is not None
    assert "offered by the Member States" in reason


# -- what a launch contains ---------------------------------------------------------------------


@given(ANY_COMPONENTS, ANY_COMPONENTS, ANY_COMPONENTS)
def test_a_launch_contains_only_what_was_offered_or_committed_and_always_readmission(
    components: frozenset[Component],
    offered: frozenset[Component],
    committed: frozenset[Component],
) -> None:
    reason = launch_components_refusal(components, offered=offered, committed=committed)
    allowed = components <= offered | committed and READMISSION in components
    assert (reason is None) == allowed
    if reason is not None:
        assert POINT_10 in reason


def test_a_launch_with_a_component_nobody_offered_names_it_and_what_was_offered() -> None:
    reason = launch_components_refusal(
        {Component.LEGAL_MIGRATION, READMISSION},
        offered={VISA},
        committed={ILLEGAL, READMISSION},
    )
    assert reason is not None
    assert reason.startswith("legal_migration was neither offered")
    assert reason.endswith(
        "only what was offered or committed: visa_facilitation, "
        "illegal_immigration_cooperation, readmission_and_return"
    )


def test_a_launch_without_readmission_and_return_is_refused() -> None:
    reason = launch_components_refusal(
        {Component.LEGAL_MIGRATION}, offered={Component.LEGAL_MIGRATION}, committed={READMISSION}
    )
    assert reason is not None
    assert "must include readmission_and_return" in reason


# -- who signs ----------------------------------------------------------------------------------


@given(CODES, CODES, CODES, CODES)
def test_those_that_took_part_or_declared_interest_later_may_sign_and_no_one_else(
    interested: frozenset[str],
    took_part: frozenset[str],
    late: frozenset[str],
    signing: frozenset[str],
) -> None:
    eligible = eligible_signatories(interested=interested, took_part=took_part, late=late)
    assert set(eligible) == interested | took_part | late
    assert list(eligible) == sorted(eligible)
    reason = signatories_refusal(signing, eligible=eligible)
    assert (reason is None) == (signing <= set(eligible))


def test_a_member_state_that_never_took_part_is_pointed_to_accession() -> None:
    eligible = eligible_signatories(interested=["PT"], took_part=["PT", "SI"], late=["ES"])
    assert eligible == ("ES", "PT", "SI")
    reason = signatories_refusal(["PT", "FR"], eligible=eligible)
    assert reason is not None
    assert reason.startswith("FR did not declare interest in the consultation")
    assert "by accession" in reason
    assert reason.endswith("Member States that may sign: ES, PT, SI")


# -- late interest and accession ------------------------------------------------------------------


@given(MEMBER_STATES, CODES, CODES)
def test_late_interest_is_declared_once_by_a_member_state_not_yet_interested(
    code: str, interested: frozenset[str], late: frozenset[str]
) -> None:
    reason = late_interest_refusal(code, interested=interested, late=late)
    assert (reason is None) == (code not in interested | late)


@given(MEMBER_STATES, CODES, CODES)
def test_a_member_state_accedes_once_and_only_when_it_did_not_sign(
    code: str, signatories: frozenset[str], acceded: frozenset[str]
) -> None:
    reason = accession_refusal(code, signatories=signatories, acceded=acceded)
    assert (reason is None) == (code not in signatories | acceded)
