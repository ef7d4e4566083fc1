"""Whether a database is ready for this software, and the one way to open an engine that is.

Ready means reachable, with its schema at the migrations' head revision. That head is known only
to the migrations, so the check lives here, beside their runner: activities/ opens engines and
writes the log but never imports migrations/, and every front door and the worker open their
engine through `open_ready_engine`.
"""

from __future__ import annotations

from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError

from activities.database import create_engine_from_url, redacted
from activities.store_errors import DatabaseNotReady, DatabaseUnreachable
from migrations.runner import current_revision, head_revision

__all__ = ["check_ready", "open_ready_engine"]


def open_ready_engine(url: str | URL) -> Engine:
    """An engine on `url` whose schema is at the migrations' head.

    Raises DatabaseUnreachable or DatabaseNotReady, naming the URL with its password hidden,
    and disposes of the engine first, so a refused URL leaves no pool behind.
    """
    engine = create_engine_from_url(url)
    try:
        check_ready(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def check_ready(engine: Engine) -> None:
    """Raise DatabaseUnreachable or DatabaseNotReady unless the schema is at Alembic's head."""
    url = redacted(engine.url)
    head = head_revision()
    try:
        with engine.connect() as conn:
            current = current_revision(conn)
    except DBAPIError as exc:
        raise DatabaseUnreachable(url, _first_line(exc.orig or exc)) from None
    except OSError as exc:
        raise DatabaseUnreachable(url, str(exc)) from None
    if current != head:
        raise DatabaseNotReady(url, current, head)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
