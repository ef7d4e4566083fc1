"""Shared builders for the domain's unit tests: actors, a story driver, a partnership at each
stage of DESIGN.md §2 on one fixed timeline, the design's tables of who may do what and when,
and hypothesis strategies, among them the steps of a random walk through the lifecycle."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, Protocol, TypeVar

import pytest
from hypothesis import strategies as st

from domain import (
    EARLIEST_BUSINESS_DATE,
    EVENT_TYPES,
    SYSTEM_ACTOR,
    THIRD_COUNTRY_COMPONENTS,
    Actor,
    AlreadyStarted,
    AuthoriseTalks,
    CloseConsultation,
    Command,
    Component,
    ConcludeTalks,
    ConditionNotMet,
    DeadlineNotReached,
    DeclareInterest,
    DomainError,
    Event,
    EventBase,
    ExtendDecisionDeadline,
    ForeignMemberState,
    InvalidCountry,
    InvalidDate,
    InvalidDeadline,
    InvalidInput,
    IssueDeadlineReminder,
    LapseDecisionDeadline,
    LaunchPartnership,
    LimitReached,
    NotAMemberState,
    NotAThirdCountry,
    NotInterested,
    NotPermitted,
    NotThePresidency,
    Outcome,
    Partnership,
    Position,
    ProposePartnership,
    Recommendation,
    RecordCouncilDecision,
    RecordTalksRound,
    Region,
    RespondToConsultation,
    Role,
    Stage,
    SubmitReport,
    Withdraw,
    WrongStage,
    deadline_instant,
    decide,
    reminder_instant,
    replay,
)
from domain.commands import AccedeToPartnership, ResumeTalks, SuspendTalks
from domain.conditions import COMMUNITY_OFFERS, MEMBER_STATE_OFFERS
from domain.policy import may_issue
from domain.presidencies import presidency_on

_T = TypeVar("_T")

COMMISSION = Actor(id="alice", role=Role.COMMISSION)
PRESIDENCY = Actor(id="pedro", role=Role.PRESIDENCY)
"""The Presidency in office: `Story` and `in_office` give it the Member State that held the
Presidency on the step's business date, as the official who acts then would."""


def step_date(command: Command, now: datetime) -> date:
    """The business date a command carries (whatever its field is called), else `now`'s."""
    for name in ("occurred_on", "decided_on", "held_on", "signed_on"):
        given = getattr(command, name, None)
        if isinstance(given, date):
            return given
    try:
        return now.astimezone(UTC).date()
    except OverflowError:  # at the calendar's edge, where UTC cannot hold `now`
        return now.date()


def presidency(day: date | datetime) -> Actor:
    """The official of the Presidency in office on `day` (domain/presidencies.py)."""
    on = step_date(AuthoriseTalks(), day) if isinstance(day, datetime) else day
    return Actor(id="pedro", role=Role.PRESIDENCY, member_state=presidency_on(on))


def in_office(actor: Actor, command: Command, now: datetime) -> Actor:
    """`actor`, or for the stand-in `PRESIDENCY` the Presidency in office on the step's date
    (for a step the Presidency may take: any other is refused for its role, as written)."""
    if actor == PRESIDENCY and may_issue(Role.PRESIDENCY, type(command)):
        return presidency(step_date(command, now))
    return actor


OPERATOR = Actor(id="olga", role=Role.OPERATOR)
SYSTEM = SYSTEM_ACTOR


def rep(code: str) -> Actor:
    """The representative of Member State `code`."""
    return Actor(id=f"rep-{code.lower()}", role=Role.MEMBER_STATE, member_state=code)


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    """A recorded instant, in UTC."""
    return datetime(year, month, day, hour, tzinfo=UTC)


# One fixed timeline of recorded times (and business dates on the same days).
PROPOSED = at(2025, 3, 3)
CONSULTATION_DEADLINE = date(2025, 4, 14)  # the default: 42 days after the proposal
DECISION_DEADLINE = date(2025, 12, 31)  # the default: 31 December of the proposal's year
CLOSED = at(2025, 4, 1)
AUTHORISED = at(2025, 4, 8)
ROUND_1 = at(2025, 5, 5)
ROUND_2 = at(2025, 6, 2)
CONCLUDED = at(2025, 7, 1)
REPORTED = at(2025, 9, 1)
DECIDED = at(2025, 11, 20)
SIGNED = at(2026, 2, 10)

OFFERS_FR = (Component.LEGAL_MIGRATION, Component.CAPACITY_BUILDING)
OFFERS_ES = (Component.CAPACITY_BUILDING,)
OFFERS_PT = (Component.MIGRATION_AND_DEVELOPMENT, Component.REINTEGRATION_OF_RETURNEES)
COMMITMENTS = (Component.READMISSION_AND_RETURN, Component.ILLEGAL_IMMIGRATION_COOPERATION)


class Story:
    """A partnership driven through `decide` and folded with `replay`, keeping every event."""

    def __init__(self) -> None:
        self.state = Partnership()
        self.events: list[Event] = []

    @property
    def stage(self) -> Stage | None:
        return self.state.stage

    def do(self, command: Command, actor: Actor, now: datetime) -> list[Event]:
        """Decide and record; the events are folded into the state."""
        events = decide(self.state, command, in_office(actor, command, now), now)
        self.events.extend(events)
        self.state = replay(events, self.state)
        return events

    def reject(
        self,
        command: Command,
        actor: Actor,
        now: datetime,
        error: type[DomainError],
        *says: str,
    ) -> DomainError:
        """Assert `decide` raises exactly `error`, its message says each of `says`, and
        nothing changes."""
        before_state, before_events = self.state, list(self.events)
        with pytest.raises(DomainError) as info:
            decide(self.state, command, in_office(actor, command, now), now)
        assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
        message = str(info.value)
        for fragment in says:
            assert fragment in message, f"{fragment!r} not in {message!r}"
        assert self.state == before_state
        assert self.events == before_events
        return info.value


def propose(country: str = "CV", now: datetime = PROPOSED, **fields: Any) -> ProposePartnership:
    fields.setdefault("rationale", "A partner on the Atlantic route")
    fields.setdefault("terms_of_reference", "Legal migration against readmission")
    return ProposePartnership(country=country, **fields)


def answer(
    code: str,
    position: Position = Position.INTERESTED,
    offers: tuple[Component, ...] = (),
    **fields: Any,
) -> RespondToConsultation:
    return RespondToConsultation(
        member_state=code, position=position, offers=list(offers), **fields
    )


def talks_round(*codes: str, held_on: date, summary: str = "Talks held") -> RecordTalksRound:
    return RecordTalksRound(held_on=held_on, member_states=list(codes), summary=summary)


def at_consultation() -> Story:
    """Proposed with default deadlines; FR, ES, PT interested with offers, DE not interested."""
    story = Story()
    story.do(propose(), COMMISSION, PROPOSED)
    story.do(answer("FR", offers=OFFERS_FR), rep("FR"), at(2025, 3, 10))
    story.do(answer("ES", offers=OFFERS_ES), rep("ES"), at(2025, 3, 11))
    story.do(answer("DE", Position.NOT_INTERESTED), rep("DE"), at(2025, 3, 12))
    story.do(answer("PT", offers=OFFERS_PT), rep("PT"), at(2025, 3, 13))
    return story


def at_awaiting_talks_authorisation() -> Story:
    story = at_consultation()
    story.do(CloseConsultation(), COMMISSION, CLOSED)
    return story


def at_exploratory_talks(rounds: bool = True) -> Story:
    story = at_awaiting_talks_authorisation()
    story.do(AuthoriseTalks(note="Go ahead"), PRESIDENCY, AUTHORISED)
    if rounds:
        story.do(talks_round("FR", "ES", held_on=ROUND_1.date()), COMMISSION, ROUND_1)
        story.do(talks_round("FR", "ES", "PT", held_on=ROUND_2.date()), COMMISSION, ROUND_2)
    return story


SUSPENDED = at(2025, 6, 20)


def at_talks_suspended() -> Story:
    """Talks under way (two rounds), then suspended by the Commission."""
    story = at_exploratory_talks()
    story.do(SuspendTalks(reason="Elections in the third country"), COMMISSION, SUSPENDED)
    return story


def at_report_due() -> Story:
    story = at_exploratory_talks()
    story.do(
        ConcludeTalks(third_country_willing=True, commitments=list(COMMITMENTS)),
        COMMISSION,
        CONCLUDED,
    )
    return story


def at_council_decision() -> Story:
    story = at_report_due()
    story.do(
        SubmitReport(
            recommendation=Recommendation.LAUNCH, summary="Launch it", reference="COM(2025) 1"
        ),
        COMMISSION,
        REPORTED,
    )
    return story


def at_launch_preparation() -> Story:
    story = at_council_decision()
    story.do(
        RecordCouncilDecision(
            outcome=Outcome.INVITE_LAUNCH,
            decided_on=DECIDED.date(),
            council_reference="Council 1234/25",
        ),
        PRESIDENCY,
        DECIDED,
    )
    return story


def at_launched() -> Story:
    story = at_launch_preparation()
    story.do(
        LaunchPartnership(
            member_states=["FR", "ES", "PT"],
            components=[Component.LEGAL_MIGRATION, Component.READMISSION_AND_RETURN],
            signed_on=SIGNED.date(),
            joint_declaration_reference="JD 9876/26",
        ),
        COMMISSION,
        SIGNED,
    )
    return story


def at_withdrawn() -> Story:
    story = at_consultation()
    story.do(Withdraw(reason="Priorities changed"), COMMISSION, at(2025, 3, 20))
    return story


def at_not_pursued() -> Story:
    story = Story()
    story.do(propose(), COMMISSION, PROPOSED)
    story.do(answer("DE", Position.NOT_INTERESTED), rep("DE"), at(2025, 3, 12))
    story.do(CloseConsultation(), COMMISSION, CLOSED)
    return story


def at_talks_failed() -> Story:
    story = at_exploratory_talks()
    story.do(ConcludeTalks(third_country_willing=False), COMMISSION, CONCLUDED)
    return story


def at_declined() -> Story:
    story = at_council_decision()
    story.do(
        RecordCouncilDecision(outcome=Outcome.DECLINE, decided_on=DECIDED.date()),
        PRESIDENCY,
        DECIDED,
    )
    return story


def at_lapsed() -> Story:
    story = at_council_decision()
    story.do(LapseDecisionDeadline(), SYSTEM, at(2026, 1, 1, 0))
    return story


OPEN_STAGES: dict[Stage, Callable[[], Story]] = {
    Stage.CONSULTATION: at_consultation,
    Stage.AWAITING_TALKS_AUTHORISATION: at_awaiting_talks_authorisation,
    Stage.EXPLORATORY_TALKS: at_exploratory_talks,
    Stage.REPORT_DUE: at_report_due,
    Stage.COUNCIL_DECISION: at_council_decision,
    Stage.LAUNCH_PREPARATION: at_launch_preparation,
    Stage.TALKS_SUSPENDED: at_talks_suspended,
}

ENDED_STAGES: dict[Stage, Callable[[], Story]] = {
    Stage.NOT_PURSUED: at_not_pursued,
    Stage.TALKS_FAILED: at_talks_failed,
    Stage.DECLINED: at_declined,
    Stage.LAPSED: at_lapsed,
    Stage.WITHDRAWN: at_withdrawn,
    Stage.LAUNCHED: at_launched,
}

# When the last step of each builder was recorded, so a test can act just after it.
LAST_STEP: dict[Stage, datetime] = {
    Stage.CONSULTATION: at(2025, 3, 13),
    Stage.AWAITING_TALKS_AUTHORISATION: CLOSED,
    Stage.EXPLORATORY_TALKS: ROUND_2,
    Stage.TALKS_SUSPENDED: SUSPENDED,
    Stage.REPORT_DUE: CONCLUDED,
    Stage.COUNCIL_DECISION: REPORTED,
    Stage.LAUNCH_PREPARATION: DECIDED,
    Stage.NOT_PURSUED: CLOSED,
    Stage.TALKS_FAILED: CONCLUDED,
    Stage.DECLINED: DECIDED,
    Stage.LAPSED: at(2026, 1, 1, 0),
    Stage.WITHDRAWN: at(2025, 3, 20),
    Stage.LAUNCHED: SIGNED,
}


LATER = at(2025, 12, 1)

# One plausible instance of each command, with someone whose role may issue it.
SAMPLES: dict[type[Command], tuple[Command, Actor]] = {
    RespondToConsultation: (answer("IT"), rep("IT")),
    CloseConsultation: (CloseConsultation(), COMMISSION),
    AuthoriseTalks: (AuthoriseTalks(), PRESIDENCY),
    RecordTalksRound: (talks_round("FR", held_on=LATER.date()), COMMISSION),
    DeclareInterest: (DeclareInterest(member_state="IT"), rep("IT")),
    SuspendTalks: (SuspendTalks(reason="Elections"), COMMISSION),
    ResumeTalks: (ResumeTalks(), COMMISSION),
    ConcludeTalks: (ConcludeTalks(third_country_willing=False), COMMISSION),
    SubmitReport: (
        SubmitReport(recommendation=Recommendation.LAUNCH, summary="Go"),
        COMMISSION,
    ),
    ExtendDecisionDeadline: (
        ExtendDecisionDeadline(new_deadline=date(2027, 12, 31), reason="Time"),
        PRESIDENCY,
    ),
    RecordCouncilDecision: (
        RecordCouncilDecision(outcome=Outcome.INVITE_LAUNCH, decided_on=LATER.date()),
        PRESIDENCY,
    ),
    LaunchPartnership: (
        LaunchPartnership(
            member_states=["FR"],
            components=[Component.LEGAL_MIGRATION, Component.READMISSION_AND_RETURN],
            signed_on=LATER.date(),
        ),
        COMMISSION,
    ),
    Withdraw: (Withdraw(reason="Stop"), COMMISSION),
    IssueDeadlineReminder: (IssueDeadlineReminder(), SYSTEM),
    LapseDecisionDeadline: (LapseDecisionDeadline(), SYSTEM),
}

# What else refuses a sample above at LATER (2025-12-01), at a stage where its role and stage
# fit, worked out from the stories' dates: the consultation's default deadline (2025-04-14) has
# passed, and the decision deadline (2025-12-31) has neither passed nor its reminder fallen due
# (from 2025-12-18, 14 days before it passes). Every other sample is accepted there.
REFUSED_AT_LATER: dict[type[Command], tuple[type[DomainError], str]] = {
    RespondToConsultation: (InvalidDeadline, "the consultation deadline 2025-04-14 has passed"),
    IssueDeadlineReminder: (DeadlineNotReached, "is due from 2025-12-18T00:00:00+00:00"),
    LapseDecisionDeadline: (DeadlineNotReached, "the decision deadline 2025-12-31 has not passed"),
}

ACTOR_OF_ROLE: dict[Role, Actor] = {
    Role.COMMISSION: COMMISSION,
    Role.PRESIDENCY: PRESIDENCY,
    Role.MEMBER_STATE: rep("FR"),
    Role.OPERATOR: OPERATOR,
    Role.SYSTEM: SYSTEM,
}


# -- what a refusal says is allowed ---------------------------------------------------------

# What each kind of refusal says is allowed: at least one of these, verbatim.
SAYS_WHAT_IS_ALLOWED: dict[type[DomainError], tuple[str, ...]] = {
    NotPermitted: (" may",),
    NotThePresidency: (
        "only the Presidency in office on the step's date may",
        "must be added to domain/presidencies.py first",
        "act as presidency:",
    ),
    ConditionNotMet: ("point 10 of the Council conclusions",),
    WrongStage: ("is possible at: ", "nothing more can be done", "must propose it first"),
    AlreadyStarted: (
        "a country may be proposed again only after an end",
        "propose the country again as a new partnership",
    ),
    InvalidCountry: ("give two ASCII letters naming a country",),
    NotAThirdCountry: ("propose a country outside the Union",),
    NotAMemberState: ("the Member States then were: ",),
    ForeignMemberState: ("may answer only for ", "may declare interest only for "),
    NotInterested: (
        "Member States that declared interest: ",
        "Member States that may take part: ",
        "Member States that may sign: ",
    ),
    LimitReached: ("the most",),
    DeadlineNotReached: ("has not passed", "is due from"),
    InvalidDate: ("give a date between",),
    InvalidDeadline: ("give a date between", "has passed"),
    InvalidInput: (
        "Member States may offer: ",
        "answer `interested` to offer components",
        "the third country may commit to: ",
        "record at least one talks round",
        "leave commitments empty",
        "leave community_offers empty",
        "was already issued",
        # Late interest from a Member State already interested: nothing left to declare.
        "without declaring it again",
        "it is recorded as joining late",
    ),
}

_RANGE = re.compile(r"give a date between (\d{4}-\d\d-\d\d) and (\d{4}-\d\d-\d\d)$")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")


def check_says_what_is_allowed(error: DomainError, today: date) -> None:
    """`error`, raised on `today` (UTC), says what is allowed; a date or deadline it refuses
    lies outside the range it offers instead, which ends today for a business date and starts
    no earlier than today for a deadline."""
    message = str(error)
    assert any(says in message for says in SAYS_WHAT_IS_ALLOWED[type(error)]), message
    if not isinstance(error, (InvalidDate, InvalidDeadline)):
        return
    allowed = _RANGE.search(message)
    if allowed is None:
        # A deadline that has passed: nothing can be chosen instead.
        assert isinstance(error, InvalidDeadline), message
        assert "has passed" in message, message
        return
    refused = date.fromisoformat(_DATE.findall(message)[0])
    earliest, latest = (date.fromisoformat(day) for day in allowed.groups())
    assert not earliest <= refused <= latest, message
    if isinstance(error, InvalidDate):
        assert earliest >= EARLIEST_BUSINESS_DATE, message
        assert latest == today, message
    else:
        assert earliest >= today, message


# -- the design's tables, written out independently of domain/policy.py ---------------------

_C, _P, _M, _S = Role.COMMISSION, Role.PRESIDENCY, Role.MEMBER_STATE, Role.SYSTEM

# DESIGN.md §1's table of users: who may issue each command.
EXPECTED_ROLES: dict[type[Command], frozenset[Role]] = {
    ProposePartnership: frozenset({_C}),
    RespondToConsultation: frozenset({_M}),
    CloseConsultation: frozenset({_C, _S}),
    AuthoriseTalks: frozenset({_P}),
    RecordTalksRound: frozenset({_C}),
    DeclareInterest: frozenset({_M}),
    SuspendTalks: frozenset({_C}),
    ResumeTalks: frozenset({_C}),
    ConcludeTalks: frozenset({_C}),
    SubmitReport: frozenset({_C}),
    ExtendDecisionDeadline: frozenset({_P}),
    RecordCouncilDecision: frozenset({_P}),
    LaunchPartnership: frozenset({_C}),
    Withdraw: frozenset({_C}),
    IssueDeadlineReminder: frozenset({_S}),
    LapseDecisionDeadline: frozenset({_S}),
    AccedeToPartnership: frozenset({_M}),
}

BEFORE_DECISION = frozenset(
    {
        Stage.CONSULTATION,
        Stage.AWAITING_TALKS_AUTHORISATION,
        Stage.EXPLORATORY_TALKS,
        Stage.REPORT_DUE,
        Stage.COUNCIL_DECISION,
    }
)
# Suspended talks are open but wait for no deadline: the Council's cannot lapse them.
OPEN = BEFORE_DECISION | {Stage.LAUNCH_PREPARATION, Stage.TALKS_SUSPENDED}

# DESIGN.md §2's diagram: the stages each command leaves from (a proposal leaves from none).
EXPECTED_STAGES: dict[type[Command], frozenset[Stage]] = {
    RespondToConsultation: frozenset({Stage.CONSULTATION}),
    CloseConsultation: frozenset({Stage.CONSULTATION}),
    AuthoriseTalks: frozenset({Stage.AWAITING_TALKS_AUTHORISATION}),
    RecordTalksRound: frozenset({Stage.EXPLORATORY_TALKS}),
    DeclareInterest: frozenset({Stage.EXPLORATORY_TALKS}),
    SuspendTalks: frozenset({Stage.EXPLORATORY_TALKS}),
    ResumeTalks: frozenset({Stage.TALKS_SUSPENDED}),
    ConcludeTalks: frozenset({Stage.EXPLORATORY_TALKS}),
    SubmitReport: frozenset({Stage.REPORT_DUE}),
    ExtendDecisionDeadline: BEFORE_DECISION,
    RecordCouncilDecision: frozenset({Stage.COUNCIL_DECISION}),
    LaunchPartnership: frozenset({Stage.LAUNCH_PREPARATION}),
    Withdraw: OPEN,
    IssueDeadlineReminder: BEFORE_DECISION,
    LapseDecisionDeadline: BEFORE_DECISION,
}


# -- hypothesis strategies ------------------------------------------------------------------

OFFSETS = st.sampled_from([0, 60, 120, -300, 330, 540, -720]).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
"""Fixed UTC offsets, so recorded times are aware but not always in UTC."""

MEMBER_CODES = ("FR", "ES", "IT", "DE", "PT", "EL", "UK", "HR", "BG", "RO", "LU", "SE")
MEMBER_STATE_INPUTS = st.sampled_from((*MEMBER_CODES, "GR", "GB", "fr", " pt ", "NO", "CH", "XX"))

actor_ids = st.from_regex(r"[a-z][a-z0-9._ -]{0,18}[a-z0-9]", fullmatch=True)

actors = st.one_of(
    st.builds(
        Actor,
        id=actor_ids,
        role=st.sampled_from([Role.COMMISSION, Role.PRESIDENCY, Role.OPERATOR, Role.SYSTEM]),
    ),
    st.builds(
        Actor,
        id=actor_ids,
        role=st.just(Role.MEMBER_STATE),
        member_state=st.sampled_from(MEMBER_CODES),
    ),
)

dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))
aware_datetimes = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=OFFSETS
)
texts = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40)
optional_texts = st.none() | texts
components = st.lists(st.sampled_from(Component), max_size=9, unique=True).map(tuple)
member_state_tuples = st.lists(st.sampled_from(MEMBER_CODES), max_size=6, unique=True).map(tuple)

# One strategy per event field name; an event type is built from the fields it declares.
EVENT_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "schema_version": st.integers(min_value=1, max_value=9),
    "actor": actors,
    "occurred_on": dates,
    "recorded_at": aware_datetimes,
    "country": st.sampled_from(["CV", "MD", "SN", "GE", "GB"]),
    "region": st.sampled_from(Region),
    "rationale": texts,
    "terms_of_reference": texts,
    "consultation_deadline": dates,
    "decision_deadline": dates,
    "member_state": st.sampled_from(MEMBER_CODES),
    "position": st.sampled_from(Position),
    "offers": components,
    "comments": optional_texts,
    "by_deadline": st.booleans(),
    "interested_member_states": member_state_tuples,
    "reason": texts,
    "note": optional_texts,
    "round_number": st.integers(min_value=1, max_value=50),
    "member_states": member_state_tuples,
    "summary": texts,
    "location": optional_texts,
    "third_country_willing": st.booleans(),
    "commitments": components,
    "recommendation": st.sampled_from(Recommendation),
    "reference": optional_texts,
    "previous_deadline": dates,
    "new_deadline": dates,
    "deadline": dates,
    "outcome": st.sampled_from(Outcome),
    "council_reference": optional_texts,
    "joint_declaration_reference": optional_texts,
    "stage": st.sampled_from(Stage),
    "components": components,
    "council_target_date": st.none() | dates,
    "community_offers": components,
}


def events_of(event_type: type[EventBase]) -> st.SearchStrategy[Event]:
    """Any event of `event_type`, every field drawn (the `type` tag is the class's own)."""
    fields = {name: EVENT_FIELDS[name] for name in event_type.model_fields if name != "type"}
    return st.builds(event_type, **fields)  # type: ignore[arg-type]


any_event = st.sampled_from(EVENT_TYPES).flatmap(events_of)


# -- a random walk through the lifecycle ------------------------------------------------------
#
# Every choice is a hypothesis draw, so a failing walk shrinks: steps it does not need are
# dropped and each remaining choice falls back to its first option. The first option is always
# the usual one (the step forward, its usual actor, no gap, no date given), so a shrunk walk
# reads as the plain story that breaks. The weights keep most walks on the lifecycle's usual
# path, where hypothesis's own preference for simple values would leave them in the
# consultation.
#
# A walk draws thousands of values, so the strategies are built once, here (a strategy built
# afresh for each draw costs more than the step it draws for), and each weighted choice is a
# single draw from a table (see `weighted`). Hypothesis honours the weights only roughly: it
# favours the first rows and repeats parts of earlier walks, so a rare step comes up less often
# than its weight says. The guards in test_domain_properties.py check that every edge of
# DESIGN.md §2 is still taken.


class Draw(Protocol):
    """What draws a value from a strategy: a composite's `draw`, or `st.data()`'s `.draw`."""

    def __call__(self, strategy: st.SearchStrategy[_T], /) -> _T: ...


def weighted(*parts: tuple[int, Sequence[_T]]) -> st.SearchStrategy[_T]:
    """One of the values of the parts in a single draw: a part with `weight` out of the total
    weight of the parts, its values in turn within it. It shrinks to the first value of the
    first part (the usual one).

    Each unit of weight is a row of one table (at most 256; a part of weight 0 is left out).
    Hypothesis draws low rows more often than high ones, so the parts' rows are interleaved
    (each part spread evenly over the table, as in a smooth weighted round robin) rather than
    laid end to end, where the last parts would be drawn far less often than their weight.
    """
    kept = [(weight, values) for weight, values in parts if weight]
    assert all(0 < len(values) <= weight for weight, values in kept), kept
    total = sum(weight for weight, _ in kept)
    assert total <= 256, total
    credit = [0] * len(kept)
    used = [0] * len(kept)
    rows: list[_T] = []
    for row in range(total):
        credit = [c + weight for c, (weight, _) in zip(credit, kept, strict=True)]
        # The first row is the first part's; then the part furthest behind its share.
        part = 0 if row == 0 else max(range(len(kept)), key=lambda i: (credit[i], -i))
        credit[part] -= total
        values = kept[part][1]
        rows.append(values[used[part] % len(values)])
        used[part] += 1
    return st.sampled_from(rows)


@functools.cache
def _indices(size: int) -> st.SearchStrategy[int]:
    return st.integers(0, size - 1)


def _pick(draw: Draw, options: Sequence[_T]) -> _T:
    """One of `options`, shrinking to the first (options computed from the state may change
    with every step, so they are indexed rather than turned into a new strategy each time)."""
    return options[draw(_indices(len(options)))]


START_TIMES = st.datetimes(min_value=datetime(2005, 1, 1), max_value=datetime(2030, 1, 1)).map(
    lambda d: d.replace(tzinfo=UTC)
)
"""Where a walk starts: recorded time around the years of the pilots (some before 2005-12-15,
when nothing can be proposed yet)."""

# Mostly third countries; some that were or became Member States, some no country at all.
PROPOSED_COUNTRIES = (
    *("CV", "MD", "SN", "GE", "MA", "cv") * 3,
    *("HR", "GB", "UK", "BG", "FR", "EL", "XX"),
)

KINDS: tuple[type[Command], ...] = (ProposePartnership, *EXPECTED_STAGES)

# The steps that move a partnership forward from each open stage, preferred when drawing.
FORWARD: dict[Stage, tuple[type[Command], ...]] = {
    Stage.CONSULTATION: (*[RespondToConsultation] * 8, CloseConsultation),
    Stage.AWAITING_TALKS_AUTHORISATION: (AuthoriseTalks,),
    Stage.EXPLORATORY_TALKS: (
        RecordTalksRound,
        RecordTalksRound,
        DeclareInterest,
        SuspendTalks,
        ConcludeTalks,
    ),
    Stage.TALKS_SUSPENDED: (ResumeTalks,),
    Stage.REPORT_DUE: (SubmitReport,),
    Stage.COUNCIL_DECISION: (RecordCouncilDecision,),
    Stage.LAUNCH_PREPARATION: (LaunchPartnership,),
}


class _Any:
    """Stands in a table for "any one of many", drawn with a second draw."""


ANY = _Any()


class _Due:
    """Stands in a table for the engine's step that is due, if any (else the step forward)."""


DUE = _Due()

# The steps about the decision deadline, possible at every stage before the Council decides.
_DEADLINE_STEPS = (ExtendDecisionDeadline, IssueDeadlineReminder, LapseDecisionDeadline)

# Out of 200, at each open stage: the step forward, a step about the decision deadline,
# withdrawal, the engine's step that is due (as the workflow takes it when a deadline passes),
# and any step at all. Where one step moves the partnership on, the others get room, so that
# walks also extend, remind, lapse and withdraw there; in the consultation and the talks, which
# take many steps, they get little, so that walks from nothing still get through them.
_STEERING: dict[Stage, tuple[int, int, int, int, int]] = {
    Stage.CONSULTATION: (161, 20, 5, 10, 4),
    Stage.AWAITING_TALKS_AUTHORISATION: (80, 50, 12, 40, 18),
    Stage.EXPLORATORY_TALKS: (157, 20, 5, 14, 4),
    Stage.TALKS_SUSPENDED: (120, 40, 20, 10, 10),
    Stage.REPORT_DUE: (80, 50, 12, 40, 18),
    Stage.COUNCIL_DECISION: (80, 50, 12, 40, 18),
    Stage.LAUNCH_PREPARATION: (140, 0, 40, 0, 20),
}


def _kinds_at(stage: Stage) -> st.SearchStrategy[type[Command] | _Any | _Due]:
    """Mostly the step forward, sometimes a step about the deadline, withdrawal or the step
    that is due, rarely any step."""
    forward, deadline, withdraw, due, anything = _STEERING[stage]
    return weighted(
        (forward, FORWARD[stage]),
        (deadline, _DEADLINE_STEPS),
        (withdraw, (Withdraw,)),
        (due, (DUE,)),
        (anything, (ANY,)),
    )


_KINDS_AT: dict[Stage | None, st.SearchStrategy[type[Command] | _Any | _Due]] = {
    None: weighted((9, (ProposePartnership,)), (1, (ANY,))),
    **{stage: _kinds_at(stage) for stage in OPEN},
}


def _due(state: Partnership, at: datetime) -> type[Command] | None:
    """The engine's step due at `at`: closing the consultation at its deadline, the lapse once
    the decision deadline has passed, or the reminder before it."""
    consultation, decision = state.consultation_deadline, state.decision_deadline
    if state.stage is Stage.CONSULTATION and consultation and at >= deadline_instant(consultation):
        return CloseConsultation
    if state.stage in BEFORE_DECISION and decision:
        if at >= deadline_instant(decision):
            return LapseDecisionDeadline
        if at >= reminder_instant(decision) and decision not in state.reminded_deadlines:
            return IssueDeadlineReminder
    return None


USUAL_ACTOR: dict[type[Command], Actor] = {
    ProposePartnership: COMMISSION,
    CloseConsultation: COMMISSION,
    AuthoriseTalks: PRESIDENCY,
    RecordTalksRound: COMMISSION,
    DeclareInterest: rep("IT"),
    SuspendTalks: COMMISSION,
    ResumeTalks: COMMISSION,
    ConcludeTalks: COMMISSION,
    SubmitReport: COMMISSION,
    ExtendDecisionDeadline: PRESIDENCY,
    RecordCouncilDecision: PRESIDENCY,
    LaunchPartnership: COMMISSION,
    Withdraw: COMMISSION,
    IssueDeadlineReminder: SYSTEM,
    LapseDecisionDeadline: SYSTEM,
}

WALK_ACTORS = (COMMISSION, PRESIDENCY, OPERATOR, SYSTEM, *(rep(code) for code in MEMBER_CODES))
# Mostly the usual actor, sometimes anyone; the consultation is closed by the Commission or,
# at its deadline, by the engine.
_USUAL, _BY_THE_ENGINE = "usual", "engine"
_ACTORS = weighted((9, (_USUAL,)), (1, (ANY,)))
_CLOSERS = weighted((63, (_USUAL,)), (27, (_BY_THE_ENGINE,)), (10, (ANY,)))

# Mostly Member States, sometimes codes in the other forms users type, or not members at all.
ANSWERING = (*MEMBER_CODES * 3, "GR", "GB", "fr", " pt ", "NO", "CH", "XX")
EU_OFFERS = tuple(sorted(MEMBER_STATE_OFFERS))
COMMUNITY = tuple(sorted(COMMUNITY_OFFERS))
THIRD_COMMITMENTS = tuple(sorted(THIRD_COUNTRY_COMPONENTS))
EVERY_COMPONENT = tuple(Component)

# How recorded time moves on: no gap, minutes, days, rarely months, or onto a deadline.
_NONE, _MINUTES, _DAYS, _MONTHS, _DEADLINE = "none", "minutes", "days", "months", "deadline"
_GAPS = weighted(
    (22, (_NONE,)), (22, (_MINUTES,)), (44, (_DAYS,)), (6, (_MONTHS,)), (6, (_DEADLINE,))
)
_GAP_MINUTES = st.integers(1, 600)
_GAP_DAYS = st.integers(1, 10)
_GAP_MONTHS = st.builds(
    lambda days, seconds: timedelta(days=days, seconds=seconds),
    st.integers(10, 300),
    st.integers(0, 86399),
)
_OFFSETS = st.sampled_from([0, 0, 60, 120, -300, 330, 540, -720]).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)

# A business date: none given, or mostly today or lately, sometimes long ago or tomorrow.
_TODAY, _YESTERDAY, _LATELY, _LONG_AGO, _TOMORROW = 0, -1, "lately", "long ago", 1
_NEAR = ((3, _TODAY), (1, _YESTERDAY), (1, _LATELY), (1, _LONG_AGO), (1, _TOMORROW))
_NEAR_DAYS = weighted(*((weight, (days,)) for weight, days in _NEAR))
_BUSINESS_DAYS = weighted((7, (None,)), *((weight, (days,)) for weight, days in _NEAR))
_DAYS_LATELY = st.integers(0, 30)
_DAYS_LONG_AGO = st.integers(0, 800)
_DEADLINE_DAYS = st.none() | st.integers(-5, 500)

# An answer: interested with the Member States' offers, sometimes the third country's too;
# or not interested, rarely with offers all the same.
_INTERESTED = (Position.INTERESTED, EU_OFFERS)
_ALL_COMMITMENTS = "all of the third country's"
_POSITIONS = weighted(
    (135, (_INTERESTED,)),
    (15, ((Position.INTERESTED, EVERY_COMPONENT),)),
    (45, ((Position.NOT_INTERESTED, ()),)),
    (5, ((Position.NOT_INTERESTED, EU_OFFERS), (Position.NOT_INTERESTED, EVERY_COMPONENT))),
)
# The talks' outcome: willing with the third country's commitments, sometimes with the EU's
# components too; or unwilling, rarely with commitments all the same.
_OUTCOMES = weighted(
    (64, ((True, _ALL_COMMITMENTS),)),
    (8, ((True, THIRD_COMMITMENTS),)),
    (8, ((True, EVERY_COMPONENT),)),
    (18, ((False, ()),)),
    (2, ((False, THIRD_COMMITMENTS), (False, EVERY_COMPONENT))),
)
_HOW_MANY = st.integers(0, 4)
_INTERESTED_ONES = weighted((9, (True,)), (1, (False,)))
_REGIONS = st.sampled_from([None, None, *Region])
_COMMENTS = st.sampled_from([None, "A comment"])
_RECOMMENDATIONS = st.sampled_from(Recommendation)
_COUNCIL = weighted((7, (Outcome.INVITE_LAUNCH,)), (3, (Outcome.DECLINE,)))
_EXTENSION_DAYS = st.integers(-30, 400)


@dataclass(frozen=True)
class Step:
    """One step of a walk: `actor` issues `command` at recorded time `at`."""

    at: datetime
    command: Command
    actor: Actor


def _recorded_time(draw: Draw, now: datetime, state: Partnership) -> datetime:
    """Recorded time moves forward by a random gap, sometimes onto a deadline's moment."""
    gap = draw(_GAPS)
    later = now
    if gap == _MINUTES:
        later = now + timedelta(minutes=draw(_GAP_MINUTES))
    elif gap == _DAYS:
        later = now + timedelta(days=draw(_GAP_DAYS))
    elif gap == _MONTHS:
        later = now + draw(_GAP_MONTHS)
    elif gap == _DEADLINE:
        moments = [
            instant(deadline)
            for deadline, instant in (
                (state.consultation_deadline, deadline_instant),
                (state.decision_deadline, reminder_instant),
                (state.decision_deadline, deadline_instant),
            )
            if deadline is not None and instant(deadline) > now
        ]
        if moments:
            later = _pick(draw, moments)
    return later.astimezone(draw(_OFFSETS))


def _kind(draw: Draw, state: Partnership, at: datetime) -> type[Command]:
    kind = draw(_KINDS_AT[state.stage]) if state.stage in _KINDS_AT else ANY
    if isinstance(kind, _Due):
        assert state.stage is not None
        return _due(state, at) or FORWARD[state.stage][0]
    return _pick(draw, KINDS) if isinstance(kind, _Any) else kind


def _actor(draw: Draw, command: Command) -> Actor:
    """Mostly someone whose role may issue `command`, sometimes anyone."""
    who = draw(_CLOSERS if isinstance(command, CloseConsultation) else _ACTORS)
    if who is ANY:
        return _pick(draw, WALK_ACTORS)
    if who == _BY_THE_ENGINE:
        return SYSTEM
    if isinstance(command, RespondToConsultation | DeclareInterest):
        try:
            return rep(command.member_state.strip())
        except ValueError:  # no Member State's code: someone answers for it anyway
            return rep("FR")
    return USUAL_ACTOR[type(command)]


def _days(draw: Draw, days: int | str) -> int:
    if days == _LATELY:
        return -draw(_DAYS_LATELY)
    if days == _LONG_AGO:
        return -draw(_DAYS_LONG_AGO)
    assert isinstance(days, int)
    return days


def _near(draw: Draw, today: date) -> date:
    """A business date: mostly today or lately, sometimes long ago or tomorrow."""
    return today + timedelta(days=_days(draw, draw(_NEAR_DAYS)))


def _business_date(draw: Draw, today: date) -> date | None:
    """None (the recorded day), or a date near `today`."""
    days = draw(_BUSINESS_DAYS)
    return None if days is None else today + timedelta(days=_days(draw, days))


def _deadline(draw: Draw, today: date) -> date | None:
    days = draw(_DEADLINE_DAYS)
    return None if days is None else today + timedelta(days=days)


def _member_states(draw: Draw, state: Partnership) -> list[str]:
    """One to five codes, mostly of Member States that declared interest."""
    interested = state.interested_member_states
    codes: list[str] = []
    for _ in range(1 + draw(_HOW_MANY)):
        chosen = bool(interested) and draw(_INTERESTED_ONES)
        codes.append(_pick(draw, interested if chosen else ANSWERING))
    return codes


def _components(draw: Draw, pool: Sequence[Component]) -> list[Component]:
    return [_pick(draw, pool) for _ in range(draw(_HOW_MANY))] if pool else []


def _command(draw: Draw, kind: type[Command], state: Partnership, now: datetime) -> Command:
    """A command of `kind` with plausible, sometimes wrong, fields."""
    today = now.astimezone(UTC).date()
    if kind is ProposePartnership:
        return ProposePartnership(
            country=_pick(draw, PROPOSED_COUNTRIES),
            rationale="Why",
            terms_of_reference="What",
            region=draw(_REGIONS),
            occurred_on=_business_date(draw, today),
            consultation_deadline=_deadline(draw, today),
            decision_deadline=_deadline(draw, today),
        )
    if kind is RespondToConsultation:
        position, offers = draw(_POSITIONS)
        return RespondToConsultation(
            member_state=_pick(draw, ANSWERING),
            position=position,
            offers=_components(draw, offers),
            comments=draw(_COMMENTS),
            occurred_on=_business_date(draw, today),
        )
    if kind is CloseConsultation:
        return CloseConsultation(occurred_on=_business_date(draw, today))
    if kind is AuthoriseTalks:
        return AuthoriseTalks(occurred_on=_business_date(draw, today))
    if kind is RecordTalksRound:
        return RecordTalksRound(
            held_on=_near(draw, today), member_states=_member_states(draw, state), summary="R"
        )
    if kind is DeclareInterest:
        return DeclareInterest(
            member_state=_pick(draw, ANSWERING),
            offers=_components(draw, EU_OFFERS),
            occurred_on=_business_date(draw, today),
        )
    if kind is SuspendTalks:
        return SuspendTalks(reason="Elections", occurred_on=_business_date(draw, today))
    if kind is ResumeTalks:
        return ResumeTalks(occurred_on=_business_date(draw, today))
    if kind is ConcludeTalks:
        willing, commitments = draw(_OUTCOMES)
        return ConcludeTalks(
            third_country_willing=willing,
            commitments=list(THIRD_COMMITMENTS)
            if commitments == _ALL_COMMITMENTS
            else _components(draw, commitments),
            community_offers=_components(draw, COMMUNITY) if willing else [],
            occurred_on=_business_date(draw, today),
        )
    if kind is SubmitReport:
        return SubmitReport(
            recommendation=draw(_RECOMMENDATIONS),
            summary="Report",
            occurred_on=_business_date(draw, today),
        )
    if kind is ExtendDecisionDeadline:
        current = state.decision_deadline or today
        return ExtendDecisionDeadline(
            new_deadline=current + timedelta(days=draw(_EXTENSION_DAYS)), reason="More time"
        )
    if kind is RecordCouncilDecision:
        return RecordCouncilDecision(outcome=draw(_COUNCIL), decided_on=_near(draw, today))
    if kind is LaunchPartnership:
        # Mostly what was offered and committed, with readmission and return; sometimes
        # anything at all.
        committed = state.talks.commitments if state.talks else ()
        available = (*state.offered, *committed) or EVERY_COMPONENT
        pool = available if draw(_INTERESTED_ONES) else EVERY_COMPONENT
        return LaunchPartnership(
            member_states=_member_states(draw, state),
            components=[Component.READMISSION_AND_RETURN, *_components(draw, pool)],
            signed_on=_near(draw, today),
        )
    if kind is Withdraw:
        return Withdraw(reason="Stop", occurred_on=_business_date(draw, today))
    if kind is IssueDeadlineReminder:
        return IssueDeadlineReminder()
    assert kind is LapseDecisionDeadline
    return LapseDecisionDeadline()


@st.composite
def walk_commands(
    draw: st.DrawFn, kind: type[Command], state: Partnership, now: datetime
) -> Command:
    """A command of `kind`, for a partnership at `state`, with plausible, sometimes wrong,
    fields dated around `now`."""
    return _command(draw, kind, state, now)


@st.composite
def walk_steps(draw: st.DrawFn, state: Partnership, now: datetime) -> Step:
    """The next step of a walk that has reached `state` at recorded time `now`."""
    later = _recorded_time(draw, now, state)
    command = _command(draw, _kind(draw, state, later), state, later)
    return Step(at=later, command=command, actor=in_office(_actor(draw, command), command, later))
