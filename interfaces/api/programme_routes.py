"""The programme of pilot partnerships over HTTP (issue 13, item 1): `GET /programme` for every
caller, `POST /programme/cap` and `POST /programme/terms` for administrators, and
`POST /programme/council-decisions` for the Presidency: one Council decision recorded once and
applied to each partnership it names, or refused as a whole (app/pilot_programme.py).

Every change is recorded in the programme's stream with the caller's issuer, subject and token
id; each partnership's step of a decision is attested as the API attests any step.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from app.identity import Caller
from app.pilot_programme import (
    check_joint_decision,
    programme_of,
    record_joint_decision,
    set_cap,
    set_terms,
)
from domain.commands import Outcome, RecordCouncilDecision
from domain.directory import BindingRole
from domain.programme import MAX_CAP, MAX_COUNTRIES_PER_DECISION, Programme
from domain.text import LABEL_MAX_CHARS, TEXT_MAX_BYTES
from interfaces.api.attesting import acting_for
from interfaces.api.inputs import body_of
from interfaces.api.models import STRICT_BODY
from interfaces.api.problems import ProblemError, problem_responses
from interfaces.api.resources import Authenticated, Held

router = APIRouter(tags=["programme"])


def administrator(caller: Authenticated) -> Caller:
    """The caller, when they hold an administrator binding today; 403 NotPermitted otherwise."""
    if not any(b.role is BindingRole.ADMINISTRATOR for b in caller.bindings):
        held = ", ".join(b.label() for b in caller.bindings) or "no role"
        raise ProblemError(
            403,
            "NotPermitted",
            f"{caller.subject} holds {held}; only an administrator sets the programme's cap "
            "and terms of reference",
        )
    return caller


Administrator = Annotated[Caller, Depends(administrator)]


class CapBody(BaseModel):
    """The body of `POST /programme/cap`: how many pilot partnerships may hold a slot, and why."""

    model_config = STRICT_BODY

    cap: int = Field(ge=0, le=MAX_CAP)
    reason: str = Field(min_length=1, max_length=TEXT_MAX_BYTES)


class TermsBody(BaseModel):
    """The body of `POST /programme/terms`: the terms of reference, and their document."""

    model_config = STRICT_BODY

    terms: str = Field(min_length=1, max_length=TEXT_MAX_BYTES)
    reference: str | None = Field(default=None, min_length=1, max_length=LABEL_MAX_CHARS)


class CouncilDecisionBody(BaseModel):
    """The body of `POST /programme/council-decisions`: one decision for several partnerships."""

    model_config = STRICT_BODY

    countries: list[Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")]] = Field(
        min_length=1, max_length=MAX_COUNTRIES_PER_DECISION
    )
    reference: str = Field(min_length=1, max_length=LABEL_MAX_CHARS)
    decided_on: date
    outcome: Outcome


class SlotOut(BaseModel):
    """A slot of the programme and the partnership that holds it."""

    model_config = ConfigDict(frozen=True)

    country: str
    stream_id: str
    taken_on: date


class NamedOut(BaseModel):
    """A partnership a Council decision names."""

    model_config = ConfigDict(frozen=True)

    country: str
    stream_id: str


class DecisionOut(BaseModel):
    """A Council decision as the programme records it."""

    model_config = ConfigDict(frozen=True)

    reference: str
    decided_on: date
    outcome: Outcome
    partnerships: list[NamedOut]
    recorded_by: str
    presidency: str | None = None


class ProgrammeOut(BaseModel):
    """The programme: its cap (null: none set), the slots held and free, terms and decisions."""

    model_config = ConfigDict(frozen=True)

    cap: int | None
    cap_reason: str | None
    held: int
    free: int | None
    over_cap: int
    terms_of_reference: str | None
    terms_reference: str | None
    slots: list[SlotOut]
    council_decisions: list[DecisionOut]


class DecisionAppliedOut(BaseModel):
    """A Council decision recorded, and the stage each partnership it names is now at."""

    model_config = ConfigDict(frozen=True)

    decision: DecisionOut
    stages: dict[str, str]
    """The stage of each partnership this request applied the decision to, by country."""
    already: list[str]
    """The countries whose partnership had the decision before this request."""


def _out(programme: Programme) -> ProgrammeOut:
    return ProgrammeOut(
        cap=programme.cap,
        cap_reason=programme.cap_reason,
        held=programme.held,
        free=programme.free,
        over_cap=programme.over_cap,
        terms_of_reference=programme.terms,
        terms_reference=programme.terms_reference,
        slots=[SlotOut.model_validate(s.model_dump()) for s in programme.slots.values()],
        council_decisions=[
            DecisionOut.model_validate(d.model_dump()) for d in programme.decisions.values()
        ],
    )


def _provenance(caller: Caller) -> dict[str, Any]:
    found = {"channel": "api", "issuer": caller.issuer, "subject": caller.subject}
    return found | ({"token_id": caller.token_id} if caller.token_id else {})


def _body(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


_READ: Final = problem_responses(401, 403, 503)
_WRITE: Final = problem_responses(400, 401, 403, 413, 422, 503)


@router.get(
    "/programme",
    response_model=ProgrammeOut,
    summary="The programme of pilot partnerships",
    responses=_READ,
)
def programme(caller: Authenticated, held: Held) -> ProgrammeOut:
    """The cap, the slots held and by which partnerships, the terms and the Council decisions."""
    return _out(programme_of(held.store.engine()))


@router.post(
    "/programme/cap",
    response_model=ProgrammeOut,
    summary="Set the cap on pilot partnerships (administrators)",
    openapi_extra=_body(CapBody),
    responses=_WRITE,
)
async def programme_cap(request: Request, caller: Administrator, held: Held) -> ProgrammeOut:
    """Record a cap with its reason. A cap below the slots held stops new proposals only."""
    body = await body_of(request, CapBody)
    assert isinstance(body, CapBody)
    programme = await run_in_threadpool(
        set_cap,
        held.store.engine(),
        cap=body.cap,
        reason=body.reason,
        by=caller.subject,
        role=BindingRole.ADMINISTRATOR.value,
        provenance=_provenance(caller),
    )
    return _out(programme)


@router.post(
    "/programme/terms",
    response_model=ProgrammeOut,
    summary="Record the terms of reference (administrators)",
    openapi_extra=_body(TermsBody),
    responses=_WRITE,
)
async def programme_terms(request: Request, caller: Administrator, held: Held) -> ProgrammeOut:
    """Record the terms of reference the Commission consults the Member States on."""
    body = await body_of(request, TermsBody)
    assert isinstance(body, TermsBody)
    programme = await run_in_threadpool(
        set_terms,
        held.store.engine(),
        terms=body.terms,
        reference=body.reference,
        by=caller.subject,
        role=BindingRole.ADMINISTRATOR.value,
        provenance=_provenance(caller),
    )
    return _out(programme)


@router.post(
    "/programme/council-decisions",
    response_model=DecisionAppliedOut,
    summary="Record one Council decision for several partnerships (Presidency)",
    openapi_extra=_body(CouncilDecisionBody),
    responses=problem_responses(400, 401, 403, 404, 409, 412, 413, 422, 503, 504),
)
async def council_decision(request: Request, caller: Authenticated, held: Held) -> Any:
    """Check the decision on each partnership it names, record it once in the programme, then
    apply it to each (its `council_reference` is the decision's). Refused as a whole, with
    nothing recorded, when it is refused for any; sent again, it completes what was left."""
    body = await body_of(request, CouncilDecisionBody)
    assert isinstance(body, CouncilDecisionBody)
    actor = caller.actor_for(RecordCouncilDecision)
    # Checked before Temporal is asked for: a refusal needs only the store.
    await run_in_threadpool(
        check_joint_decision,
        held.store.engine(),
        countries=body.countries,
        reference=body.reference,
        decided_on=body.decided_on,
        outcome=body.outcome,
        actor=actor,
        now=datetime.now(UTC),
    )
    core = await held.partnerships()
    with acting_for(caller):
        applied = await record_joint_decision(
            held.store.engine(),
            core,
            countries=body.countries,
            reference=body.reference,
            decided_on=body.decided_on,
            outcome=body.outcome,
            actor=actor,
            now=datetime.now(UTC),
            provenance=_provenance(caller),
        )
    return DecisionAppliedOut(
        decision=DecisionOut.model_validate(applied.decision.model_dump()),
        stages={country: str(view.stage) for country, view in applied.views.items()},
        already=list(applied.already),
    )
