"""A partnership's page: its lifecycle, timeline, answers, talks, report, decision, launch,
milestones with their reports (HTML, and PDF to keep), the record with each event's provenance
and whether its hash chain holds, and the steps the signed-in person may take now."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from activities.documents import report_html
from app.reading import latest_record
from app.reports import ReportFormat, render_report_as
from domain.council_document import council_document_of
from domain.countries import iso_code
from domain.errors import InvalidCountry
from domain.state import MilestoneKind
from interfaces.console import wording
from interfaces.console.accession_offer import AccessionForm, accession_form_for
from interfaces.console.case_reading import Case, read_case
from interfaces.console.core_parts import Held, SignedViewer, Viewer
from interfaces.console.pictures import lifecycle_svg
from interfaces.console.refusals import refusal_of
from interfaces.console.templating import page

router = APIRouter(include_in_schema=False)


def not_found(request: Request, viewer: Viewer, message: str) -> HTMLResponse:
    """The page for a partnership nobody has proposed (404)."""
    return page(request, "not_found.html", {"viewer": viewer, "message": message}, status_code=404)


def trouble(request: Request, viewer: Viewer, error: Exception) -> HTMLResponse:
    """The page for what kept a page from being read: no such partnership (404), or a service
    that cannot answer now (503), in words; anything unforeseen is raised on."""
    refusal = refusal_of(error)
    if refusal.kind == "NotFound":
        return not_found(request, viewer, refusal.message)
    status = 503 if refusal.kind in {"Unavailable", "StillRecording"} else 409
    return page(request, "trouble.html", {"viewer": viewer, "refusal": refusal}, status_code=status)


def code_of(cc: str) -> str | None:
    """The country a path names (`cv` → `CV`), or None when it names none."""
    try:
        return iso_code(cc)
    except InvalidCountry:
        return None


ACCESSION_DONE = "accede"
"""The `done` of the page a recorded accession goes back to."""


def case_page(
    request: Request,
    viewer: Viewer,
    case: Case,
    *,
    done: str | None = None,
    accession: AccessionForm | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """One partnership's page; after a step (`done`), what it became and what happens next;
    the accession form as given (a refusal beside it), else as offered to `viewer` today."""
    view = case.view
    success = None
    step = "Accession to the joint declaration" if done == ACCESSION_DONE else None
    if done in wording.STEP_TITLES:
        step = wording.STEP_TITLES[done]
    if step is not None:
        success = {
            "step": step,
            "stage": wording.stage_label(view.stage),
            "next": wording.what_next(
                view.stage, view.consultation_deadline, view.decision_deadline
            ),
        }
    if accession is None:
        accession = accession_form_for(viewer, view, datetime.now(UTC).date())
    return page(
        request,
        "case.html",
        {
            "viewer": viewer,
            "case": case,
            "view": view,
            "offers": viewer.offers(view),
            "lifecycle": lifecycle_svg(view.stage.value if view.stage else None, case.ended_at),
            "success": success,
            "accession": accession,
            "next": wording.what_next(
                view.stage, view.consultation_deadline, view.decision_deadline
            ),
        },
        status_code=status_code,
    )


@router.get("/cases/{cc}", response_class=HTMLResponse)
async def partnership_page(
    request: Request, cc: str, viewer: SignedViewer, held: Held, done: str | None = None
) -> HTMLResponse:
    """One partnership; after a step (`done`), what it became and what happens next."""
    code = code_of(cc)
    if code is None:
        return not_found(request, viewer, f"{cc[:10]!r} is not a country code.")
    try:
        case = await read_case(held, code)
    except Exception as error:
        return trouble(request, viewer, error)
    return case_page(request, viewer, case, done=done)


@router.get("/cases/{cc}/reports/{milestone}.pdf", response_model=None)
def milestone_document_pdf(
    request: Request, cc: str, milestone: str, viewer: SignedViewer, held: Held
) -> Response:
    """A milestone's report as a PDF to keep (`all`: the whole record), rendered by the core
    (`app.reports`) from the partnership's own events, as the CLI and the API render it."""
    code = code_of(cc)
    kinds = {kind.value: kind for kind in MilestoneKind}
    if code is None or (milestone not in kinds and milestone != "all"):
        return not_found(request, viewer, "There is no such report.")
    try:
        rendered = render_report_as(
            held.store.engine(), code, kinds.get(milestone), ReportFormat.PDF
        )
    except Exception as error:
        return trouble(request, viewer, error)
    return Response(
        rendered.content,
        media_type=rendered.format.media_type,
        headers={"Content-Disposition": f'attachment; filename="{rendered.filename}"'},
    )


@router.get("/cases/{cc}/reports/{milestone}", response_class=HTMLResponse)
def milestone_document_page(
    request: Request, cc: str, milestone: str, viewer: SignedViewer, held: Held
) -> HTMLResponse:
    """A milestone's report as the Council reads it: the accessible HTML document rendered
    from the partnership's own events up to that milestone (`all`: the whole record)."""
    code = code_of(cc)
    kinds = {kind.value: kind for kind in MilestoneKind}
    if code is None or (milestone not in kinds and milestone != "all"):
        return not_found(request, viewer, "There is no such report.")
    try:
        record = latest_record(held.store.engine(), code)
    except Exception as error:
        return trouble(request, viewer, error)
    if record is None:
        return not_found(request, viewer, f"No partnership with {code} is on record.")
    document = council_document_of(record.events, kinds.get(milestone), record.stream_id)
    return HTMLResponse(report_html(document))
