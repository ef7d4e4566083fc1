"""Business dates (`occurred_on`): never in the future of recorded time, never before the
step they follow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from domain import (
    Actor,
    AuthoriseTalks,
    CloseConsultation,
    Command,
    Component,
    ConcludeTalks,
    InvalidDate,
    LaunchPartnership,
    Outcome,
    Recommendation,
    RecordCouncilDecision,
    SubmitReport,
    Withdraw,
)
from domain.events import PartnershipProposed
from tests.unit.strategies import (
    AUTHORISED,
    CLOSED,
    COMMISSION,
    CONCLUDED,
    DECIDED,
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


def test_a_proposal_dated_in_the_future_is_rejected() -> None:
    Story().reject(
        propose(occurred_on=date(2025, 3, 4)),
        COMMISSION,
        PROPOSED,
        InvalidDate,
        "the proposal's date 2025-03-04 lies in the future",
        "give a date between 2005-12-15 and 2025-03-03",
    )


def test_a_business_date_may_lie_long_before_it_was_recorded() -> None:
    story = Story()
    [event] = story.do(propose(occurred_on=date(2007, 6, 18)), COMMISSION, PROPOSED)

    assert event.occurred_on == date(2007, 6, 18)
    assert event.recorded_at == PROPOSED


def test_an_answer_dated_in_the_future_is_rejected() -> None:
    at_consultation().reject(
        answer("IT", occurred_on=date(2025, 3, 21)),
        rep("IT"),
        at(2025, 3, 20),
        InvalidDate,
        "the answer's date 2025-03-21 lies in the future",
        "give a date between 2025-03-03 and 2025-03-20",
    )


def test_an_answer_dated_before_the_proposal_is_rejected() -> None:
    at_consultation().reject(
        answer("IT", occurred_on=date(2025, 3, 2)),
        rep("IT"),
        at(2025, 3, 20),
        InvalidDate,
        "the answer's date 2025-03-02 is before the proposal (2025-03-03)",
        "give a date between 2025-03-03 and 2025-03-20",
    )


def test_membership_is_judged_on_the_answers_business_date() -> None:
    story = Story()
    story.do(propose(occurred_on=date(2019, 12, 1)), COMMISSION, at(2020, 1, 10))
    # Recorded after Brexit, about an answer given while the UK was a Member State.
    story.do(answer("UK", occurred_on=date(2020, 1, 15)), rep("UK"), at(2020, 2, 3))

    assert story.state.interested_member_states == ("UK",)


def _cases() -> list[tuple[str, Callable[[], Story], Command, Actor, datetime, str]]:
    return [
        (
            "closing before the proposal",
            at_consultation,
            CloseConsultation(occurred_on=date(2025, 3, 1)),
            COMMISSION,
            CLOSED,
            "the closing date 2025-03-01 is before the proposal (2025-03-03)",
        ),
        (
            "closing before the latest answer",
            at_consultation,
            CloseConsultation(occurred_on=date(2025, 3, 12)),
            COMMISSION,
            CLOSED,
            "the closing date 2025-03-12 is before the latest answer (2025-03-13)",
        ),
        (
            "authorising before the closure",
            at_awaiting_talks_authorisation,
            AuthoriseTalks(occurred_on=date(2025, 3, 31)),
            PRESIDENCY,
            AUTHORISED,
            "the authorisation's date 2025-03-31 is before the consultation's closure (2025-04-01)",
        ),
        (
            "a round before the authorisation",
            at_exploratory_talks,
            talks_round("FR", held_on=date(2025, 4, 7)),
            COMMISSION,
            ROUND_2,
            "the round's date 2025-04-07 is before the talks' authorisation (2025-04-08)",
        ),
        (
            "concluding before the last round",
            at_exploratory_talks,
            ConcludeTalks(third_country_willing=True, occurred_on=date(2025, 6, 1)),
            COMMISSION,
            CONCLUDED,
            "the conclusion's date 2025-06-01 is before the last talks round (2025-06-02)",
        ),
        (
            "reporting before the talks ended",
            at_report_due,
            SubmitReport(
                recommendation=Recommendation.LAUNCH, summary="x", occurred_on=date(2025, 6, 30)
            ),
            COMMISSION,
            REPORTED,
            "the report's date 2025-06-30 is before the talks' end (2025-07-01)",
        ),
        (
            "a decision before the report",
            at_council_decision,
            RecordCouncilDecision(outcome=Outcome.DECLINE, decided_on=date(2025, 8, 31)),
            PRESIDENCY,
            DECIDED,
            "the decision's date 2025-08-31 is before the report (2025-09-01)",
        ),
        (
            "signing before the decision",
            at_launch_preparation,
            LaunchPartnership(
                member_states=["FR"],
                components=[Component.LEGAL_MIGRATION],
                signed_on=date(2025, 11, 19),
            ),
            COMMISSION,
            SIGNED,
            "the signature date 2025-11-19 is before the Council's decision (2025-11-20)",
        ),
        (
            "withdrawing before the proposal",
            at_consultation,
            Withdraw(reason="x", occurred_on=date(2025, 1, 1)),
            COMMISSION,
            at(2025, 3, 20),
            "the withdrawal's date 2025-01-01 is before the proposal (2025-03-03)",
        ),
    ]


@pytest.mark.parametrize(
    ("build", "command", "actor", "now", "says"),
    [case[1:] for case in _cases()],
    ids=[case[0] for case in _cases()],
)
def test_a_business_date_before_the_step_it_follows_is_rejected(
    build: Callable[[], Story], command: Command, actor: Actor, now: datetime, says: str
) -> None:
    story = build()
    story.reject(command, actor, now, InvalidDate, says, "give a date between")


FUTURE_CASES = [
    ("a talks round", at_exploratory_talks, talks_round("FR", held_on=date(2025, 6, 3))),
    (
        "a decision",
        at_council_decision,
        RecordCouncilDecision(outcome=Outcome.DECLINE, decided_on=date(2025, 9, 2)),
    ),
    (
        "a signature",
        at_launch_preparation,
        LaunchPartnership(
            member_states=["FR"], components=[Component.LEGAL_MIGRATION], signed_on=SIGNED.date()
        ),
    ),
]


@pytest.mark.parametrize(
    ("build", "command"), [c[1:] for c in FUTURE_CASES], ids=[c[0] for c in FUTURE_CASES]
)
def test_a_business_date_after_the_recorded_day_is_rejected(
    build: Callable[[], Story], command: Command
) -> None:
    story = build()
    actor = PRESIDENCY if isinstance(command, RecordCouncilDecision) else COMMISSION
    # Recorded on the day of the story's last step, dated the day after.
    now = story.state.last_recorded_at
    assert now is not None
    story.reject(command, actor, now, InvalidDate, "lies in the future", "give a date between")


def test_business_dates_and_deadlines_use_the_utc_day_whatever_the_offset_of_now() -> None:
    # 01:00 in Athens on 4 March is still 3 March in UTC.
    athens = timezone(timedelta(hours=2))
    now = datetime(2025, 3, 4, 1, 0, tzinfo=athens)
    story = Story()
    [event] = story.do(propose(), COMMISSION, now)

    assert isinstance(event, PartnershipProposed)
    assert event.occurred_on == date(2025, 3, 3)
    assert event.recorded_at == now
    assert event.recorded_at.utcoffset() == timedelta(0)
    assert event.consultation_deadline == date(2025, 3, 3) + timedelta(days=42)
    story.reject(
        answer("EL", occurred_on=date(2025, 3, 4)),
        rep("EL"),
        now,
        InvalidDate,
        "the answer's date 2025-03-04 lies in the future",
    )


def test_a_recorded_time_on_the_same_instant_in_another_zone_decides_the_same() -> None:
    utc_now = datetime(2025, 3, 3, 22, 30, tzinfo=UTC)
    tokyo_now = utc_now.astimezone(timezone(timedelta(hours=9)))

    [in_utc] = Story().do(propose(), COMMISSION, utc_now)
    [in_tokyo] = Story().do(propose(), COMMISSION, tokyo_now)

    assert in_utc == in_tokyo


def test_talks_conclude_no_earlier_than_the_latest_round_held_even_if_recorded_earlier() -> None:
    story = at_exploratory_talks(rounds=False)
    story.do(talks_round("FR", held_on=date(2025, 6, 14)), COMMISSION, at(2025, 6, 14))
    story.do(talks_round("ES", held_on=date(2025, 5, 31)), COMMISSION, at(2025, 6, 20))
    story.reject(
        ConcludeTalks(third_country_willing=True, occurred_on=date(2025, 6, 1)),
        COMMISSION,
        at(2025, 6, 21),
        InvalidDate,
        "the conclusion's date 2025-06-01 is before the last talks round (2025-06-14)",
    )
