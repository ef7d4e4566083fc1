"""The guard that keeps `events` append-only inside the database, and the roles of least privilege.

A trigger refuses every UPDATE and DELETE of a recorded event, on PostgreSQL (a BEFORE UPDATE OR
DELETE trigger raising an exception) and on SQLite (two triggers with RAISE(ABORT)). Nothing in
the engine updates or deletes events; an insider who owns the tables can still lift the guard
(ALTER TABLE events DISABLE TRIGGER, or DROP TRIGGER), which is why signed checkpoints anchor the
record outside the database (activities/checkpoints.py).

On PostgreSQL three NOLOGIN group roles are made for deployments to grant to their login users:
`partnerships_migrator` (the schema), `partnerships_writer` (the worker and the API: INSERT and
SELECT on `events`, no UPDATE or DELETE; what it needs on the other tables) and
`partnerships_reader` (SELECT only). `partnerships db logins` (migrations/logins.py) makes the
login users that are members of one of them; the compose file's services connect as those.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

GUARD_MESSAGE: Final = "events are append-only: a recorded event is never updated or deleted"

PG_TRIGGER: Final = "events_append_only"
SQLITE_TRIGGERS: Final = ("events_no_update", "events_no_delete")

MIGRATOR: Final = "partnerships_migrator"
WRITER: Final = "partnerships_writer"
READER: Final = "partnerships_reader"
ROLES: Final = (MIGRATOR, WRITER, READER)

# Tables the writer keeps besides the log: it may change their rows (read models, outbox,
# deliveries, the directory's bindings, projector checkpoints).
_WRITER_KEEPS: Final = (
    "status_board",
    "participation",
    "milestones",
    "open_tasks",
    "role_bindings",
    "projector_checkpoints",
    "deliveries",
    "delivery_attempts",
)

_PG_FUNCTION: Final = f"""
CREATE OR REPLACE FUNCTION {PG_TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{GUARD_MESSAGE} (% refused)', TG_OP
        USING HINT = 'the record is corrected by appending an event, never by rewriting one';
END
$$
"""


def _run(conn: Connection, statement: str) -> None:
    # Through text(), so a % in the SQL is never taken for a driver placeholder.
    conn.execute(sa.text(statement))


def install_guard(conn: Connection) -> None:
    """Create the triggers that refuse UPDATE and DELETE on `events`."""
    if conn.dialect.name == "postgresql":
        _run(conn, _PG_FUNCTION)
        _run(
            conn,
            f"CREATE TRIGGER {PG_TRIGGER} BEFORE UPDATE OR DELETE ON events "
            f"FOR EACH ROW EXECUTE FUNCTION {PG_TRIGGER}()",
        )
        return
    for name, operation in zip(SQLITE_TRIGGERS, ("UPDATE", "DELETE"), strict=True):
        _run(
            conn,
            f"CREATE TRIGGER {name} BEFORE {operation} ON events "
            f"BEGIN SELECT RAISE(ABORT, '{GUARD_MESSAGE}'); END",
        )


def remove_guard(conn: Connection) -> None:
    """Drop the triggers (the migration's downgrade)."""
    if conn.dialect.name == "postgresql":
        _run(conn, f"DROP TRIGGER IF EXISTS {PG_TRIGGER} ON events")
        _run(conn, f"DROP FUNCTION IF EXISTS {PG_TRIGGER}()")
        return
    for name in SQLITE_TRIGGERS:
        _run(conn, f"DROP TRIGGER IF EXISTS {name}")


@contextmanager
def guard_lifted(conn: Connection) -> Iterator[None]:
    """Lift the guard inside `conn`'s transaction, as an insider who owns the tables can.

    For tests that tamper with the record and for maintenance that empties a scratch database
    (the benchmarks); the guard is back when the block ends. On PostgreSQL this needs the
    table's owner: the writer and reader roles cannot.
    """
    if conn.dialect.name == "postgresql":
        _run(conn, f"ALTER TABLE events DISABLE TRIGGER {PG_TRIGGER}")
        yield
        _run(conn, f"ALTER TABLE events ENABLE TRIGGER {PG_TRIGGER}")
        return
    for name in SQLITE_TRIGGERS:
        _run(conn, f"DROP TRIGGER IF EXISTS {name}")
    yield
    install_guard(conn)


def _create_role_sql(role: str) -> str:
    # IF NOT EXISTS, and quiet when another migration made it a moment ago (roles are shared
    # by every database of the server).
    return f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '{role}') THEN
        CREATE ROLE {role} NOLOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;
    WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'the role {role} does not exist and % may not create it', current_user
            USING HINT = 'run the migration as a user with CREATEROLE once, or create the '
                         'NOLOGIN roles {", ".join(ROLES)} beforehand';
END
$$
"""


_DEFAULTS: Final = (
    f"GRANT ALL PRIVILEGES ON TABLES TO {MIGRATOR}",
    f"GRANT ALL PRIVILEGES ON SEQUENCES TO {MIGRATOR}",
    f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {WRITER}",
    f"GRANT USAGE, SELECT ON SEQUENCES TO {WRITER}",
    f"GRANT SELECT ON TABLES TO {READER}",
)


def grant_roles(conn: Connection) -> None:
    """Make the three group roles if missing and grant them their privileges (PostgreSQL)."""
    for role in ROLES:
        _run(conn, _create_role_sql(role))
    schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
    statements = [
        f'GRANT USAGE, CREATE ON SCHEMA "{schema}" TO {MIGRATOR}',
        f'GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA "{schema}" TO {MIGRATOR}',
        f'GRANT ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA "{schema}" TO {MIGRATOR}',
        f'GRANT USAGE ON SCHEMA "{schema}" TO {WRITER}, {READER}',
        f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO {READER}',
        f"GRANT SELECT, INSERT ON events, checkpoints TO {WRITER}",
        f"GRANT SELECT, INSERT, UPDATE ON streams TO {WRITER}",
        f"GRANT SELECT ON alembic_version TO {WRITER}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(_WRITER_KEEPS)} TO {WRITER}",
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO {WRITER}',
        # Tables later migrations create (as this user) are granted alike: read-model rows for
        # the writer, reading for the reader; a migration adding an append-only table revokes.
        *(f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" {grant}' for grant in _DEFAULTS),
    ]
    for statement in statements:
        _run(conn, statement)


def revoke_roles(conn: Connection) -> None:
    """Take back what grant_roles granted in this database; the roles stay (the server's)."""
    schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
    for role in ROLES:
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = :r"), {"r": role}
        ).first()
        if exists is None:
            continue
        _run(
            conn,
            f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" REVOKE ALL ON TABLES FROM {role}',
        )
        _run(
            conn,
            f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" REVOKE ALL ON SEQUENCES FROM {role}',
        )
        _run(conn, f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM {role}')
        _run(conn, f'REVOKE ALL ON ALL SEQUENCES IN SCHEMA "{schema}" FROM {role}')
        _run(conn, f'REVOKE ALL ON SCHEMA "{schema}" FROM {role}')
