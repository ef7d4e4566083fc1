"""Acting: a form for each step the signed-in person may take now, and a proposal's form.

Each form carries the version the person saw (a hidden field, and `If-Match` when htmx sends
it), passed to the core as the expected version: when someone else acted first, the step is
refused and the page says so, showing the new state. A refusal is shown next to the form in
the domain's words, with everything typed kept; a success goes to the partnership's page
(POST-redirect-GET), which shows the new stage and what happens next.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from app.identity import NoBinding
from app.partnerships import check_proposal
from domain.commands import ProposePartnership
from domain.requests import REQUEST_FOR, StartPartnership
from domain.view import StatusView
from interfaces.console import wording
from interfaces.console.core_parts import Held, Offer, Parts, SignedViewer, Viewer, attested_as
from interfaces.console.partnership_pages import code_of, not_found, trouble
from interfaces.console.refusals import Refusal, refusal_of
from interfaces.console.session import CsrfChecked
from interfaces.console.step_forms import (
    FormField,
    Typed,
    defaults,
    field_errors,
    form_fields,
    request_for,
    typed_from,
)
from interfaces.console.templating import page

router = APIRouter(include_in_schema=False)

_ETAG: Final = re.compile(r'^(?:W/)?"(\d{1,9})"$')


def _fields(update: str, view: StatusView | None, acting_for: str | None) -> list[FormField]:
    interested = list(view.interested_member_states) if view else []
    return form_fields(update, member_states=interested, acting_for=acting_for)


def _seen_version(request: Request, form: Any) -> int | None:
    """The version the person saw: `If-Match` (htmx sends it), else the hidden field."""
    header = request.headers.get("if-match", "").strip()
    found = _ETAG.match(header)
    if found:
        return int(found.group(1))
    text = str(form.get("version", "")).strip()
    return int(text) if text.isdigit() else None


async def _status(held: Parts, code: str) -> StatusView:
    return await (await held.partnerships()).status(code)


def _form_page(
    request: Request,
    viewer: Viewer,
    *,
    update: str,
    view: StatusView | None,
    offer: Offer | None,
    fields: list[FormField],
    typed: Typed,
    errors: dict[str, str] | None = None,
    refusal: Refusal | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    country = view.country if view else None
    acting_for = offer.acting_for if offer else None
    action = "/cases/new" if update == "propose" else f"/cases/{country}/act/{update}"
    if acting_for:
        action += f"?for={acting_for}"
    return page(
        request,
        "act.html",
        {
            "viewer": viewer,
            "update": update,
            "title": wording.STEP_TITLES.get(update, update),
            "view": view,
            "offer": offer,
            "fields": fields,
            "typed": typed,
            "errors": errors or {},
            "refusal": refusal,
            "action": action,
            "today": datetime.now(UTC).date(),
            "next": wording.what_next(
                view.stage if view else None,
                view.consultation_deadline if view else None,
                view.decision_deadline if view else None,
            ),
        },
        status_code=status_code,
    )


@router.get("/cases/new", response_class=HTMLResponse)
def proposal_form(request: Request, viewer: SignedViewer) -> HTMLResponse:
    """The proposal's form (the Commission's); others are told who proposes."""
    fields = form_fields("propose")
    offer = _proposer(viewer)
    return _form_page(
        request,
        viewer,
        update="propose",
        view=None,
        offer=offer,
        fields=fields,
        typed=defaults(fields, datetime.now(UTC).date()),
    )


def _proposer(viewer: Viewer) -> Offer | None:
    for actor in viewer.actors:
        if actor.role.value == "commission":
            return Offer("propose", actor)
    return None


@router.post("/cases/new", response_class=HTMLResponse)
async def propose(
    request: Request, viewer: SignedViewer, held: Held, _csrf: CsrfChecked
) -> Response:
    """Propose a partnership; on success, its page."""
    form = await request.form()
    fields = form_fields("propose")
    typed = typed_from(form, fields)
    offer = _proposer(viewer)

    def again(**shown: Any) -> HTMLResponse:
        return _form_page(
            request,
            viewer,
            update="propose",
            view=None,
            offer=offer,
            fields=fields,
            typed=typed,
            **shown,
        )

    try:
        actor = offer.actor if offer else viewer.caller.actor_for(ProposePartnership)
    except NoBinding as error:
        refusal = refusal_of(error)
        return again(refusal=refusal, status_code=_status_of(refusal))
    try:
        start = request_for("propose", typed, fields, actor)
    except ValidationError as error:
        return again(errors=field_errors(error, fields), status_code=422)
    assert isinstance(start, StartPartnership)
    try:
        check_proposal(
            start,
            consultation_period_days=held.settings.consultation_period_days,
            now=datetime.now(UTC),
        )
        with attested_as(viewer):
            view = await (await held.partnerships()).propose(start)
    except Exception as error:
        refusal = refusal_of(error)
        return again(refusal=refusal, status_code=_status_of(refusal))
    return RedirectResponse(f"/cases/{view.country}?done=propose", status_code=303)


def _status_of(refusal: Refusal) -> int:
    if refusal.is_conflict:
        return 412
    if refusal.kind in {"NotPermitted", "ForeignMemberState", "NoBinding"}:
        return 403
    if refusal.kind in {"Unavailable", "StillRecording"}:
        return 503
    if refusal.kind == "ValidationError":
        return 422
    return 409


@router.get("/cases/{cc}/act/{update}", response_class=HTMLResponse)
async def step_form(
    request: Request,
    cc: str,
    update: str,
    viewer: SignedViewer,
    held: Held,
) -> HTMLResponse:
    """The form of one step, if the signed-in person may take it now."""
    code = code_of(cc)
    if code is None or update not in REQUEST_FOR:
        return not_found(request, viewer, "There is no such step.")
    member_state = request.query_params.get("for")
    try:
        view = await _status(held, code)
    except Exception as error:
        return trouble(request, viewer, error)
    offer = viewer.offer(view, update, member_state)
    fields = _fields(update, view, offer.acting_for if offer else member_state)
    typed = defaults(
        fields, datetime.now(UTC).date(), member_states=list(view.interested_member_states)
    )
    return _form_page(
        request,
        viewer,
        update=update,
        view=view,
        offer=offer,
        fields=fields,
        typed=typed,
        status_code=200 if offer else 403,
    )


@router.post("/cases/{cc}/act/{update}", response_class=HTMLResponse)
async def take_step(
    request: Request,
    cc: str,
    update: str,
    viewer: SignedViewer,
    held: Held,
    _csrf: CsrfChecked,
) -> Response:
    """Send one step to the core; its refusal or conflict is shown beside the form."""
    code = code_of(cc)
    if code is None or update not in REQUEST_FOR:
        return not_found(request, viewer, "There is no such step.")
    member_state = request.query_params.get("for")
    form = await request.form()
    seen = _seen_version(request, form)
    try:
        view = await _status(held, code)
    except Exception as error:
        return trouble(request, viewer, error)
    offer = viewer.offer(view, update, member_state)
    fields = _fields(update, view, offer.acting_for if offer else member_state)
    typed = typed_from(form, fields)
    command = REQUEST_FOR[update].command_type
    shown_view = view
    try:
        # Not offered now: the domain refuses the step in its own words (NotPermitted, …).
        actor = (
            offer.actor if offer else viewer.caller.actor_for(command, member_state=member_state)
        )
    except NoBinding as error:
        refusal = refusal_of(error)
        return _form_page(
            request,
            viewer,
            update=update,
            view=view,
            offer=offer,
            fields=fields,
            typed=typed,
            refusal=refusal,
            status_code=_status_of(refusal),
        )
    try:
        sent = request_for(update, typed, fields, actor, expected_version=seen)
    except ValidationError as error:
        return _form_page(
            request,
            viewer,
            update=update,
            view=view,
            offer=offer,
            fields=fields,
            typed=typed,
            errors=field_errors(error, fields),
            status_code=422,
        )
    try:
        with attested_as(viewer):
            await (await held.partnerships()).step(code, sent)
    except Exception as error:
        refusal = refusal_of(error)
        if refusal.is_conflict:
            try:
                shown_view = await _status(held, code)
            except Exception as reading:
                return trouble(request, viewer, reading)
            offer = viewer.offer(shown_view, update, member_state)
        return _form_page(
            request,
            viewer,
            update=update,
            view=shown_view,
            offer=offer,
            fields=fields,
            typed=typed,
            refusal=refusal,
            status_code=_status_of(refusal),
        )
    return RedirectResponse(f"/cases/{code}?done={update}", status_code=303)
