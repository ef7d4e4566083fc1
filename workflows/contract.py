"""The names operators, scripts and other clients use to reach a partnership on Temporal.

README's public contract, in code: the task queue, the workflow type, the workflow id, and the
search attributes. The worker and every client import them from here and nowhere else.
"""

from __future__ import annotations

from typing import Any, Final

from temporalio import workflow
from temporalio.common import SearchAttributeKey

with workflow.unsafe.imports_passed_through():
    from domain.identifiers import workflow_id_for

__all__ = [
    "COUNTRY",
    "DECISION_DEADLINE",
    "REGION",
    "SEARCH_ATTRIBUTE_KEYS",
    "STAGE",
    "TASK_QUEUE",
    "WORKFLOW_TYPE",
    "workflow_id_for",
]

TASK_QUEUE: Final = "pilot-partnerships"
WORKFLOW_TYPE: Final = "PilotPartnershipWorkflow"

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
