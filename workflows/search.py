"""The search attributes of the public contract, and how a partnership fills them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from domain.deadlines import deadline_instant
    from domain.state import Partnership

STAGE = SearchAttributeKey.for_keyword("PartnershipStage")
COUNTRY = SearchAttributeKey.for_keyword("PartnershipCountry")
REGION = SearchAttributeKey.for_keyword("MigratoryRegion")
DECISION_DEADLINE = SearchAttributeKey.for_datetime("CouncilDecisionDeadline")

_EARLIEST_INSTANT = datetime.min.replace(tzinfo=UTC) + timedelta(seconds=1)

SEARCH_ATTRIBUTE_KEYS: tuple[SearchAttributeKey[Any], ...] = (
    STAGE,
    COUNTRY,
    REGION,
    DECISION_DEADLINE,
)


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
