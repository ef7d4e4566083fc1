"""The programme's rules: the cap, its slots, and Council decisions naming several partnerships."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.actors import Actor, Role
from domain.commands import Outcome
from domain.errors import InvalidDate, NotPermitted
from domain.programme import (
    EMPTY_PROGRAMME,
    KEEPS_ITS_SLOT,
    CapReached,
    DecisionConflict,
    NamedPartnership,
    NotAnEnd,
    Programme,
    ProgrammeCapSet,
    ProgrammeEventBase,
    RecordJointDecision,
    SetCap,
    SetTermsOfReference,
    decide_free_slot,
    decide_joint_decision,
    decide_release_slot,
    decide_set_cap,
    decide_set_terms,
    decide_take_slot,
    evolve_programme,
    parse_programme_event,
    programme_event_payload,
    replay_programme,
)
from domain.stages import END_STAGES, Stage

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
PRESIDENCY = Actor(id="joao", role=Role.PRESIDENCY, member_state="PT")


def _capped(cap: int) -> Programme:
    event = decide_set_cap(
        EMPTY_PROGRAMME,
        SetCap(cap=cap, reason="a few pilots", set_by="ada"),
        role="administrator",
        now=NOW,
    )
    return evolve_programme(EMPTY_PROGRAMME, event)


def _take(programme: Programme, country: str, n: int = 1) -> Programme:
    event = decide_take_slot(
        programme, country, f"partnership-{country}/{n}", taken_on=date(2007, 6, 18), now=NOW
    )
    assert event is not None
    return evolve_programme(programme, event)


def test_a_programme_without_a_cap_takes_every_proposal() -> None:
    programme = EMPTY_PROGRAMME
    for country in ("CV", "MD", "GE", "SN", "AM"):
        programme = _take(programme, country)
    assert programme.held == 5
    assert programme.free is None


def test_a_proposal_beyond_the_cap_names_the_cap_and_the_partnerships_that_hold_it() -> None:
    programme = _take(_take(_capped(2), "CV"), "MD")
    with pytest.raises(CapReached) as refused:
        decide_take_slot(programme, "GE", "partnership-GE/1", taken_on=date(2008, 1, 1), now=NOW)
    message = str(refused.value)
    assert "limited to 2 pilot partnerships" in message
    assert "partnership-CV/1 (CV, since 2007-06-18)" in message
    assert "partnership-MD/1" in message
    assert "GE can be proposed when" in message


def test_a_retried_take_records_nothing_twice() -> None:
    programme = _take(_capped(1), "CV")
    assert (
        decide_take_slot(programme, "CV", "partnership-CV/1", taken_on=date(2007, 6, 18), now=NOW)
        is None
    )


@pytest.mark.parametrize("end", sorted(END_STAGES - KEEPS_ITS_SLOT))
def test_a_partnership_that_ends_frees_its_slot(end: Stage) -> None:
    programme = _take(_capped(1), "CV")
    freed = decide_free_slot(
        programme, "partnership-CV/1", end, occurred_on=date(2008, 1, 1), now=NOW
    )
    assert freed is not None
    assert freed.end_stage is end
    after = evolve_programme(programme, freed)
    assert after.held == 0
    assert after.free == 1
    assert _take(after, "MD").held == 1


def test_a_launched_partnership_frees_its_slot_as_its_procedure_ends() -> None:
    programme = _take(_capped(1), "CV")
    freed = decide_free_slot(
        programme, "partnership-CV/1", Stage.LAUNCHED, occurred_on=date(2008, 6, 5), now=NOW
    )
    assert freed is not None
    assert evolve_programme(programme, freed).free == 1


def test_a_slot_released_before_its_proposal_was_recorded_is_free_again() -> None:
    programme = _take(_capped(1), "CV")
    released = decide_release_slot(
        programme, "partnership-CV/1", reason="not recorded", occurred_on=date(2008, 1, 1), now=NOW
    )
    assert released is not None
    after = evolve_programme(programme, released)
    assert after.free == 1
    assert (
        decide_release_slot(
            after, "partnership-CV/1", reason="again", occurred_on=date(2008, 1, 1), now=NOW
        )
        is None
    )


def test_freeing_a_slot_twice_records_it_once() -> None:
    programme = _take(_capped(1), "CV")
    freed = decide_free_slot(
        programme, "partnership-CV/1", Stage.WITHDRAWN, occurred_on=date(2008, 1, 1), now=NOW
    )
    assert freed is not None
    after = evolve_programme(programme, freed)
    again = decide_free_slot(
        after, "partnership-CV/1", Stage.WITHDRAWN, occurred_on=date(2008, 1, 1), now=NOW
    )
    assert again is None


def test_a_slot_is_freed_only_at_an_end() -> None:
    programme = _take(_capped(1), "CV")
    with pytest.raises(NotAnEnd, match="not at an end"):
        decide_free_slot(
            programme,
            "partnership-CV/1",
            Stage.EXPLORATORY_TALKS,
            occurred_on=date(2008, 1, 1),
            now=NOW,
        )


def test_only_an_administrator_sets_the_cap_or_the_terms() -> None:
    with pytest.raises(NotPermitted, match="only an administrator"):
        decide_set_cap(
            EMPTY_PROGRAMME, SetCap(cap=3, reason="r", set_by="x"), role="commission", now=NOW
        )
    with pytest.raises(NotPermitted, match="only an administrator"):
        decide_set_terms(
            EMPTY_PROGRAMME, SetTermsOfReference(terms="t", set_by="x"), role="operator", now=NOW
        )


def test_a_cap_below_the_slots_held_stops_new_proposals_but_no_running_partnership() -> None:
    programme = _take(_take(_take(_capped(5), "CV"), "MD"), "GE")
    lowered = decide_set_cap(
        programme, SetCap(cap=1, reason="budget cut", set_by="ada"), role="administrator", now=NOW
    )
    assert lowered.held == 3
    after = evolve_programme(programme, lowered)
    assert after.held == 3
    assert after.over_cap == 2
    assert after.free == 0
    with pytest.raises(CapReached):
        decide_take_slot(after, "SN", "partnership-SN/1", taken_on=date(2008, 1, 1), now=NOW)


def test_terms_of_reference_recorded_again_unchanged_record_nothing() -> None:
    command = SetTermsOfReference(
        terms="Terms of reference of the pilots", reference="SEC(2007) 1", set_by="ada"
    )
    event = decide_set_terms(EMPTY_PROGRAMME, command, role="administrator", now=NOW)
    assert event is not None
    after = evolve_programme(EMPTY_PROGRAMME, event)
    assert after.terms_reference == "SEC(2007) 1"
    assert decide_set_terms(after, command, role="administrator", now=NOW) is None


def _decision(reference: str = "16454/07", on: date = date(2007, 12, 10)) -> RecordJointDecision:
    return RecordJointDecision(
        reference=reference,
        decided_on=on,
        outcome=Outcome.INVITE_LAUNCH,
        partnerships=[
            NamedPartnership(country="CV", stream_id="partnership-CV/1"),
            NamedPartnership(country="MD", stream_id="partnership-MD/1"),
        ],
    )


def test_one_council_decision_is_recorded_once_for_every_partnership_it_names() -> None:
    event = decide_joint_decision(EMPTY_PROGRAMME, _decision(), PRESIDENCY, now=NOW)
    assert event is not None
    assert [p.country for p in event.partnerships] == ["CV", "MD"]
    assert event.presidency == "PT"
    assert event.occurred_on == date(2007, 12, 10)
    after = evolve_programme(EMPTY_PROGRAMME, event)
    assert decide_joint_decision(after, _decision(), PRESIDENCY, now=NOW) is None


def test_a_decision_reference_recorded_with_other_content_is_refused() -> None:
    event = decide_joint_decision(EMPTY_PROGRAMME, _decision(), PRESIDENCY, now=NOW)
    assert event is not None
    after = evolve_programme(EMPTY_PROGRAMME, event)
    with pytest.raises(DecisionConflict, match="recorded already"):
        decide_joint_decision(after, _decision(on=date(2007, 12, 11)), PRESIDENCY, now=NOW)


def test_only_the_presidency_records_a_council_decision() -> None:
    commission = Actor(id="alice", role=Role.COMMISSION)
    with pytest.raises(NotPermitted, match="only the Presidency"):
        decide_joint_decision(EMPTY_PROGRAMME, _decision(), commission, now=NOW)


def test_a_council_decision_in_the_future_is_refused() -> None:
    with pytest.raises(InvalidDate, match="give a date between"):
        decide_joint_decision(EMPTY_PROGRAMME, _decision(on=date(2027, 1, 1)), PRESIDENCY, now=NOW)


def test_a_decision_naming_a_country_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="CV more than once"):
        RecordJointDecision(
            reference="x",
            decided_on=date(2007, 12, 10),
            outcome=Outcome.DECLINE,
            partnerships=[
                NamedPartnership(country="CV", stream_id="partnership-CV/1"),
                NamedPartnership(country="CV", stream_id="partnership-CV/2"),
            ],
        )


def test_every_programme_event_survives_its_stored_payload() -> None:
    programme = _take(_capped(2), "CV")
    events = [
        decide_set_cap(
            EMPTY_PROGRAMME, SetCap(cap=2, reason="r", set_by="ada"), role="administrator", now=NOW
        ),
        decide_take_slot(programme, "MD", "partnership-MD/1", taken_on=date(2007, 6, 18), now=NOW),
        decide_free_slot(
            programme, "partnership-CV/1", Stage.LAPSED, occurred_on=date(2008, 1, 1), now=NOW
        ),
        decide_joint_decision(EMPTY_PROGRAMME, _decision(), PRESIDENCY, now=NOW),
        decide_set_terms(
            EMPTY_PROGRAMME,
            SetTermsOfReference(terms="t", set_by="a"),
            role="administrator",
            now=NOW,
        ),
    ]
    for event in events:
        assert event is not None
        assert parse_programme_event(programme_event_payload(event)) == event


# A step of the programme's life: ("take", country), ("free", country, end) or ("cap", n).
_COUNTRIES = st.sampled_from(["CV", "MD", "GE", "SN", "AM", "MA", "UA", "TN"])
_STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("take"), _COUNTRIES),
        st.tuples(st.just("free"), _COUNTRIES, st.sampled_from(sorted(END_STAGES))),
        st.tuples(st.just("cap"), st.integers(min_value=0, max_value=6)),
    ),
    max_size=60,
)


@given(first_cap=st.integers(min_value=0, max_value=6), steps=_STEPS)
def test_a_take_never_brings_the_slots_held_above_the_cap(
    first_cap: int, steps: list[tuple[object, ...]]
) -> None:
    programme = _capped(first_cap)
    lowered_below = False
    events: list[ProgrammeEventBase] = []
    for step in steps:
        event: ProgrammeEventBase | None
        if step[0] == "take":
            country = str(step[1])
            before = programme.held
            try:
                event = decide_take_slot(
                    programme,
                    country,
                    f"partnership-{country}/1",
                    taken_on=date(2008, 1, 1),
                    now=NOW,
                )
            except CapReached:
                assert programme.cap is not None
                assert programme.held >= programme.cap
                continue
            if event is None:
                continue
            programme = evolve_programme(programme, event)
            assert programme.cap is None or programme.held <= programme.cap
            assert programme.held == before + 1
        elif step[0] == "free":
            country, end = str(step[1]), step[2]
            assert isinstance(end, Stage)
            event = decide_free_slot(
                programme, f"partnership-{country}/1", end, occurred_on=date(2008, 1, 1), now=NOW
            )
            if event is None:
                continue
            programme = evolve_programme(programme, event)
        else:
            cap = step[1]
            assert isinstance(cap, int)
            event = decide_set_cap(
                programme, SetCap(cap=cap, reason="r", set_by="ada"), role="administrator", now=NOW
            )
            lowered_below = lowered_below or cap < programme.held
            programme = evolve_programme(programme, event)
        assert event is not None
        events.append(event)
        if not lowered_below:
            assert programme.cap is not None
            assert programme.held <= programme.cap
    # The fold of the whole record is the state the steps built, one event at a time.
    assert replay_programme([_capped_event(first_cap), *events]) == programme


def _capped_event(cap: int) -> ProgrammeCapSet:
    return decide_set_cap(
        EMPTY_PROGRAMME,
        SetCap(cap=cap, reason="a few pilots", set_by="ada"),
        role="administrator",
        now=NOW,
    )
