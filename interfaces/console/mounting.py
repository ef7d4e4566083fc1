"""The console on the API's app: its pages under `/`, its static files under `/static`.

Its paths keep clear of the API's (`/partnerships…`, `/me`, `/inbox`, `/healthz`, `/readyz`,
`/dev/…`): the inbox is `/`, the board `/board`, a partnership `/cases/{CC}`, a step's form
`/cases/{CC}/act/{update}`, an accession `/cases/{CC}/accede`, a proposal `/cases/new`, a
milestone's report `/cases/{CC}/reports/{kind}` (and `….pdf`), the deliveries `/delivery-log`
(the API holds `/deliveries`). None is in the OpenAPI document.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from interfaces.console import (
    accession_form,
    action_forms,
    board_pages,
    delivery_pages,
    inbox_pages,
    partnership_pages,
)
from interfaces.console.templating import STATIC_DIR


def install_console(app: FastAPI) -> None:
    """Mount the console's pages and static files on `app` (after its sessions)."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
    # The proposal's form first: `/cases/new` is no partnership.
    for module in (action_forms, inbox_pages, board_pages, partnership_pages, delivery_pages):
        app.include_router(module.router)
    app.include_router(accession_form.router)
