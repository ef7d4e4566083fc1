"""Who is who: `access grant|revoke|list` keep the directory of role bindings, and `token`
prints a development token.

These write the directory's stream in the event store directly (DATABASE_URL), so the first
administrator is granted here, on the database's host, before anyone can call the API.
`token` is for development only: it grants the binding the user needs when missing (saying so
on stderr) and prints a token of the development issuer on stdout, for `$(partnerships token …)`.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Final

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from activities.directory_store import DirectoryStore
from app.dev_issuer import (
    AS_FORMAT,
    DEFAULT_TTL,
    MAX_TTL,
    DevToken,
    DevUserInvalid,
    dev_token,
    parse_dev_user,
)
from app.identity import trusted_issuer
from domain.directory import (
    Binding,
    BindingRole,
    GrantRole,
    InvalidBinding,
    RevokeRole,
)
from domain.errors import DomainError
from domain.explain import explain_validation_error
from interfaces.terminal import CliError, ExitCode, err, out, reported
from migrations.readiness import open_ready_engine
from settings import Settings, load_settings

PANEL: Final = "Who is who"
ROLE_FORMAT: Final = "ROLE[:MS], e.g. commission, presidency:PT, member_state:PT or administrator"

_ROLE_NAMES: Final = ", ".join(role.value for role in BindingRole)

# Each command field's option, for refusals of a malformed value.
_OPTION_FOR: Final = {
    "issuer": "--issuer",
    "subject": "SUBJECT",
    "role": "--role",
    "member_state": "--role's Member State",
    "valid_from": "--from",
    "granted_by": "--by",
    "revoked_by": "--by",
    "binding_id": "BINDING_ID",
    "reason": "--reason",
}

access_app = typer.Typer(no_args_is_help=True, help="Grant, revoke and list role bindings.")


def _directory() -> DirectoryStore:
    return DirectoryStore(open_ready_engine(load_settings().database_url))


def _role(text: str, *, option: str) -> BindingRole:
    # People type member-state as often as member_state; both mean the same role.
    try:
        return BindingRole(text.strip().lower().replace("-", "_"))
    except ValueError:
        raise CliError(
            f"unknown role {text!r} in {option}; the roles are: {_ROLE_NAMES}", code=ExitCode.USAGE
        ) from None


def parse_role(text: str) -> tuple[BindingRole, str | None]:
    """`ROLE[:MS]` as a role and its Member State (None when not given)."""
    role_text, sep, member_state = text.strip().partition(":")
    role = _role(role_text, option="--role")
    return role, member_state.strip() if sep else None


def parse_as(text: str) -> tuple[BindingRole, str | None, str]:
    """`ROLE[:MS]:USER` as a role, its Member State (None when not given) and the user.

    The development issuer's own rule (`parse_dev_user`), which its sign-in page applies too;
    here a refusal is a usage error naming the option.
    """
    try:
        return parse_dev_user(text)
    except DevUserInvalid as error:
        raise CliError(f"--as {error}", code=ExitCode.USAGE) from None


def _day(text: str | None, *, option: str) -> date:
    if text is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CliError(
            f"{option} {text!r} is not a date; write it as YYYY-MM-DD", code=ExitCode.USAGE
        ) from None


def _refused(error: ValidationError | DomainError) -> CliError:
    if isinstance(error, ValidationError):
        detail = explain_validation_error(error, labels=_OPTION_FOR)
        return CliError(f"refused: {detail}", code=ExitCode.USAGE)
    return CliError(f"refused: {error.message}")


def _provenance() -> dict[str, Any]:
    return {"channel": "cli"}


@access_app.command("grant")
@reported
def grant(
    subject: Annotated[
        str, typer.Argument(help="The user's subject (`sub`) at the issuer, e.g. a login name")
    ],
    role: Annotated[str, typer.Option("--role", help=f"The role: {ROLE_FORMAT}")],
    by: Annotated[str, typer.Option("--by", help="Who grants it (recorded with the grant)")],
    issuer: Annotated[
        str | None,
        typer.Option(
            "--issuer", help="The token issuer (`iss`); default: OIDC_ISSUER, else the dev issuer"
        ),
    ] = None,
    from_: Annotated[
        str | None,
        typer.Option("--from", help="First day the binding holds (YYYY-MM-DD); default: today"),
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why it is granted")] = None,
) -> None:
    """Bind a user of the token issuer to a role, from a day until revoked."""
    settings = load_settings()
    bound_role, member_state = parse_role(role)
    try:
        command = GrantRole(
            issuer=issuer if issuer is not None else trusted_issuer(settings),
            subject=subject,
            role=bound_role,
            member_state=member_state,
            valid_from=_day(from_, option="--from"),
            granted_by=by,
            reason=reason,
        )
        binding = _directory().grant(command, provenance=_provenance())
    except (ValidationError, DomainError) as error:
        raise _refused(error) from None
    out.print(
        f"Granted {escape(binding.label())} to {escape(binding.subject)} of "
        f"{escape(binding.issuer)} from {binding.valid_from.isoformat()}: "
        f"binding {binding.binding_id}."
    )


@access_app.command("revoke")
@reported
def revoke(
    binding_id: Annotated[str, typer.Argument(help="The binding's id, as `access list` shows it")],
    by: Annotated[str, typer.Option("--by", help="Who revokes it (recorded with the revocation)")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why it is revoked")] = None,
) -> None:
    """Revoke a role binding; it stops holding today."""
    try:
        command = RevokeRole(binding_id=binding_id.strip(), revoked_by=by, reason=reason)
        binding = _directory().revoke(command, provenance=_provenance())
    except (ValidationError, DomainError) as error:
        raise _refused(error) from None
    revoked_on = binding.revoked_on.isoformat() if binding.revoked_on else "today"
    out.print(
        f"Revoked binding {binding.binding_id} ({escape(binding.label())} of "
        f"{escape(binding.subject)}) from {revoked_on}."
    )


def _as_json(binding: Binding) -> dict[str, Any]:
    return binding.model_dump(mode="json")


def _table(bindings: list[Binding], *, title: str) -> Table:
    issuers = {b.issuer for b in bindings}
    # One issuer (the usual case) is named once, in the title, leaving the columns the room.
    shared = issuers.pop() if len(issuers) == 1 else None
    table = Table(
        title=escape(f"{title} (issuer {shared})" if shared else title), title_justify="left"
    )
    columns = ["id", "subject", "role", "from", "granted", "revoked"]
    if shared is None:
        columns.insert(3, "issuer")
    for column in columns:
        table.add_column(column, no_wrap=column in {"id", "role", "from"})
    for b in bindings:
        # Names are typed by people and may contain brackets: never parse them as markup.
        cells = [
            b.binding_id,
            escape(b.subject),
            escape(b.label()),
            b.valid_from.isoformat(),
            escape(f"{b.granted_on.isoformat()} by {b.granted_by}"),
            escape(f"{b.revoked_on.isoformat()} by {b.revoked_by}" if b.revoked_on else ""),
        ]
        if shared is None:
            cells.insert(3, escape(b.issuer))
        table.add_row(*cells)
    return table


@access_app.command("list")
@reported
def list_bindings(
    include_revoked: Annotated[
        bool, typer.Option("--all", help="Revoked bindings too, with who revoked them.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON document, for scripts.")
    ] = False,
) -> None:
    """The role bindings of the directory, in the order granted."""
    bindings = _directory().listed(include_revoked=include_revoked)
    if as_json:
        out.print_json(json.dumps([_as_json(b) for b in bindings], ensure_ascii=False))
        return
    if not bindings:
        out.print("No role binding has been granted." if include_revoked else "No role binding.")
        return
    out.print(_table(bindings, title="Every role binding" if include_revoked else "Role bindings"))


@reported
def token(
    as_: Annotated[str, typer.Option("--as", help=f"Who the token is for: {AS_FORMAT}")],
    ttl_minutes: Annotated[
        int,
        typer.Option(
            "--ttl",
            min=1,
            max=int(MAX_TTL.total_seconds() // 60),
            help="How many minutes the token lives.",
        ),
    ] = int(DEFAULT_TTL.total_seconds() // 60),
) -> None:
    """Print a token of the development issuer (development only), granting the role if needed."""
    token_text = development_token(load_settings(), as_, ttl=timedelta(minutes=ttl_minutes))
    # Only the token on stdout, so `TOKEN=$(partnerships token --as …)` captures it whole.
    print(token_text)


def development_token(settings: Settings, as_text: str, *, ttl: timedelta) -> str:
    """A token of the development issuer for `--as`, granting the binding it needs (said so).

    `partnerships token` prints it; the CLI's steps through the API send it.
    """
    role, member_state, user = parse_as(as_text)
    try:
        issued = dev_token(
            settings,
            DirectoryStore(open_ready_engine(settings.database_url)),
            role=role,
            user=user,
            member_state=member_state,
            ttl=ttl,
        )
    except InvalidBinding as error:
        if role is BindingRole.PRESIDENCY and member_state is None:
            raise CliError(
                f"--as {as_text!r}: {user} holds no presidency binding yet, and granting one "
                f"needs the Member State holding the Presidency, e.g. --as presidency:PT:{user}",
                code=ExitCode.USAGE,
            ) from None
        raise _refused(error) from None
    except (ValidationError, DomainError) as error:
        raise _refused(error) from None
    _say_granted(issued)
    return issued.token


def _say_granted(issued: DevToken) -> None:
    if issued.granted:
        b = issued.binding
        err.print(
            f"Granted {b.label()} to {b.subject} of {b.issuer} (binding {b.binding_id}), "
            "which the token needs.",
            markup=False,
            soft_wrap=True,
        )


def register(app: typer.Typer) -> None:
    """Add `access` and `token` to the `partnerships` app."""
    app.add_typer(access_app, name="access", rich_help_panel=PANEL)
    app.command("token", rich_help_panel=PANEL)(token)
