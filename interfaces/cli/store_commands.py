"""The store's commands: `db upgrade`, `events`, `verify` (also against signed checkpoints and
Temporal's histories) and `projections rebuild`.

Each expected failure (no database, an unmigrated one, an unreachable server) is one sentence
naming the URL, password hidden, and the fix; never a traceback.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
import typer
from rich.markup import escape
from rich.table import Table

from activities.checkpoint_file import CheckpointFileInvalid, read_checkpoints
from activities.checkpoints import compare_with_log
from activities.database import create_engine_from_url, redacted
from activities.eventstore import EventStore
from activities.projections import Projections
from activities.records import StoredEvent
from activities.store_errors import DatabaseUnreachable
from app.checkpoint_signing import trusted_key
from domain.errors import DomainError
from domain.identifiers import resolve_stream
from interfaces.terminal import CliError, ExitCode, out, reported
from migrations.readiness import open_ready_engine
from settings import load_settings

PANEL = "The permanent record"

db_app = typer.Typer(no_args_is_help=True, help="Create or migrate the event store's schema.")
projections_app = typer.Typer(no_args_is_help=True, help="Look after the read models.")


def _store(*, ready: bool = True) -> EventStore:
    url = load_settings().database_url
    return EventStore(open_ready_engine(url) if ready else create_engine_from_url(url))


@db_app.command("upgrade")
@reported
def db_upgrade() -> None:
    """Migrate the database named by DATABASE_URL to the latest schema (creating it if new)."""
    from migrations import runner

    url = load_settings().database_url
    engine = create_engine_from_url(url)  # validates the URL and makes SQLite's directory
    engine.dispose()
    try:
        runner.upgrade(url)
    except sa.exc.DBAPIError as error:
        raise DatabaseUnreachable(redacted(url), str(error.orig).strip().splitlines()[0]) from None
    out.print(f"The database at {escape(redacted(url))} is at revision {runner.head_revision()}.")


def _resolve_stream(store: EventStore, stream: str) -> str:
    """The stream a name means: a stream id as given, or a country's or workflow id's latest."""
    try:
        resolved = resolve_stream(stream, store.streams)
    except DomainError as error:
        raise CliError(str(error), code=ExitCode.USAGE) from None
    if resolved is None:
        raise CliError(
            f"no partnership has been recorded for {stream.strip()}", code=ExitCode.NOT_FOUND
        )
    return resolved


def _as_json(event: StoredEvent) -> dict[str, Any]:
    return {
        "position": event.position,
        "stream_id": event.stream_id,
        "stream_version": event.stream_version,
        "event_id": str(event.event_id),
        "type": event.type,
        "schema_version": event.schema_version,
        "occurred_on": event.occurred_on.isoformat(),
        "recorded_at": event.recorded_at.isoformat(),
        "payload": event.payload,
        "metadata": event.metadata,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def _actor(event: StoredEvent) -> str:
    actor = event.metadata.get("actor") or event.payload.get("actor") or {}
    if not isinstance(actor, dict):
        return str(actor)
    who = f"{actor.get('role', '?')}:{actor.get('id', '?')}"
    return f"{who} ({actor['member_state']})" if actor.get("member_state") else who


def _print(events: Iterable[StoredEvent], title: str) -> int:
    table = Table(title=escape(title), title_justify="left")
    for column in ("pos", "stream", "ver", "type", "business date", "recorded at (UTC)", "actor"):
        table.add_column(column, no_wrap=column != "type")
    count = 0
    for e in events:
        count += 1
        table.add_row(
            str(e.position),
            escape(e.stream_id),
            str(e.stream_version),
            escape(e.type if e.schema_version == 1 else f"{e.type} v{e.schema_version}"),
            e.occurred_on.isoformat(),
            e.recorded_at.strftime("%Y-%m-%d %H:%M:%S"),
            # Actor ids are typed by people and may contain brackets: never parse them.
            escape(_actor(e)),
        )
    if count:
        out.print(table)
    return count


@reported
def events(
    stream: Annotated[
        str | None,
        typer.Argument(
            help="A stream id (partnership-CV/2), or a country code (CV) or workflow id "
            "(partnership-CV) for its latest stream."
        ),
    ] = None,
    from_: Annotated[
        int,
        typer.Option("--from", min=0, help="First stream version (or global position) to show."),
    ] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON document, for scripts.")
    ] = False,
) -> None:
    """Show the recorded events of one partnership, or of the whole log, oldest first."""
    store = _store()
    if stream is not None:
        stream_id = _resolve_stream(store, stream)
        selected: Iterable[StoredEvent] = store.read_stream(stream_id, from_version=max(from_, 1))
        title = f"Events of {stream_id}"
    else:
        selected = store.iter_all(from_position=max(from_ - 1, 0))
        title = "The event log"
    if as_json:
        out.print_json(json.dumps([_as_json(e) for e in selected], ensure_ascii=False))
        return
    if _print(selected, title) == 0:
        out.print("No events recorded" + (f" in {escape(stream)}." if stream else "."))


@reported
def verify(
    stream: Annotated[
        str | None, typer.Argument(help="Check only this stream (or country).")
    ] = None,
    against: Annotated[
        Path | None,
        typer.Option(
            "--against",
            help="Also compare the log with the signed checkpoints in this file "
            "(`partnerships checkpoint export`).",
        ),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option(
            "--public-key",
            help="The PEM public key the checkpoints must verify with; default: the public "
            "half of CHECKPOINT_SIGNING_KEY_FILE.",
        ),
    ] = None,
    against_temporal: Annotated[
        bool,
        typer.Option(
            "--against-temporal",
            help="Also compare the heads each append reported to Temporal's histories.",
        ),
    ] = False,
) -> None:
    """Recompute every stream's hash chain; exit non-zero naming the first break, if any."""
    store = _store()
    report = store.verify(_resolve_stream(store, stream) if stream else None)
    problems = [str(problem) for problem in report.breaks]
    if report.ok:
        out.print(
            f"Every chain holds: {report.streams_checked} stream(s), "
            f"{report.events_checked} event(s) checked."
        )
    if against is not None:
        problems += _against_checkpoints(store, against, public_key)
    if against_temporal:
        problems += _against_temporal(store)
    if not problems:
        return
    for problem in problems:
        out.print(f"[bold red]BROKEN[/] {escape(problem)}", soft_wrap=True)
    raise CliError(
        f"the record has been tampered with: first break in {problems[0]}",
        code=ExitCode.REJECTED,
    )


def _against_checkpoints(store: EventStore, path: Path, public_key: Path | None) -> list[str]:
    """What disagrees between the log and the signed checkpoints in `path`."""
    key = trusted_key(load_settings(), public_key)
    try:
        signed = read_checkpoints(path, key)
    except CheckpointFileInvalid as error:
        raise CliError(
            f"the checkpoints cannot be trusted: {error}", code=ExitCode.REJECTED
        ) from None
    if not signed:
        raise CliError(f"{path} holds no checkpoint to compare with", code=ExitCode.REJECTED)
    with store.engine.connect() as conn:
        anchored = compare_with_log(conn, [s.checkpoint for s in signed])
    if anchored.ok:
        out.print(
            f"The log agrees with {anchored.checkpoints} signed checkpoint(s) up to position "
            f"{anchored.position}; {anchored.uncovered} event(s) recorded since are not yet "
            "covered by one.",
            soft_wrap=True,
        )
    return anchored.problems


def _against_temporal(store: EventStore) -> list[str]:
    """What disagrees between the log and the heads Temporal's histories hold."""
    from app.temporal_heads import compare_with_temporal

    compared = asyncio.run(compare_with_temporal(load_settings(), store.engine))
    if compared.ok:
        out.print(
            f"The log agrees with {compared.heads} head(s) reported by appends in "
            f"{compared.workflows} workflow history(ies)"
            + (
                f"; {compared.gone} run(s) are past the namespace's retention."
                if compared.gone
                else "."
            ),
            soft_wrap=True,
        )
    return [str(problem) for problem in compared.breaks]


@projections_app.command("rebuild")
@reported
def projections_rebuild() -> None:
    """Empty the read models and refold them from the whole log."""
    store = _store()
    report = Projections(store.engine).rebuild()
    out.print(
        f"Rebuilt the read models from {report.events} event(s) in {report.streams} stream(s), "
        f"up to position {report.checkpoint}."
    )


@projections_app.command("catch-up")
@reported
def projections_catch_up() -> None:
    """Fold whatever was appended since the read models' checkpoint."""
    store = _store()
    handled = Projections(store.engine).catch_up()
    out.print(f"Folded {handled} event(s) into the read models.")


def register(app: typer.Typer) -> None:
    """Add the store's commands to the `partnerships` app."""
    app.add_typer(db_app, name="db", rich_help_panel=PANEL)
    app.add_typer(projections_app, name="projections", rich_help_panel=PANEL)
    app.command("events", rich_help_panel=PANEL)(events)
    app.command("verify", rich_help_panel=PANEL)(verify)
