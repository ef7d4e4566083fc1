"""Alembic environment: runs migrations on an engine made by activities.database, so SQLite and
PostgreSQL get the same settings as the application (WAL, psycopg 3 URL rewriting).

The URL comes from the Config the application's runner builds; the `alembic` command line reads
DATABASE_URL, and without it the settings' own default, so that default is written once."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy.engine import Connection

from activities.database import create_engine_from_url
from activities.schema import metadata

config = context.config
target_metadata = metadata


def _url() -> str:
    given = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL")
    if given:
        return given
    # Imported only here: the application always passes its URL, and settings are the front
    # doors' concern, read by migrations only for a bare `alembic` command.
    from settings import Settings

    return str(Settings.model_fields["database_url"].default)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """Emit SQL for the configured URL without connecting."""
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations on the given connection, or on a fresh engine for the configured URL."""
    given = config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    engine = create_engine_from_url(_url())
    try:
        with engine.connect() as connection:
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
