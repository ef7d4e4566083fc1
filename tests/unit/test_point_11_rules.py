"""Issue 13's rules as `decide` applies them: the Presidency by date, the Council's target
date, a lapse's business date, and the rules before issue 13 kept for recorded workflows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import (
    Actor,
    AuthoriseTalks,
    CloseConsultation,
    Component,
    ConcludeTalks,
    ExtendDecisionDeadline,
    InvalidDate,
    InvalidInput,
    LapseDecisionDeadline,
    NotThePresidency,
    Outcome,
    Position,
    RecordCouncilDecision,
    Role,
    decide,
    has_passed,
    member_states_on,
    replay,
)
from domain.presidencies import LAST_DAY, presidency_on
from tests.unit.strategies import (
    COMMISSION,
    PRESIDENCY,
    SYSTEM,
    Story,
    answer,
    at_awaiting_talks_authorisation,
    at_council_decision,
    at_exploratory_talks,
    propose,
    rep,
)

# Recorded on 1 March 2026, business dates from the start of 2007 on: each in the table.
RECORDED = datetime(2026, 3, 1, 12, tzinfo=UTC)
BACKDATED = st.dates(min_value=date(2007, 1, 2), max_value=RECORDED.date())


def backfilled_awaiting_authorisation(target: date | None = None) -> Story:
    """A partnership proposed on 2 January 2007, ES interested, its consultation closed."""
    story = Story()
    story.do(
        propose(occurred_on=date(2007, 1, 2), council_target_date=target), COMMISSION, RECORDED
    )
    story.do(
        answer("ES", offers=(Component.LEGAL_MIGRATION,), occurred_on=date(2007, 1, 2)),
        rep("ES"),
        RECORDED,
    )
    story.do(CloseConsultation(occurred_on=date(2007, 1, 2)), COMMISSION, RECORDED)
    return story


@given(day=BACKDATED, data=st.data())
def test_a_presidency_step_is_accepted_exactly_from_the_presidency_in_office_that_day(
    day: date, data: st.DataObject
) -> None:
    story = backfilled_awaiting_authorisation()
    code = data.draw(st.sampled_from(member_states_on(day)))
    actor = Actor(id="official", role=Role.PRESIDENCY, member_state=code)
    command = AuthoriseTalks(occurred_on=day)
    if code == presidency_on(day):
        assert decide(story.state, command, actor, RECORDED)
    else:
        story.reject(command, actor, RECORDED, NotThePresidency, f"not by {code}")


def test_a_presidency_official_who_names_no_member_state_is_told_whom_to_act_as() -> None:
    nameless = Actor(id="joao", role=Role.PRESIDENCY)
    at_awaiting_talks_authorisation().reject(
        AuthoriseTalks(occurred_on=date(2025, 4, 8)),
        nameless,
        datetime(2025, 4, 8, 12, tzinfo=UTC),
        NotThePresidency,
        "names no Member State",
        "act as presidency:PL:joao",
    )


def test_before_issue_13_a_workflow_decides_as_it_did() -> None:
    # A run recorded before the point-11 patch passes point_11=False: a Presidency naming no
    # Member State, visa facilitation offered by a Member State and one commitment all stand.
    state = at_awaiting_talks_authorisation().state
    nameless = Actor(id="joao", role=Role.PRESIDENCY)
    now = datetime(2025, 4, 8, 12, tzinfo=UTC)
    assert decide(state, AuthoriseTalks(), nameless, now, point_11=False)
    with pytest.raises(NotThePresidency):
        decide(state, AuthoriseTalks(), nameless, now)
    talks = at_exploratory_talks().state
    lone = ConcludeTalks(third_country_willing=True, commitments=[Component.READMISSION_AND_RETURN])
    assert decide(talks, lone, COMMISSION, datetime(2025, 7, 1, tzinfo=UTC), point_11=False)
    story = Story()
    story.do(propose(), COMMISSION, datetime(2025, 3, 3, 12, tzinfo=UTC))
    visa = answer("ES", Position.INTERESTED, (Component.VISA_FACILITATION,))
    assert decide(story.state, visa, rep("ES"), datetime(2025, 3, 4, tzinfo=UTC), point_11=False)


def test_the_councils_target_date_is_recorded_and_its_decision_checked_against_it() -> None:
    story = at_council_decision()
    assert story.state.proposed_on is not None
    assert story.state.council_target_date is None
    target = story.state.proposed_on + timedelta(days=200)
    dated = Story()
    dated.do(propose(council_target_date=target), COMMISSION, datetime(2025, 3, 3, 12, tzinfo=UTC))
    assert dated.state.council_target_date == target
    for event in story.events[1:]:
        dated.state = replay([event], dated.state)
    late = target + timedelta(days=1)
    dated.reject(
        RecordCouncilDecision(outcome=Outcome.INVITE_LAUNCH, decided_on=late),
        PRESIDENCY,
        datetime(late.year, late.month, late.day, 12, tzinfo=UTC),
        InvalidDate,
        f"after the Council's own target date {target.isoformat()}",
    )


def test_a_target_before_the_proposal_or_beyond_the_horizon_is_refused() -> None:
    Story().reject(
        propose(occurred_on=date(2007, 6, 18), council_target_date=date(2007, 6, 1)),
        COMMISSION,
        RECORDED,
        InvalidDate,
        "is before the proposal's date (2007-06-18)",
    )
    Story().reject(
        propose(council_target_date=date(2040, 1, 1)),
        COMMISSION,
        RECORDED,
        InvalidDate,
        "lies more than 10 years after today",
    )
    with pytest.raises(InvalidInput, match="propose without council_target_date"):
        decide(
            Story().state,
            propose(council_target_date=date(2026, 12, 31)),
            COMMISSION,
            RECORDED,
            point_11=False,
        )


@given(hours=st.integers(min_value=0, max_value=24 * 4000))
def test_a_lapse_is_never_dated_in_the_future(hours: int) -> None:
    story = at_council_decision()
    deadline = story.state.decision_deadline
    assert deadline is not None
    now = datetime(deadline.year, deadline.month, deadline.day, tzinfo=UTC) + timedelta(hours=hours)
    if not has_passed(deadline, now):
        return
    [lapsed] = decide(story.state, LapseDecisionDeadline(), SYSTEM, now)
    assert lapsed.occurred_on <= now.date()
    assert lapsed.occurred_on == deadline


def test_the_table_reaches_every_business_date_recorded_today() -> None:
    # Business dates are never in the future, so until 2030 every one has its Presidency.
    assert RECORDED.date() <= LAST_DAY


def test_a_new_target_the_council_set_is_recorded_with_an_extension_and_then_holds() -> None:
    story = Story()
    proposed = datetime(2025, 3, 3, 12, tzinfo=UTC)
    first, second = date(2025, 9, 10), date(2025, 11, 30)
    story.do(propose(council_target_date=first), COMMISSION, proposed)
    for event in at_council_decision().events[1:]:
        story.state = replay([event], story.state)
    extending = ExtendDecisionDeadline(
        new_deadline=date(2026, 3, 31),
        reason="the Council set a new date",
        council_target_date=second,
    )
    story.reject(
        ExtendDecisionDeadline(
            new_deadline=date(2026, 3, 31), reason="typo", council_target_date=date(2025, 9, 1)
        ),
        PRESIDENCY,
        datetime(2025, 9, 5, 12, tzinfo=UTC),
        InvalidDate,
        "is before the current target date (2025-09-10)",
    )
    [extended] = story.do(extending, PRESIDENCY, datetime(2025, 9, 5, 12, tzinfo=UTC))
    assert getattr(extended, "council_target_date", None) == second
    assert story.state.council_target_date == second
    decided = date(2025, 11, 20)  # after the first target, before the second
    assert story.do(
        RecordCouncilDecision(outcome=Outcome.INVITE_LAUNCH, decided_on=decided),
        PRESIDENCY,
        datetime(2025, 11, 20, 12, tzinfo=UTC),
    )
