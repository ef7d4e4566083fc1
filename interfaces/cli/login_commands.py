"""`partnerships db logins`: the PostgreSQL users the worker, the API and read-only tools log in as.

Run as the owner (DATABASE_URL, as `db upgrade` is) after the migrations. Each login is given as
the very URL its service connects with (WRITER_DATABASE_URL, READER_DATABASE_URL), so the user
name and password are written once, in the deployment's configuration, and cannot drift from
what the services use. The SQL lives in migrations/logins.py.
"""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
import typer
from rich.markup import escape
from sqlalchemy.engine import URL

from activities.database import normalise_url, redacted
from activities.store_errors import DatabaseUnreachable
from interfaces.terminal import CliError, ExitCode, out, reported
from migrations.append_only import READER, WRITER
from migrations.logins import Login, LoginRefused, ensure_login
from migrations.readiness import open_ready_engine
from settings import load_settings


def _login(option: str, url: str, group: str, database: str | None) -> Login:
    """The login a service's URL names, checked against the database being migrated."""
    parsed: URL = normalise_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise CliError(
            f"{option} is {redacted(parsed)}; logins are PostgreSQL users, so give a "
            "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE URL",
            code=ExitCode.USAGE,
        )
    if not parsed.username or not parsed.password:
        raise CliError(
            f"{option} ({redacted(parsed)}) names no user or no password; give both, as "
            "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE",
            code=ExitCode.USAGE,
        )
    if parsed.database != database:
        raise CliError(
            f"{option} names the database {parsed.database!r} but DATABASE_URL names "
            f"{database!r}; a login is made for the database the migrations ran on, so name "
            "the same one",
            code=ExitCode.USAGE,
        )
    return Login(parsed.username, str(parsed.password), group)


@reported
def db_logins(
    writer_url: Annotated[
        str | None,
        typer.Option(
            "--writer-url",
            envvar="WRITER_DATABASE_URL",
            show_envvar=True,
            help="The URL the worker and the API connect with: its user is made a member of "
            f"{WRITER} only, with its password.",
        ),
    ] = None,
    reader_url: Annotated[
        str | None,
        typer.Option(
            "--reader-url",
            envvar="READER_DATABASE_URL",
            show_envvar=True,
            help=f"The URL read-only tools connect with: its user is made a member of {READER} "
            "only, with its password.",
        ),
    ] = None,
) -> None:
    """Create (or update) the login users of the writer and reader roles, as DATABASE_URL's user.

    Idempotent: run it at every start; a changed password in the URL is set again.
    """
    given = (("--writer-url", writer_url, WRITER), ("--reader-url", reader_url, READER))
    wanted = [(option, url, group) for option, url, group in given if url]
    if not wanted:
        raise CliError(
            "no login to make: give --writer-url (WRITER_DATABASE_URL), --reader-url "
            "(READER_DATABASE_URL) or both",
            code=ExitCode.USAGE,
        )
    owner_url = normalise_url(load_settings().database_url)
    if owner_url.get_backend_name() != "postgresql":
        raise CliError(
            f"DATABASE_URL is {redacted(owner_url)}; SQLite has no users, so logins are made "
            "on PostgreSQL only (postgresql+psycopg://OWNER:PASSWORD@HOST:PORT/DATABASE)",
            code=ExitCode.USAGE,
        )
    logins = [_login(option, url, group, owner_url.database) for option, url, group in wanted]
    # Ready: the group roles exist once the migrations are at head.
    engine = open_ready_engine(owner_url)
    try:
        for login in logins:
            with engine.begin() as conn:
                outcome = ensure_login(conn, login)
            out.print(
                f"The login {escape(login.name)} was {outcome.value}: a member of "
                f"{login.group} only, with the password its URL gives.",
                soft_wrap=True,
            )
    except LoginRefused as refused:
        raise CliError(str(refused), code=ExitCode.REJECTED) from None
    except sa.exc.OperationalError as error:
        raise DatabaseUnreachable(redacted(owner_url), _first_line(error)) from None
    except sa.exc.DBAPIError as error:
        raise CliError(
            f"{redacted(owner_url)} refused to make the logins: {_first_line(error)}; run this "
            "as the database's owner made by the PostgreSQL image, or as a user with CREATEROLE "
            f"and ADMIN OPTION on {WRITER} and {READER}",
            code=ExitCode.REJECTED,
        ) from None
    finally:
        engine.dispose()


def _first_line(error: sa.exc.DBAPIError) -> str:
    text = str(error.orig).strip()
    return text.splitlines()[0] if text else type(error.orig).__name__


def register(db: typer.Typer) -> None:
    """Add `logins` to the `db` group (store_commands' `db_app`, beside `db upgrade`)."""
    db.command("logins")(db_logins)
