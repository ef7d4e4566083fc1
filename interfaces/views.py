"""Reading commands: `list` (the status board), `show` (one partnership) and `report`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

import typer

from domain.evolve import replay
from domain.regions import Region
from domain.report import render_report
from domain.stages import Stage
from domain.state import MilestoneKind
from domain.view import StatusView, status_view
from interfaces.client import connected
from interfaces.config import load_settings
from interfaces.errors import CliError, ExitCode
from interfaces.output import out, reported
from interfaces.records import Record, board, country_code, latest_record, open_engine
from interfaces.render import board_table, status_panel
from interfaces.settings import Settings

Country = Annotated[
    str, typer.Argument(metavar="CC", help="The third country's ISO 3166-1 alpha-2 code, e.g. CV")
]


def register(app: typer.Typer) -> None:
    """Add the reading commands to the root app."""
    for command in (list_partnerships, show, report):
        name = "list" if command is list_partnerships else command.__name__
        app.command(name=name, rich_help_panel="Reading")(reported(command))


def list_partnerships(
    stage: Annotated[Stage | None, typer.Option("--stage", help="Only this stage")] = None,
    region: Annotated[Region | None, typer.Option("--region", help="Only this region")] = None,
) -> None:
    """The status board: every partnership, from the read model."""
    engine = open_engine(load_settings())
    rows = board(
        engine,
        stage=stage.value if stage else None,
        region=region.value if region else None,
    )
    if not rows:
        out.print("No partnership matches." if stage or region else "No partnership yet.")
        return
    out.print(board_table(rows))


async def _live_status(settings: Settings, country: str) -> StatusView:
    async with connected(settings) as partnerships:
        return await partnerships.status(country)


def show(country: Country) -> None:
    """One partnership: stage, deadlines, answers, talks, decision, timeline, next steps."""
    settings = load_settings()
    code = country_code(country)
    notes: list[str] = []
    record: Record | None = None
    try:
        record = latest_record(open_engine(settings), code)
    except CliError as error:
        notes.append(f"timeline unavailable: {error.message}")
    try:
        view = asyncio.run(_live_status(settings, code))
    except CliError as error:
        # The store is the permanent record: without Temporal, fold it instead.
        if record is None or error.code is ExitCode.REJECTED:
            raise
        view = status_view(replay(record.events), datetime.now(UTC))
        notes.append(f"shown from the event store; {error.message}")
    out.print(status_panel(view, record.events if record else None, notes))


def report(
    country: Country,
    milestone: Annotated[
        MilestoneKind | None,
        typer.Option("--milestone", help="The report as of this milestone; default: all"),
    ] = None,
) -> None:
    """The report-back document (Markdown), rendered from the partnership's own events."""
    code = country_code(country)
    record = latest_record(open_engine(load_settings()), code)
    if record is None:
        raise CliError(
            f"no partnership with {code} is on record; propose one with "
            f"`partnerships propose {code} …`",
            code=ExitCode.NOT_FOUND,
        )
    typer.echo(render_report(record.events, milestone), nl=False)
