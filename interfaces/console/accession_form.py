"""Acceding from a launched partnership's page: `POST /cases/{CC}/accede`.

The form (interfaces/console/accession_offer.py) names the representative's own Member State
and the accession's date (today when left empty). The core records the accession by running
`AccessionWorkflow` (app/accessions.py) and decides who may accede: its refusal is shown beside
the form in the domain's words, with what was typed kept; a success goes back to the page
(POST-redirect-GET), which lists the accession.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from app.accessions import accede
from domain.commands import AccedeToPartnership
from interfaces.console.accession_offer import AccessionForm, accession_form_for
from interfaces.console.action_forms import _status_of as status_of
from interfaces.console.case_reading import read_case
from interfaces.console.core_parts import Held, SignedViewer, Viewer, attested_as
from interfaces.console.partnership_pages import (
    ACCESSION_DONE,
    case_page,
    code_of,
    not_found,
    trouble,
)
from interfaces.console.refusals import Refusal, refusal_of
from interfaces.console.session import CsrfChecked

router = APIRouter(include_in_schema=False)


def _typed(form: Any) -> AccessionForm:
    """What the form carried, as typed."""
    return AccessionForm(
        member_state=str(form.get("member_state", "")).strip().upper(),
        acceded_on=str(form.get("acceded_on", "")).strip(),
    )


async def _again(
    request: Request,
    viewer: Viewer,
    held: Held,
    code: str,
    typed: AccessionForm,
    *,
    error: str | None = None,
    refusal: Refusal | None = None,
    status_code: int,
) -> Response:
    """The partnership's page as it is now, the refusal (or the date's error) beside the form
    and what was typed kept; the form itself only when the viewer is still offered it."""
    try:
        case = await read_case(held, code)
    except Exception as reading:
        return trouble(request, viewer, reading)
    offered = accession_form_for(viewer, case.view, datetime.now(UTC).date())
    shown = AccessionForm(
        member_state=offered.member_state if offered else typed.member_state,
        acceded_on=typed.acceded_on,
        error=error,
        refusal=refusal,
        offered=offered is not None,
    )
    return case_page(request, viewer, case, accession=shown, status_code=status_code)


@router.post("/cases/{cc}/accede", response_class=HTMLResponse)
async def accede_to_partnership(
    request: Request, cc: str, viewer: SignedViewer, held: Held, _csrf: CsrfChecked
) -> Response:
    """Send the accession to the core; its refusal is shown beside the form."""
    code = code_of(cc)
    if code is None:
        return not_found(request, viewer, f"{cc[:10]!r} is not a country code.")
    typed = _typed(await request.form())
    try:
        acceded_on = date.fromisoformat(typed.acceded_on) if typed.acceded_on else None
    except ValueError:
        return await _again(
            request,
            viewer,
            held,
            code,
            typed,
            error=f"{typed.acceded_on[:20]!r} is not a date: give one as YYYY-MM-DD, "
            "e.g. 2026-12-02, or leave it empty for today",
            status_code=422,
        )
    try:
        # Who may accede is the domain's: the core refuses anyone else in its own words.
        actor = viewer.caller.actor_for(
            AccedeToPartnership, member_state=typed.member_state or None
        )
        core = await held.partnerships()
        with attested_as(viewer):
            await accede(
                core.temporal,
                held.settings.task_queue,
                country=code,
                member_state=typed.member_state,
                acceded_on=acceded_on,
                actor=actor,
            )
    except ValidationError:
        refusal = Refusal(
            "ValidationError",
            "The form named no Member State; reload the page and accede from its form.",
        )
        return await _again(request, viewer, held, code, typed, refusal=refusal, status_code=422)
    except Exception as error:
        refusal = refusal_of(error)
        return await _again(
            request, viewer, held, code, typed, refusal=refusal, status_code=status_of(refusal)
        )
    return RedirectResponse(f"/cases/{code}?done={ACCESSION_DONE}", status_code=303)
