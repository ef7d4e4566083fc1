"""Who is told what: `subscribers add|remove|list|secret` keep the subscriptions to report-back
milestones.

Like `access`, these write the directory's stream in the event store directly (DATABASE_URL),
on the database's host. A webhook subscriber's secret is derived from WEBHOOK_SIGNING_KEY and
never stored: `add` prints it once, and `secret` shows it again to whoever holds the key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Annotated, Any, Final

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from activities.directory_store import DirectoryStore
from activities.webhook_signatures import SigningKeyError, secret_for, signing_key
from domain.errors import DomainError
from domain.explain import explain_validation_error
from domain.regions import Region
from domain.state import MilestoneKind
from domain.subscriptions import (
    DestinationKind,
    Subscribe,
    Subscription,
    UnknownSubscription,
    Unsubscribe,
)
from interfaces.terminal import CliError, ExitCode, out, reported
from migrations.readiness import open_ready_engine
from settings import Settings, load_settings

PANEL: Final = "Who is who"

_KINDS: Final = ", ".join(kind.value for kind in MilestoneKind)
_REGIONS: Final = ", ".join(region.value for region in Region)

# Each command field's option, for refusals of a malformed value.
_OPTION_FOR: Final = {
    "name": "NAME",
    "destination": "--webhook/--email",
    "kinds": "--kinds",
    "regions": "--regions",
    "countries": "--countries",
    "subscribed_by": "--by",
    "removed_by": "--by",
    "subscription_id": "NAME",
    "reason": "--reason",
}

subscribers_app = typer.Typer(
    no_args_is_help=True, help="Add, remove and list who is told of report-back milestones."
)


def _directory(settings: Settings) -> DirectoryStore:
    return DirectoryStore(open_ready_engine(settings.database_url))


def _refused(error: ValidationError | DomainError) -> CliError:
    if isinstance(error, ValidationError):
        detail = explain_validation_error(error, labels=_OPTION_FOR)
        return CliError(f"refused: {detail}", code=ExitCode.USAGE)
    return CliError(f"refused: {error.message}")


def _listed(values: Iterable[str] | None) -> tuple[str, ...]:
    """Repeated options and comma-separated lists alike: `--kinds a,b --kinds c`."""
    return tuple(
        part.strip() for value in values or () for part in value.split(",") if part.strip()
    )


def webhook_secret(settings: Settings, subscription: Subscription) -> str:
    """The webhook secret of `subscription`, from the settings' signing key."""
    try:
        key = signing_key(
            settings.webhook_signing_key,
            production=settings.partnerships_env == "production",
            data_dir=settings.data_dir,
        )
    except SigningKeyError as error:
        raise CliError(str(error), code=ExitCode.USAGE) from None
    return secret_for(key, subscription.subscription_id)


def _found(directory: DirectoryStore, name: str) -> Subscription:
    held = directory.subscription(name.strip())
    if held is None:
        raise CliError(
            f"no subscriber is named or has the id {name!r}; `partnerships subscribers list` "
            "shows the active ones",
            code=ExitCode.NOT_FOUND,
        )
    return held


@subscribers_app.command("add")
@reported
def add(
    name: Annotated[str, typer.Argument(help="The subscriber's name, e.g. council-secretariat")],
    by: Annotated[str, typer.Option("--by", help="Who adds it (recorded with the subscription)")],
    webhook: Annotated[
        str | None,
        typer.Option("--webhook", help="Send signed requests to this https:// address"),
    ] = None,
    email: Annotated[
        str | None, typer.Option("--email", help="Send e-mails to this address")
    ] = None,
    kinds: Annotated[
        list[str] | None,
        typer.Option("--kinds", help=f"Only these milestone kinds (comma-separated): {_KINDS}"),
    ] = None,
    regions: Annotated[
        list[str] | None,
        typer.Option("--regions", help=f"Only these regions (comma-separated): {_REGIONS}"),
    ] = None,
    countries: Annotated[
        list[str] | None,
        typer.Option("--countries", help="Only these countries (comma-separated), e.g. CV,MD"),
    ] = None,
    history: Annotated[
        bool,
        typer.Option("--history", help="Also deliver the milestones recorded before it is added"),
    ] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why it is added")] = None,
) -> None:
    """Add a subscriber, told of every milestone its filter lets through (empty: all)."""
    if (webhook is None) == (email is None):
        raise CliError(
            "give exactly one of --webhook https://… or --email name@domain", code=ExitCode.USAGE
        )
    # One destination string reaches the domain, which tells the two apart by their form.
    if webhook is not None and "://" not in webhook:
        raise CliError(
            f"--webhook {webhook!r} is not a web address; write it as https://host/path, e.g. "
            "https://council.example.eu/hooks/milestones",
            code=ExitCode.USAGE,
        )
    if email is not None and ("://" in email or "@" not in email):
        raise CliError(
            f"--email {email!r} is not an e-mail address; write it as name@domain, e.g. "
            "secretariat@consilium.europa.eu",
            code=ExitCode.USAGE,
        )
    settings = load_settings()
    try:
        command = Subscribe(
            name=name,
            destination=webhook if webhook is not None else f"mailto:{email}",
            kinds=_listed(kinds),
            regions=_listed(regions),
            countries=_listed(countries),
            history=history,
            subscribed_by=by,
            reason=reason,
        )
        directory = _directory(settings)
        added = directory.subscribe(
            command,
            allow_loopback_http=settings.partnerships_env != "production",
            provenance={"channel": "cli"},
        )
    except (ValidationError, DomainError) as error:
        raise _refused(error) from None
    out.print(
        f"Added subscriber {escape(added.name)} ({added.subscription_id}): "
        f"{added.destination.kind.value} to {escape(added.destination.address)}, "
        f"{escape(added.filter.describe())}"
        + (", with the milestones recorded before it." if added.history else "."),
        soft_wrap=True,
    )
    if added.destination.kind is DestinationKind.WEBHOOK:
        out.print(
            "Its webhook secret, for the receiver to verify each request (shown again by "
            f"`partnerships subscribers secret {escape(added.name)}`):",
            soft_wrap=True,
        )
        out.print(webhook_secret(settings, added), markup=False, soft_wrap=True)


@subscribers_app.command("remove")
@reported
def remove(
    name: Annotated[str, typer.Argument(help="The subscriber's name or id, as `list` shows it")],
    by: Annotated[str, typer.Option("--by", help="Who removes it (recorded with the removal)")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why it is removed")] = None,
) -> None:
    """Remove a subscriber; it is told of nothing more."""
    directory = _directory(load_settings())
    held = _found(directory, name)
    try:
        command = Unsubscribe(subscription_id=held.subscription_id, removed_by=by, reason=reason)
        removed = directory.unsubscribe(command, provenance={"channel": "cli"})
    except UnknownSubscription as error:
        raise CliError(f"refused: {error.message}", code=ExitCode.NOT_FOUND) from None
    except (ValidationError, DomainError) as error:
        raise _refused(error) from None
    out.print(
        f"Removed subscriber {escape(removed.name)} ({removed.subscription_id}) from "
        f"{removed.ended_on.isoformat() if removed.ended_on else 'today'}.",
        soft_wrap=True,
    )


def as_json(subscription: Subscription) -> dict[str, Any]:
    """A subscription as `list --json` shows it."""
    return {**subscription.model_dump(mode="json"), "active": subscription.active}


def _table(subscriptions: list[Subscription], *, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("id", "name", "destination", "filter", "history", "added", "ended"):
        table.add_column(column, no_wrap=column in {"id", "history"})
    for s in subscriptions:
        ended = f"{s.ended} {s.ended_on.isoformat()} by {s.ended_by}" if s.ended_on else ""
        # Names and addresses are typed by people: never parse them as markup.
        table.add_row(
            s.subscription_id,
            escape(s.name),
            escape(f"{s.destination.kind.value}: {s.destination.address}"),
            escape(s.filter.describe()),
            "yes" if s.history else "no",
            escape(f"{s.subscribed_on.isoformat()} by {s.subscribed_by}"),
            escape(ended),
        )
    return table


@subscribers_app.command("list")
@reported
def list_subscribers(
    include_ended: Annotated[
        bool, typer.Option("--all", help="Removed and stopped subscribers too, with why.")
    ] = False,
    as_json_: Annotated[
        bool, typer.Option("--json", help="One JSON document, for scripts.")
    ] = False,
) -> None:
    """The subscribers, in the order added."""
    subscriptions = _directory(load_settings()).subscriptions(include_ended=include_ended)
    if as_json_:
        out.print_json(json.dumps([as_json(s) for s in subscriptions], ensure_ascii=False))
        return
    if not subscriptions:
        out.print("No subscriber has been added." if include_ended else "No subscriber.")
        return
    out.print(_table(subscriptions, title="Every subscriber" if include_ended else "Subscribers"))


@subscribers_app.command("secret")
@reported
def secret(
    name: Annotated[str, typer.Argument(help="The webhook subscriber's name or id")],
) -> None:
    """Show a webhook subscriber's secret again (it is derived from WEBHOOK_SIGNING_KEY)."""
    settings = load_settings()
    held = _found(_directory(settings), name)
    if held.destination.kind is not DestinationKind.WEBHOOK:
        raise CliError(
            f"{held.name} is told by e-mail, which is not signed; only a webhook subscriber "
            "has a secret"
        )
    # Only the secret on stdout, so `SECRET=$(partnerships subscribers secret …)` captures it.
    print(webhook_secret(settings, held))


def register(app: typer.Typer) -> None:
    """Add `subscribers` to the `partnerships` app."""
    app.add_typer(subscribers_app, name="subscribers", rich_help_panel=PANEL)
