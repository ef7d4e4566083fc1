"""`partnerships deliveries [--failed]` lists milestone deliveries with their attempts;
`partnerships deliveries retry ID` re-sends a failed one (a new run of its workflow).

Listing reads the delivery log in the store (DATABASE_URL); re-sending starts the delivery's
workflow on Temporal under the same id, so the subscriber sees the same `webhook-id`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any, Final

import typer
from rich.markup import escape

from activities.delivery_log import Attempt
from activities.delivery_messages import DeliveryState
from app.deliveries import (
    DeliveryRecord,
    NotRetryable,
    UnknownDelivery,
    deliveries,
    retry,
    retryable,
)
from app.partnerships import connected
from interfaces.terminal import CliError, ExitCode, out, reported
from migrations.readiness import open_ready_engine
from settings import load_settings

PANEL: Final = "Deliveries to subscribers"
ATTEMPTS_SHOWN: Final = 5
"""The latest attempts shown per delivery: a retry period of days makes dozens."""

deliveries_app = typer.Typer(
    help="Deliveries of milestones to subscribers, with every attempt; re-send a failed one.",
    invoke_without_command=True,
)


def _answer(attempt: Attempt) -> str:
    # An SMTP reply starts with its code already; an HTTP answer is its status and body.
    reply = attempt.reply or ""
    code = "" if attempt.status_code is None else str(attempt.status_code)
    if code and not reply.startswith(code):
        reply = f"HTTP {code} {reply}".strip()
    return reply


def _attempt_line(attempt: Attempt) -> str:
    said = _answer(attempt) if attempt.outcome in ("delivered", "stopped") else attempt.error
    said = said or _answer(attempt)
    return (
        f"{attempt.attempted_at:%Y-%m-%d %H:%M:%S} #{attempt.attempt} {attempt.outcome} in "
        f"{attempt.duration_ms} ms" + (f": {said}" if said else "")
    )


def _show(record: DeliveryRecord) -> None:
    d = record.delivery
    attempts = f"{d.attempts} attempt" + ("" if d.attempts == 1 else "s")
    # Names, addresses and replies come from outside: never parse them as markup.
    out.print(f"[bold]{escape(d.delivery_id)}[/bold]")
    out.print(
        f"  {escape(d.subscriber)} <{escape(d.destination)}>: [bold]{d.state.value}[/bold], "
        f"{attempts}; updated {d.updated_at:%Y-%m-%d %H:%M:%S} UTC",
        soft_wrap=True,
    )
    earlier = len(record.attempts) - ATTEMPTS_SHOWN
    if earlier > 0:
        out.print(f"  … {earlier} earlier attempts (--json lists them all)")
    for attempt in record.attempts[-ATTEMPTS_SHOWN:]:
        out.print("  " + escape(_attempt_line(attempt)), soft_wrap=True)
    if d.state is DeliveryState.FAILED:
        out.print(
            f"  re-send: partnerships deliveries retry {escape(d.delivery_id)}", soft_wrap=True
        )


def _as_json(record: DeliveryRecord) -> dict[str, Any]:
    d = record.delivery
    return {
        "delivery_id": d.delivery_id,
        "stream_id": d.stream_id,
        "version": d.version,
        "kind": d.kind,
        "subscription_id": d.subscription_id,
        "subscriber": d.subscriber,
        "destination": d.destination,
        "state": d.state.value,
        "attempts": d.attempts,
        "last_error": d.last_error,
        "created_at": d.created_at.isoformat(),
        "updated_at": d.updated_at.isoformat(),
        "finished_at": d.finished_at.isoformat() if d.finished_at else None,
        "log": [
            {
                "attempt": a.attempt,
                "attempted_at": a.attempted_at.isoformat(),
                "outcome": a.outcome,
                "status_code": a.status_code,
                "reply": a.reply,
                "duration_ms": a.duration_ms,
                "error": a.error,
            }
            for a in record.attempts
        ],
    }


@deliveries_app.callback()
@reported
def list_deliveries(
    context: typer.Context,
    failed: Annotated[
        bool, typer.Option("--failed", help="Only the failed ones (which `retry` re-sends).")
    ] = False,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=10_000, help="At most this many.")
    ] = 50,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON document, for scripts.")
    ] = False,
) -> None:
    """Deliveries of milestones to subscribers, newest first, with every attempt."""
    if context.invoked_subcommand is not None:
        return
    engine = open_ready_engine(load_settings().database_url)
    records = deliveries(engine, state=DeliveryState.FAILED if failed else None, limit=limit)
    if as_json:
        out.print_json(json.dumps([_as_json(r) for r in records], ensure_ascii=False))
        return
    if not records:
        out.print("No failed delivery." if failed else "No delivery yet.")
        return
    for record in records:
        _show(record)


@deliveries_app.command("retry")
@reported
def retry_delivery(
    delivery_id: Annotated[str, typer.Argument(help="The delivery's id, as the list shows it")],
) -> None:
    """Re-send a failed delivery: a new run of its workflow, under the same id."""
    settings = load_settings()
    engine = open_ready_engine(settings.database_url)
    key = delivery_id.strip()

    async def resend() -> None:
        async with connected(settings) as partnerships:
            await retry(partnerships.temporal, settings, engine, key)

    try:
        retryable(engine, key)  # before Temporal is asked: an unknown id is said as such
        asyncio.run(resend())
    except UnknownDelivery as error:
        raise CliError(error.message, code=ExitCode.NOT_FOUND) from None
    except NotRetryable as error:
        raise CliError(error.message) from None
    out.print(
        f"Re-sending {escape(key)}: its workflow runs again under the same id; "
        "`partnerships deliveries` shows the new attempts."
    )


def register(app: typer.Typer) -> None:
    """Add `deliveries` to the `partnerships` app."""
    app.add_typer(deliveries_app, name="deliveries", rich_help_panel=PANEL)
