"""What one run of a partnership hands to the next when its history grows long.

Temporal suggests continuing as new before a history nears its limits (51,200 events or
50 MB). The next run must decide exactly as this one would have: it takes the folded state,
the stream it writes to and the settings fixed in this run's history, not a fresh reading.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from domain.requests import StartPartnership
from domain.state import Partnership


class Continuation(BaseModel):
    """The input of a run that continues an earlier one: its start, and where it got to.

    It is the workflow's one argument, as the start is (Temporal decodes a run's arguments by
    position, so an optional second one would cost the start its type).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: StartPartnership
    stream_id: str
    consultation_period_days: int
    state: Partnership
    timeline: list[str]
    # Whether the run decides by the rules of issue 13 (`POINT_11_PATCH` in the workflow); a
    # run continued by an older version carried no such field and decides as it did.
    point_11: bool = False
    # Whether the run reports withdrawals to the Council (`SUSPENSION_PATCH`); False when a run
    # continued by an older version carried no such field.
    suspension: bool = False
    # Whether the run takes each step with one queued activity (`LEAN_STEPS_PATCH`); False when
    # a run continued by an older version carried no such field.
    lean_steps: bool = False
