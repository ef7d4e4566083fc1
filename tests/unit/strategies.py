"""Shared builders for the domain's unit tests: actors, a story driver, and a partnership at
each stage of DESIGN.md §2 on one fixed timeline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import strategies as st

from domain import (
    EVENT_TYPES,
    SYSTEM_ACTOR,
    Actor,
    AuthoriseTalks,
    CloseConsultation,
    Command,
    Component,
    ConcludeTalks,
    DomainError,
    Event,
    EventBase,
    ExtendDecisionDeadline,
    IssueDeadlineReminder,
    LapseDecisionDeadline,
    LaunchPartnership,
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
    decide,
    replay,
)

COMMISSION = Actor(id="alice", role=Role.COMMISSION)
PRESIDENCY = Actor(id="pedro", role=Role.PRESIDENCY)
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
OFFERS_ES = (Component.VISA_FACILITATION,)
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
        events = decide(self.state, command, actor, now)
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
            decide(self.state, command, actor, now)
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
            member_states=["FR"], components=[Component.LEGAL_MIGRATION], signed_on=LATER.date()
        ),
        COMMISSION,
    ),
    Withdraw: (Withdraw(reason="Stop"), COMMISSION),
    IssueDeadlineReminder: (IssueDeadlineReminder(), SYSTEM),
    LapseDecisionDeadline: (LapseDecisionDeadline(), SYSTEM),
}

ACTOR_OF_ROLE: dict[Role, Actor] = {
    Role.COMMISSION: COMMISSION,
    Role.PRESIDENCY: PRESIDENCY,
    Role.MEMBER_STATE: rep("FR"),
    Role.OPERATOR: OPERATOR,
    Role.SYSTEM: SYSTEM,
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
}


def events_of(event_type: type[EventBase]) -> st.SearchStrategy[Event]:
    """Any event of `event_type`, every field drawn (the `type` tag is the class's own)."""
    fields = {name: EVENT_FIELDS[name] for name in event_type.model_fields if name != "type"}
    return st.builds(event_type, **fields)  # type: ignore[arg-type]


any_event = st.sampled_from(EVENT_TYPES).flatmap(events_of)
