"""The programme of pilot partnerships, for every front door: its cap and terms, what it holds,
and Council decisions that name several partnerships at once.

**A Council decision for several partnerships** (in December 2007 one set of conclusions invited
the launch with Cape Verde and with Moldova) is recorded once and applied to each partnership
it names, in three steps:

1. *Check all.* Each named country's latest partnership is read from the event store and the
   domain's own `decide` is asked whether it may record the decision now (stage, role, the
   Presidency in office on the date, dates in order). If any refuses, the whole decision is
   refused, naming every refusal, and nothing is recorded anywhere.
2. *Record once.* The decision (reference, date, outcome, the partnerships it names) is
   recorded in the programme's stream. Recording it again with the same content records
   nothing; the same reference with other content is refused (DecisionConflict).
3. *Apply to each.* Each partnership's workflow records its `record_council_decision` step
   with the decision's reference as `council_reference`: that is how each partnership's record
   points to the decision. Each step is named (its update id) by the decision and the stream,
   and carries the version read in step 1, so it is recorded at most once and only on the state
   that was checked. A partnership that shows the decision already is skipped.

What is and is not guaranteed: the check is all-or-nothing; the application is not atomic
across workflows. A step that changes a named partnership between the check and its
application (a withdrawal, say) makes its step refused (`VersionMismatch`); a crash between
two applications leaves the decision recorded and applied to some. Both are reported, and
sending the same decision again completes it: the check skips the partnerships that have it,
the programme records nothing twice, and the rest are applied.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Engine

from activities.codec import to_domain_all
from activities.eventstore import EventStore
from activities.programme_store import ProgrammeStore
from app.exceptions import NotFound, Rejected
from app.partnerships import Partnerships
from domain.actors import Actor
from domain.commands import Outcome, RecordCouncilDecision
from domain.countries import iso_code
from domain.decide import decide
from domain.errors import DomainError
from domain.evolve import replay
from domain.identifiers import latest_stream, stream_prefix
from domain.programme import (
    JointDecision,
    NamedPartnership,
    Programme,
    RecordJointDecision,
    SetCap,
    SetTermsOfReference,
)
from domain.requests import RecordCouncilDecisionRequest
from domain.state import Partnership
from domain.view import StatusView

__all__ = [
    "DecisionApplied",
    "Target",
    "check_joint_decision",
    "programme_of",
    "record_joint_decision",
    "set_cap",
    "set_terms",
]


@dataclass(frozen=True)
class Target:
    """A partnership a decision names, as it stood when checked."""

    country: str
    stream_id: str
    version: int
    has_it: bool
    """It shows this decision already (an earlier attempt applied it)."""


@dataclass(frozen=True)
class DecisionApplied:
    """A joint decision recorded in the programme and applied to each partnership it names."""

    decision: JointDecision
    views: dict[str, StatusView]
    """Each partnership's status after this call applied the decision, by country."""
    already: tuple[str, ...]
    """The countries that showed the decision before this call (a retry)."""


def _store(engine: Engine) -> ProgrammeStore:
    return ProgrammeStore(engine)


def programme_of(engine: Engine) -> Programme:
    """The programme as its stream records it now."""
    return _store(engine).programme()[0]


def set_cap(
    engine: Engine,
    *,
    cap: int,
    reason: str,
    by: str,
    role: str,
    provenance: Mapping[str, Any] | None = None,
) -> Programme:
    """Record a new cap on the slots (by an administrator, with a reason); return the programme.

    Raises Rejected (NotPermitted, ValidationError) when refused; nothing is recorded then.
    """
    try:
        command = SetCap(cap=cap, reason=reason, set_by=by)
        return _store(engine).set_cap(command, role=role, provenance=provenance)
    except DomainError as error:
        raise Rejected(error.message, kind=type(error).__name__) from None


def set_terms(
    engine: Engine,
    *,
    terms: str,
    reference: str | None,
    by: str,
    role: str,
    provenance: Mapping[str, Any] | None = None,
) -> Programme:
    """Record the terms of reference the Commission consults the Member States on."""
    try:
        command = SetTermsOfReference(terms=terms, reference=reference, set_by=by)
        return _store(engine).set_terms(command, role=role, provenance=provenance)
    except DomainError as error:
        raise Rejected(error.message, kind=type(error).__name__) from None


def _has_it(state: Partnership, command: RecordCouncilDecision) -> bool:
    decision = state.decision
    return decision is not None and (
        decision.outcome,
        decision.decided_on,
        decision.council_reference,
    ) == (command.outcome, command.decided_on, command.council_reference)


def check_joint_decision(
    engine: Engine,
    *,
    countries: Sequence[str],
    reference: str,
    decided_on: date,
    outcome: Outcome,
    actor: Actor,
    now: datetime,
) -> list[Target]:
    """Each named partnership as it stands, when every one may record the decision now.

    Raises NotFound when a country has no partnership, and Rejected naming every partnership's
    refusal (its kind the first refusal's type) when the domain refuses any of them.
    """
    log = EventStore(engine)
    command = RecordCouncilDecision(
        outcome=outcome, decided_on=decided_on, council_reference=reference
    )
    targets: list[Target] = []
    refusals: list[tuple[str, DomainError]] = []
    for given in countries:
        try:
            country = iso_code(given)
        except DomainError as error:
            raise Rejected(error.message, kind=type(error).__name__) from None
        stream_id = latest_stream(log.streams(stream_prefix(country)))
        if stream_id is None:
            raise NotFound(
                f"no partnership with {country} has been proposed, so no Council decision can "
                "be recorded for it; nothing was recorded",
                country=country,
            )
        state = replay(to_domain_all(log.read_stream(stream_id)))
        has_it = _has_it(state, command)
        if not has_it:
            try:
                decide(state, command, actor, now)
            except DomainError as error:
                refusals.append((country, error))
        targets.append(
            Target(country=country, stream_id=stream_id, version=state.version, has_it=has_it)
        )
    if refusals:
        why = "; ".join(f"{country}: {error.message}" for country, error in refusals)
        raise Rejected(
            f"Council decision {reference} is refused as a whole, since it is refused for "
            f"{', '.join(c for c, _ in refusals)} ({why}); nothing was recorded",
            kind=type(refusals[0][1]).__name__,
        )
    return targets


def update_id_for(reference: str, stream_id: str) -> str:
    """The update id of a decision's step on one partnership: the same on every retry."""
    digest = hashlib.sha256(reference.encode()).hexdigest()[:16]
    return f"council-decision-{digest}-{stream_id}"


async def record_joint_decision(
    engine: Engine,
    partnerships: Partnerships,
    *,
    countries: Sequence[str],
    reference: str,
    decided_on: date,
    outcome: Outcome,
    actor: Actor,
    now: datetime,
    provenance: Mapping[str, Any] | None = None,
) -> DecisionApplied:
    """Check every named partnership, record the decision once, then apply it to each.

    Raises Rejected or NotFound before anything is recorded when the check fails; Rejected
    saying which partnerships have it and which do not when an application fails after the
    decision was recorded (sending the same decision again completes it).
    """
    targets = check_joint_decision(
        engine,
        countries=countries,
        reference=reference,
        decided_on=decided_on,
        outcome=outcome,
        actor=actor,
        now=now,
    )
    try:
        command = RecordJointDecision(
            reference=reference,
            decided_on=decided_on,
            outcome=outcome,
            partnerships=[
                NamedPartnership(country=t.country, stream_id=t.stream_id) for t in targets
            ],
        )
        decision = _store(engine).record_joint_decision(command, actor, provenance=provenance)
    except DomainError as error:
        raise Rejected(error.message, kind=type(error).__name__) from None
    views: dict[str, StatusView] = {}
    for target in targets:
        if target.has_it:
            continue
        request = RecordCouncilDecisionRequest(
            actor=actor,
            outcome=outcome,
            decided_on=decided_on,
            council_reference=reference,
            expected_version=target.version,
        )
        try:
            views[target.country] = await partnerships.step(
                target.country, request, update_id=update_id_for(reference, target.stream_id)
            )
        except Rejected as error:
            done = [t.country for t in targets if t.has_it or t.country in views]
            raise Rejected(
                f"Council decision {reference} is recorded in the programme and applied to "
                f"{', '.join(done) or 'none of its partnerships'}, but {target.country} "
                f"refused it: {error.message}. Send the same decision again to apply it to "
                "the rest",
                kind=error.kind,
            ) from None
    return DecisionApplied(
        decision=decision,
        views=views,
        already=tuple(t.country for t in targets if t.has_it),
    )


def decision_of(programme: Programme, reference: str) -> JointDecision | None:
    """The decision recorded under `reference`, or None."""
    return programme.decisions.get(reference)
