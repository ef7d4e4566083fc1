"""Attested actors, the workers' side: each step's attestation checked before its validator.

The API's client signs (app/attestation_client.py); this module names the header and checks it.

The HTTP API has verified the caller's token and found their role binding; it attests each start
and step it sends by a Temporal header: an HMAC-SHA256, under a key the API and the workers
share, over the workflow id, the update (name and id), a digest of the request (which holds the
actor) and the caller's issuer, subject and token id. A caller who reaches Temporal directly
cannot forge it, nor move it to another request.

The check runs where Temporal never replays: in the update validators, through a workflow
interceptor, and for a start in the `open_stream` activity, whose outcome the history records.
So rotating a key never breaks a replay, and several keys may be valid at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import temporalio.api.common.v1
import temporalio.worker
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.failures import final_failure
    from domain.provenance import (
        START,
        UNATTESTED,
        Attestation,
        Provenance,
        Unattested,
        verified,
    )

HEADER: Final = "partnerships-attestation"


def read_header(headers: Mapping[str, temporalio.api.common.v1.Payload]) -> Attestation | None:
    """The attestation a call carries, if any (a malformed one reads as a forged one)."""
    payload = headers.get(HEADER)
    if payload is None:
        return None
    try:
        return Attestation.model_validate_json(payload.data)
    except ValueError:
        return Attestation(key_id="", issuer="", subject="", token_id=None, mac="")


def unattested_refusal(reason: str) -> Exception:
    """The refusal of a start or step that is not attested where one must be."""
    return final_failure(
        f"this step is not attested by the API: {reason}; send it through the HTTP API "
        "(PARTNERSHIPS_API) with a token. Nothing was recorded",
        "Unattested",
    )


# The workers' side.


class AttestationChecks(temporalio.worker.Interceptor):
    """Worker interceptor: checks each step's attestation before its validator runs.

    A valid one gives the step the `api` provenance; none (or a forged one) is refused as
    `Unattested` when `required`, and otherwise recorded with the `temporal` channel, so
    operators keep their tools in development. The start's attestation is handed to the
    workflow, which has the `open_stream` activity check it (see `start_attestation`).
    """

    def __init__(self, keys: Mapping[str, bytes], *, required: bool) -> None:
        self._keys = dict(keys)
        self._required = required

    def workflow_interceptor_class(
        self, input: temporalio.worker.WorkflowInterceptorClassInput
    ) -> type[temporalio.worker.WorkflowInboundInterceptor]:
        """The inbound interceptor of each workflow run, closed over the keys."""
        keys, required = self._keys, self._required

        class _Inbound(temporalio.worker.WorkflowInboundInterceptor):
            async def execute_workflow(self, input: temporalio.worker.ExecuteWorkflowInput) -> Any:
                _stash(START, read_header(input.headers))
                return await super().execute_workflow(input)

            def handle_update_validator(self, input: temporalio.worker.HandleUpdateInput) -> None:
                attestation = read_header(input.headers)
                try:
                    if attestation is None:
                        raise Unattested("the step carries no attestation")
                    provenance = verified(
                        keys,
                        attestation,
                        workflow_id=workflow.info().workflow_id,
                        name=input.update,
                        update_id=input.id,
                        request=input.args[0] if input.args else None,
                    )
                except Unattested as why:
                    if required:
                        raise unattested_refusal(str(why)) from None
                    provenance = UNATTESTED
                _stash(input.id, provenance)
                super().handle_update_validator(input)

        return _Inbound


def _stash(key: str, value: Any) -> None:
    # The workflow reads what its interceptor found (workflow.instance() is the running one).
    found = getattr(workflow.instance(), "attested", None)
    if isinstance(found, dict):
        found[key] = value


def provenance_of_update(attested: Mapping[str, Any], update_id: str) -> Provenance:
    """The provenance the validator established for an update (replay: not known, `temporal`).

    Validators do not run on replay; the provenance only goes into the append's input, which a
    replay does not send again, so nothing recorded differs.
    """
    found = attested.get(update_id)
    return found if isinstance(found, Provenance) else UNATTESTED


def worker_keys(raw: Mapping[str, str]) -> dict[str, bytes]:
    """The shared keys from settings (key id → secret text)."""
    return {key_id: secret.encode() for key_id, secret in raw.items()}
