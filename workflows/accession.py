"""`AccessionWorkflow`: a Member State joins a launched partnership, as the joint declarations
provide for.

`PilotPartnershipWorkflow` ends at the launch (a launched country may be proposed again, and a
client awaiting its result gets it), so an accession is a short workflow of its own, one per
Member State and country (`accession-CV-DE`): one activity reads the country's latest stream,
lets the domain decide and appends the accession at the version it read. The event id comes
from `workflow.uuid4()`, so a retried activity records nothing twice.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.accession_recording import AccessionActivities, AccessionInput, AccessionOutput
    from activities.failures import final_failure
    from domain.errors import DomainError
    from domain.identifiers import workflow_id_for
    from domain.provenance import START, Attestation
    from domain.requests import AccedeRequest

ACCESSION_WORKFLOW_TYPE = "AccessionWorkflow"

_STORE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
)


class AccessionStart(BaseModel):
    """The accession workflow's input: the third country, and the Member State's request."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    country: str = Field(min_length=1, max_length=10)
    accession: AccedeRequest


def accession_workflow_id(country: str, member_state: str) -> str:
    """`accession-CV-DE`: one accession of a Member State to a country's partnership runs at a
    time (a second one, once the first is recorded, is refused by the domain). Raises
    InvalidCountry for a code that names no country."""
    code = workflow_id_for(country).removeprefix("partnership-")
    return f"accession-{code}-{member_state.strip().upper()}"


@workflow.defn(name=ACCESSION_WORKFLOW_TYPE)
class AccessionWorkflow:
    """Record one Member State's accession to a launched partnership."""

    def __init__(self) -> None:
        # What the attestation interceptor found on the start (workflows/attestation.py).
        self.attested: dict[str, object] = {}

    @workflow.run
    async def run(self, start: AccessionStart) -> AccessionOutput:
        """Decide and record the accession; a refusal fails the run with the domain's reason."""
        info = workflow.info()
        member_state = start.accession.member_state
        try:
            expected = accession_workflow_id(start.country, member_state)
        except DomainError as error:
            raise final_failure(error.message, type(error).__name__) from None
        if info.workflow_id != expected:
            raise final_failure(
                f"the accession of {member_state} to {start.country} runs as workflow id "
                f"{expected}, not {info.workflow_id}",
                "WrongWorkflowId",
            )
        country = expected.removeprefix("accession-").split("-", 1)[0]
        try:
            return await workflow.execute_activity_method(
                AccessionActivities.record_accession,
                AccessionInput(
                    country=country,
                    request=start.accession,
                    event_id=workflow.uuid4(),
                    now=workflow.now(),
                    workflow_id=info.workflow_id,
                    run_id=info.run_id,
                    attestation=self._attestation(),
                    start=start.model_dump(mode="json"),
                ),
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=_STORE_RETRY,
                summary=f"record the accession of {member_state} to {country}",
            )
        except ActivityError as error:
            cause = error.cause
            if isinstance(cause, ApplicationError):
                # The domain's or the store's own reason, final: retrying cannot mend it.
                raise final_failure(cause.message, cause.type or "Refused") from None
            raise

    def _attestation(self) -> Attestation | None:
        found = self.attested.get(START)
        return found if isinstance(found, Attestation) else None
