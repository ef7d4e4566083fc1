"""Every rejection: its error type, a message that says what was wrong and what is allowed,
and nothing recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain import (
    Actor,
    AlreadyStarted,
    AuthoriseTalks,
    CloseConsultation,
    Component,
    ConcludeTalks,
    ForeignMemberState,
    InvalidCountry,
    InvalidDeadline,
    InvalidInput,
    LaunchPartnership,
    NotAMemberState,
    NotAThirdCountry,
    NotInterested,
    NotPermitted,
    Outcome,
    Partnership,
    Position,
    Recommendation,
    RecordCouncilDecision,
    Stage,
    SubmitReport,
    Withdraw,
    WrongStage,
    decide,
)
from tests.unit.strategies import (
    CLOSED,
    COMMISSION,
    COMMITMENTS,
    CONCLUDED,
    DECIDED,
    ENDED_STAGES,
    LAST_STEP,
    OPERATOR,
    PRESIDENCY,
    PROPOSED,
    REPORTED,
    ROUND_2,
    SIGNED,
    Story,
    answer,
    at,
    at_awaiting_talks_authorisation,
    at_consultation,
    at_council_decision,
    at_exploratory_talks,
    at_launch_preparation,
    at_report_due,
    propose,
    rep,
    talks_round,
)

# -- proposal -----------------------------------------------------------------------------


def test_an_unknown_country_code_is_not_a_country() -> None:
    Story().reject(
        propose("XX"),
        COMMISSION,
        PROPOSED,
        InvalidCountry,
        "XX is not an ISO 3166-1 alpha-2 country code",
    )


@pytest.mark.parametrize("code", ["CPV", "C", "1V", "EU", "  "])
def test_malformed_country_codes_are_rejected(code: str) -> None:
    error = Story().reject(propose(code), COMMISSION, PROPOSED, InvalidCountry)

    assert "is not an ISO 3166-1 alpha-2 country code" in str(error)


def test_a_member_state_cannot_be_proposed_as_a_third_country() -> None:
    Story().reject(
        propose("FR"),
        COMMISSION,
        PROPOSED,
        NotAThirdCountry,
        "FR is an EU Member State, not a third country",
        "propose a country outside the Union",
    )


@pytest.mark.parametrize(("code", "shown"), [("GR", "EL"), ("el", "EL"), ("GB", "UK")])
def test_a_member_state_proposed_under_either_code_is_named_as_the_eu_writes_it(
    code: str, shown: str
) -> None:
    Story().reject(
        propose(code, occurred_on=date(2019, 6, 1)),
        COMMISSION,
        PROPOSED,
        NotAThirdCountry,
        f"{shown} is an EU Member State, not a third country (on 2019-06-01)",
    )


def test_a_partnership_cannot_be_proposed_twice() -> None:
    story = at_consultation()
    story.reject(
        propose(),
        COMMISSION,
        at(2025, 3, 20),
        AlreadyStarted,
        "already proposed",
        "stage consultation",
    )


@pytest.mark.parametrize("actor", [PRESIDENCY, OPERATOR, rep("FR")], ids=str)
def test_only_the_commission_may_propose(actor: Actor) -> None:
    Story().reject(
        propose(), actor, PROPOSED, NotPermitted, "may not propose", "only commission may"
    )


def test_a_consultation_deadline_in_the_past_is_rejected() -> None:
    Story().reject(
        propose(consultation_deadline=date(2025, 3, 2)),
        COMMISSION,
        PROPOSED,
        InvalidDeadline,
        "the consultation deadline 2025-03-02 has passed",
        "give a date between 2025-03-03 and 2035-03-03",
    )


def test_a_consultation_deadline_today_is_still_open() -> None:
    story = Story()
    story.do(propose(consultation_deadline=PROPOSED.date()), COMMISSION, PROPOSED)

    assert story.state.consultation_deadline == PROPOSED.date()


def test_a_decision_deadline_before_the_consultation_deadline_is_rejected() -> None:
    Story().reject(
        propose(consultation_deadline=date(2025, 5, 1), decision_deadline=date(2025, 4, 30)),
        COMMISSION,
        PROPOSED,
        InvalidDeadline,
        "the decision deadline 2025-04-30 is before the consultation deadline 2025-05-01",
        "give a date between 2025-05-01 and 2035-03-03",
    )


@pytest.mark.parametrize("consultation_deadline", [None, date(2025, 3, 31)])
def test_a_decision_deadline_in_the_past_is_rejected(consultation_deadline: date | None) -> None:
    Story().reject(
        propose(decision_deadline=date(2024, 12, 31), consultation_deadline=consultation_deadline),
        COMMISSION,
        PROPOSED,
        InvalidDeadline,
        "the decision deadline 2024-12-31 has passed",
        "give a date between 2025-03-03 and 2035-03-03",
    )


def test_a_defaulted_consultation_ends_no_later_than_a_chosen_decision_deadline() -> None:
    story = Story()
    story.do(propose(decision_deadline=date(2025, 3, 20)), COMMISSION, PROPOSED)

    assert story.state.consultation_deadline == date(2025, 3, 20)
    assert story.state.decision_deadline == date(2025, 3, 20)


def test_decide_needs_a_timezone_aware_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(Partnership(), propose(), COMMISSION, datetime(2025, 3, 3, 12))


def test_nothing_but_a_proposal_can_happen_before_a_partnership_is_proposed() -> None:
    Story().reject(
        answer("FR"),
        rep("FR"),
        PROPOSED,
        WrongStage,
        "no partnership has been proposed yet",
        "the Commission must propose it first",
    )


# -- consultation -------------------------------------------------------------------------


def test_a_member_state_cannot_answer_for_another() -> None:
    at_consultation().reject(
        answer("IT"),
        rep("FR"),
        at(2025, 3, 20),
        ForeignMemberState,
        "rep-fr (member_state, FR) may answer only for FR, not for IT",
    )


def test_a_foreign_answer_is_a_permission_error() -> None:
    assert issubclass(ForeignMemberState, NotPermitted)


def test_a_country_outside_the_union_cannot_answer_the_consultation() -> None:
    at_consultation().reject(
        answer("NO"),
        rep("FR"),
        at(2025, 3, 20),
        NotAMemberState,
        "NO is not an EU Member State on 2025-03-20",
        "the Member States then were: AT, BE, BG,",
    )


def test_a_former_member_state_cannot_answer_after_it_left() -> None:
    story = Story()
    story.do(propose(occurred_on=date(2020, 1, 20)), COMMISSION, at(2020, 1, 20))
    story.do(answer("UK"), rep("UK"), at(2020, 1, 31))
    story.reject(
        answer("UK"),
        rep("UK"),
        at(2020, 2, 1),
        NotAMemberState,
        "UK is not an EU Member State on 2020-02-01",
    )


def test_the_commission_cannot_answer_the_consultation() -> None:
    at_consultation().reject(
        answer("FR"),
        COMMISSION,
        at(2025, 3, 20),
        NotPermitted,
        "alice (commission) may not respond to consultation",
        "only member_state may",
    )


def test_a_member_state_that_is_not_interested_makes_no_offers() -> None:
    at_consultation().reject(
        answer("IT", Position.NOT_INTERESTED, offers=(Component.LEGAL_MIGRATION,)),
        rep("IT"),
        at(2025, 3, 20),
        InvalidInput,
        "a Member State that is not interested makes no offers",
        "answer `interested` to offer components, or leave offers empty",
    )


@pytest.mark.parametrize(
    "component", [Component.READMISSION_AND_RETURN, Component.ILLEGAL_IMMIGRATION_COOPERATION]
)
def test_a_member_state_cannot_offer_what_the_third_country_commits_to(
    component: Component,
) -> None:
    error = at_consultation().reject(
        answer("IT", offers=(Component.LEGAL_MIGRATION, component)),
        rep("IT"),
        at(2025, 3, 20),
        InvalidInput,
        f"{component.value} is for the third country to commit to",
        "Member States may offer: legal_migration, migration_and_development",
    )
    assert "readmission_and_return, " not in str(error).split("may offer:")[1]


def test_an_answer_after_the_consultation_closed_is_at_the_wrong_stage() -> None:
    at_awaiting_talks_authorisation().reject(
        answer("IT"),
        rep("IT"),
        at(2025, 4, 2),
        WrongStage,
        "cannot respond_to_consultation while the partnership is at stage "
        "awaiting_talks_authorisation",
        "respond_to_consultation is possible at: consultation",
    )


def test_only_the_commission_or_the_engine_may_close_the_consultation() -> None:
    at_consultation().reject(
        CloseConsultation(),
        rep("FR"),
        CLOSED,
        NotPermitted,
        "may not close consultation",
        "only commission may",
    )


# -- talks ----------------------------------------------------------------------------------


def test_a_presidency_only_step_cannot_be_taken_by_the_commission() -> None:
    at_awaiting_talks_authorisation().reject(
        AuthoriseTalks(),
        COMMISSION,
        at(2025, 4, 8),
        NotPermitted,
        "alice (commission) may not authorise talks",
        "only presidency may",
    )


def test_talks_cannot_start_without_the_presidencys_authorisation() -> None:
    at_awaiting_talks_authorisation().reject(
        talks_round("FR", held_on=date(2025, 4, 5)),
        COMMISSION,
        at(2025, 4, 5),
        WrongStage,
        "at stage awaiting_talks_authorisation",
        "record_talks_round is possible at: exploratory_talks",
    )


def test_a_member_state_that_did_not_declare_interest_cannot_take_part_in_talks() -> None:
    at_exploratory_talks().reject(
        talks_round("FR", "DE", held_on=date(2025, 6, 10)),
        COMMISSION,
        at(2025, 6, 10),
        NotInterested,
        "DE did not declare interest in the consultation, so it cannot take part in talks",
        # Poland held the Presidency on the day, so it might have taken part.
        "nor hold the Presidency on 2025-06-10 (PL)",
        "Member States that may take part: ES, FR, PL, PT",
    )


def test_a_third_country_cannot_take_part_in_talks_as_a_member_state() -> None:
    at_exploratory_talks().reject(
        talks_round("FR", "CH", held_on=date(2025, 6, 10)),
        COMMISSION,
        at(2025, 6, 10),
        NotAMemberState,
        "CH is not an EU Member State on 2025-06-10",
    )


def test_a_member_state_cannot_record_a_talks_round() -> None:
    at_exploratory_talks().reject(
        talks_round("FR", held_on=date(2025, 6, 10)),
        rep("FR"),
        at(2025, 6, 10),
        NotPermitted,
        "only commission may",
    )


def test_talks_cannot_conclude_willing_without_a_round() -> None:
    at_exploratory_talks(rounds=False).reject(
        ConcludeTalks(third_country_willing=True, commitments=list(COMMITMENTS)),
        COMMISSION,
        CONCLUDED,
        InvalidInput,
        "record at least one talks round before concluding that the third country is willing",
    )


def test_an_unwilling_third_country_commits_to_nothing() -> None:
    at_exploratory_talks().reject(
        ConcludeTalks(third_country_willing=False, commitments=list(COMMITMENTS)),
        COMMISSION,
        CONCLUDED,
        InvalidInput,
        "an unwilling third country commits to nothing; leave commitments empty",
    )


def test_the_presidency_cannot_conclude_the_talks() -> None:
    at_exploratory_talks().reject(
        ConcludeTalks(third_country_willing=True),
        PRESIDENCY,
        CONCLUDED,
        NotPermitted,
        "pedro (presidency) may not conclude talks",
        "only commission may",
    )


# -- report and decision -----------------------------------------------------------------


def test_no_report_is_due_while_talks_are_running() -> None:
    at_exploratory_talks().reject(
        SubmitReport(recommendation=Recommendation.LAUNCH, summary="Early"),
        COMMISSION,
        ROUND_2,
        WrongStage,
        "at stage exploratory_talks",
        "submit_report is possible at: report_due",
    )


def test_the_presidency_cannot_submit_the_report() -> None:
    at_report_due().reject(
        SubmitReport(recommendation=Recommendation.LAUNCH, summary="x"),
        PRESIDENCY,
        REPORTED,
        NotPermitted,
        "only commission may",
    )


def test_the_commission_cannot_record_the_councils_decision() -> None:
    at_council_decision().reject(
        RecordCouncilDecision(outcome=Outcome.INVITE_LAUNCH, decided_on=DECIDED.date()),
        COMMISSION,
        DECIDED,
        NotPermitted,
        "alice (commission) may not record council decision",
        "only presidency may",
    )


def test_a_decision_after_the_deadline_passed_is_rejected_because_the_partnership_lapses() -> None:
    at_council_decision().reject(
        RecordCouncilDecision(outcome=Outcome.INVITE_LAUNCH, decided_on=date(2025, 12, 20)),
        PRESIDENCY,
        at(2026, 1, 1, 0),
        InvalidDeadline,
        "the decision deadline 2025-12-31 has passed without a decision",
        "the partnership lapses",
    )


def test_a_decision_on_the_deadline_day_is_still_in_time() -> None:
    story = at_council_decision()
    story.do(
        RecordCouncilDecision(outcome=Outcome.INVITE_LAUNCH, decided_on=date(2025, 12, 31)),
        PRESIDENCY,
        datetime(2025, 12, 31, 23, 59, tzinfo=UTC),
    )

    assert story.stage is Stage.LAUNCH_PREPARATION


# -- launch -------------------------------------------------------------------------------


def _launch(*codes: str, signed_on: date = SIGNED.date()) -> LaunchPartnership:
    return LaunchPartnership(
        member_states=list(codes), components=[Component.LEGAL_MIGRATION], signed_on=signed_on
    )


def test_a_launch_with_a_signatory_that_never_declared_interest_is_rejected() -> None:
    at_launch_preparation().reject(
        _launch("FR", "IT"),
        COMMISSION,
        SIGNED,
        NotInterested,
        "IT did not declare interest in the consultation, so it cannot sign the joint declaration",
        "it may join the launched partnership by accession",
        "Member States that may sign: ES, FR, PT",
    )


def test_a_member_state_that_answered_not_interested_cannot_sign() -> None:
    at_launch_preparation().reject(
        _launch("DE"), COMMISSION, SIGNED, NotInterested, "DE did not declare interest"
    )


def test_a_launch_before_the_council_invited_it_is_at_the_wrong_stage() -> None:
    at_council_decision().reject(
        _launch("FR"),
        COMMISSION,
        SIGNED,
        WrongStage,
        "at stage council_decision",
        "launch_partnership is possible at: launch_preparation",
    )


def test_the_presidency_cannot_launch_the_partnership() -> None:
    at_launch_preparation().reject(
        _launch("FR"), PRESIDENCY, SIGNED, NotPermitted, "only commission may"
    )


# -- ends -----------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", list(ENDED_STAGES))
def test_an_ended_partnership_accepts_nothing_more(stage: Stage) -> None:
    story = ENDED_STAGES[stage]()
    assert story.stage is stage
    later = LAST_STEP[stage].replace(year=2027)
    story.reject(
        Withdraw(reason="Too late"),
        COMMISSION,
        later,
        WrongStage,
        f"the partnership with CV has ended ({stage.value})",
        "nothing more can be done to it",
    )
    story.reject(
        propose(),
        COMMISSION,
        later,
        AlreadyStarted,
        f"the partnership with CV has ended ({stage.value}) and its record is closed",
        "propose the country again as a new partnership",
    )


@pytest.mark.parametrize("stage", list(ENDED_STAGES))
def test_an_ended_partnership_accepts_no_member_state_answer_or_decision(stage: Stage) -> None:
    story = ENDED_STAGES[stage]()
    later = LAST_STEP[stage].replace(year=2027)
    story.reject(answer("FR"), rep("FR"), later, WrongStage, "has ended")
    story.reject(
        RecordCouncilDecision(outcome=Outcome.DECLINE, decided_on=later.date()),
        PRESIDENCY,
        later,
        WrongStage,
        "has ended",
    )


def test_withdrawal_is_for_the_commission_only() -> None:
    at_consultation().reject(
        Withdraw(reason="No"),
        PRESIDENCY,
        at(2025, 3, 20),
        NotPermitted,
        "pedro (presidency) may not withdraw",
        "only commission may",
    )


def test_an_answer_after_the_consultation_deadline_passed_is_rejected() -> None:
    story = at_consultation()
    story.do(answer("IT"), rep("IT"), datetime(2025, 4, 14, 23, 59, tzinfo=UTC))
    story.reject(
        answer("IT", Position.NOT_INTERESTED),
        rep("IT"),
        at(2025, 4, 15, 0),
        InvalidDeadline,
        "the consultation deadline 2025-04-14 has passed, so answers are no longer accepted",
    )
