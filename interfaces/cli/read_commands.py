"""Reading commands: `list` (the status board), `show` (one partnership) and `report`."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from app.reading import board, open_engine
from app.reading import report as report_of
from app.reading import show as shown
from domain.regions import Region
from domain.stages import Stage
from domain.state import MilestoneKind
from interfaces.cli.arguments import Country, country_code
from interfaces.cli.render import board_table, status_panel
from interfaces.terminal import out, reported
from settings import load_settings


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


def show(country: Country) -> None:
    """One partnership: stage, deadlines, answers, talks, decision, timeline, next steps."""
    seen = asyncio.run(shown(load_settings(), country_code(country)))
    out.print(status_panel(seen.view, seen.record.events if seen.record else None, seen.notes))


def report(
    country: Country,
    milestone: Annotated[
        MilestoneKind | None,
        typer.Option("--milestone", help="The report as of this milestone; default: all"),
    ] = None,
) -> None:
    """The report-back document (Markdown), rendered from the partnership's own events."""
    text = report_of(load_settings(), country_code(country), milestone)
    typer.echo(text, nl=False)
