"""The API's side of attested actors: its Temporal client signs each start and step it sends.

While a request is served, `CALLER` holds the verified caller; the interceptor then adds the
attestation header (workflows/attestation.py names it, and the workers check it) over exactly
that call. A call made with no caller set goes out unsigned.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Mapping
from typing import Any

import temporalio.api.common.v1
import temporalio.client

from domain.provenance import START, Attestation, Caller, attest
from workflows.attestation import HEADER

CALLER: contextvars.ContextVar[Caller | None] = contextvars.ContextVar(
    "partnerships_caller", default=None
)
"""The caller of the request being served; the client interceptor attests for them."""


def _header(attestation: Attestation) -> temporalio.api.common.v1.Payload:
    return temporalio.api.common.v1.Payload(
        metadata={"encoding": b"json/plain"}, data=attestation.model_dump_json().encode()
    )


class AttestingInterceptor(temporalio.client.Interceptor):
    """Client interceptor: attests each start and update sent while a `CALLER` is set."""

    def __init__(self, keys: Mapping[str, bytes], key_id: str) -> None:
        self._keys = dict(keys)
        self._key_id = key_id

    def intercept_client(
        self, next: temporalio.client.OutboundInterceptor
    ) -> temporalio.client.OutboundInterceptor:
        """Wrap the client's outbound calls."""
        return _AttestingOutbound(next, self._keys, self._key_id)


class _AttestingOutbound(temporalio.client.OutboundInterceptor):
    def __init__(
        self, next: temporalio.client.OutboundInterceptor, keys: dict[str, bytes], key_id: str
    ) -> None:
        super().__init__(next)
        self._keys = keys
        self._key_id = key_id

    async def start_workflow(
        self, input: temporalio.client.StartWorkflowInput
    ) -> temporalio.client.WorkflowHandle[Any, Any]:
        caller = CALLER.get()
        if caller is not None and input.args:
            attestation = attest(
                self._keys,
                self._key_id,
                caller,
                workflow_id=input.id,
                name=START,
                update_id=None,
                request=input.args[0],
            )
            input.headers = {**input.headers, HEADER: _header(attestation)}
        return await super().start_workflow(input)

    async def start_workflow_update(
        self, input: temporalio.client.StartWorkflowUpdateInput
    ) -> temporalio.client.WorkflowUpdateHandle[Any]:
        caller = CALLER.get()
        if caller is not None and input.args:
            # The update id is part of what is attested: fix it now rather than in the SDK.
            input.update_id = input.update_id or str(uuid.uuid4())
            attestation = attest(
                self._keys,
                self._key_id,
                caller,
                workflow_id=input.id,
                name=input.update,
                update_id=input.update_id,
                request=input.args[0],
            )
            input.headers = {**input.headers, HEADER: _header(attestation)}
        return await super().start_workflow_update(input)
