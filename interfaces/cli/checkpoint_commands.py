"""`partnerships checkpoint`: sign the log's state now, export the signatures, show the key.

Checkpoints anchor the record outside the database (activities/checkpoints.py); `partnerships
verify --against FILE` compares the log with an exported file.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from activities.checkpoint_file import CheckpointFileInvalid, export_checkpoints
from activities.checkpoint_keys import key_id, public_pem
from activities.checkpoints import kept, make_checkpoint, store
from app.checkpoint_signing import checkpoint_key, trusted_key
from interfaces.cli.store_commands import PANEL, _store
from interfaces.terminal import CliError, ExitCode, err, out, reported
from settings import load_settings

checkpoint_app = typer.Typer(
    no_args_is_help=True,
    help="Signed checkpoints of the log, kept outside the database for `verify --against`.",
)


@checkpoint_app.command("create")
@reported
def create() -> None:
    """Sign the log's stream heads and global chain as they stand, and keep the checkpoint."""
    settings = load_settings()
    key = checkpoint_key(settings)
    event_store = _store()
    engine = event_store.engine
    report = event_store.verify()
    if not report.ok:
        raise CliError(
            f"no checkpoint signed: the record does not hold ({report.breaks[0]}); "
            "`partnerships verify` names every break",
            code=ExitCode.REJECTED,
        )
    signed = make_checkpoint(engine, key, datetime.datetime.now(datetime.UTC))
    fresh = store(engine, signed)
    checkpoint = signed.checkpoint
    out.print(
        f"{'Signed' if fresh else 'Already signed'}: checkpoint at position "
        f"{checkpoint.position} ({checkpoint.events} event(s), {len(checkpoint.heads)} "
        f"stream(s)), global chain {checkpoint.global_chain[:16]}…, key {checkpoint.key_id[:16]}…",
        soft_wrap=True,
    )


@checkpoint_app.command("export")
@reported
def export(
    path: Annotated[
        Path, typer.Argument(help="The file to append to (JSON lines); made when missing.")
    ],
    public_key: Annotated[
        Path | None,
        typer.Option(
            "--public-key",
            help="The PEM public key the checkpoints must verify with; default: the public "
            "half of CHECKPOINT_SIGNING_KEY_FILE (so the exporting host needs no private key).",
        ),
    ] = None,
) -> None:
    """Append the kept checkpoints the file lacks; never rewrite a line already in it."""
    key = trusted_key(load_settings(), public_key)
    good, bad = kept(_store().engine, key)
    for problem in bad:
        err.print(f"[bold red]not exported[/] {escape(problem)}", soft_wrap=True)
    try:
        exported = export_checkpoints(path, good, key)
    except CheckpointFileInvalid as error:
        raise CliError(
            f"{error}; nothing was written (the file is only ever appended to, so its lines must "
            "all verify first)",
            code=ExitCode.REJECTED,
        ) from None
    out.print(
        f"Exported {exported.added} checkpoint(s) to {escape(str(path))}, up to position "
        f"{exported.position}.",
        soft_wrap=True,
    )
    if bad:
        raise CliError(
            f"{len(bad)} checkpoint(s) in the database do not verify with the checkpoint key",
            code=ExitCode.REJECTED,
        )


@checkpoint_app.command("public-key")
@reported
def public_key() -> None:
    """Print the checkpoint key's public half (PEM) and its id, for auditors."""
    public = checkpoint_key(load_settings()).public_key()
    out.print(public_pem(public).rstrip(), highlight=False)
    out.print(f"key id {key_id(public)}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add `checkpoint` to the `partnerships` app."""
    app.add_typer(checkpoint_app, name="checkpoint", rich_help_panel=PANEL)
