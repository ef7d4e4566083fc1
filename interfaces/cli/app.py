"""The `partnerships` command: the Typer root app and its entry point.

Staff and officials drive partnerships with the step verbs; anyone reads with `list`, `show`
and `report`; `dev`, `demo` and `worker` run the system; the store commands look after the
permanent record.
"""

from __future__ import annotations

import asyncio
import sys

import typer

from app.process import exit_without_teardown
from interfaces.cli import (
    access_commands,
    api_command,
    checkpoint_commands,
    delivery_commands,
    login_commands,
    mail_commands,
    programme_commands,
    read_commands,
    step_commands,
    store_commands,
    subscriber_commands,
)
from interfaces.terminal import reported
from settings import load_settings
from tools import demo, dev

app = typer.Typer(
    name="partnerships",
    help="Pilot mobility partnerships of the EU with third countries, on Temporal.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

step_commands.register(app)
read_commands.register(app)
store_commands.register(app)
login_commands.register(store_commands.db_app)
checkpoint_commands.register(app)
access_commands.register(app)
subscriber_commands.register(app)
api_command.register(app)
delivery_commands.register(app)
mail_commands.register(app)
programme_commands.register(app)
# The tooling for developers and demos sits apart, in tools/; the CLI only offers it.
app.command(name="dev", rich_help_panel="Running the system")(reported(dev.dev))
app.command(name="demo", rich_help_panel="Running the system")(reported(demo.demo))


@app.command(rich_help_panel="Running the system")
@reported
def worker() -> None:
    """Run a worker on the pilot-partnerships task queue until Ctrl-C or SIGTERM."""
    # Imported here: only this command needs the worker's composition root.
    import worker as composition_root

    settings = load_settings()
    composition_root.configure_logging(settings)  # LOG_FORMAT: json or text
    asyncio.run(composition_root.serve(settings))


def _exit_status(exit: SystemExit) -> int:
    if exit.code is None:
        return 0
    if isinstance(exit.code, int):
        return exit.code
    print(exit.code, file=sys.stderr)
    return 1


def run() -> None:
    """Run the `partnerships` app and leave the process with its exit status."""
    try:
        app()
        status = 0
    except SystemExit as exit:
        status = _exit_status(exit)
    exit_without_teardown(status)
