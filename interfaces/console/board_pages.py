"""The board: every partnership with its country, region, stage and deadlines, filterable by
stage, region and year, and the programme drawn as a picture on a time axis of business dates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from activities.store_errors import StoreError
from app.exceptions import Unavailable
from app.reading import board_page
from domain.regions import Region
from domain.stages import Stage
from interfaces.console import wording
from interfaces.console.core_parts import Held, SignedViewer
from interfaces.console.partnership_pages import trouble
from interfaces.console.pictures import programme_svg
from interfaces.console.templating import page

router = APIRouter(include_in_schema=False)

BOARD_MAX: Final = 500
"""The most partnerships the board shows at once (the programme has a few dozen)."""


def _chosen(value: str | None, allowed: set[str]) -> str | None:
    return value if value in allowed else None


@router.get("/board", response_class=HTMLResponse)
def board(
    request: Request,
    viewer: SignedViewer,
    held: Held,
    stage: str | None = None,
    region: str | None = None,
    year: str | None = None,
) -> HTMLResponse:
    """The board, filtered by what the person chose; a filter that names nothing known is
    dropped and said so, rather than refused."""
    notes: list[str] = []
    chosen_stage = _chosen(stage or None, {s.value for s in Stage})
    chosen_region = _chosen(region or None, {r.value for r in Region})
    chosen_year = int(year) if year and year.isdigit() and 1 <= int(year) <= 9999 else None
    for given, kept, what in (
        (stage, chosen_stage, "stage"),
        (region, chosen_region, "region"),
        (year, chosen_year, "year"),
    ):
        if given and kept is None:
            notes.append(f"There is no {what} {given!r}; that filter is not applied.")
    try:
        rows, _ = board_page(
            held.store.engine(),
            stage=chosen_stage,
            region=chosen_region,
            year=chosen_year,
            limit=BOARD_MAX,
        )
    except (StoreError, Unavailable) as error:
        return trouble(request, viewer, error)
    today = datetime.now(UTC).date()
    return page(
        request,
        "board.html",
        {
            "viewer": viewer,
            "rows": rows,
            "picture": programme_svg(rows, today) if rows else None,
            "stages": [(s.value, wording.stage_label(s.value)) for s in Stage],
            "regions": [(r.value, wording.region(r.value)) for r in Region],
            "chosen": {"stage": chosen_stage, "region": chosen_region, "year": chosen_year},
            "notes": notes,
            "today": today,
        },
    )
