"""The `partnerships` command: the Typer root app and its entry point.

Staff and officials drive partnerships with the step verbs; anyone reads with `list`, `show`
and `report`; `dev`, `demo` and `worker` run the system; the store commands look after the
permanent record.
"""

from __future__ import annotations

import sys

import typer

from interfaces import commands, demo, dev, store_cli, views
from interfaces.process import exit_without_teardown

app = typer.Typer(
    name="partnerships",
    help="Pilot mobility partnerships of the EU with third countries, on Temporal.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

commands.register(app)
views.register(app)
store_cli.register(app)
dev.register(app)
demo.register(app)


@app.command(rich_help_panel="Running the system")
def worker() -> None:
    """Run a worker on the pilot-partnerships task queue until Ctrl-C or SIGTERM."""
    # Imported here: only this command needs the worker's composition root.
    import worker as composition_root

    raise typer.Exit(composition_root.main())


def _exit_status(exit: SystemExit) -> int:
    if exit.code is None:
        return 0
    if isinstance(exit.code, int):
        return exit.code
    print(exit.code, file=sys.stderr)
    return 1


def main() -> None:
    """Entry point of the `partnerships` console script."""
    try:
        app()
        status = 0
    except SystemExit as exit:
        status = _exit_status(exit)
    exit_without_teardown(status)
