"""The historical paths of DESIGN.md §1, told through the domain (issue 2, (c)).

Deadlines run on recorded time, so each story is recorded as it happened (recorded times in
2007–2009), except the last, which back-fills Cape Verde in 2026 with its historical
business dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from domain import (
    AuthoriseTalks,
    CloseConsultation,
    Component,
    ConcludeTalks,
    LaunchPartnership,
    MilestoneKind,
    Outcome,
    Position,
    ProposePartnership,
    Recommendation,
    RecordCouncilDecision,
    RecordTalksRound,
    Region,
    RespondToConsultation,
    Stage,
    SubmitReport,
    render_report,
    replay,
    status_view,
)
from tests.unit.strategies import COMMISSION, PRESIDENCY, Story, rep

CAPE_VERDE_SIGNATORIES = ["ES", "FR", "LU", "PT"]
MOLDOVA_SIGNATORIES = [
    "BG", "CY", "CZ", "DE", "EL", "FR", "HU", "IT", "LT", "PL", "PT", "RO", "SE", "SI", "SK",
]  # fmt: skip
SENEGAL_BACKERS = ["FR", "IT", "ES"]


def _on(day: date) -> datetime:
    """Recorded at noon UTC on the day it happened."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def _pilot(
    country: str,
    interested: Sequence[str],
    *,
    not_interested: Sequence[str] = (),
    proposed: date = date(2007, 6, 18),
    decision_deadline: date | None = None,
    recorded: bool = True,
) -> tuple[Story, dict[str, datetime]]:
    """Propose, consult, close and authorise talks; return the story and its recorded times."""
    times = {
        "proposed": proposed,
        "answered": date(2007, 7, 20) if proposed.year == 2007 else date(proposed.year, 3, 20),
        "closed": date(2007, 9, 28) if proposed.year == 2007 else date(proposed.year, 4, 30),
        "authorised": date(2007, 10, 8) if proposed.year == 2007 else date(proposed.year, 5, 14),
    }
    backfill = datetime(2026, 1, 5, 9, tzinfo=UTC)
    when = {k: (_on(v) if recorded else backfill) for k, v in times.items()}
    story = Story()
    story.do(
        ProposePartnership(
            country=country,
            rationale="A pilot mobility partnership under the Global Approach to Migration",
            terms_of_reference="Council conclusions of 12-13 June 2007, point 11",
            occurred_on=proposed,
            consultation_deadline=None if recorded else date(2026, 2, 28),
            decision_deadline=decision_deadline,
        ),
        COMMISSION,
        when["proposed"],
    )
    for code in interested:
        story.do(
            RespondToConsultation(
                member_state=code,
                position=Position.INTERESTED,
                offers=[Component.LEGAL_MIGRATION, Component.CAPACITY_BUILDING],
                occurred_on=times["answered"],
            ),
            rep(code),
            when["answered"],
        )
    for code in not_interested:
        story.do(
            RespondToConsultation(
                member_state=code, position=Position.NOT_INTERESTED, occurred_on=times["answered"]
            ),
            rep(code),
            when["answered"],
        )
    story.do(CloseConsultation(occurred_on=times["closed"]), COMMISSION, when["closed"])
    story.do(AuthoriseTalks(occurred_on=times["authorised"]), PRESIDENCY, when["authorised"])
    return story, when


def _cape_verde(*, recorded: bool = True) -> Story:
    story, when = _pilot("CV", CAPE_VERDE_SIGNATORIES, not_interested=["DE"], recorded=recorded)

    def later(day: date) -> datetime:
        return _on(day) if recorded else when["proposed"]

    story.do(
        RecordTalksRound(
            held_on=date(2007, 10, 30),
            member_states=CAPE_VERDE_SIGNATORIES,
            summary="Exploratory talks in Praia",
            location="Praia",
        ),
        COMMISSION,
        later(date(2007, 10, 30)),
    )
    story.do(
        ConcludeTalks(
            third_country_willing=True,
            commitments=[
                Component.READMISSION_AND_RETURN,
                Component.ILLEGAL_IMMIGRATION_COOPERATION,
            ],
            # What the Community brought (point 10): visa facilitation and its funding of
            # migration and development.
            community_offers=[
                Component.VISA_FACILITATION,
                Component.MIGRATION_AND_DEVELOPMENT,
            ],
            occurred_on=date(2007, 11, 9),
        ),
        COMMISSION,
        later(date(2007, 11, 9)),
    )
    story.do(
        SubmitReport(
            recommendation=Recommendation.LAUNCH,
            summary="Cape Verde is ready for a pilot mobility partnership",
            reference="COM(2007) 642",
            occurred_on=date(2007, 11, 16),
        ),
        COMMISSION,
        later(date(2007, 11, 16)),
    )
    story.do(
        RecordCouncilDecision(
            outcome=Outcome.INVITE_LAUNCH,
            decided_on=date(2007, 12, 10),
            council_reference="GAERC conclusions of 10 December 2007",
        ),
        PRESIDENCY,
        later(date(2007, 12, 10)),
    )
    story.do(
        LaunchPartnership(
            member_states=CAPE_VERDE_SIGNATORIES,
            components=[
                Component.LEGAL_MIGRATION,
                Component.MIGRATION_AND_DEVELOPMENT,
                Component.READMISSION_AND_RETURN,
            ],
            signed_on=date(2008, 6, 5),
            joint_declaration_reference="Council doc 9460/08 ADD 2",
        ),
        COMMISSION,
        later(date(2008, 6, 5)),
    )
    return story


def test_cape_verde_is_launched_with_es_fr_lu_and_pt() -> None:
    story = _cape_verde()

    assert story.stage is Stage.LAUNCHED
    assert story.state.country == "CV"
    assert story.state.region is Region.AFRICA_MEDITERRANEAN
    assert story.state.decision_deadline == date(2007, 12, 31)
    assert story.state.decision is not None
    assert story.state.decision.decided_on == date(2007, 12, 10)
    assert story.state.launch is not None
    assert story.state.launch.signed_on == date(2008, 6, 5)
    assert story.state.launch.member_states == ("ES", "FR", "LU", "PT")
    assert replay(story.events) == story.state


def test_cape_verde_reached_every_report_back_milestone_but_the_lapse() -> None:
    story = _cape_verde()
    kinds = [m.kind for m in story.state.milestones]

    assert kinds == [
        MilestoneKind.CONSULTATION_OUTCOME,
        MilestoneKind.TALKS_OUTCOME,
        MilestoneKind.REPORT_TO_COUNCIL,
        MilestoneKind.COUNCIL_DECISION,
        MilestoneKind.LAUNCH,
    ]
    report = render_report(story.events, MilestoneKind.LAUNCH)
    assert "Cabo Verde (CV)" in report
    assert "Joint declaration signed on 2008-06-05" in report
    assert "by ES, FR, LU, PT" in report
    assert (
        "On 2007-12-10 (GAERC conclusions of 10 December 2007), recorded by the Presidency "
        "(PT): **invite_launch**" in report
    )


def test_cape_verde_back_filled_in_2026_keeps_its_historical_business_dates() -> None:
    story = _cape_verde(recorded=False)

    assert story.stage is Stage.LAUNCHED
    assert story.state.proposed_on == date(2007, 6, 18)
    assert story.state.launch is not None
    assert story.state.launch.signed_on == date(2008, 6, 5)
    assert {e.recorded_at.year for e in story.events} == {2026}
    assert [e.occurred_on.year for e in story.events] == [2007] * 12 + [2008]


def test_moldova_is_launched_with_its_fifteen_member_states() -> None:
    story, _ = _pilot("MD", MOLDOVA_SIGNATORIES, not_interested=["UK", "AT"])
    story.do(
        RecordTalksRound(
            held_on=date(2007, 10, 25), member_states=MOLDOVA_SIGNATORIES, summary="Chisinau"
        ),
        COMMISSION,
        _on(date(2007, 10, 25)),
    )
    story.do(
        ConcludeTalks(
            third_country_willing=True,
            commitments=[
                Component.READMISSION_AND_RETURN,
                Component.ILLEGAL_IMMIGRATION_COOPERATION,
            ],
            community_offers=[Component.VISA_FACILITATION],
            occurred_on=date(2007, 11, 9),
        ),
        COMMISSION,
        _on(date(2007, 11, 9)),
    )
    story.do(
        SubmitReport(recommendation=Recommendation.LAUNCH, summary="Moldova is ready"),
        COMMISSION,
        _on(date(2007, 11, 16)),
    )
    story.do(
        RecordCouncilDecision(outcome=Outcome.INVITE_LAUNCH, decided_on=date(2007, 12, 10)),
        PRESIDENCY,
        _on(date(2007, 12, 10)),
    )
    story.do(
        LaunchPartnership(
            member_states=MOLDOVA_SIGNATORIES,
            components=[
                Component.LEGAL_MIGRATION,
                Component.VISA_FACILITATION,
                Component.READMISSION_AND_RETURN,
            ],
            signed_on=date(2008, 6, 5),
        ),
        COMMISSION,
        _on(date(2008, 6, 5)),
    )

    assert story.stage is Stage.LAUNCHED
    assert story.state.region is Region.EASTERN_SOUTH_EASTERN
    assert story.state.launch is not None
    assert len(story.state.launch.member_states) == 15
    assert set(story.state.launch.member_states) == set(MOLDOVA_SIGNATORIES)
    # Bulgaria and Romania had joined on 1 January 2007; the UK answered as a Member State.
    assert {"BG", "RO"} <= set(story.state.interested_member_states)
    assert "UK" in story.state.latest_answers
    assert status_view(story.state).next_actions == {
        "commission": [],
        "presidency": [],
        "member_state": [],
        "operator": [],
    }


def test_senegal_ends_in_failed_talks_after_the_third_country_proved_unwilling() -> None:
    story, _ = _pilot(
        "SN",
        SENEGAL_BACKERS,
        proposed=date(2008, 2, 11),
        decision_deadline=date(2009, 12, 31),
    )
    for held_on in (date(2008, 6, 17), date(2008, 11, 20)):
        story.do(
            RecordTalksRound(held_on=held_on, member_states=SENEGAL_BACKERS, summary="Dakar"),
            COMMISSION,
            _on(held_on),
        )
    story.do(
        ConcludeTalks(third_country_willing=False, occurred_on=date(2009, 6, 30)),
        COMMISSION,
        _on(date(2009, 6, 30)),
    )

    assert story.stage is Stage.TALKS_FAILED
    assert story.state.region is Region.AFRICA_MEDITERRANEAN
    assert story.state.interested_member_states == ("ES", "FR", "IT")
    assert [r.member_states for r in story.state.rounds] == [("FR", "IT", "ES")] * 2
    assert story.state.talks is not None
    assert story.state.talks.third_country_willing is False
    report = render_report(story.events, MilestoneKind.TALKS_OUTCOME)
    assert "the third country is not willing" in report
    assert "Round 2, 2008-11-20 (FR, IT, ES): Dakar" in report
