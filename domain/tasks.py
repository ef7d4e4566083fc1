"""Open tasks: the steps each role may take on an open partnership, and the deadlines they race.

The open-tasks read model stores `open_tasks(state)` at each append; the inbox reads it at any
later moment and keeps what `offered_at` that moment. Together they give what the status view's
`next_actions(state, now)` gives: the stage and the count caps are fixed between two events, and
the one thing time changes, a passed deadline ruling a step out, is `closing_deadline`'s rule,
applied when read.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Final

from pydantic import BaseModel, ConfigDict

from domain.actors import Role
from domain.commands import USER_COMMANDS, CloseConsultation, Command, LapseDecisionDeadline
from domain.deadlines import closing_deadline, has_passed
from domain.policy import allowed_at
from domain.state import Partnership
from domain.view import next_actions

_COMMAND_NAMED: Final[dict[str, type[Command]]] = {c.name: c for c in USER_COMMANDS}

UPDATE_ORDER: Final[dict[str, int]] = {c.name: n for n, c in enumerate(USER_COMMANDS)}
"""Each update's place in the lifecycle, which orders steps that race the same deadline."""


class OpenTask(BaseModel):
    """A step `role` may take on a partnership while nothing else is recorded.

    `member_state`, when set, restricts the step to that Member State's representative; None
    offers it to every actor of the role. `deadline` is the stage's (`stage_deadline`), shown
    to say how urgent the step is; `closes_on` is the deadline whose passing rules the step out
    (`closing_deadline`), or None when no deadline does.
    """

    model_config = ConfigDict(frozen=True)

    role: Role
    update: str
    member_state: str | None = None
    deadline: date | None
    closes_on: date | None


def stage_deadline(state: Partnership) -> date | None:
    """The earliest deadline that ends the partnership's stage unless someone acts first.

    The consultation's deadline closes it, and the decision deadline lapses a partnership
    still awaiting the Council: the policy's tables say at which stages each of these
    deadline-driven commands is armed, as they do for the workflow's timers.
    """
    stage = state.stage
    if stage is None or stage.is_end:
        return None
    live: list[date | None] = []
    if allowed_at(stage, CloseConsultation):
        live.append(state.consultation_deadline)
    if allowed_at(stage, LapseDecisionDeadline):
        live.append(state.decision_deadline)
    return min((deadline for deadline in live if deadline is not None), default=None)


def open_tasks(state: Partnership) -> tuple[OpenTask, ...]:
    """Every step a role may take on the partnership, whatever the time, while it is open.

    The steps `next_actions` offers before any deadline is applied, by role in the order of
    `HUMAN_ROLES` and by update in the lifecycle's order; none before a proposal or at an end.
    """
    if state.stage is None or state.stage.is_end:
        return ()
    deadline = stage_deadline(state)
    return tuple(
        OpenTask(
            role=Role(role),
            update=update,
            deadline=deadline,
            closes_on=closing_deadline(state, _COMMAND_NAMED[update]),
        )
        for role, updates in next_actions(state).items()
        for update in updates
    )


def offered_at(task: OpenTask, now: datetime) -> bool:
    """Whether the task is still offered at `now`: no deadline that rules it out has passed."""
    return task.closes_on is None or not has_passed(task.closes_on, now)


def days_left(deadline: date, now: datetime) -> int:
    """Whole days from `now`'s date (UTC) to `deadline`: 0 on its last day, negative after.

    A deadline passes at the end of its day, UTC (`deadline_instant`), so a negative count is
    a deadline that `has_passed` (save `date.max`, whose end `datetime` cannot hold and which
    passes one microsecond early, on its own day).
    """
    return (deadline - now.astimezone(UTC).date()).days
