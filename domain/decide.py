"""The decisions: given a partnership, a command, who issues it and when, which events follow.

`decide` is pure. It either returns the events to record or raises a `DomainError` whose
message says what was wrong and what is allowed; nothing is recorded on a rejection.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import TypedDict, TypeVar

from domain.actors import Actor, Role
from domain.bounds import (
    DEADLINE_HORIZON_YEARS,
    EARLIEST_BUSINESS_DATE,
    MAX_ANSWERS_PER_MEMBER_STATE,
    fits_within_horizon,
    latest_deadline,
    limit_refusal,
)
from domain.commands import (
    AccedeToPartnership,
    AuthoriseTalks,
    CloseConsultation,
    Command,
    ConcludeTalks,
    DeclareInterest,
    ExtendDecisionDeadline,
    IssueDeadlineReminder,
    LapseDecisionDeadline,
    LaunchPartnership,
    Position,
    ProposePartnership,
    RecordCouncilDecision,
    RecordTalksRound,
    RespondToConsultation,
    ResumeTalks,
    SubmitReport,
    SuspendTalks,
    Withdraw,
)
from domain.components import EU_COMPONENTS, THIRD_COUNTRY_COMPONENTS, Component
from domain.conditions import (
    accession_refusal,
    commitments_refusal,
    community_offers_refusal,
    eligible_signatories,
    late_interest_refusal,
    launch_components_refusal,
    member_state_offers_refusal,
    signatories_refusal,
)
from domain.countries import member_state, third_country
from domain.deadlines import (
    DEFAULT_CONSULTATION_PERIOD,
    date_plus,
    deadline_refusal,
    default_decision_deadline,
    has_passed,
    reminder_instant,
)
from domain.errors import (
    AlreadyStarted,
    ConditionNotMet,
    DeadlineNotReached,
    ForeignMemberState,
    InvalidDate,
    InvalidDeadline,
    InvalidInput,
    LimitReached,
    NotInterested,
    NotPermitted,
    NotThePresidency,
    WrongStage,
)
from domain.events import (
    ConsultationAnswered,
    ConsultationClosed,
    CouncilDecisionRecorded,
    DecisionDeadlineExtended,
    DecisionDeadlineReminderIssued,
    Event,
    LateInterestDeclared,
    MemberStateAcceded,
    PartnershipLapsed,
    PartnershipLaunched,
    PartnershipNotPursued,
    PartnershipProposed,
    PartnershipWithdrawn,
    ReportSubmitted,
    TalksAuthorised,
    TalksConcluded,
    TalksResumed,
    TalksRoundRecorded,
    TalksSuspended,
)
from domain.policy import allowed_at, may_issue, roles_label, stages_label
from domain.presidencies import presidency_on, presidency_refusal
from domain.regions import region_of
from domain.stages import Stage
from domain.state import Partnership

_T = TypeVar("_T")


def decide(
    state: Partnership,
    command: Command,
    actor: Actor,
    now: datetime,
    *,
    consultation_period: timedelta = DEFAULT_CONSULTATION_PERIOD,
    point_11: bool = True,
) -> list[Event]:
    """The events that `command`, issued by `actor` at recorded time `now`, gives rise to.

    `now` must be timezone-aware. `consultation_period` is the default length of a
    consultation whose deadline the proposal leaves open. `point_11` applies the rules of
    issue 13 (the Presidency in office, the conditions of point 10, late interest, the
    Council's target date); a workflow started before them passes False and decides as it
    always did, so its history replays. Every date a command carries is
    checked against the bounds of domain/bounds.py; whatever the dates, `decide` raises nothing
    but a `DomainError` (or a `ValueError` for a `now` that is naive or that UTC cannot hold).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("decide needs a timezone-aware `now`")
    # Deadlines pass at UTC midnight, so "today" must be the UTC date too.
    try:
        now = now.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"decide needs a `now` that UTC can hold, not {now!r}") from None
    _check_role(actor, command)
    if isinstance(command, ProposePartnership):
        return _propose(state, command, actor, now, consultation_period, point_11=point_11)
    stage = _check_stage(state, actor, command)
    base = _Context(state=state, actor=actor, now=now, stage=stage, point_11=point_11)
    match command:
        case RespondToConsultation():
            return base.respond(command)
        case CloseConsultation():
            return base.close_consultation(command)
        case AuthoriseTalks():
            return base.authorise_talks(command)
        case RecordTalksRound():
            return base.record_talks_round(command)
        case DeclareInterest():
            return base.declare_interest(command)
        case SuspendTalks():
            return base.suspend_talks(command)
        case ResumeTalks():
            return base.resume_talks(command)
        case ConcludeTalks():
            return base.conclude_talks(command)
        case SubmitReport():
            return base.submit_report(command)
        case ExtendDecisionDeadline():
            return base.extend_decision_deadline(command)
        case RecordCouncilDecision():
            return base.record_council_decision(command)
        case LaunchPartnership():
            return base.launch(command)
        case Withdraw():
            return base.withdraw(command)
        case IssueDeadlineReminder():
            return base.issue_reminder()
        case LapseDecisionDeadline():
            return base.lapse()
    raise InvalidInput(f"unknown command {type(command).__name__}")


def decide_accession(
    state: Partnership, command: AccedeToPartnership, actor: Actor, now: datetime
) -> list[Event]:
    """The accession of a Member State to a launched partnership, as the joint declarations
    provide for: a `MemberStateAcceded`, or the refusal.

    The partnership's own workflow ends at the launch, so this is not one of its steps (see
    workflows/accession.py). A Member State's representative accedes for its own Member State;
    only a launched partnership takes accessions, and a Member State
    already a party (signatory or acceded) is refused.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("decide_accession needs a timezone-aware `now`")
    now = now.astimezone(UTC)
    if actor.role is not Role.MEMBER_STATE:
        raise NotPermitted(
            f"{actor} may not accede to a partnership: only a Member State's representative "
            "may, for its own Member State"
        )
    # Who accedes first: a representative acts only for its own Member State, whatever the
    # partnership's stage.
    acceding = member_state(command.member_state, command.occurred_on or now.date())
    if actor.member_state != acceding:
        raise ForeignMemberState(
            f"{actor} may accede only for {actor.member_state}, not for {acceding}"
        )
    if state.stage is not Stage.LAUNCHED or state.launch is None:
        where = f"at stage {state.stage}" if state.stage is not None else "not proposed"
        raise WrongStage(
            f"only a launched partnership takes accessions; the partnership with "
            f"{state.country or 'this country'} is {where}"
        )
    on = _business_date(
        command.occurred_on,
        now,
        what="the accession's date",
        not_before=[("the joint declaration's signature", state.launch.signed_on)],
    )
    reason = accession_refusal(
        acceding,
        signatories=state.launch.member_states,
        acceded=[a.member_state for a in state.accessions],
    )
    if reason is not None:
        raise InvalidInput(reason)
    return [MemberStateAcceded(**_stamped_by(actor, on, now), member_state=acceding)]


def _check_role(actor: Actor, command: Command) -> None:
    if not may_issue(actor.role, type(command)):
        raise NotPermitted(
            f"{actor} may not {command.name.replace('_', ' ')}: "
            f"only {roles_label(type(command))} may"
        )


def _check_stage(state: Partnership, actor: Actor, command: Command) -> Stage:
    if state.stage is None:
        raise WrongStage(
            f"no partnership has been proposed yet, so it cannot {command.name}; "
            "the Commission must propose it first"
        )
    if not allowed_at(state.stage, type(command)):
        if state.stage.is_end:
            raise WrongStage(
                f"the partnership with {state.country} has ended ({state.stage}); "
                "nothing more can be done to it"
            )
        raise WrongStage(
            f"cannot {command.name} while the partnership is at stage {state.stage}; "
            f"{command.name} is possible at: {stages_label(type(command))}"
        )
    return state.stage


def _business_date(
    given: date | None, now: datetime, *, what: str, not_before: Iterable[tuple[str, date | None]]
) -> date:
    """The business date `given` (today when None), checked: between the earliest business
    date, or the later step it follows, and today."""
    today = now.date()
    day = given if given is not None else today
    steps = [(label, earliest) for label, earliest in not_before if earliest is not None]
    earliest = max([EARLIEST_BUSINESS_DATE, *(step for _, step in steps)])
    allowed = f"give a date between {earliest.isoformat()} and {today.isoformat()}"
    if day > today:
        raise InvalidDate(f"{what} {day.isoformat()} lies in the future; {allowed}")
    if day < EARLIEST_BUSINESS_DATE:
        raise InvalidDate(
            f"{what} {day.isoformat()} is before {EARLIEST_BUSINESS_DATE.isoformat()}, when "
            "the European Council adopted the Global Approach to Migration that pilot "
            f"partnerships belong to; {allowed}"
        )
    for label, step in steps:
        if day < step:
            raise InvalidDate(
                f"{what} {day.isoformat()} is before {label} ({step.isoformat()}); {allowed}"
            )
    return day


def _deadline(
    day: date, today: date, *, what: str, not_before: Iterable[tuple[str, date]] = ()
) -> date:
    """The deadline `day`, set on `today`, checked: not passed, not before any of `not_before`
    (each with why it is a floor), and within the horizon of domain/bounds.py."""
    floors = list(not_before)
    latest = latest_deadline(today)
    earliest = max([today, *(floor for _, floor in floors)])
    allowed = f"give a date between {earliest.isoformat()} and {latest.isoformat()}"
    if day < today:
        raise InvalidDeadline(f"{what} {day.isoformat()} has passed; {allowed}")
    for why, floor in floors:
        if day < floor:
            raise InvalidDeadline(f"{what} {day.isoformat()} {why}; {allowed}")
    if day > latest:
        raise InvalidDeadline(
            f"{what} {day.isoformat()} lies more than {DEADLINE_HORIZON_YEARS} years after "
            f"today ({today.isoformat()}); {allowed}"
        )
    return day


def _unique(items: Iterable[_T]) -> tuple[_T, ...]:
    return tuple(dict.fromkeys(items))


class _Stamp(TypedDict):
    """What every event carries besides its own fields (domain/events.py's `EventBase`)."""

    actor: Actor
    occurred_on: date
    recorded_at: datetime


def _stamped_by(actor: Actor, on: date, now: datetime) -> _Stamp:
    """Who recorded an event, the business date it happened on, and when it was recorded."""
    return {"actor": actor, "occurred_on": on, "recorded_at": now}


def _only(
    components: Iterable[Component],
    allowed: frozenset[Component],
    *,
    belongs_to: str,
    not_to: str,
    may: str,
) -> None:
    """Refuse the components that belong to the other party, naming the ones that may be given.

    Member States offer the EU's components and the third country commits to its own, so each
    side names only its own (domain/components.py).
    """
    foreign = [c.value for c in components if c not in allowed]
    if foreign:
        names = ", ".join(c.value for c in Component if c in allowed)
        raise InvalidInput(
            f"{', '.join(foreign)} is for {belongs_to}, not for {not_to}; {may}: {names}"
        )


def _propose(
    state: Partnership,
    command: ProposePartnership,
    actor: Actor,
    now: datetime,
    consultation_period: timedelta,
    *,
    point_11: bool,
) -> list[Event]:
    if state.stage is not None and state.stage.is_end:
        raise AlreadyStarted(
            f"the partnership with {state.country} has ended ({state.stage}) and its record "
            "is closed; propose the country again as a new partnership"
        )
    if state.stage is not None:
        raise AlreadyStarted(
            f"the partnership with {state.country} was already proposed "
            f"(stage {state.stage}); a country may be proposed again only after an end"
        )
    on = _business_date(command.occurred_on, now, what="the proposal's date", not_before=())
    today = now.date()
    country = third_country(command.country, on, recorded_on=today)
    target = command.council_target_date
    if target is not None:
        if not point_11:
            raise InvalidInput(
                "this partnership's workflow started before the Council's target date was "
                "recorded; propose without council_target_date"
            )
        _council_target(target, today, after=("the proposal's date", on))
    if command.decision_deadline is not None:
        _deadline(command.decision_deadline, today, what="the decision deadline")
    if command.consultation_deadline is not None:
        consultation_deadline = _deadline(
            command.consultation_deadline, today, what="the consultation deadline"
        )
    else:
        consultation_deadline = date_plus(today, consultation_period)
        if not fits_within_horizon(consultation_period, today):
            # The settings refuse such a period at start-up; this is the configuration's
            # fault, not the input's, and a deadline the caller gives still works.
            latest = latest_deadline(today)
            raise InvalidDeadline(
                f"the default consultation deadline {consultation_deadline.isoformat()}, "
                f"{consultation_period.days} days after today ({today.isoformat()}) by the "
                f"configured consultation period, lies more than {DEADLINE_HORIZON_YEARS} "
                "years ahead: the service is misconfigured, not your input; for the "
                f"consultation deadline, give a date between {today.isoformat()} and "
                f"{latest.isoformat()}"
            )
        if command.decision_deadline is not None:
            # A defaulted consultation never outlasts a decision deadline the Commission chose.
            consultation_deadline = min(consultation_deadline, command.decision_deadline)
        _deadline(consultation_deadline, today, what="the default consultation deadline")
    # A defaulted decision deadline stays within the horizon, like a chosen one.
    decision_deadline = command.decision_deadline or min(
        default_decision_deadline(today, consultation_deadline), latest_deadline(today)
    )
    _deadline(
        decision_deadline,
        today,
        what="the decision deadline",
        not_before=[
            (
                f"is before the consultation deadline {consultation_deadline.isoformat()}",
                consultation_deadline,
            )
        ],
    )
    return [
        PartnershipProposed(
            **_stamped_by(actor, on, now),
            country=country,
            region=command.region or region_of(country),
            rationale=command.rationale,
            terms_of_reference=command.terms_of_reference,
            consultation_deadline=consultation_deadline,
            decision_deadline=decision_deadline,
            council_target_date=target,
        )
    ]


MAX_SUSPENSIONS = 10
"""How often a partnership's talks may be suspended: each suspension is a report to the
Council, and a partnership that needs more is better concluded or withdrawn."""


def resumed_deadline(deadline: date, suspended_at: datetime, now: datetime) -> date:
    """The operational decision deadline once suspended talks resume at `now`.

    The deadline stands still while the talks are suspended (no reminder, no lapse): it moves
    later by the whole days, on recorded time, from the suspension's recording to `now`, and
    never beyond the horizon of deadlines set on `now`'s day (nor before `deadline`).
    """
    today = now.astimezone(UTC).date()
    stood_still = today - suspended_at.astimezone(UTC).date()
    moved = date_plus(deadline, max(stood_still, timedelta(0)))
    return max(deadline, min(moved, latest_deadline(today)))


def _council_target(day: date, today: date, *, after: tuple[str, date]) -> date:
    """The Council's target date `day`, checked: a business fact, so it may lie in the past
    (a back-filled partnership's "by the end of 2007"), but not before `after` nor beyond the
    horizon of the deadlines recorded on `today`."""
    label, floor = after
    latest = latest_deadline(today)
    allowed = f"give a date between {floor.isoformat()} and {latest.isoformat()}"
    if day < floor:
        raise InvalidDate(
            f"the Council's target date {day.isoformat()} is before {label} "
            f"({floor.isoformat()}); {allowed}"
        )
    if day > latest:
        raise InvalidDate(
            f"the Council's target date {day.isoformat()} lies more than "
            f"{DEADLINE_HORIZON_YEARS} years after today ({today.isoformat()}); {allowed}"
        )
    return day


class _Context:
    """One decision's inputs, so each rule reads as a short method."""

    def __init__(
        self, *, state: Partnership, actor: Actor, now: datetime, stage: Stage, point_11: bool
    ) -> None:
        self.state = state
        self.actor = actor
        self.now = now
        self.stage = stage
        self.point_11 = point_11

    def _presidency(self, on: date, what: str) -> None:
        """Refuse a Presidency step by a Member State not in office on `on` (point 11)."""
        if not self.point_11:
            return
        ms = self.actor.member_state
        if ms is None:
            held = presidency_on(on)
            example = f"presidency:{held}:{self.actor.id}" if held else "presidency:PT:joao"
            raise NotThePresidency(
                f"{self.actor} names no Member State: a presidency official acts for the "
                "Member State holding the Presidency of the Council on the step's date "
                f"({on.isoformat()}: {held or 'unknown'}); act as {example}"
            )
        reason = presidency_refusal(ms, on, what=what)
        if reason is not None:
            raise NotThePresidency(reason)

    def _condition(self, reason: str | None) -> None:
        if reason is not None:
            raise ConditionNotMet(reason)

    def _not_before_point_11(self, command: Command) -> None:
        if not self.point_11:
            raise InvalidInput(
                f"{command.name} is not available to this partnership: its workflow started "
                "before the step existed"
            )

    def _on(self, given: date | None, what: str, *later_than: tuple[str, date | None]) -> date:
        anchors = (("the proposal", self.state.proposed_on), *later_than)
        return _business_date(given, self.now, what=what, not_before=anchors)

    def _interested(self, codes: Iterable[str], on: date, *, for_what: str) -> tuple[str, ...]:
        interested = self.state.interested_member_states
        chosen = _unique(member_state(code, on) for code in codes)
        for code in chosen:
            if code not in interested:
                raise NotInterested(
                    f"{code} did not declare interest in the consultation, so it cannot "
                    f"{for_what}; Member States that declared interest: "
                    f"{', '.join(interested) or 'none'}"
                )
        return chosen

    def _taking_part(self, codes: Iterable[str], on: date) -> tuple[str, ...]:
        """The Member States of a talks round held on `on`: those that declared interest (in
        the consultation or late) and the Member State holding the Presidency then, which
        takes part "in close cooperation" whether or not it declared interest (point 11)."""
        if not self.point_11:
            return self._interested(codes, on, for_what="take part in talks")
        presidency = presidency_on(on)
        may = set(self.state.interested_member_states) | set(self.state.late_member_states)
        if presidency is not None:
            may.add(presidency)
        chosen = _unique(member_state(code, on) for code in codes)
        for code in chosen:
            if code not in may:
                raise NotInterested(
                    f"{code} did not declare interest in the consultation, so it cannot take "
                    "part in talks: nor did it declare interest during the talks, nor hold "
                    f"the Presidency on {on.isoformat()} ({presidency or 'unknown'}); Member "
                    f"States that may take part: {', '.join(sorted(may)) or 'none'}"
                )
        return chosen

    def _stamp(self, on: date) -> _Stamp:
        return _stamped_by(self.actor, on, self.now)

    def _member_state_offers(self, offers: tuple[Component, ...]) -> None:
        _only(
            offers,
            EU_COMPONENTS,
            belongs_to="the third country to commit to",
            not_to="a Member State to offer",
            may="Member States may offer",
        )
        if self.point_11:
            # Visa facilitation is the Community's to offer (point 10), not a Member State's.
            self._condition(member_state_offers_refusal(offers))

    def _refuse_past_deadline(self, command: Command) -> None:
        reason = deadline_refusal(self.state, type(command), self.now)
        if reason is not None:
            raise InvalidDeadline(reason)

    def _refuse_beyond_limit(self, command: Command) -> None:
        reason = limit_refusal(self.state, type(command))
        if reason is not None:
            raise LimitReached(reason)

    def _deadline(self) -> date:
        assert self.state.decision_deadline is not None
        return self.state.decision_deadline

    def respond(self, command: RespondToConsultation) -> list[Event]:
        self._refuse_past_deadline(command)
        on = self._on(command.occurred_on, "the answer's date")
        answering = member_state(command.member_state, on)
        if self.actor.member_state != answering:
            raise ForeignMemberState(
                f"{self.actor} may answer only for {self.actor.member_state}, not for {answering}"
            )
        given = self.state.answers_given.get(answering, 0)
        if given >= MAX_ANSWERS_PER_MEMBER_STATE:
            latest = self.state.latest_answers[answering]
            raise LimitReached(
                f"{answering} has already answered the consultation {given} times, the "
                f"most a Member State may ({MAX_ANSWERS_PER_MEMBER_STATE}, its first answer "
                f"and its amendments); its latest answer ({latest.position}, of "
                f"{latest.answered_on.isoformat()}) stands"
            )
        offers = _unique(command.offers)
        if command.position is Position.NOT_INTERESTED and offers:
            raise InvalidInput(
                "a Member State that is not interested makes no offers; "
                "answer `interested` to offer components, or leave offers empty"
            )
        self._member_state_offers(offers)
        return [
            ConsultationAnswered(
                **self._stamp(on),
                member_state=answering,
                position=command.position,
                offers=offers,
                comments=command.comments,
            )
        ]

    def close_consultation(self, command: CloseConsultation) -> list[Event]:
        by_deadline = self.actor.role is Role.SYSTEM
        assert self.state.consultation_deadline is not None
        if by_deadline and not has_passed(self.state.consultation_deadline, self.now):
            raise DeadlineNotReached(
                f"the consultation deadline {self.state.consultation_deadline.isoformat()} "
                "has not passed yet"
            )
        given = command.occurred_on
        if by_deadline and given is None:
            given = self.state.consultation_deadline
        last_answer = self.state.last_answered_on
        on = self._on(given, "the closing date", ("the latest answer", last_answer))
        interested = self.state.interested_member_states
        events: list[Event] = [
            ConsultationClosed(
                **self._stamp(on),
                by_deadline=by_deadline,
                interested_member_states=interested,
            )
        ]
        if not interested:
            consulted = len(self.state.latest_answers)
            events.append(
                PartnershipNotPursued(
                    **self._stamp(on),
                    reason=f"no Member State declared interest ({consulted} answered)",
                )
            )
        return events

    def authorise_talks(self, command: AuthoriseTalks) -> list[Event]:
        on = self._on(
            command.occurred_on,
            "the authorisation's date",
            ("the consultation's closure", self.state.consultation_closed_on),
        )
        self._presidency(on, "authorise exploratory talks")
        return [TalksAuthorised(**self._stamp(on), note=command.note)]

    def record_talks_round(self, command: RecordTalksRound) -> list[Event]:
        self._refuse_beyond_limit(command)
        on = self._on(
            command.held_on,
            "the round's date",
            ("the talks' authorisation", self.state.talks_authorised_on),
        )
        taking_part = self._taking_part(command.member_states, on)
        return [
            TalksRoundRecorded(
                **self._stamp(on),
                round_number=len(self.state.rounds) + 1,
                member_states=taking_part,
                summary=command.summary,
                location=command.location,
            )
        ]

    def declare_interest(self, command: DeclareInterest) -> list[Event]:
        self._not_before_point_11(command)
        on = self._on(
            command.occurred_on,
            "the declaration's date",
            ("the talks' authorisation", self.state.talks_authorised_on),
        )
        declaring = member_state(command.member_state, on)
        if self.actor.member_state != declaring:
            raise ForeignMemberState(
                f"{self.actor} may declare interest only for {self.actor.member_state}, "
                f"not for {declaring}"
            )
        reason = late_interest_refusal(
            declaring,
            interested=self.state.interested_member_states,
            late=self.state.late_member_states,
        )
        if reason is not None:
            raise InvalidInput(reason)
        offers = _unique(command.offers)
        self._member_state_offers(offers)
        return [
            LateInterestDeclared(
                **self._stamp(on),
                member_state=declaring,
                offers=offers,
                comments=command.comments,
            )
        ]

    def _last_resumed(self) -> date | None:
        return self.state.suspensions[-1].resumed_on if self.state.suspensions else None

    def suspend_talks(self, command: SuspendTalks) -> list[Event]:
        if len(self.state.suspensions) >= MAX_SUSPENSIONS:
            raise LimitReached(
                f"the talks were suspended {len(self.state.suspensions)} times, the most a "
                f"partnership may ({MAX_SUSPENSIONS}); conclude the talks or withdraw"
            )
        last_round = max((r.held_on for r in self.state.rounds), default=None)
        on = self._on(
            command.occurred_on,
            "the suspension's date",
            ("the talks' authorisation", self.state.talks_authorised_on),
            ("the last talks round", last_round),
            ("the talks' last resumption", self._last_resumed()),
        )
        return [TalksSuspended(**self._stamp(on), reason=command.reason)]

    def resume_talks(self, command: ResumeTalks) -> list[Event]:
        suspension = self.state.suspensions[-1]
        on = self._on(
            command.occurred_on,
            "the resumption's date",
            ("the suspension", suspension.suspended_on),
        )
        deadline = self._deadline()
        return [
            TalksResumed(
                **self._stamp(on),
                previous_deadline=deadline,
                new_deadline=resumed_deadline(deadline, suspension.suspended_at, self.now),
            )
        ]

    def conclude_talks(self, command: ConcludeTalks) -> list[Event]:
        # Rounds may be recorded out of order; the talks end after the latest one held.
        last_round = max((r.held_on for r in self.state.rounds), default=None)
        on = self._on(
            command.occurred_on,
            "the conclusion's date",
            ("the talks' authorisation", self.state.talks_authorised_on),
            ("the last talks round", last_round),
            ("the talks' resumption", self._last_resumed()),
        )
        commitments = _unique(command.commitments)
        community = _unique(command.community_offers)
        _only(
            commitments,
            THIRD_COUNTRY_COMPONENTS,
            belongs_to="the EU and its Member States to offer",
            not_to="the third country to commit to",
            may="the third country may commit to",
        )
        if command.third_country_willing and not self.state.rounds:
            raise InvalidInput(
                "record at least one talks round before concluding that the third country "
                "is willing"
            )
        if not command.third_country_willing and commitments:
            raise InvalidInput(
                "an unwilling third country commits to nothing; leave commitments empty"
            )
        if not command.third_country_willing and community:
            raise InvalidInput(
                "the Community offers nothing to an unwilling third country; leave "
                "community_offers empty"
            )
        if self.point_11:
            self._condition(commitments_refusal(command.third_country_willing, commitments))
        self._condition(community_offers_refusal(community))
        return [
            TalksConcluded(
                **self._stamp(on),
                third_country_willing=command.third_country_willing,
                commitments=commitments,
                community_offers=community,
            )
        ]

    def submit_report(self, command: SubmitReport) -> list[Event]:
        concluded = self.state.talks.concluded_on if self.state.talks else None
        on = self._on(command.occurred_on, "the report's date", ("the talks' end", concluded))
        return [
            ReportSubmitted(
                **self._stamp(on),
                recommendation=command.recommendation,
                summary=command.summary,
                reference=command.reference,
            )
        ]

    def extend_decision_deadline(self, command: ExtendDecisionDeadline) -> list[Event]:
        current = self._deadline()
        self._refuse_past_deadline(command)
        self._refuse_beyond_limit(command)
        # The business date of the extension, like every other step's; a history recorded
        # before the command carried one sends none and gets today, as it did then.
        on = self._on(command.occurred_on, "the extension's date")
        self._presidency(on, "extend the decision deadline")
        target = command.council_target_date
        if target is not None:
            self._not_before_point_11(command)
            current_target = self.state.council_target_date
            _council_target(
                target,
                self.now.date(),
                after=("the current target date", current_target)
                if current_target is not None
                else ("the extension's date", on),
            )
        _deadline(
            command.new_deadline,
            self.now.date(),
            what="the new deadline",
            not_before=[
                (
                    f"is not later than the current one ({current.isoformat()})",
                    date_plus(current, timedelta(days=1)),
                )
            ],
        )
        return [
            DecisionDeadlineExtended(
                **self._stamp(on),
                previous_deadline=current,
                new_deadline=command.new_deadline,
                reason=command.reason,
                council_target_date=target,
            )
        ]

    def record_council_decision(self, command: RecordCouncilDecision) -> list[Event]:
        self._refuse_past_deadline(command)
        submitted = self.state.report.submitted_on if self.state.report else None
        on = self._on(command.decided_on, "the decision's date", ("the report", submitted))
        self._presidency(on, "record the Council's decision")
        target = self.state.council_target_date
        if self.point_11 and target is not None and on > target:
            floor = max(d for d in (EARLIEST_BUSINESS_DATE, self.state.proposed_on, submitted) if d)
            raise InvalidDate(
                f"the decision's date {on.isoformat()} is after the Council's own target date "
                f"{target.isoformat()} (a new target the Council set is recorded with "
                "extend_decision_deadline's council_target_date); give a date between "
                f"{floor.isoformat()} and {target.isoformat()}"
            )
        return [
            CouncilDecisionRecorded(
                **self._stamp(on),
                outcome=command.outcome,
                council_reference=command.council_reference,
            )
        ]

    def launch(self, command: LaunchPartnership) -> list[Event]:
        decided = self.state.decision.decided_on if self.state.decision else None
        on = self._on(command.signed_on, "the signature date", ("the Council's decision", decided))
        components = _unique(command.components)
        if self.point_11:
            signatories = _unique(member_state(code, on) for code in command.member_states)
            eligible = eligible_signatories(
                interested=self.state.interested_member_states,
                took_part=self.state.took_part_in_talks,
                late=self.state.late_member_states,
            )
            reason = signatories_refusal(signatories, eligible=eligible)
            if reason is not None:
                raise NotInterested(reason)
            committed = self.state.talks.commitments if self.state.talks else ()
            self._condition(
                launch_components_refusal(
                    components, offered=self.state.offered, committed=committed
                )
            )
        else:
            signatories = self._interested(
                command.member_states, on, for_what="sign the joint declaration"
            )
        return [
            PartnershipLaunched(
                **self._stamp(on),
                member_states=signatories,
                components=components,
                joint_declaration_reference=command.joint_declaration_reference,
            )
        ]

    def withdraw(self, command: Withdraw) -> list[Event]:
        on = self._on(command.occurred_on, "the withdrawal's date")
        return [
            PartnershipWithdrawn(
                **self._stamp(on),
                reason=command.reason,
                stage=self.stage,
            )
        ]

    def issue_reminder(self) -> list[Event]:
        deadline = self._deadline()
        if deadline in self.state.reminded_deadlines:
            raise InvalidInput(f"the reminder for {deadline.isoformat()} was already issued")
        if self.now < reminder_instant(deadline):
            raise DeadlineNotReached(
                f"the reminder for {deadline.isoformat()} is due from "
                f"{reminder_instant(deadline).isoformat()}"
            )
        if has_passed(deadline, self.now):
            raise InvalidDeadline(f"the decision deadline {deadline.isoformat()} has passed")
        return [
            DecisionDeadlineReminderIssued(
                **self._stamp(self.now.date()),
                deadline=deadline,
            )
        ]

    def lapse(self) -> list[Event]:
        deadline = self._deadline()
        if not has_passed(deadline, self.now):
            raise DeadlineNotReached(f"the decision deadline {deadline.isoformat()} has not passed")
        # The deadline has passed, so it lies before today; held at today all the same, so
        # a lapse's business date is never in the future, whatever the calendar's edge.
        return [
            PartnershipLapsed(
                **self._stamp(min(deadline, self.now.date())),
                deadline=deadline,
            )
        ]
