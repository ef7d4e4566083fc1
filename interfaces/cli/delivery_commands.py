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
from rich.table import Table

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

deliveries_app = typer.Typer(
    help="Deliveries of milestones to subscribers, with every attempt; re-send a failed one.",
    invoke_without_command=True,
)


def _when(record: DeliveryRecord) -> str:
    return record.delivery.updated_at.strftime("%Y-%m-%d %H:%M:%S")


def _attempt_line(record: DeliveryRecord) -> str:
    lines = []
    for a in record.attempts:
        answer = " ".join(str(x) for x in (a.status_code, a.reply) if x not in (None, ""))
        shown = answer if a.outcome == "delivered" or not a.error else a.error
        lines.append(
            f"{a.attempted_at:%H:%M:%S} #{a.attempt} {a.outcome} {a.duration_ms} ms"
            + (f": {shown[:160]}" if shown else "")
        )
    return "\n".join(lines) or "none yet"


def _table(records: list[DeliveryRecord], title: str) -> Table:
    table = Table(title=title, title_justify="left", show_lines=True)
    for column in ("delivery id", "subscriber", "state", "attempts", "updated (UTC)", "log"):
        table.add_column(column, no_wrap=column in {"state", "attempts", "updated (UTC)"})
    for r in records:
        d = r.delivery
        # Names and replies come from outside: never parse them as markup.
        table.add_row(
            escape(d.delivery_id),
            escape(f"{d.subscriber} <{d.destination}>"),
            d.state.value,
            str(d.attempts),
            _when(r),
            escape(_attempt_line(r)),
        )
    return table


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
    out.print(_table(records, "Failed deliveries" if failed else "Deliveries"))


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
