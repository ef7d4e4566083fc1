"""What concerns the caller: who they are (`GET /me`) and what they may do now (`GET /inbox`)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from app.reading import InboxItem, inbox
from domain.actors import Actor
from interfaces.api.models import BindingOut, Inbox, InboxEntry, Me
from interfaces.api.problems import problem_responses
from interfaces.api.resources import Authenticated, Held

router = APIRouter(tags=["caller"])


@router.get("/me", response_model=Me, summary="Who am I", responses=problem_responses(401, 403))
def me(caller: Authenticated) -> Me:
    """The caller's issuer and subject, and the role bindings they hold today."""
    return Me(
        issuer=caller.issuer,
        subject=caller.subject,
        token_id=caller.token_id,
        bindings=[
            BindingOut(
                binding_id=binding.binding_id,
                role=binding.role.value,
                member_state=binding.member_state,
                valid_from=binding.valid_from,
            )
            for binding in caller.bindings
        ],
    )


def acting_as(actor: Actor) -> str:
    """An actor's role as `ROLE[:MS]`."""
    return f"{actor.role.value}:{actor.member_state}" if actor.member_state else actor.role.value


def _entry(item: InboxItem) -> InboxEntry:
    return InboxEntry(
        country=item.country,
        stream_id=item.stream_id,
        stage=item.stage,
        update=item.update,
        acting_as=acting_as(item.actor),
        deadline=item.deadline,
        days_left=item.days_left,
        overdue=item.overdue,
        href=f"/partnerships/{item.country}/{item.update}",
    )


@router.get(
    "/inbox",
    response_model=Inbox,
    summary="What I may do now",
    responses=problem_responses(401, 403, 503),
)
def my_inbox(caller: Authenticated, held: Held) -> Inbox:
    """Every step the caller may take now across open partnerships, the most urgent first.

    The caller's bindings give the roles they act in (an administrator's takes no step).
    The steps come from the open-tasks read model, kept with the events by the domain's own
    rules: `app.reading.inbox` says how, and how steps are ordered by the deadline they race.
    """
    actors = [a for b in caller.bindings if (a := b.actor(caller.subject)) is not None]
    items = inbox(held.store.engine(), actors, datetime.now(UTC))
    return Inbox(items=[_entry(item) for item in items])
