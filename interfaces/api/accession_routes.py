"""Accession over HTTP (issue 13, item 4): `POST /partnerships/{CC}/accede`.

A Member State's representative records its own Member State's accession to a launched
partnership, with its date, as the joint declarations provide for (app/accessions.py). The
body is strict; refusals are problem+json like every step's: 403 for another Member State
(`ForeignMemberState`) or a caller who is no Member State's representative (`NotPermitted`),
404 for a country never proposed, 409 for a partnership not launched (`WrongStage`) or a Member
State already a party (`InvalidInput`), 422 for a bad field.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from app.accessions import accede
from domain.commands import AccedeToPartnership
from interfaces.api.attesting import acting_for
from interfaces.api.inputs import body_of
from interfaces.api.models import STRICT_BODY
from interfaces.api.problems import problem_responses
from interfaces.api.resources import Authenticated, Held

router = APIRouter(tags=["partnerships"])


class AccedeBody(BaseModel):
    """The body of `POST /partnerships/{CC}/accede`: the Member State and its accession's date
    (today when left out)."""

    model_config = STRICT_BODY

    member_state: str = Field(pattern=r"^[A-Za-z]{2}$")
    acceded_on: date | None = None


class AccessionOut(BaseModel):
    """The accession as recorded, and the parties to the joint declaration it leaves."""

    model_config = ConfigDict(frozen=True)

    country: str
    stream_id: str
    version: int
    member_state: str
    acceded_on: date
    signatories: list[str]


@router.post(
    "/partnerships/{country}/accede",
    response_model=AccessionOut,
    summary="A Member State accedes to a launched partnership",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": AccedeBody.model_json_schema()}},
        }
    },
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422, 503),
)
async def accede_route(
    country: str, request: Request, caller: Authenticated, held: Held
) -> AccessionOut:
    """Record the accession of the caller's Member State to `country`'s launched partnership."""
    body = await body_of(request, AccedeBody)
    assert isinstance(body, AccedeBody)
    actor = caller.actor_for(AccedeToPartnership, member_state=body.member_state)
    core = await held.partnerships()
    with acting_for(caller):
        recorded = await accede(
            core.temporal,
            held.settings.task_queue,
            country=country,
            member_state=body.member_state,
            acceded_on=body.acceded_on,
            actor=actor,
        )
    return AccessionOut(
        country=recorded.stream_id.removeprefix("partnership-").split("/", 1)[0],
        stream_id=recorded.stream_id,
        version=recorded.version,
        member_state=recorded.member_state,
        acceded_on=recorded.acceded_on,
        signatories=list(recorded.signatories),
    )
