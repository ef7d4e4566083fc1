"""Deliveries of milestones to subscribers, for operators and administrators: each delivery with
its milestone, subscriber, state and latest attempts, the failed ones filtered, and "Send again".

The page is `/delivery-log` (the API's `GET /deliveries` holds `/deliveries`). It reads the
delivery log through the core (`app.deliveries.deliveries`) and re-sends a failed delivery as
`partnerships deliveries retry` does (`app.deliveries.retry`: a new run of its workflow on
Temporal under the same id, so the receiver sees the same `webhook-id`). A refusal is shown in
the core's own words; a re-send goes back to the list (POST-redirect-GET), which says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from temporalio.service import RPCError

from activities.delivery_log import Attempt
from activities.delivery_messages import DeliveryState
from activities.milestone_payloads import outbox_milestone
from app.deliveries import DeliveryRecord, deliveries, retry, retryable
from app.exceptions import Unavailable
from domain.directory import BindingRole
from interfaces.console.core_parts import Held, Parts, SignedViewer, Viewer
from interfaces.console.dates import people_date
from interfaces.console.partnership_pages import trouble
from interfaces.console.refusals import Refusal, refusal_of
from interfaces.console.session import CsrfChecked
from interfaces.console.templating import page

router = APIRouter(include_in_schema=False)

PATH: Final = "/delivery-log"
"""The page's path; `/deliveries` is the API's JSON list."""

SEND_AGAIN_PATH: Final = f"{PATH}/send-again"

WATCHERS: Final = frozenset({BindingRole.OPERATOR, BindingRole.ADMINISTRATOR})
"""The roles that see deliveries and re-send them (as for the API's `GET /deliveries`)."""

ATTEMPTS_SHOWN: Final = 5
"""The latest attempts shown per delivery: a retry period of days makes dozens."""

LISTED_MAX: Final = 200
"""The most deliveries the page lists at once, newest first."""

STATE_LABELS: Final[dict[DeliveryState, str]] = {
    DeliveryState.PENDING: "Pending",
    DeliveryState.DELIVERED: "Delivered",
    DeliveryState.FAILED: "Failed",
    DeliveryState.STOPPED: "Stopped",
}

_STATUS_OF_REFUSAL: Final[dict[str, int]] = {
    "UnknownDelivery": 404,
    "NotRetryable": 409,
    "Unavailable": 503,
}


def may_watch(viewer: Viewer) -> bool:
    """Whether the viewer holds an operator's or administrator's binding."""
    return any(binding.role in WATCHERS for binding in viewer.caller.bindings)


def people_moment(moment: datetime) -> str:
    """A moment as people read it: "2 December 2026, 06:00:00 UTC" (the log keeps UTC)."""
    return f"{people_date(moment.date())}, {moment:%H:%M:%S} UTC"


@dataclass(frozen=True)
class AttemptLine:
    """One attempt as the page shows it."""

    number: int
    at: datetime
    when: str
    outcome: str
    answer: str
    """The receiver's HTTP status (and the start of its answer), or the SMTP reply."""
    duration_ms: int
    error: str


@dataclass(frozen=True)
class DeliveryLine:
    """One delivery as the page shows it: its milestone, subscriber, state and attempts."""

    delivery_id: str
    country: str | None
    kind: str
    business_date: date | None
    subscriber: str
    destination: str
    state: str
    state_label: str
    attempts: int
    latest: list[AttemptLine]
    earlier: int
    last_error: str
    updated: str
    updated_at: datetime

    @property
    def can_send_again(self) -> bool:
        """A failed delivery may be sent again (the core judges the rest)."""
        return self.state == DeliveryState.FAILED.value


def answer_of(attempt: Attempt) -> str:
    """What the receiver said: "HTTP 503 …" for a webhook, the reply as given for SMTP."""
    reply = attempt.reply or ""
    code = "" if attempt.status_code is None else str(attempt.status_code)
    # An SMTP reply starts with its code already; an HTTP answer is its status and body.
    if code and not reply.startswith(code):
        reply = f"HTTP {code} {reply}".strip()
    return reply


def attempt_line(attempt: Attempt) -> AttemptLine:
    """An attempt as a row of the page."""
    return AttemptLine(
        number=attempt.attempt,
        at=attempt.attempted_at,
        when=people_moment(attempt.attempted_at),
        outcome=attempt.outcome,
        answer=answer_of(attempt),
        duration_ms=attempt.duration_ms,
        error=attempt.error or "",
    )


def delivery_line(
    record: DeliveryRecord, country: str | None, business_date: date | None
) -> DeliveryLine:
    """A delivery as the page shows it; `country` and `business_date` are its milestone's."""
    d = record.delivery
    shown = record.attempts[-ATTEMPTS_SHOWN:]
    return DeliveryLine(
        delivery_id=d.delivery_id,
        country=country,
        kind=d.kind,
        business_date=business_date,
        subscriber=d.subscriber,
        destination=d.destination,
        state=d.state.value,
        state_label=STATE_LABELS.get(d.state, d.state.value),
        attempts=d.attempts,
        latest=[attempt_line(a) for a in reversed(shown)],
        earlier=len(record.attempts) - len(shown),
        last_error=d.last_error or "",
        updated=people_moment(d.updated_at),
        updated_at=d.updated_at,
    )


def delivery_lines(held: Parts, state: DeliveryState | None) -> list[DeliveryLine]:
    """The deliveries (in `state` when given), newest first, each with its milestone's
    country and business date from the outbox (blocking: run it in a thread)."""
    engine = held.store.engine()
    found: dict[tuple[str, int, str], tuple[str | None, date | None]] = {}
    lines: list[DeliveryLine] = []
    for record in deliveries(engine, state=state, limit=LISTED_MAX):
        d = record.delivery
        key = (d.stream_id, d.version, d.kind)
        if key not in found:
            milestone = outbox_milestone(engine, *key)
            found[key] = (milestone.country, milestone.business_date) if milestone else (None, None)
        lines.append(delivery_line(record, *found[key]))
    return lines


def _chosen_state(state: str | None) -> tuple[DeliveryState | None, str | None]:
    """The state filter chosen, and a note when it names no state (then it is not applied)."""
    if not state:
        return None, None
    try:
        return DeliveryState(state), None
    except ValueError:
        states = ", ".join(s.value for s in DeliveryState)
        return None, f"There is no state {state[:20]!r} (the states are {states}); showing all."


def not_permitted(request: Request, viewer: Viewer) -> HTMLResponse:
    """The 403 page for someone who holds neither an operator's nor an administrator's role."""
    held_roles = ", ".join(viewer.roles) or "no role"
    return page(
        request,
        "deliveries_refused.html",
        {"viewer": viewer, "held_roles": held_roles},
        status_code=403,
    )


async def _list_page(
    request: Request,
    viewer: Viewer,
    held: Parts,
    *,
    state: str | None,
    resent: str | None = None,
    refusal: Refusal | None = None,
    refused_id: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    chosen, note = _chosen_state(state)
    try:
        lines = await run_in_threadpool(delivery_lines, held, chosen)
    except Exception as error:
        return trouble(request, viewer, error)
    return page(
        request,
        "deliveries.html",
        {
            "viewer": viewer,
            "lines": lines,
            "chosen": chosen.value if chosen else "",
            "states": [(s.value, STATE_LABELS[s]) for s in DeliveryState],
            "note": note,
            "resent": resent,
            "refusal": refusal,
            "refused_id": refused_id,
            "path": PATH,
            "send_again_path": SEND_AGAIN_PATH,
        },
        status_code=status_code,
    )


@router.get(PATH, response_class=HTMLResponse)
async def deliveries_page(
    request: Request,
    viewer: SignedViewer,
    held: Held,
    state: str | None = None,
    resent: str | None = None,
) -> HTMLResponse:
    """Every delivery (or those in `state`, e.g. failed), newest first, with its attempts."""
    if not may_watch(viewer):
        return not_permitted(request, viewer)
    return await _list_page(request, viewer, held, state=state, resent=resent)


@router.post(SEND_AGAIN_PATH, response_class=HTMLResponse)
async def send_again(
    request: Request, viewer: SignedViewer, held: Held, _: CsrfChecked
) -> Response:
    """Re-send a failed delivery through Temporal, as `partnerships deliveries retry` does."""
    if not may_watch(viewer):
        return not_permitted(request, viewer)
    form = await request.form()
    key = str(form.get("delivery_id", "")).strip()
    state = str(form.get("state", "")).strip() or None
    if not key:
        refusal = Refusal("NoneChosen", "No delivery was named, so nothing was sent again.")
        return await _list_page(
            request, viewer, held, state=state, refusal=refusal, status_code=422
        )
    try:
        # Before Temporal is asked, as the CLI does: an unknown id is said as such.
        await run_in_threadpool(retryable, held.store.engine(), key)
        core = await held.partnerships()
        await retry(core.temporal, held.settings, held.store.engine(), key)
    except RPCError as error:
        # Temporal answered, but not with a start: said as a service that cannot answer now.
        refusal = refusal_of(Unavailable(f"Temporal refused to start the delivery: {error}"))
        return await _list_page(
            request, viewer, held, state=state, refusal=refusal, refused_id=key, status_code=503
        )
    except Exception as error:
        refusal = refusal_of(error)
        return await _list_page(
            request,
            viewer,
            held,
            state=state,
            refusal=refusal,
            refused_id=key,
            status_code=_STATUS_OF_REFUSAL.get(refusal.kind, 409),
        )
    query = {"resent": key, **({"state": state} if state else {})}
    return RedirectResponse(f"{PATH}?{urlencode(query)}", status_code=303)
