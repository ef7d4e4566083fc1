"""What the console takes from the app it is mounted in, and who is looking at a page.

The API's app factory keeps its long-lived parts on `app.state.resources`: the settings, the
event store's engine, the connected application core. The console reads them through the
`Parts` protocol, so it stands on the core alone (it imports nothing of the HTTP API).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends, Request
from sqlalchemy.engine import Engine

from app.attestation_client import CALLER
from app.identity import Caller
from app.partnerships import Partnerships
from domain.actors import Actor, Role
from domain.provenance import Caller as AttestedCaller
from domain.view import StatusView
from interfaces.console.session import SignedIn
from settings import Settings


class StoreParts(Protocol):
    """The event store as the API holds it."""

    def engine(self) -> Engine:
        """The engine, its schema at the migrations' head."""
        ...


class Parts(Protocol):
    """What the console needs of the app's resources."""

    settings: Settings
    store: StoreParts

    async def partnerships(self) -> Partnerships:
        """The connected application core."""
        ...


def parts(request: Request) -> Parts:
    """The resources of the app serving `request` (a FastAPI dependency)."""
    held: Parts = request.app.state.resources
    return held


Held = Annotated[Parts, Depends(parts)]


@dataclass(frozen=True)
class Offer:
    """A step the viewer may take now, and who they take it as."""

    update: str
    actor: Actor

    @property
    def acting_for(self) -> str | None:
        """The Member State a representative answers for, else None (a Presidency official
        names the Member State holding the Presidency, but acts for the Council)."""
        return self.actor.member_state if self.actor.role is Role.MEMBER_STATE else None


@dataclass(frozen=True)
class Viewer:
    """The signed-in person: who the issuer says they are, and their role bindings today."""

    caller: Caller

    @property
    def name(self) -> str:
        """The subject, as people see it in the page's header."""
        return self.caller.subject

    @property
    def actors(self) -> list[Actor]:
        """Each role the viewer acts in (an administrator's binding acts in none)."""
        found = [b.actor(self.caller.subject) for b in self.caller.bindings]
        return list(dict.fromkeys(a for a in found if a is not None))

    @property
    def roles(self) -> list[str]:
        """The bindings as `ROLE[:MS]`, for the page's header."""
        return [binding.label() for binding in self.caller.bindings]

    def offers(self, view: StatusView) -> list[Offer]:
        """The steps `view.next_actions` lists for the viewer's roles, in lifecycle order.

        A representative is offered the consultation's answer for their own Member State
        only; one bound to two Member States is offered one answer for each.
        """
        found: list[Offer] = []
        for actor in self.actors:
            for update in view.next_actions.get(actor.role.value, []):
                found.append(Offer(update, actor))
        order = list(dict.fromkeys(u for actions in view.next_actions.values() for u in actions))
        return sorted(found, key=lambda offer: order.index(offer.update))

    def offer(self, view: StatusView, update: str, member_state: str | None) -> Offer | None:
        """The viewer's offer of `update` (for `member_state`), if they may take it now."""
        for offer in self.offers(view):
            if offer.update == update and (
                member_state is None or offer.acting_for == member_state
            ):
                return offer
        return None


def viewer(caller: SignedIn) -> Viewer:
    """The signed-in person as a viewer of pages (a FastAPI dependency)."""
    return Viewer(caller)


SignedViewer = Annotated[Viewer, Depends(viewer)]
"""The signed-in person; nobody signed in: 303 to the sign-in page."""


@contextmanager
def attested_as(viewer: Viewer) -> Iterator[None]:
    """Attest the starts and steps sent inside the block for the signed-in viewer.

    The API's client signs what is sent while `CALLER` names a caller; the workers record the
    issuer, subject and token id as the events' provenance.
    """
    caller = viewer.caller
    token = CALLER.set(AttestedCaller(caller.issuer, caller.subject, caller.token_id))
    try:
        yield
    finally:
        CALLER.reset(token)
