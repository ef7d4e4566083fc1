"""Reading commands: `list` (the status board), `show` (one partnership) and `report`."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer

from app.reading import board, open_engine
from app.reading import show as shown
from app.reports import ReportFormat, render_report_as
from domain.regions import Region
from domain.stages import Stage
from domain.state import MilestoneKind
from interfaces.cli.arguments import Country, country_code
from interfaces.cli.render import board_table, status_panel
from interfaces.terminal import CliError, ExitCode, out, reported
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
    fmt: Annotated[
        ReportFormat,
        typer.Option(
            "--format",
            help="markdown: the record's working copy; html or pdf: the Council-ready document",
        ),
    ] = ReportFormat.MARKDOWN,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write the report to this file (needed for pdf on a terminal)"
        ),
    ] = None,
) -> None:
    """The report-back document, rendered from the partnership's own events.

    Markdown by default; `--format html` or `--format pdf` gives the document in the Council's
    manner (title, reference, dates, the Member States by name). `-o FILE` writes it there.
    """
    if fmt is ReportFormat.PDF and output is None and sys.stdout.isatty():
        raise CliError(
            "a PDF is binary and is not written to a terminal; give a file with "
            "-o, e.g. -o report.pdf, or redirect the output to a file",
            code=ExitCode.USAGE,
        )
    code = country_code(country)
    rendered = render_report_as(open_engine(load_settings()), code, milestone, fmt)
    if output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(rendered.content)
        sys.stdout.buffer.flush()
        return
    try:
        output.write_bytes(rendered.content)
    except OSError as error:
        raise CliError(
            f"could not write {output}: {error.strerror or error}; give a writable file with -o"
        ) from None
    out.print(
        f"Wrote {output} ({fmt.value}, {len(rendered.content):,} bytes).",
        markup=False,
        soft_wrap=True,
    )
