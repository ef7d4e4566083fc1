"""The console's Jinja2 environment: autoescaped templates and the filters people read by.

Every page extends `base.html`; a request made by htmx gets the same page (htmx swaps in
what it needs), so each page works without JavaScript and the same route serves both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from interfaces.console import wording
from interfaces.console.session import csrf_token

HERE: Final = Path(__file__).parent
TEMPLATES_DIR: Final = HERE / "templates"
STATIC_DIR: Final = HERE / "static"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        {
            "people_date": wording.people_date,
            "country": wording.country,
            "stage": wording.stage_label,
            "component": wording.component,
            "region": wording.region,
            "step_title": lambda update: wording.STEP_TITLES.get(update, update),
            "milestone": lambda kind: wording.MILESTONE_LABELS.get(str(kind), str(kind)),
            "role": lambda role: wording.ROLE_LABELS.get(str(role), str(role)),
        }
    )
    return env


TEMPLATES: Final = Jinja2Templates(env=_environment())


def page(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """The page `name` rendered for `request` with `context` and the session's CSRF token."""
    return TEMPLATES.TemplateResponse(
        request,
        name,
        {"csrf_token": csrf_token(request), **context},
        status_code=status_code,
    )
