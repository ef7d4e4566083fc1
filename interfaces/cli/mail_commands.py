"""`partnerships mail`: the e-mails the development SMTP sink of `partnerships dev` caught.

Each message is a `.eml` file in `DATA_DIR/mail/` (any mail client opens one); this lists
them, newest last, with their parts and attachments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

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
    table = Table(title=escape(f"E-mails caught in {where}"), title_justify="left")
    for column in ("received (UTC)", "to", "subject", "parts", "file"):
        table.add_column(column, no_wrap=column == "received (UTC)")
    for m in messages:
        parts = ", ".join(m.parts)
        table.add_row(
            m.received.strftime("%Y-%m-%d %H:%M:%S"),
            escape(m.to),
            escape(m.subject),
            escape(parts + (f"; attached: {', '.join(m.attachments)}" if m.attachments else "")),
            escape(m.path.name),
        )
    out.print(table)


def register(app: typer.Typer) -> None:
    """Add `mail` to the `partnerships` app."""
    app.command("mail", rich_help_panel="Running the system")(mail)
