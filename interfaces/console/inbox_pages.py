"""The inbox, "what awaits me": every step the signed-in person may take now, most urgent first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from activities.store_errors import StoreError
from app.exceptions import Unavailable
from app.reading import InboxItem, inbox
from interfaces.console import wording
from interfaces.console.core_parts import Held, SignedViewer
from interfaces.console.dates import days_left_phrase
from interfaces.console.partnership_pages import trouble
from interfaces.console.templating import page

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Task:
    """One line of the inbox."""

    title: str
    country: str
    stage: str
    href: str
    deadline: date | None
    days_left: int | None
    overdue: bool
    when: str


def task_of(item: InboxItem, today: date) -> Task:
    """An inbox item as a line people read, linking to its form; `today` words the time left."""
    member_state = item.actor.member_state
    href = f"/cases/{item.country}/act/{item.update}"
    if member_state:
        href += f"?for={member_state}"
    return Task(
        title=wording.task(item.update, item.country, member_state),
        country=item.country,
        stage=item.stage,
        href=href,
        deadline=item.deadline,
        days_left=item.days_left,
        overdue=item.overdue,
        when=days_left_phrase(item.deadline, today) if item.deadline else "no deadline",
    )


@router.get("/", response_class=HTMLResponse)
def inbox_page(request: Request, viewer: SignedViewer, held: Held) -> HTMLResponse:
    """The signed-in person's inbox: each step across partnerships, with its deadline."""
    now = datetime.now(UTC)
    try:
        items = inbox(held.store.engine(), viewer.actors, now)
    except (StoreError, Unavailable) as error:
        return trouble(request, viewer, error)
    tasks = [task_of(item, now.date()) for item in items]
    return page(request, "inbox.html", {"viewer": viewer, "tasks": tasks, "today": now.date()})
