"""The programme of pilot partnerships on the command line: `programme show|cap|terms`, and
`council-decision`, one Council decision recorded once for several partnerships.

`programme cap` and `programme terms` write the programme's stream in the event store directly
(DATABASE_URL), as `access grant` writes the directory: they are the administrator's, run on the
database's host. `council-decision` is the Presidency's: it checks each named partnership in the
store, records the decision in the programme, and sends each partnership's workflow its
`record_council_decision` step through Temporal as the `--as` user (app/pilot_programme.py
says what is guaranteed when one of them fails).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from typing import Annotated, Any, Final

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from activities.database import create_engine_from_url
from app.partnerships import connected
from app.pilot_programme import (
    DecisionApplied,
    programme_of,
    record_joint_decision,
    set_cap,
    set_terms,
)
from domain.commands import Outcome
from domain.explain import explain_validation_error
from domain.programme import MAX_CAP, Programme
from interfaces.cli.actor import ACTOR_ENV, ACTOR_FORMAT, parse_actor
from interfaces.terminal import CliError, ExitCode, out, reported
from migrations.readiness import open_ready_engine
from settings import load_settings

PANEL: Final = "The programme"
ADMINISTRATOR: Final = "administrator"

programme_app = typer.Typer(
    no_args_is_help=True,
    help="The programme of pilot partnerships: its cap, terms of reference and slots.",
)


def _engine() -> Any:
    return open_ready_engine(load_settings().database_url)


def programme_json(programme: Programme) -> dict[str, Any]:
    """The programme as JSON: cap, slots held and free, terms, slots, decisions."""
    return {
        "cap": programme.cap,
        "cap_reason": programme.cap_reason,
        "held": programme.held,
        "free": programme.free,
        "over_cap": programme.over_cap,
        "terms_of_reference": programme.terms,
        "terms_reference": programme.terms_reference,
        "slots": [slot.model_dump(mode="json") for slot in programme.slots.values()],
        "council_decisions": [d.model_dump(mode="json") for d in programme.decisions.values()],
    }


def _print(programme: Programme) -> None:
    if programme.cap is None:
        out.print(f"No cap set: every proposal takes a slot. {programme.held} held.")
    else:
        over = f", {programme.over_cap} over the cap" if programme.over_cap else ""
        out.print(
            f"Cap: {programme.cap} pilot partnerships ({escape(programme.cap_reason or '')}); "
            f"{programme.held} held, {programme.free} free{over}."
        )
    if programme.terms:
        ref = f" ({escape(programme.terms_reference)})" if programme.terms_reference else ""
        out.print(f"Terms of reference{ref}: {escape(programme.terms)}")
    if programme.slots:
        table = Table("slot held by", "country", "since")
        for slot in programme.slots.values():
            table.add_row(slot.stream_id, slot.country, slot.taken_on.isoformat())
        out.print(table)
    if programme.decisions:
        table = Table("Council decision", "on", "outcome", "partnerships")
        for d in programme.decisions.values():
            names = ", ".join(p.stream_id for p in d.partnerships)
            table.add_row(escape(d.reference), d.decided_on.isoformat(), d.outcome.value, names)
        out.print(table)


@programme_app.command("show")
@reported
def show(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Show the cap, the slots held and by whom, the terms and the Council decisions."""
    programme = programme_of(_engine())
    if as_json:
        out.print_json(json.dumps(programme_json(programme)))
        return
    _print(programme)


@programme_app.command("cap")
@reported
def cap(
    value: Annotated[
        int,
        typer.Argument(
            min=0, max=MAX_CAP, metavar="CAP", help="How many pilot partnerships may hold a slot"
        ),
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded with the cap)")],
    by: Annotated[str, typer.Option("--by", help="The administrator who sets it")],
) -> None:
    """Set the cap on pilot partnerships (administrators, on the database's host)."""
    try:
        programme = set_cap(_engine(), cap=value, reason=reason, by=by, role=ADMINISTRATOR)
    except ValidationError as error:
        raise CliError(explain_validation_error(error), code=ExitCode.USAGE) from None
    _print(programme)


@programme_app.command("terms")
@reported
def terms(
    text: Annotated[str, typer.Argument(help="The terms of reference the Member States see")],
    by: Annotated[str, typer.Option("--by", help="The administrator who records them")],
    reference: Annotated[
        str | None, typer.Option("--reference", help="The document's reference")
    ] = None,
) -> None:
    """Record the terms of reference the Commission consults the Member States on."""
    try:
        programme = set_terms(_engine(), terms=text, reference=reference, by=by, role=ADMINISTRATOR)
    except ValidationError as error:
        raise CliError(explain_validation_error(error), code=ExitCode.USAGE) from None
    _print(programme)


def _countries(text: str) -> list[str]:
    found = [c.strip() for c in text.split(",") if c.strip()]
    if not found:
        raise CliError("--countries names no country; give e.g. CV,MD", code=ExitCode.USAGE)
    return found


def _day(text: str | None) -> date:
    if text is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(
            f"--on {text!r} is not a date; give YYYY-MM-DD", code=ExitCode.USAGE
        ) from None


@reported
def council_decision(
    countries: Annotated[str, typer.Option("--countries", help="The partnerships it names: CV,MD")],
    reference: Annotated[str, typer.Option("--reference", help="The Council's reference")],
    outcome: Annotated[Outcome, typer.Option("--outcome", help="invite_launch or decline")],
    on: Annotated[
        str | None, typer.Option("--on", help="The day the Council decided (YYYY-MM-DD)")
    ] = None,
    as_: Annotated[
        str | None,
        typer.Option("--as", envvar=ACTOR_ENV, show_envvar=True, help=f"Who: {ACTOR_FORMAT}"),
    ] = None,
) -> None:
    """Record one Council decision for several partnerships: once, applied to each, or refused
    as a whole."""
    settings = load_settings()
    actor = parse_actor(as_)
    named = _countries(countries)
    day = _day(on)
    engine = create_engine_from_url(settings.database_url)

    async def run() -> DecisionApplied:
        async with connected(settings) as partnerships:
            return await record_joint_decision(
                engine,
                partnerships,
                countries=named,
                reference=reference,
                decided_on=day,
                outcome=outcome,
                actor=actor,
                now=datetime.now(UTC),
            )

    try:
        applied = asyncio.run(run())
    except ValidationError as error:
        raise CliError(explain_validation_error(error), code=ExitCode.USAGE) from None
    finally:
        engine.dispose()
    decision = applied.decision
    out.print(
        f"Council decision {escape(decision.reference)} of {decision.decided_on.isoformat()} "
        f"({decision.outcome.value}) recorded once, for "
        + ", ".join(p.stream_id for p in decision.partnerships)
    )
    for country, view in applied.views.items():
        out.print(f"  {country}: now {view.stage}")
    for country in applied.already:
        out.print(f"  {country}: had it already")


def register(app: typer.Typer) -> None:
    """Add `programme` and `council-decision` to the `partnerships` app."""
    app.add_typer(programme_app, name="programme", rich_help_panel=PANEL)
    app.command("council-decision", rich_help_panel=PANEL)(council_decision)
