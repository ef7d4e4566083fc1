"""The lifecycle's transitions (DESIGN §2), found by playing the domain's own rules.

The domain holds the rules once: `policy.STAGES_FOR` says at which stages a step may be taken,
`decide` which events it gives rise to, and the fold (`evolve`) which stage those events lead
to. No table of "stage → next stage" exists beside them, and the console does not write one:
it walks the lifecycle with the real `decide` and `replay`, from a proposal, trying every step
at every stage reached (each outcome of a step with a choice in it: interest or none, a willing
or an unwilling third country, the Council's two outcomes, the decision deadline passing), and
records each change of stage it sees. A rule changed in the domain changes the diagram.

The walk is pure (a fixed, made-up partnership and fixed instants; no clock) and runs once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Final

from domain.actors import SYSTEM_ACTOR, Actor, Role
from domain.commands import (
    AuthoriseTalks,
    CloseConsultation,
    Command,
    ConcludeTalks,
    LapseDecisionDeadline,
    LaunchPartnership,
    Outcome,
    Position,
    ProposePartnership,
    Recommendation,
    RecordCouncilDecision,
    RecordTalksRound,
    RespondToConsultation,
    ResumeTalks,
    SubmitReport,
    SuspendTalks,
    Withdraw,
)
from domain.components import Component
from domain.deadlines import deadline_instant
from domain.decide import decide
from domain.errors import DomainError
from domain.evolve import replay
from domain.presidencies import presidency_on
from domain.stages import Stage
from domain.state import Partnership


@dataclass(frozen=True, order=True)
class Transition:
    """A change of stage, and the step (a command's update name) that makes it."""

    source: Stage
    target: Stage
    step: str


# The made-up partnership the walk plays: a third country, one Member State that answers, and
# people in each role. Only what the steps need; none of it is shown.
_START: Final = datetime(2024, 3, 4, 12, tzinfo=UTC)
_MEMBER_STATE: Final = "FR"
_COMMISSION: Final = Actor(id="lifecycle-commission", role=Role.COMMISSION)
_PRESIDENCY: Final = Actor(id="lifecycle-presidency", role=Role.PRESIDENCY)
_REPRESENTATIVE: Final = Actor(
    id="lifecycle-representative", role=Role.MEMBER_STATE, member_state=_MEMBER_STATE
)
_TEXT: Final = "A step of the lifecycle diagram"

# Each step to try: the command (built for the business date of the day), who sends it, and
# whether it is sent when the decision deadline has passed rather than the next day.
_Trial = tuple[Callable[[date], Command], Actor, bool]
_TRIALS: Final[tuple[_Trial, ...]] = (
    (
        lambda _: RespondToConsultation(
            member_state=_MEMBER_STATE,
            position=Position.INTERESTED,
            offers=[Component.LEGAL_MIGRATION],
        ),
        _REPRESENTATIVE,
        False,
    ),
    (lambda _: CloseConsultation(), _COMMISSION, False),
    (lambda _: AuthoriseTalks(), _PRESIDENCY, False),
    (
        lambda day: RecordTalksRound(held_on=day, member_states=[_MEMBER_STATE], summary=_TEXT),
        _COMMISSION,
        False,
    ),
    (
        lambda _: ConcludeTalks(
            third_country_willing=True,
            commitments=[
                Component.READMISSION_AND_RETURN,
                Component.ILLEGAL_IMMIGRATION_COOPERATION,
            ],
        ),
        _COMMISSION,
        False,
    ),
    (lambda _: ConcludeTalks(third_country_willing=False), _COMMISSION, False),
    (lambda _: SuspendTalks(reason=_TEXT), _COMMISSION, False),
    (lambda _: ResumeTalks(), _COMMISSION, False),
    (
        lambda _: SubmitReport(recommendation=Recommendation.LAUNCH, summary=_TEXT),
        _COMMISSION,
        False,
    ),
    (
        lambda day: RecordCouncilDecision(outcome=Outcome.INVITE_LAUNCH, decided_on=day),
        _PRESIDENCY,
        False,
    ),
    (
        lambda day: RecordCouncilDecision(outcome=Outcome.DECLINE, decided_on=day),
        _PRESIDENCY,
        False,
    ),
    (
        lambda day: LaunchPartnership(
            member_states=[_MEMBER_STATE],
            components=[Component.LEGAL_MIGRATION, Component.READMISSION_AND_RETURN],
            signed_on=day,
        ),
        _COMMISSION,
        False,
    ),
    (lambda _: Withdraw(reason=_TEXT), _COMMISSION, False),
    (lambda _: LapseDecisionDeadline(), SYSTEM_ACTOR, True),
)


def _tried(state: Partnership, now: datetime) -> Iterator[tuple[str, Partnership, datetime]]:
    """Each step the domain accepts in `state`: its name, the state after it, and when."""
    for build, actor, at_deadline in _TRIALS:
        deadline = state.decision_deadline
        when = deadline_instant(deadline) if at_deadline and deadline else now
        command = build(when.date())
        if actor.role is Role.PRESIDENCY:
            # The Presidency in office on the day (domain/presidencies.py) takes its steps.
            actor = actor.model_copy(update={"member_state": presidency_on(when.date())})
        try:
            events = decide(state, command, actor, when)
        except DomainError:
            continue  # not possible here: the domain says so, and that is what is drawn
        yield command.name, replay(events, state), when


@cache
def lifecycle_transitions() -> tuple[Transition, ...]:
    """Every change of stage the domain allows, sorted; found by walking it (see above).

    States are told apart by what decides which steps are possible (the stage, whether a
    Member State declared interest, whether talks rounds were held), so the walk ends.
    """
    proposal = ProposePartnership(country="CV", rationale=_TEXT, terms_of_reference=_TEXT)
    first = replay(decide(Partnership(), proposal, _COMMISSION, _START))
    seen: set[tuple[Stage | None, bool, bool]] = set()
    found: set[Transition] = set()
    waiting = [(first, _START)]
    while waiting:
        state, now = waiting.pop()
        key = (state.stage, bool(state.interested_member_states), bool(state.rounds))
        if key in seen or state.stage is None:
            continue
        seen.add(key)
        for step, after, when in _tried(state, now + timedelta(days=1)):
            if after.stage is not None and after.stage != state.stage:
                found.add(Transition(source=state.stage, target=after.stage, step=step))
            waiting.append((after, when))
    return tuple(sorted(found))
