"""The API processes of the API-kill scenario: the one answering now, and warm replacements.

An API process takes seconds to import on a busy machine, so replacements are started while
the active one still serves (each on a port of its own, as replicas behind a balancer would
be). A kill sends new requests to the next replacement and starts another. All share the first
one's issuer URL: a token is valid at each, and a step's update id (which names the caller's
issuer) is the same whichever process answers its retry.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

from faults.api_driver import Attempt, InFlight
from faults.processes import ApiProcess
from faults.stack import FaultStack


@dataclass(frozen=True)
class Kill:
    """One SIGKILL of the API: when, and the step requests it caught in flight."""

    at: datetime
    caught: tuple[Attempt, ...]


@dataclass
class Replicas:
    """The API process answering now, and the replacements started to take its place."""

    stack: FaultStack
    issuer: str
    active: ApiProcess
    spares: deque[asyncio.Task[ApiProcess]] = field(default_factory=deque)

    @classmethod
    async def start(cls, stack: FaultStack, spares: int) -> Replicas:
        """The first API process and `spares` replacements, all serving on return."""
        first = stack.add_api()
        replicas = cls(stack, first.env["DEV_ISSUER_URL"], first)
        for _ in range(spares):
            replicas.warm()
        await asyncio.gather(stack.start_api(first), *replicas.spares)
        return replicas

    def warm(self) -> None:
        """Start one more replacement in the background, on the first one's issuer URL."""
        api = self.stack.add_api()
        api.env["DEV_ISSUER_URL"] = self.issuer
        self.spares.append(asyncio.create_task(self.stack.start_api(api)))

    async def ready(self) -> None:
        """Wait until the next replacement answers /healthz."""
        if self.spares:
            await self.spares[0]

    async def settle(self) -> None:
        """Wait for every replacement still starting (so each is stopped whole)."""
        await asyncio.gather(*self.spares)

    async def kill_active(self, in_flight: InFlight) -> Kill:
        """SIGKILL the active API, send new requests to a replacement, warm another.

        Returns the kill, with the step requests in flight to the killed process.
        """
        replacement = await self.spares.popleft()
        killed, self.active = self.active, replacement
        caught = tuple(in_flight.steps_at(killed.port))
        moment = datetime.now(UTC)
        await asyncio.to_thread(killed.kill)
        self.warm()
        return Kill(moment, caught)
