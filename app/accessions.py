"""Accession to a launched partnership, for every front door: `accede`.

A Member State joins a launched partnership's signatories by a recorded accession with its date,
as the joint declarations provide for. The partnership's own workflow has ended at the launch,
so each accession runs `AccessionWorkflow` (workflows/accession.py) and waits for its result.
"""

from __future__ import annotations

from datetime import date, timedelta

from temporalio.client import Client, WorkflowFailureError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from activities.accession_recording import AccessionOutput as AccessionOutput
from app.exceptions import NotFound, Rejected, Unavailable
from app.partnerships import _refusal
from domain.actors import Actor
from domain.errors import DomainError
from domain.requests import AccedeRequest
from workflows.accession import ACCESSION_WORKFLOW_TYPE, AccessionStart, accession_workflow_id

# The accession is one short activity; past this, no worker is presumed to serve the queue.
ACCESSION_PATIENCE = timedelta(seconds=60)


async def accede(
    client: Client,
    task_queue: str,
    *,
    country: str,
    member_state: str,
    acceded_on: date | None,
    actor: Actor,
) -> AccessionOutput:
    """Record `member_state`'s accession to `country`'s launched partnership, on `acceded_on`
    (today when None), as `actor`; return it as recorded.

    Raises Rejected with the domain's reason and type (`WrongStage` for a partnership not
    launched, `InvalidInput` for a Member State already a party, `ForeignMemberState` for
    another Member State's representative), NotFound for a country never proposed, and
    Unavailable when Temporal cannot be reached or no worker answers in time.
    """
    try:
        request = AccedeRequest(actor=actor, member_state=member_state, occurred_on=acceded_on)
        workflow_id = accession_workflow_id(country, member_state)
    except DomainError as error:
        raise Rejected(error.message, kind=type(error).__name__) from None
    start = AccessionStart(country=country.strip().upper(), accession=request)
    try:
        result = await client.execute_workflow(
            ACCESSION_WORKFLOW_TYPE,
            start,
            id=workflow_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            result_type=AccessionOutput,
            execution_timeout=ACCESSION_PATIENCE,
        )
    except WorkflowAlreadyStartedError:
        raise Rejected(
            f"the accession of {member_state.strip().upper()} to {country.strip().upper()} is "
            "being recorded already; read the partnership to see it",
            kind="AlreadyOpen",
        ) from None
    except WorkflowFailureError as error:
        refusal = _refusal(error)
        if refusal.kind == "NotFound":
            raise NotFound(refusal.message, country=country.strip().upper()) from None
        if refusal.kind == "TimeoutError" or "timed out" in refusal.message.lower():
            raise Unavailable(
                f"no worker recorded the accession within {ACCESSION_PATIENCE.seconds} s on "
                f"task queue {task_queue}; nothing was recorded"
            ) from None
        raise refusal from None
    except RPCError as error:
        raise Unavailable(f"Temporal did not take the accession: {error}") from None
    if not isinstance(result, AccessionOutput):
        return AccessionOutput.model_validate(result)
    return result
