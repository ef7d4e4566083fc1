"""Provenance: how a recorded event's actor was established, and the attestation that vouches.

The HTTP API verifies a caller's token and finds their role binding, then attests each start
and step it sends: an HMAC-SHA256, under a key the API and the workers share, over the workflow
id, the update (name and id), a digest of the request (which holds the actor) and the caller's
issuer, subject and token id. Every recorded event names its provenance in its metadata: the
channel (`api`, `temporal`, `system`) and, for `api`, the issuer, the subject and the token id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict

START: Final = "start"  # what a start is called in the attested message

Channel = Literal["api", "temporal", "system"]


class Provenance(BaseModel):
    """How a recorded event's actor was established: the channel, and for `api` the token."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: Channel
    issuer: str | None = None
    subject: str | None = None
    token_id: str | None = None

    def metadata(self) -> dict[str, str]:
        """The provenance as it goes into an event's hash-chained metadata."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


UNATTESTED: Final = Provenance(channel="temporal")
"""A step that came straight through Temporal, unattested (allowed in development)."""
SYSTEM: Final = Provenance(channel="system")
"""The engine's own steps: deadlines."""


class Attestation(BaseModel):
    """The header's content: who the API vouches for, and its MAC over the request."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key_id: str
    issuer: str
    subject: str
    token_id: str | None
    mac: str


class Unattested(Exception):
    """A start or step without a valid attestation, where one is required."""


def request_digest(request: Any) -> str:
    """SHA-256 of the request's canonical JSON (the same on the API's and the worker's side)."""
    plain = request.model_dump(mode="json") if isinstance(request, BaseModel) else request
    text = json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _mac(key: bytes, *parts: str | None) -> str:
    message = "\n".join("" if part is None else part for part in parts).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Caller:
    """A verified caller: the token's issuer, subject and id."""

    issuer: str
    subject: str
    token_id: str | None


def attest(
    keys: Mapping[str, bytes],
    key_id: str,
    caller: Caller,
    *,
    workflow_id: str,
    name: str,
    update_id: str | None,
    request: Any,
) -> Attestation:
    """The attestation of one start (`name=START`) or step, under key `key_id`."""
    mac = _mac(
        keys[key_id],
        workflow_id,
        name,
        update_id,
        request_digest(request),
        caller.issuer,
        caller.subject,
        caller.token_id,
    )
    return Attestation(
        key_id=key_id,
        issuer=caller.issuer,
        subject=caller.subject,
        token_id=caller.token_id,
        mac=mac,
    )


def verified(
    keys: Mapping[str, bytes],
    attestation: Attestation,
    *,
    workflow_id: str,
    name: str,
    update_id: str | None,
    request: Any,
) -> Provenance:
    """The provenance an attestation vouches for, or Unattested saying why it does not hold."""
    key = keys.get(attestation.key_id)
    if key is None:
        raise Unattested(f"the attestation's key {attestation.key_id!r} is not a current key")
    expected = _mac(
        key,
        workflow_id,
        name,
        update_id,
        request_digest(request),
        attestation.issuer,
        attestation.subject,
        attestation.token_id,
    )
    if not hmac.compare_digest(expected, attestation.mac):
        raise Unattested("the attestation does not match this request")
    return Provenance(
        channel="api",
        issuer=attestation.issuer,
        subject=attestation.subject,
        token_id=attestation.token_id,
    )
