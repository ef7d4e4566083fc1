"""The API vouches for its callers to the workers: each start and step it sends is attested.

The Temporal client carries `app.attestation_client.AttestingInterceptor`, which signs a start
or an update sent while `CALLER` names a caller; `acting_for` names the authenticated caller
for the duration of one request's call. Workers check the attestation, and record the token's
issuer, subject and id as the events' provenance (channel `api`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from temporalio.client import Client

from app.attestation_client import CALLER, AttestingInterceptor
from app.identity import Caller
from domain.provenance import Caller as AttestedCaller
from settings import Settings, SettingsError
from workflows.attestation import worker_keys


def check_attestation_settings(settings: Settings) -> None:
    """Raise SettingsError when the API could not attest what the workers require attested."""
    key_id = settings.attestation_key_id
    if key_id is not None and key_id not in settings.attestation_keys:
        raise SettingsError(
            f"bad setting: ATTESTATION_KEY_ID names {key_id!r}, which is not one of "
            "ATTESTATION_KEYS; name the key the API signs with among the keys the workers share"
        )
    if key_id is None and settings.attestation_required:
        raise SettingsError(
            "bad setting: the workers refuse unattested starts and steps (PARTNERSHIPS_ENV="
            "production or REQUIRE_ATTESTED_ACTORS=true), but the API has no key to attest "
            "with; set ATTESTATION_KEYS and ATTESTATION_KEY_ID as the workers have them"
        )


def attesting(client: Client, settings: Settings) -> Client:
    """`client`, attesting each start and step when the settings give the API a key."""
    if settings.attestation_key_id is None:
        return client
    interceptor = AttestingInterceptor(
        worker_keys(settings.attestation_keys), settings.attestation_key_id
    )
    config = client.config()
    config["interceptors"] = [*config.get("interceptors", []), interceptor]
    return Client(**config)


@contextmanager
def acting_for(caller: Caller) -> Iterator[None]:
    """Attest the starts and steps sent inside the block for `caller`."""
    token = CALLER.set(AttestedCaller(caller.issuer, caller.subject, caller.token_id))
    try:
        yield
    finally:
        CALLER.reset(token)
