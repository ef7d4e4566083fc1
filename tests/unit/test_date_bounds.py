"""The bounds on dates (domain/bounds.py): no business date before the Global Approach to
Migration, no deadline beyond the horizon, a proposed country outside the Union both on its
date and today, and `decide` refusing, never failing, whatever dates a command carries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from domain import (
    DEADLINE_HORIZON_YEARS,
    DEFAULT_CONSULTATION_PERIOD,
    EARLIEST_BUSINESS_DATE,
    SYSTEM_ACTOR,
    Actor,
    AuthoriseTalks,
    CloseConsultation,
    Command,
    Component,
    ConcludeTalks,
    DeadlineNotReached,
    DomainError,
    Event,
    ExtendDecisionDeadline,
    InvalidDate,
    InvalidDeadline,
    IssueDeadlineReminder,
    LapseDecisionDeadline,
    LaunchPartnership,
    NotAThirdCountry,
    Outcome,
    Partnership,
    ProposePartnership,
    Recommendation,
    RecordCouncilDecision,
    RecordTalksRound,
    RespondToConsultation,
    SubmitReport,
    Withdraw,
    decide,
    latest_deadline,
    reminder_instant,
    replay,
    status_view,
)
from domain.bounds import fits_within_horizon, longest_period_within_horizon
from domain.components import THIRD_COUNTRY_COMPONENTS
from domain.deadlines import date_plus
from domain.errors import NotThePresidency
from domain.events import DecisionDeadlineExtended, PartnershipProposed
from domain.policy import allowed_at
from domain.timers import due_command, next_wakeup
from tests.unit.strategies import (
    COMMISSION,
    PRESIDENCY,
    PROPOSED,
    Story,
    answer,
    at,
    at_awaiting_talks_authorisation,
    at_consultation,
    at_council_decision,
    at_exploratory_talks,
    at_launch_preparation,
    at_report_due,
    check_says_what_is_allowed,
    in_office,
    propose,
    rep,
    talks_round,
)

LATEST = date(2035, 3, 3)  # ten years after PROPOSED, the day the story's proposal is recorded

# -- the earliest business date -------------------------------------------------------------


def test_the_earliest_business_date_is_the_european_councils_global_approach() -> None:
    assert date(2005, 12, 15) == EARLIEST_BUSINESS_DATE


def test_a_proposal_dated_on_the_earliest_business_date_is_accepted() -> None:
    [event] = Story().do(propose(occurred_on=EARLIEST_BUSINESS_DATE), COMMISSION, PROPOSED)

    assert event.occurred_on == EARLIEST_BUSINESS_DATE


@pytest.mark.parametrize("day", [date(2005, 12, 14), date(1957, 12, 31), date.min], ids=str)
def test_a_proposal_dated_before_the_earliest_business_date_is_refused_with_the_allowed_range(
    day: date,
) -> None:
    Story().reject(
        propose(occurred_on=day),
        COMMISSION,
        PROPOSED,
        InvalidDate,
        f"the proposal's date {day.isoformat()} is before 2005-12-15",
        "the Global Approach to Migration",
        "give a date between 2005-12-15 and 2025-03-03",
    )


def test_france_cannot_be_backdated_into_a_third_country() -> None:
    # Before 1958 France was not yet a Member State; no partnership goes back that far.
    Story().reject(
        propose("FR", occurred_on=date(1957, 12, 31)),
        COMMISSION,
        PROPOSED,
        InvalidDate,
        "the proposal's date 1957-12-31 is before 2005-12-15",
    )


def _started_on_the_earliest_date() -> Story:
    story = Story()
    story.do(propose(occurred_on=EARLIEST_BUSINESS_DATE), COMMISSION, PROPOSED)
    return story


EARLY = date(2005, 12, 14)
EARLY_CASES: list[tuple[str, Callable[[], Story], Command, Actor]] = [
    ("an answer", _started_on_the_earliest_date, answer("FR", occurred_on=EARLY), rep("FR")),
    ("a closure", _started_on_the_earliest_date, CloseConsultation(occurred_on=EARLY), COMMISSION),
    (
        "an authorisation",
        at_awaiting_talks_authorisation,
        AuthoriseTalks(occurred_on=EARLY),
        PRESIDENCY,
    ),
    ("a talks round", at_exploratory_talks, talks_round("FR", held_on=EARLY), COMMISSION),
    (
        "a conclusion",
        at_exploratory_talks,
        ConcludeTalks(third_country_willing=False, occurred_on=EARLY),
        COMMISSION,
    ),
    (
        "a report",
        at_report_due,
        SubmitReport(recommendation=Recommendation.LAUNCH, summary="s", occurred_on=EARLY),
        COMMISSION,
    ),
    (
        "a decision",
        at_council_decision,
        RecordCouncilDecision(outcome=Outcome.DECLINE, decided_on=EARLY),
        PRESIDENCY,
    ),
    (
        "a signature",
        at_launch_preparation,
        LaunchPartnership(
            member_states=["FR"], components=[Component.VISA_FACILITATION], signed_on=EARLY
        ),
        COMMISSION,
    ),
    (
        "a withdrawal",
        _started_on_the_earliest_date,
        Withdraw(reason="r", occurred_on=EARLY),
        COMMISSION,
    ),
]


@pytest.mark.parametrize(
    ("build", "command", "actor"), [c[1:] for c in EARLY_CASES], ids=[c[0] for c in EARLY_CASES]
)
def test_every_business_date_before_the_earliest_one_is_refused_naming_the_bound(
    build: Callable[[], Story], command: Command, actor: Actor
) -> None:
    story = build()
    now = story.state.last_recorded_at
    assert now is not None
    story.reject(command, actor, now, InvalidDate, "2005-12-14 is before 2005-12-15")


# -- a third country on the proposal's date and today -------------------------------------


def test_the_uk_proposed_with_a_date_when_it_was_a_member_state_is_refused() -> None:
    Story().reject(
        propose("GB", occurred_on=date(2008, 6, 5)),
        COMMISSION,
        at(2026, 1, 15),
        NotAThirdCountry,
        "UK is an EU Member State, not a third country (on 2008-06-05)",
        "propose a country outside the Union both on the proposal's date and on the day it is "
        "recorded",
    )


def test_the_uk_proposed_today_is_a_third_country() -> None:
    [event] = Story().do(propose("GB"), COMMISSION, at(2026, 1, 15))

    assert isinstance(event, PartnershipProposed)
    assert event.country == "GB"


def test_croatia_proposed_today_with_a_date_before_its_accession_is_refused() -> None:
    Story().reject(
        propose("HR", occurred_on=date(2010, 1, 1)),
        COMMISSION,
        at(2026, 1, 15),
        NotAThirdCountry,
        "HR is an EU Member State, not a third country, on 2026-01-15, the day this is recorded",
        "it was a third country on 2010-01-01",
        "both on the proposal's date and on the day it is recorded",
    )


def test_croatia_proposed_before_its_accession_was_a_third_country_then() -> None:
    [event] = Story().do(propose("HR", occurred_on=date(2010, 1, 1)), COMMISSION, at(2012, 3, 1))

    assert isinstance(event, PartnershipProposed)
    assert event.country == "HR"


# -- deadlines within the horizon -----------------------------------------------------------


def test_the_latest_deadline_lies_ten_years_after_the_recorded_day() -> None:
    assert DEADLINE_HORIZON_YEARS == 10
    assert latest_deadline(PROPOSED.date()) == LATEST
    assert latest_deadline(date(2028, 2, 29)) == date(2038, 2, 28)
    assert latest_deadline(date(9990, 1, 1)) == date.max


@given(st.dates())
def test_the_latest_deadline_is_defined_for_every_day_and_lies_about_ten_years_on(
    today: date,
) -> None:
    latest = latest_deadline(today)

    assert today <= latest
    if today.year + DEADLINE_HORIZON_YEARS <= date.max.year:
        assert latest.year == today.year + DEADLINE_HORIZON_YEARS
        assert (latest.month, latest.day) <= (today.month, today.day)
    else:
        assert latest == date.max


@pytest.mark.parametrize("field", ["consultation_deadline", "decision_deadline"])
def test_a_deadline_on_the_horizon_is_accepted(field: str) -> None:
    story = Story()
    fields: dict[str, Any] = {field: LATEST}
    story.do(propose(**fields), COMMISSION, PROPOSED)

    assert getattr(story.state, field) == LATEST


@pytest.mark.parametrize("day", [LATEST + timedelta(days=1), date(9999, 12, 31)], ids=str)
@pytest.mark.parametrize("field", ["consultation_deadline", "decision_deadline"])
def test_a_deadline_beyond_the_horizon_is_refused_with_the_allowed_range(
    field: str, day: date
) -> None:
    what = field.replace("_", " ")
    fields: dict[str, Any] = {field: day}
    Story().reject(
        propose(**fields),
        COMMISSION,
        PROPOSED,
        InvalidDeadline,
        f"the {what} {day.isoformat()} lies more than 10 years after today (2025-03-03)",
        "give a date between 2025-03-03 and 2035-03-03",
    )


def test_both_deadlines_at_the_end_of_the_calendar_are_refused() -> None:
    Story().reject(
        propose(consultation_deadline=date.max, decision_deadline=date.max),
        COMMISSION,
        PROPOSED,
        InvalidDeadline,
        "9999-12-31 lies more than 10 years after today",
    )


def test_a_defaulted_decision_deadline_stays_within_the_horizon() -> None:
    story = Story()
    story.do(propose(consultation_deadline=LATEST), COMMISSION, PROPOSED)

    assert story.state.decision_deadline == LATEST


def test_a_default_consultation_period_past_the_calendar_is_refused_not_an_overflow() -> None:
    with pytest.raises(InvalidDeadline, match="the default consultation deadline 9999-12-31"):
        decide(Partnership(), propose(), COMMISSION, PROPOSED, consultation_period=timedelta.max)


def test_an_extension_beyond_the_horizon_is_refused_with_the_allowed_range() -> None:
    at_council_decision().reject(
        ExtendDecisionDeadline(new_deadline=date(9999, 12, 31), reason="Typo"),
        PRESIDENCY,
        at(2025, 11, 1),
        InvalidDeadline,
        "the new deadline 9999-12-31 lies more than 10 years after today (2025-11-01)",
        "give a date between 2026-01-01 and 2035-11-01",
    )


def test_an_extension_to_the_horizon_is_accepted() -> None:
    story = at_council_decision()
    story.do(
        ExtendDecisionDeadline(new_deadline=date(2035, 11, 1), reason="Long"),
        PRESIDENCY,
        at(2025, 11, 1),
    )

    assert story.state.decision_deadline == date(2035, 11, 1)


def test_a_proposal_recorded_in_the_last_year_of_the_calendar_is_accepted_and_viewable() -> None:
    now = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    story = Story()
    story.do(propose(), COMMISSION, now)

    assert story.state.consultation_deadline == date.max
    assert story.state.decision_deadline == date.max
    assert status_view(story.state, now).decision_deadline == date.max
    assert next_wakeup(story.state) == reminder_instant(date.max)
    assert due_command(story.state, now) == IssueDeadlineReminder()


@pytest.mark.parametrize(
    "now",
    [
        datetime.min.replace(tzinfo=timezone(timedelta(hours=5))),
        datetime.max.replace(tzinfo=timezone(timedelta(hours=-5))),
    ],
    ids=["before year 1 in UTC", "after year 9999 in UTC"],
)
def test_a_recorded_time_that_utc_cannot_hold_is_a_value_error_not_an_overflow(
    now: datetime,
) -> None:
    with pytest.raises(ValueError, match="decide needs a `now` that UTC can hold"):
        decide(Partnership(), propose(), COMMISSION, now)


# -- decide refuses, never fails, whatever the dates -----------------------------------------

OFFSETS = st.timedeltas(
    min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
).map(lambda offset: timezone(timedelta(minutes=offset // timedelta(minutes=1))))
NEAR_THE_STORIES = st.dates(min_value=date(2025, 1, 1), max_value=date(2040, 12, 31))
ANY_NOW = st.one_of(
    st.datetimes(timezones=OFFSETS),
    st.datetimes(min_value=datetime(2025, 3, 3), max_value=datetime(2027, 1, 1), timezones=OFFSETS),
    st.sampled_from([datetime.min, datetime(9999, 12, 31, 12), datetime.max]).map(
        lambda d: d.replace(tzinfo=UTC)
    ),
    # The ends of the calendar in a zone whose UTC time lies outside it.
    st.sampled_from(
        [
            datetime.min.replace(tzinfo=timezone(timedelta(hours=5))),
            datetime.max.replace(tzinfo=timezone(timedelta(hours=-5))),
        ]
    ),
)
EXTREME_DATES = st.sampled_from(
    [date.min, date(1, 1, 14), EARLIEST_BUSINESS_DATE, date(9999, 12, 17), date.max]
)
ANY_DATE = st.one_of(st.dates(), EXTREME_DATES, NEAR_THE_STORIES)
MAYBE_DATE = st.none() | ANY_DATE


def _utc_can_hold(now: datetime) -> bool:
    try:
        now.astimezone(UTC)
    except OverflowError:
        return False
    return True


# What a command with any dates may be refused for where its role and stage fit (the tests
# below draw only such steps): a business date outside its bounds, a deadline passed, out of
# order or beyond the horizon, a deadline-driven step before its moment, and a proposed country
# that is a Member State on its date or today. Nothing else.
DATE_REFUSALS: dict[type[Command], set[type[DomainError]]] = {
    ProposePartnership: {InvalidDate, InvalidDeadline, NotAThirdCountry},
    RespondToConsultation: {InvalidDate, InvalidDeadline},
    CloseConsultation: {InvalidDate, DeadlineNotReached},
    # A Presidency step dated where the Council's order is not known (after 2030) cannot be
    # tied to a Presidency in office: refused for its date too.
    AuthoriseTalks: {InvalidDate, NotThePresidency},
    RecordTalksRound: {InvalidDate},
    ConcludeTalks: {InvalidDate},
    SubmitReport: {InvalidDate},
    ExtendDecisionDeadline: {InvalidDate, InvalidDeadline, NotThePresidency},
    RecordCouncilDecision: {InvalidDate, InvalidDeadline, NotThePresidency},
    LaunchPartnership: {InvalidDate},
    Withdraw: {InvalidDate},
    IssueDeadlineReminder: {DeadlineNotReached, InvalidDeadline},
    LapseDecisionDeadline: {DeadlineNotReached},
}


def _check_refused_for_its_dates(command: Command, error: DomainError, now: datetime) -> None:
    assert type(error) in DATE_REFUSALS[type(command)], f"{type(error).__name__}: {error}"
    check_says_what_is_allowed(error, now.astimezone(UTC).date())
    event(f"refused: {type(error).__name__}")


def _decide_or_refuse(
    state: Partnership,
    command: Command,
    actor: Actor,
    now: datetime,
    consultation_period: timedelta = DEFAULT_CONSULTATION_PERIOD,
) -> list[Event] | None:
    """The events `decide` records, or None when it refuses as it may: with one of the
    command's DATE_REFUSALS, saying what is allowed, or with a ValueError for a `now` that UTC
    cannot hold. Anything else fails the test."""
    try:
        actor = in_office(actor, command, now)
        events = decide(state, command, actor, now, consultation_period=consultation_period)
    except DomainError as error:
        _check_refused_for_its_dates(command, error, now)
        return None
    except ValueError:
        if _utc_can_hold(now):
            raise  # only a `now` that UTC cannot hold may be refused with a ValueError
        return None
    event("accepted")
    return events


def _check_recorded_within_the_bounds(
    state: Partnership, events: list[Event], now: datetime
) -> None:
    today = now.astimezone(UTC).date()
    for recorded in events:
        assert EARLIEST_BUSINESS_DATE <= recorded.occurred_on <= today
        if isinstance(recorded, PartnershipProposed):
            assert today <= recorded.consultation_deadline <= recorded.decision_deadline
            assert recorded.decision_deadline <= latest_deadline(today)
        if isinstance(recorded, DecisionDeadlineExtended):
            assert recorded.new_deadline <= latest_deadline(today)
    # What runs after an append runs on the new state too, whatever its dates.
    after = replay(events, state)
    status_view(after, now)
    next_wakeup(after)
    due_command(after, now)


def _around(today: date, data: st.DataObject, *, days: tuple[int, int]) -> date | None:
    """No date, a date anywhere in the calendar, or one some days around `today`."""
    near = st.integers(*days).map(lambda n: date_plus(today, timedelta(days=n)))
    return data.draw(st.none() | ANY_DATE | near)


@settings(max_examples=500, deadline=None)
@given(
    country=st.sampled_from(["CV", "GB", "HR", "FR"]),
    now=ANY_NOW,
    consultation_period=st.one_of(
        st.just(DEFAULT_CONSULTATION_PERIOD),
        st.timedeltas(),
        st.sampled_from([timedelta.min, timedelta.max]),
    ),
    data=st.data(),
)
def test_a_proposal_with_any_dates_is_refused_with_a_domain_error_or_recorded_within_bounds(
    country: str, now: datetime, consultation_period: timedelta, data: st.DataObject
) -> None:
    today = now.astimezone(UTC).date() if _utc_can_hold(now) else now.date()
    command = propose(
        country,
        occurred_on=_around(today, data, days=(-8000, 5)),
        consultation_deadline=_around(today, data, days=(-5, 4000)),
        decision_deadline=_around(today, data, days=(-5, 4000)),
    )
    events = _decide_or_refuse(Partnership(), command, COMMISSION, now, consultation_period)
    if events is not None:
        _check_recorded_within_the_bounds(Partnership(), events, now)


def _proposed_at_the_end_of_the_calendar() -> Story:
    story = Story()
    story.do(propose(), COMMISSION, datetime(9999, 12, 31, tzinfo=UTC))
    return story


STARTS: dict[str, Callable[[], Story]] = {
    "consultation": at_consultation,
    "awaiting_talks_authorisation": at_awaiting_talks_authorisation,
    "exploratory_talks": at_exploratory_talks,
    "report_due": at_report_due,
    "council_decision": at_council_decision,
    "launch_preparation": at_launch_preparation,
    "proposed_in_9999": _proposed_at_the_end_of_the_calendar,
}
STATES = {name: build().state for name, build in STARTS.items()}


def _steps(data: st.DataObject, state: Partnership) -> tuple[Command, Actor]:
    """A step the partnership's stage allows, dated anywhere in the calendar, and its actor."""
    draw = data.draw
    steps: list[tuple[Command, Actor]] = [
        (answer("IT", occurred_on=draw(MAYBE_DATE)), rep("IT")),
        (CloseConsultation(occurred_on=draw(MAYBE_DATE)), COMMISSION),
        (CloseConsultation(), SYSTEM_ACTOR),
        (AuthoriseTalks(occurred_on=draw(MAYBE_DATE)), PRESIDENCY),
        (talks_round("FR", held_on=draw(ANY_DATE)), COMMISSION),
        (
            ConcludeTalks(
                third_country_willing=True,
                commitments=list(THIRD_COUNTRY_COMPONENTS),
                occurred_on=draw(MAYBE_DATE),
            ),
            COMMISSION,
        ),
        (
            SubmitReport(
                recommendation=Recommendation.LAUNCH, summary="s", occurred_on=draw(MAYBE_DATE)
            ),
            COMMISSION,
        ),
        (
            ExtendDecisionDeadline(
                new_deadline=draw(ANY_DATE), reason="r", occurred_on=draw(MAYBE_DATE)
            ),
            PRESIDENCY,
        ),
        (
            RecordCouncilDecision(outcome=Outcome.INVITE_LAUNCH, decided_on=draw(ANY_DATE)),
            PRESIDENCY,
        ),
        (
            LaunchPartnership(
                member_states=["FR"],
                components=[Component.READMISSION_AND_RETURN],
                signed_on=draw(ANY_DATE),
            ),
            COMMISSION,
        ),
        (Withdraw(reason="r", occurred_on=draw(MAYBE_DATE)), COMMISSION),
        (IssueDeadlineReminder(), SYSTEM_ACTOR),
        (LapseDecisionDeadline(), SYSTEM_ACTOR),
    ]
    assert state.stage is not None
    allowed = [step for step in steps if allowed_at(state.stage, type(step[0]))]
    return draw(st.sampled_from(allowed), label="step")


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=st.sampled_from(sorted(STATES)), now=ANY_NOW, data=st.data())
def test_a_step_with_any_dates_is_refused_with_a_domain_error_or_recorded_within_bounds(
    start: str, now: datetime, data: st.DataObject
) -> None:
    state = STATES[start]
    if start == "proposed_in_9999":
        now = data.draw(
            st.sampled_from([datetime(9999, 12, 31, 12), datetime.max]).map(
                lambda d: d.replace(tzinfo=UTC)
            )
            | st.just(now)
        )
    command, actor = _steps(data, state)
    events = _decide_or_refuse(state, command, actor, now)
    if events is not None:
        _check_recorded_within_the_bounds(state, events, now)


# -- the extension's business date ----------------------------------------------------------


def test_an_extension_dated_earlier_records_that_date_as_when_it_happened() -> None:
    story = at_council_decision()
    [extended] = story.do(
        ExtendDecisionDeadline(
            new_deadline=date(2026, 6, 30), reason="Agenda", occurred_on=date(2025, 9, 15)
        ),
        PRESIDENCY,
        at(2025, 11, 1),
    )

    assert isinstance(extended, DecisionDeadlineExtended)
    assert extended.occurred_on == date(2025, 9, 15)
    assert extended.recorded_at == at(2025, 11, 1)


def test_an_extension_without_a_date_happened_on_the_day_it_is_recorded() -> None:
    # So a history recorded before the command carried a date replays exactly as it was.
    [extended] = at_council_decision().do(
        ExtendDecisionDeadline(new_deadline=date(2026, 6, 30), reason="Agenda"),
        PRESIDENCY,
        at(2025, 11, 1),
    )

    assert extended.occurred_on == date(2025, 11, 1)


@pytest.mark.parametrize(
    ("day", "says"),
    [
        (date(2025, 11, 2), "the extension's date 2025-11-02 lies in the future"),
        (date(2025, 3, 2), "the extension's date 2025-03-02 is before the proposal (2025-03-03)"),
        (EARLY, "the extension's date 2005-12-14 is before 2005-12-15"),
    ],
    ids=["tomorrow", "before the proposal", "before the Global Approach"],
)
def test_an_extension_dated_outside_its_bounds_is_refused_with_the_allowed_range(
    day: date, says: str
) -> None:
    at_council_decision().reject(
        ExtendDecisionDeadline(new_deadline=date(2026, 6, 30), reason="Agenda", occurred_on=day),
        PRESIDENCY,
        at(2025, 11, 1),
        InvalidDate,
        says,
        "give a date between 2025-03-03 and 2025-11-01",
    )


@settings(max_examples=60, deadline=None)
@given(day=st.dates(min_value=date(2025, 3, 3), max_value=date(2025, 11, 1)))
def test_an_extension_dated_any_day_from_the_proposal_to_today_is_recorded_on_that_day(
    day: date,
) -> None:
    story = at_council_decision()
    story.do(
        ExtendDecisionDeadline(new_deadline=date(2026, 6, 30), reason="Agenda", occurred_on=day),
        PRESIDENCY,
        at(2025, 11, 1),
    )

    assert story.events[-1].occurred_on == day
    assert story.state.decision_deadline == date(2026, 6, 30)


# -- a configured period fits within the horizon ---------------------------------------------


@given(today=st.dates(), days=st.integers(min_value=0, max_value=5000))
def test_a_period_fits_within_the_horizon_exactly_when_it_is_no_longer_than_the_longest(
    today: date, days: int
) -> None:
    period = timedelta(days=days)
    longest = longest_period_within_horizon(today)

    if period <= date.max - today:
        assert fits_within_horizon(period, today) is (period <= longest)
    else:  # past the calendar the deadline is held at its last day, which fits near its end
        assert fits_within_horizon(period, today) is (latest_deadline(today) == date.max)


@given(today=st.dates(max_value=date(9000, 1, 1)))
def test_the_longest_period_within_the_horizon_is_about_ten_years(today: date) -> None:
    assert 3650 <= longest_period_within_horizon(today).days <= 3653


def test_a_configured_period_beyond_the_horizon_is_refused_as_the_services_not_the_inputs() -> None:
    longest = longest_period_within_horizon(PROPOSED.date())
    with pytest.raises(InvalidDeadline) as refused:
        decide(
            Partnership(),
            propose(),
            COMMISSION,
            PROPOSED,
            consultation_period=longest + timedelta(days=1),
        )
    message = str(refused.value)
    assert "by the configured consultation period" in message
    assert "the service is misconfigured, not your input" in message
    assert "for the consultation deadline, give a date between 2025-03-03 and 2035-03-03" in message


@given(days=st.integers(min_value=1, max_value=10_000))
def test_a_configured_period_that_fits_never_refuses_a_proposal_that_leaves_deadlines_open(
    days: int,
) -> None:
    period = timedelta(days=days)
    today = PROPOSED.date()
    try:
        [proposed] = decide(
            Partnership(), propose(), COMMISSION, PROPOSED, consultation_period=period
        )
    except InvalidDeadline:
        assert not fits_within_horizon(period, today)
    else:
        assert fits_within_horizon(period, today)
        assert isinstance(proposed, PartnershipProposed)
        assert proposed.consultation_deadline <= proposed.decision_deadline <= LATEST


def test_a_deadline_the_caller_gives_still_works_when_the_configured_period_does_not_fit() -> None:
    [proposed] = decide(
        Partnership(),
        propose(consultation_deadline=date(2025, 5, 1)),
        COMMISSION,
        PROPOSED,
        consultation_period=timedelta(days=20_000),
    )

    assert isinstance(proposed, PartnershipProposed)
    assert proposed.consultation_deadline == date(2025, 5, 1)
