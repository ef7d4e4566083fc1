"""Login users for the group roles of least privilege (migrations/append_only.py), on PostgreSQL.

Migration 0005 makes the NOLOGIN group roles; a deployment still needs users that log in. The
worker and the API log in as one that is a member of `partnerships_writer` and of no other of
the three; read-only tools as one that is a member of `partnerships_reader` only. `ensure_login`
makes such a user, or brings an existing one back to that shape and sets its password, so it
may run at every start (and rotates a password when the deployment changes it).

It runs as a user that may create roles and grant the group roles: the database's owner made by
the PostgreSQL image (a superuser), or one with CREATEROLE and ADMIN OPTION on the groups.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from migrations.append_only import READER, ROLES, WRITER

GROUPS: Final = (WRITER, READER)
"""The groups a login may be made for: the migrator's work is the owner's (`db upgrade`)."""

# An unquoted PostgreSQL identifier, so the name reads the same in psql and in a URL.
_NAME: Final = re.compile(r"[a-z_][a-z0-9_]{0,62}")

# A role that can do more than its group grants: refused rather than quietly demoted, since an
# operator may use it for something else. pg_roles' column → the attribute's keyword.
_POWERS: Final = {
    "rolsuper": "SUPERUSER",
    "rolcreaterole": "CREATEROLE",
    "rolcreatedb": "CREATEDB",
    "rolreplication": "REPLICATION",
    "rolbypassrls": "BYPASSRLS",
}


class LoginRefused(ValueError):
    """A login cannot be made as asked; the message says what is wrong and what is allowed."""


class Outcome(StrEnum):
    """What `ensure_login` did."""

    CREATED = "created"
    UPDATED = "updated"


@dataclass(frozen=True)
class Login:
    """A user that logs in with `password` and holds the privileges of `group` only."""

    name: str
    password: str
    group: str


def _check(conn: Connection, login: Login) -> None:
    if login.group not in GROUPS:
        raise LoginRefused(
            f"{login.group} is not a group a login is made for; the groups are {', '.join(GROUPS)}"
        )
    if not _NAME.fullmatch(login.name):
        raise LoginRefused(
            f"the login name {login.name!r} is not allowed; use lower-case letters, digits and "
            "underscores, starting with a letter or underscore, at most 63 characters"
        )
    if login.name in ROLES:
        raise LoginRefused(
            f"{login.name} is one of the group roles ({', '.join(ROLES)}); name a login user "
            "of its own, e.g. partnerships_app"
        )
    if not login.password:
        raise LoginRefused(f"the login {login.name} has no password; give it one")
    owner = conn.execute(sa.text("SELECT current_user")).scalar_one()
    if login.name == owner:
        raise LoginRefused(
            f"{login.name} is the user running this command (the owner of the tables); the "
            "worker, the API and the tools log in as a user of their own, never as the owner"
        )


def _powers(conn: Connection, name: str) -> list[str] | None:
    """The powers beyond a plain login that role `name` holds, or None when it does not exist."""
    row = conn.execute(
        sa.text(f"SELECT {', '.join(_POWERS)} FROM pg_catalog.pg_roles WHERE rolname = :name"),
        {"name": name},
    ).first()
    if row is None:
        return None
    return [keyword for keyword, held in zip(_POWERS.values(), row, strict=True) if held]


def _execute_formatted(conn: Connection, template: str, *arguments: str) -> None:
    # DDL takes no bind parameters: the server quotes the name (%I) and the password (%L).
    placeholders = ", ".join(f"CAST(:a{i} AS text)" for i in range(len(arguments)))
    statement = conn.execute(
        sa.text(f"SELECT format(:template, {placeholders})"),
        {"template": template, **{f"a{i}": value for i, value in enumerate(arguments)}},
    ).scalar_one()
    # No parameters: the driver sends the text as it is, so a % or : in a password is kept.
    conn.exec_driver_sql(statement, execution_options={"no_parameters": True})


def ensure_login(conn: Connection, login: Login) -> Outcome:
    """Make `login` a user that logs in with its password and is a member of its group only.

    Creates it when missing; otherwise sets its password and takes back the other group roles
    of this project. Raises LoginRefused for a name that is a group role or the current user,
    for a role with powers beyond a login (superuser, CREATEROLE…) and for an empty password.
    """
    _check(conn, login)
    powers = _powers(conn, login.name)
    if powers:
        raise LoginRefused(
            f"the role {login.name} exists and holds {', '.join(powers)}; a login for "
            f"{login.group} holds none: name another user, or take them back with "
            f"ALTER ROLE {login.name} {' '.join(f'NO{power}' for power in powers)}"
        )
    verb = "CREATE" if powers is None else "ALTER"
    template = f"{verb} ROLE %I WITH LOGIN INHERIT PASSWORD %L"
    _execute_formatted(conn, template, login.name, login.password)
    held = memberships(conn, login.name)
    if login.group not in held:
        _execute_formatted(conn, "GRANT %I TO %I", login.group, login.name)
    for other in ROLES:
        if other != login.group and other in held:
            _execute_formatted(conn, "REVOKE %I FROM %I", other, login.name)
    return Outcome.CREATED if powers is None else Outcome.UPDATED


def memberships(conn: Connection, name: str) -> list[str]:
    """The roles `name` is a member of, sorted (to check a login holds its group only)."""
    rows = conn.execute(
        sa.text(
            "SELECT g.rolname FROM pg_catalog.pg_auth_members m "
            "JOIN pg_catalog.pg_roles g ON g.oid = m.roleid "
            "JOIN pg_catalog.pg_roles u ON u.oid = m.member WHERE u.rolname = :name "
            "ORDER BY g.rolname"
        ),
        {"name": name},
    )
    return [row[0] for row in rows]
