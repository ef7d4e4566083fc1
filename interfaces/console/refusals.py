"""The one mapping of the core's errors to what a person is told beside a form.

A refusal by the domain is shown in the domain's own words; a step sent against a version that
is no longer current says that someone else acted first; what the person cannot act on (an
unreachable service) says so without naming hosts or causes, and is logged here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

from activities.store_errors import StoreError
from app.exceptions import (
    AlreadyOpen,
    AppError,
    NotAccepted,
    NotFound,
    Rejected,
    StillRecording,
    Unavailable,
)
from app.identity import NoBinding
from domain.errors import DomainError

log = logging.getLogger("pilot-partnerships.console")

CONFLICT: Final = "VersionMismatch"


@dataclass(frozen=True)
class Refusal:
    """What a person is told when a step is not recorded, and whether the state moved on."""

    kind: str
    message: str

    @property
    def is_conflict(self) -> bool:
        """Someone else acted first: the page shows the new state."""
        return self.kind == CONFLICT

    @property
    def title(self) -> str:
        """The heading shown above the message."""
        if self.is_conflict:
            return "Someone else acted first"
        if self.kind in {"Unavailable", "StillRecording"}:
            return "The service is busy"
        return "The step was refused"


def refusal_of(error: Exception) -> Refusal:
    """The refusal a person is shown for `error`; anything unforeseen is re-raised."""
    match error:
        case Rejected() if error.kind == CONFLICT:
            return Refusal(
                CONFLICT,
                "Someone else changed this partnership after you opened the form, so your "
                f"step was not recorded ({error.message}). Its new state is shown below; "
                "check it, then send your step again if it still applies.",
            )
        case Rejected():
            return Refusal(error.kind, error.message)
        case DomainError():
            return Refusal(type(error).__name__, error.message)
        case NoBinding():
            return Refusal("NoBinding", error.message)
        case AlreadyOpen():
            return Refusal("AlreadyOpen", error.message)
        case NotFound():
            return Refusal("NotFound", error.message)
        case StillRecording():
            return Refusal(
                "StillRecording",
                "Your step was accepted and is still being recorded; reload the page in a "
                "moment to see it.",
            )
        case NotAccepted() | Unavailable():
            log.warning("console step not recorded: %s", error)
            return Refusal(
                "Unavailable",
                "The service cannot answer just now, so nothing was read or recorded; try "
                "again shortly.",
            )
        case StoreError():
            log.error("event store: %s", error)
            return Refusal(
                "Unavailable",
                "The event store cannot be reached just now, so nothing was read or recorded; "
                "try again shortly.",
            )
        case AppError():
            return Refusal(type(error).__name__, error.message)
    raise error
