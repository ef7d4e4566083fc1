"""The search attributes of the public contract, and how a partnership fills them."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from domain.state import Partnership

STAGE = SearchAttributeKey.for_keyword("PartnershipStage")
COUNTRY = SearchAttributeKey.for_keyword("PartnershipCountry")
REGION = SearchAttributeKey.for_keyword("MigratoryRegion")
DECISION_DEADLINE = SearchAttributeKey.for_datetime("CouncilDecisionDeadline")

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
        end_of_day = datetime.combine(state.decision_deadline, time(23, 59, 59), tzinfo=UTC)
        updates.append(DECISION_DEADLINE.value_set(end_of_day))
    return updates
