"""`partnerships mail`: the e-mails the development SMTP sink of `partnerships dev` caught.

Each message is a `.eml` file in `DATA_DIR/mail/` (any mail client opens one); this lists
them, newest last, with their parts and attachments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from interfaces.terminal import out, reported
from settings import load_settings
from tools.mail_sink import MAIL_SUBDIRECTORY, caught


@reported
def mail(
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Where the sink writes; default: DATA_DIR/mail"),
    ] = None,
    last: Annotated[int, typer.Option("--last", min=1, help="Only the last N messages.")] = 20,
) -> None:
    """List the e-mails the local SMTP sink of `partnerships dev` caught."""
    where = directory or Path(load_settings().data_dir) / MAIL_SUBDIRECTORY
    messages = caught(where)[-last:]
    if not messages:
        out.print(f"No e-mail caught in {escape(str(where))} yet.")
        return
    for m in messages:
        # Addresses and subjects come from outside: never parse them as markup.
        out.print(
            f"[bold]{m.received:%Y-%m-%d %H:%M:%S} UTC[/bold]  to {escape(m.to)}  "
            f"({escape(m.path.name)})"
        )
        out.print(f"  {escape(m.subject)}")
        attached = f"; attached: {', '.join(m.attachments)}" if m.attachments else ""
        out.print(f"  {escape(', '.join(m.parts) + attached)}")
    out.print(f"{len(messages)} shown, in {escape(str(where))}")


def register(app: typer.Typer) -> None:
    """Add `mail` to the `partnerships` app."""
    app.command("mail", rich_help_panel="Running the system")(mail)
