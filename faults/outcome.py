"""What one fault scenario reports, and the campaign's table of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Scale(StrEnum):
    """How hard a scenario pushes: `full` for `make faults`, `short` for `make test`."""

    FULL = "full"
    SHORT = "short"


@dataclass(frozen=True)
class Outcome:
    """One scenario's result: the faults it injected and what the checks afterwards found."""

    scenario: str
    faults_injected: int
    lifecycles_completed: int
    events_lost: int
    duplicates: int
    stuck_workflows: int
    server_errors: int = 0
    """Answers a front door should never give: a 5xx from the API, a CLI call left unanswered
    (a request cut off by a fault the scenario injected is not one: it is sent again)."""
    verified: bool = False
    """Whether `partnerships verify` passed on the store afterwards; unset, a scenario is not
    clean (a scenario that forgot to verify must not pass)."""
    detail: str = ""
    """Anything else worth a reader's eye (e.g. how the record was verified), one line."""
    faults_planned: int = 0
    """The faults the scenario set out to inject (0: not stated). A scenario that injected
    fewer (its campaign ran out of third countries, say) proved less than it claims."""

    @property
    def clean(self) -> bool:
        """Every planned fault injected; record verified; nothing lost, duplicated or stuck;
        no server error."""
        return (
            self.faults_injected >= self.faults_planned
            and self.verified
            and self.server_errors == 0
            and self.events_lost == 0
            and self.duplicates == 0
            and self.stuck_workflows == 0
        )


Scenario = Callable[[Scale, Path], Awaitable[Outcome]]
"""A scenario: runs at a scale in a working directory of its own and reports its outcome."""


HEADERS = (
    "scenario",
    "faults injected",
    "lifecycles completed",
    "events lost",
    "duplicates",
    "stuck workflows",
    "server errors",
    "verify",
)


def table(outcomes: Sequence[Outcome]) -> str:
    """The campaign's table, in Markdown, so README can hold a run as printed."""
    rows = [
        (
            o.scenario,
            str(o.faults_injected),
            str(o.lifecycles_completed),
            str(o.events_lost),
            str(o.duplicates),
            str(o.stuck_workflows),
            str(o.server_errors),
            "passed" if o.verified else "FAILED",
        )
        for o in outcomes
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(HEADERS)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(HEADERS), rule, *(line(r) for r in rows)])
