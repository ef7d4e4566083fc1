"""How a partnership fills the search attributes of the public contract (workflows/contract.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from domain.deadlines import deadline_instant
    from domain.state import Partnership
    from workflows.contract import COUNTRY, DECISION_DEADLINE, REGION, STAGE

# The earliest instant a second can be taken from: the attribute is the last second before.
_EARLIEST_INSTANT = datetime.min.replace(tzinfo=UTC) + timedelta(seconds=1)


def search_attribute_updates(state: Partnership) -> list[SearchAttributeUpdate[Any]]:
    """The attribute values that describe `state` (the deadline as the end of its day, UTC)."""
    updates: list[SearchAttributeUpdate[Any]] = []
    if state.stage is not None:
        updates.append(STAGE.value_set(state.stage.value))
    if state.country is not None:
        updates.append(COUNTRY.value_set(state.country))
    if state.region is not None:
        updates.append(REGION.value_set(state.region.value))
    if state.decision_deadline is not None:
        # The last second before the deadline passes, so a filter reads "31 December".
        passes = deadline_instant(state.decision_deadline)
        last_second = passes - timedelta(seconds=1) if passes > _EARLIEST_INSTANT else passes
        updates.append(DECISION_DEADLINE.value_set(last_second))
    return updates
