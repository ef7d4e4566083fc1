"""PostgreSQL unavailable in the middle of lifecycles: the workflows wait, resume, lose nothing.

The store is a fresh PostgreSQL database of its own (dropped at the end). The worker reaches
it through a TCP proxy on loopback (faults/pg_proxy.py); an outage cuts the proxy, which
closes every connection the worker holds and refuses new ones, as a server gone down would,
and after OUTAGE_S restores it. The store's activities fail meanwhile and Temporal retries
them (they wait out an outage, never give up); the checks then read the store directly.

FULL: 20 lifecycles, two outages of 30 s; SHORT: 3 lifecycles, one outage of 3 s.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import URL

from activities.database import create_engine_from_url, normalise_url
from faults.outcome import Outcome, Scale
from faults.pg_proxy import PgProxy
from faults.scenario import Campaign, conclude, seeded_rng
from faults.stack import open_stack
from migrations.runner import upgrade

NAME: Final = "pg_outage"
OUTAGES: Final = {Scale.FULL: 2, Scale.SHORT: 1}
OUTAGE_S: Final = {Scale.FULL: 30.0, Scale.SHORT: 3.0}
LIFECYCLES: Final = {Scale.FULL: 20, Scale.SHORT: 3}
MOMENT_S: Final = (1.0, 4.0)
"""An outage begins this many seconds (uniform) after the lifecycles start or the previous
outage ends: the lifecycles are under way, far from done."""

PG_SERVER_ENV: Final = "PARTNERSHIPS_TEST_PG_URL"
"""The PostgreSQL server the scenario makes its database on (the tests' own setting)."""
DEFAULT_PG_SERVER: Final = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class OutageRun:
    """The scenario's Outcome, and what the proxy saw: proof that the outages hit the worker."""

    outcome: Outcome
    connections_cut: int
    """Connections the worker held open that an outage closed."""
    connections_refused: int
    """Connections the worker tried to open during an outage."""
    forwarded: int
    """Connections the proxy let through in all."""


def pg_server_url() -> URL:
    """The maintenance URL of the server to make the scenario's database on."""
    return normalise_url(os.environ.get(PG_SERVER_ENV) or DEFAULT_PG_SERVER)


@contextmanager
def fresh_database(server: URL) -> Iterator[URL]:
    """A new, empty database on `server` for this run only, dropped (whoever is connected)
    when the block ends."""
    name = f"partnerships_faults_{uuid.uuid4().hex[:12]}"
    admin = create_engine_from_url(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield server.set(database=name)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


async def outage(scale: Scale, workdir: Path) -> OutageRun:
    """Run the scenario at `scale` in `workdir`; the Outcome and the proxy's counts."""
    rng = seeded_rng(NAME)
    with fresh_database(pg_server_url()) as direct:
        await asyncio.to_thread(upgrade, direct)
        with PgProxy(direct.host or "127.0.0.1", direct.port or 5432) as proxy:
            proxied = direct.set(host="127.0.0.1", port=proxy.port)
            url = direct.render_as_string(hide_password=False)
            async with open_stack(workdir, database_url=url, migrate=False) as stack:
                worker = stack.add_worker(
                    database_url=proxied.render_as_string(hide_password=False)
                )
                await stack.start_worker(worker)
                campaign = Campaign(await stack.connect(), LIFECYCLES[scale])
                try:
                    injected = await campaign.inject(
                        OUTAGES[scale], _outage_of(proxy, OUTAGE_S[scale]), rng, MOMENT_S
                    )
                finally:
                    campaign.cancel()
                counts = proxy.counts
                outcome = await conclude(
                    stack,
                    NAME,
                    campaign.progresses,
                    faults_injected=injected,
                    faults_planned=OUTAGES[scale],
                    extra=f"outages of {OUTAGE_S[scale]:.0f} s closed {counts.cut} open "
                    f"connections and refused {counts.refused} new ones",
                )
    return OutageRun(outcome, counts.cut, counts.refused, counts.forwarded)


def _outage_of(proxy: PgProxy, seconds: float) -> Callable[[int], Awaitable[None]]:
    """The fault `Campaign.inject` calls: the proxy cut for `seconds`, then restored."""

    async def cut_for_a_while(n: int) -> None:
        await asyncio.to_thread(proxy.cut)
        try:
            await asyncio.sleep(seconds)  # the outage itself: PostgreSQL gone this long
        finally:
            await asyncio.to_thread(proxy.restore)

    return cut_for_a_while


async def run(scale: Scale, workdir: Path) -> Outcome:
    """PostgreSQL cut OUTAGES[scale] times for OUTAGE_S[scale] while lifecycles run."""
    return (await outage(scale, workdir)).outcome
