"""Every transition of DESIGN.md §2, one test each, with what the events record."""

from __future__ import annotations

from datetime import date

import pytest

from domain import (
    Actor,
    AuthoriseTalks,
    CloseConsultation,
    Component,
    ConcludeTalks,
    LaunchPartnership,
    Outcome,
    Position,
    Recommendation,
    RecordCouncilDecision,
    Region,
    Role,
    Stage,
    SubmitReport,
    Withdraw,
    replay,
)
from domain.events import (
    ConsultationAnswered,
    ConsultationClosed,
    CouncilDecisionRecorded,
    PartnershipLaunched,
    PartnershipNotPursued,
    PartnershipProposed,
    PartnershipWithdrawn,
    ReportSubmitted,
    TalksAuthorised,
    TalksConcluded,
    TalksRoundRecorded,
)
from tests.unit.strategies import (
    AUTHORISED,
    CLOSED,
    COMMISSION,
    COMMITMENTS,
    CONCLUDED,
    CONSULTATION_DEADLINE,
    DECIDED,
    DECISION_DEADLINE,
    LAST_STEP,
    OFFERS_FR,
    OPEN_STAGES,
    PRESIDENCY,
    PROPOSED,
    REPORTED,
    ROUND_1,
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


def test_the_commission_proposes_a_partnership_which_opens_the_consultation() -> None:
    story = Story()
    [event] = story.do(propose("CV"), COMMISSION, PROPOSED)

    assert isinstance(event, PartnershipProposed)
    assert event.country == "CV"
    assert event.region is Region.AFRICA_MEDITERRANEAN
    assert event.actor == COMMISSION
    assert event.occurred_on == PROPOSED.date()
    assert event.recorded_at == PROPOSED
    assert event.consultation_deadline == CONSULTATION_DEADLINE
    assert event.decision_deadline == DECISION_DEADLINE
    assert story.stage is Stage.CONSULTATION
    assert story.state.country == "CV"
    assert story.state.proposed_on == PROPOSED.date()
    assert story.state.version == 1


def test_a_proposal_keeps_its_explicit_business_date_deadlines_and_region() -> None:
    story = Story()
    [event] = story.do(
        propose(
            "md",
            occurred_on=date(2025, 2, 20),
            consultation_deadline=date(2025, 5, 1),
            decision_deadline=date(2026, 6, 30),
            region=Region.OTHER,
        ),
        COMMISSION,
        PROPOSED,
    )

    assert isinstance(event, PartnershipProposed)
    assert event.country == "MD"
    assert event.occurred_on == date(2025, 2, 20)
    assert event.consultation_deadline == date(2025, 5, 1)
    assert event.decision_deadline == date(2026, 6, 30)
    assert story.state.region is Region.OTHER


def test_a_defaulted_decision_deadline_moves_to_next_year_when_the_consultation_runs_past_it() -> (
    None
):
    story = Story()
    story.do(propose(consultation_deadline=date(2026, 1, 15)), COMMISSION, at(2025, 12, 1))

    assert story.state.decision_deadline == date(2026, 12, 31)


def test_a_member_state_answers_the_consultation_for_itself() -> None:
    story = Story()
    story.do(propose(), COMMISSION, PROPOSED)
    [event] = story.do(
        answer("FR", offers=OFFERS_FR, comments="Seasonal workers"), rep("FR"), at(2025, 3, 10)
    )

    assert isinstance(event, ConsultationAnswered)
    assert event.member_state == "FR"
    assert event.position is Position.INTERESTED
    assert event.offers == OFFERS_FR
    assert event.comments == "Seasonal workers"
    assert event.occurred_on == date(2025, 3, 10)
    assert story.stage is Stage.CONSULTATION
    assert story.state.interested_member_states == ("FR",)
    assert story.state.latest_answers["FR"].answered_by == "rep-fr"


def test_repeated_offers_are_recorded_once() -> None:
    story = Story()
    story.do(propose(), COMMISSION, PROPOSED)
    offers = (Component.LEGAL_MIGRATION, Component.LEGAL_MIGRATION)
    [event] = story.do(answer("FR", offers=offers), rep("FR"), at(2025, 3, 10))

    assert isinstance(event, ConsultationAnswered)
    assert event.offers == (Component.LEGAL_MIGRATION,)


def test_an_amended_answer_counts_and_every_answer_stays_in_the_record() -> None:
    story = Story()
    story.do(propose(), COMMISSION, PROPOSED)
    story.do(answer("IT", offers=OFFERS_FR), rep("IT"), at(2025, 3, 10))
    story.do(answer("IT", Position.NOT_INTERESTED), rep("IT"), at(2025, 3, 20))
    story.do(answer("IT", offers=(Component.CAPACITY_BUILDING,)), rep("IT"), at(2025, 3, 25))

    answered = [e for e in story.events if isinstance(e, ConsultationAnswered)]
    assert [e.position for e in answered] == [
        Position.INTERESTED,
        Position.NOT_INTERESTED,
        Position.INTERESTED,
    ]
    assert story.state.answers_given == {"IT": 3}
    assert len(story.state.answers) == 1, "the state keeps the latest answer only"
    latest = story.state.latest_answers["IT"]
    assert latest.offers == (Component.CAPACITY_BUILDING,)
    assert latest.answered_on == date(2025, 3, 25)
    assert story.state.interested_member_states == ("IT",)


def test_an_answer_amended_to_not_interested_removes_the_member_state_from_the_interested() -> None:
    story = at_consultation()
    story.do(answer("ES", Position.NOT_INTERESTED), rep("ES"), at(2025, 3, 20))

    assert story.state.interested_member_states == ("FR", "PT")
    assert story.state.answers_given["ES"] == 2


def test_the_commission_closes_the_consultation_and_talks_await_authorisation() -> None:
    story = at_consultation()
    [event] = story.do(CloseConsultation(), COMMISSION, CLOSED)

    assert isinstance(event, ConsultationClosed)
    assert event.by_deadline is False
    assert event.interested_member_states == ("ES", "FR", "PT")
    assert event.occurred_on == CLOSED.date()
    assert story.stage is Stage.AWAITING_TALKS_AUTHORISATION
    assert story.state.consultation_closed_on == CLOSED.date()


def test_no_interested_member_state_at_closure_means_the_partnership_is_not_pursued() -> None:
    story = Story()
    story.do(propose(), COMMISSION, PROPOSED)
    story.do(answer("DE", Position.NOT_INTERESTED), rep("DE"), at(2025, 3, 12))
    story.do(answer("FR"), rep("FR"), at(2025, 3, 12))
    story.do(answer("FR", Position.NOT_INTERESTED), rep("FR"), at(2025, 3, 13))
    closed, not_pursued = story.do(CloseConsultation(), COMMISSION, CLOSED)

    assert isinstance(closed, ConsultationClosed)
    assert closed.interested_member_states == ()
    assert isinstance(not_pursued, PartnershipNotPursued)
    assert "no Member State declared interest (2 answered)" in not_pursued.reason
    assert story.stage is Stage.NOT_PURSUED
    assert story.state.end_reason == not_pursued.reason


def test_a_consultation_nobody_answered_is_not_pursued() -> None:
    story = Story()
    story.do(propose(), COMMISSION, PROPOSED)
    story.do(CloseConsultation(), COMMISSION, CLOSED)

    assert story.stage is Stage.NOT_PURSUED


def test_the_presidency_authorises_exploratory_talks() -> None:
    story = at_awaiting_talks_authorisation()
    [event] = story.do(AuthoriseTalks(note="Proceed"), PRESIDENCY, AUTHORISED)

    assert isinstance(event, TalksAuthorised)
    assert event.note == "Proceed"
    # The Presidency in office on the authorisation's date: Poland, in the first half of 2025.
    assert event.actor == Actor(id=PRESIDENCY.id, role=Role.PRESIDENCY, member_state="PL")
    assert story.stage is Stage.EXPLORATORY_TALKS
    assert story.state.talks_authorised_on == AUTHORISED.date()


def test_talks_rounds_are_numbered_and_name_interested_member_states() -> None:
    story = at_exploratory_talks(rounds=False)
    [first] = story.do(talks_round("FR", held_on=ROUND_1.date()), COMMISSION, ROUND_1)
    [second] = story.do(
        talks_round("pt", "ES", "FR", "ES", held_on=date(2025, 5, 20)), COMMISSION, at(2025, 6, 1)
    )

    assert isinstance(first, TalksRoundRecorded)
    assert isinstance(second, TalksRoundRecorded)
    assert (first.round_number, second.round_number) == (1, 2)
    assert second.member_states == ("PT", "ES", "FR")
    assert second.occurred_on == date(2025, 5, 20)
    assert [r.number for r in story.state.rounds] == [1, 2]
    assert story.stage is Stage.EXPLORATORY_TALKS


def test_talks_concluded_with_a_willing_third_country_make_the_report_due() -> None:
    story = at_exploratory_talks()
    [event] = story.do(
        ConcludeTalks(third_country_willing=True, commitments=list(COMMITMENTS)),
        COMMISSION,
        CONCLUDED,
    )

    assert isinstance(event, TalksConcluded)
    assert event.commitments == COMMITMENTS
    assert story.stage is Stage.REPORT_DUE
    assert story.state.talks is not None
    assert story.state.talks.concluded_on == CONCLUDED.date()


def test_an_unwilling_third_country_ends_the_talks_as_failed() -> None:
    story = at_exploratory_talks()
    [event] = story.do(ConcludeTalks(third_country_willing=False), COMMISSION, CONCLUDED)

    assert isinstance(event, TalksConcluded)
    assert event.third_country_willing is False
    assert story.stage is Stage.TALKS_FAILED


def test_a_third_country_may_prove_unwilling_before_any_round_is_held() -> None:
    story = at_exploratory_talks(rounds=False)
    story.do(ConcludeTalks(third_country_willing=False), COMMISSION, CONCLUDED)

    assert story.stage is Stage.TALKS_FAILED


def test_the_commission_submits_its_report_back_with_a_recommendation() -> None:
    story = at_report_due()
    [event] = story.do(
        SubmitReport(recommendation=Recommendation.DO_NOT_LAUNCH, summary="Not ready"),
        COMMISSION,
        REPORTED,
    )

    assert isinstance(event, ReportSubmitted)
    assert event.recommendation is Recommendation.DO_NOT_LAUNCH
    assert story.stage is Stage.COUNCIL_DECISION
    assert story.state.report is not None
    assert story.state.report.submitted_on == REPORTED.date()


def test_the_council_invites_the_commission_to_launch() -> None:
    story = at_council_decision()
    [event] = story.do(
        RecordCouncilDecision(outcome=Outcome.INVITE_LAUNCH, decided_on=date(2025, 11, 18)),
        PRESIDENCY,
        DECIDED,
    )

    assert isinstance(event, CouncilDecisionRecorded)
    assert event.occurred_on == date(2025, 11, 18)
    assert story.stage is Stage.LAUNCH_PREPARATION
    assert story.state.decision is not None
    assert story.state.decision.outcome is Outcome.INVITE_LAUNCH


def test_a_council_decline_ends_the_partnership_as_declined() -> None:
    story = at_council_decision()
    story.do(
        RecordCouncilDecision(outcome=Outcome.DECLINE, decided_on=DECIDED.date()),
        PRESIDENCY,
        DECIDED,
    )

    assert story.stage is Stage.DECLINED
    assert story.state.decision is not None
    assert story.state.decision.outcome is Outcome.DECLINE


def test_the_launch_records_signatories_components_and_the_joint_declaration() -> None:
    story = at_launch_preparation()
    [event] = story.do(
        LaunchPartnership(
            member_states=["fr", "PT"],
            components=[
                Component.LEGAL_MIGRATION,
                Component.LEGAL_MIGRATION,
                Component.READMISSION_AND_RETURN,
            ],
            signed_on=date(2026, 2, 5),
            joint_declaration_reference="JD 1/26",
        ),
        COMMISSION,
        SIGNED,
    )

    assert isinstance(event, PartnershipLaunched)
    assert event.member_states == ("FR", "PT")
    assert event.components == (Component.LEGAL_MIGRATION, Component.READMISSION_AND_RETURN)
    assert event.occurred_on == date(2026, 2, 5)
    assert story.stage is Stage.LAUNCHED
    assert story.state.launch is not None
    assert story.state.launch.joint_declaration_reference == "JD 1/26"


@pytest.mark.parametrize("stage", list(OPEN_STAGES))
def test_the_commission_may_withdraw_at_every_open_stage(stage: Stage) -> None:
    story = OPEN_STAGES[stage]()
    now = LAST_STEP[stage]
    [event] = story.do(Withdraw(reason="The context changed"), COMMISSION, now)

    assert isinstance(event, PartnershipWithdrawn)
    assert event.stage is stage
    assert event.reason == "The context changed"
    assert story.stage is Stage.WITHDRAWN
    assert story.state.end_reason == "The context changed"
    assert story.state.end_reason == "The context changed"


def test_the_whole_path_replays_to_where_it_stands_before_the_launch() -> None:
    state = replay(at_launch_preparation().events)

    assert state.stage is Stage.LAUNCH_PREPARATION
    assert state.version == 12
    assert state.interested_member_states == ("ES", "FR", "PT")
    assert [r.number for r in state.rounds] == [1, 2]
    assert state.decision is not None
    assert state.decision.outcome is Outcome.INVITE_LAUNCH
    assert state.decision.council_reference == "Council 1234/25"
    assert state.last_recorded_at == DECIDED


def test_everyone_who_acted_is_listed_once_as_a_participant() -> None:
    story = at_launch_preparation()
    who = [(p.id, p.member_state) for p in story.state.participants]

    # The Presidency acted twice, once for each Member State that held it on the day.
    assert who == [
        ("alice", None),
        ("rep-fr", "FR"),
        ("rep-es", "ES"),
        ("rep-de", "DE"),
        ("rep-pt", "PT"),
        ("pedro", "PL"),
        ("pedro", "DK"),
    ]


def test_a_milestone_is_reached_at_each_report_back_moment() -> None:
    story = at_council_decision()
    kinds = [m.kind.value for m in story.state.milestones]

    assert kinds == ["consultation_outcome", "talks_outcome", "report_to_council"]
    assert [m.version for m in story.state.milestones] == [6, 10, 11]
    assert story.state.milestones[0].occurred_on == CLOSED.date()
    assert story.state.milestones[2].recorded_at == REPORTED
