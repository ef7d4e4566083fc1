"""The side door is closed: with attested actors required, only what the API vouches for counts.

A real dev server and a real worker that shares keys with an attesting client (as the API is);
the `temporal` CLI plays the outsider who reaches Temporal directly. Every recorded event names
its provenance in its hash-chained metadata.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from temporalio.client import Client, WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from app.attestation_client import CALLER, AttestingInterceptor
from domain.provenance import Caller, attest
from domain.requests import REQUEST_FOR, StartPartnership
from settings import Settings
from tests.workflows.harness import COMMISSION, Harness, member, unique_task_queue
from tests.workflows.temporal_cli import send_update, temporal_cli
from worker import build_worker, wire
from workflows.attestation import HEADER
from workflows.contract import WORKFLOW_TYPE
from workflows.converter import DATA_CONVERTER

KEYS = {"k-2026-11": "the old shared secret", "k-2026-12": "the new shared secret"}
ALICE = Caller(issuer="https://login.example/", subject="alice-sub", token_id="jti-1")
START = {
    "country": "CV",
    "actor": COMMISSION,
    "rationale": "Cape Verde asked for a partnership",
    "terms_of_reference": "Council conclusions of June 2007, point 11",
}


@pytest.fixture
async def guarded(dev_env: WorkflowEnvironment, database_url: str) -> AsyncIterator[Harness]:
    """A worker that refuses unattested starts and steps, and both keys of a rotation."""
    settings = Settings(
        database_url=database_url,
        task_queue=unique_task_queue(),
        attestation_keys=KEYS,
        require_attested_actors=True,
    )
    wiring = wire(settings)
    async with build_worker(dev_env.client, wiring, settings.task_queue):
        yield Harness(dev_env.client, settings.task_queue, database_url)
    wiring.executor.shutdown(wait=True)


async def api_client(env: WorkflowEnvironment, key_id: str) -> Client:
    """A client that attests as the API does, signing with `key_id`."""
    keys = {k: v.encode() for k, v in KEYS.items()}
    return await Client.connect(
        env.client.service_client.config.target_host,
        data_converter=DATA_CONVERTER,
        interceptors=[AttestingInterceptor(keys, key_id)],
    )


async def propose_as_the_api(h: Harness, client: Client) -> Any:
    token = CALLER.set(ALICE)
    try:
        handle = await client.start_workflow(
            WORKFLOW_TYPE,
            StartPartnership.model_validate(START),
            id="partnership-CV",
            task_queue=h.task_queue,
        )
        await h.recorded(client.get_workflow_handle("partnership-CV"))
        return handle
    finally:
        CALLER.reset(token)


def answer(ms: str) -> dict[str, Any]:
    return {"actor": member(ms), "member_state": ms, "position": "interested"}


async def test_what_the_api_attests_is_recorded_with_its_token_as_provenance(
    dev_env: WorkflowEnvironment, guarded: Harness
) -> None:
    client = await api_client(dev_env, "k-2026-12")
    handle = await propose_as_the_api(guarded, client)
    request = REQUEST_FOR["respond_to_consultation"].model_validate(answer("PT"))
    token = CALLER.set(
        Caller(issuer="https://login.example/", subject="maria-sub", token_id="jti-2")
    )
    try:
        await handle.execute_update("respond_to_consultation", request)
    finally:
        CALLER.reset(token)
    stored = guarded.store().read_stream("partnership-CV/1")
    assert [(e.type, e.metadata["channel"], e.metadata["subject"]) for e in stored] == [
        ("PartnershipProposed", "api", "alice-sub"),
        ("ConsultationAnswered", "api", "maria-sub"),
    ]
    assert stored[1].metadata["issuer"] == "https://login.example/"
    assert stored[1].metadata["token_id"] == "jti-2"
    assert guarded.store().verify().ok


async def test_a_key_being_rotated_out_is_still_accepted(
    dev_env: WorkflowEnvironment, guarded: Harness
) -> None:
    client = await api_client(dev_env, "k-2026-11")
    await propose_as_the_api(guarded, client)
    assert guarded.event_types("CV") == ["PartnershipProposed"]


async def test_a_step_straight_through_temporal_is_refused_as_unattested(
    dev_env: WorkflowEnvironment, guarded: Harness
) -> None:
    await propose_as_the_api(guarded, await api_client(dev_env, "k-2026-12"))
    sent = await asyncio.to_thread(
        send_update, dev_env, "partnership-CV", "respond_to_consultation", answer("PT")
    )
    assert sent.returncode != 0
    assert "Unattested" in sent.stdout + sent.stderr
    assert "carries no attestation" in sent.stdout + sent.stderr
    assert guarded.event_types("CV") == ["PartnershipProposed"]


def cli_update_with_header(
    env: WorkflowEnvironment, payload: dict[str, Any], header: dict[str, Any]
) -> str:
    done = temporal_cli(
        env,
        "workflow",
        "update",
        "execute",
        "--workflow-id",
        "partnership-CV",
        "--name",
        "respond_to_consultation",
        "--input",
        json.dumps(payload),
        "--update-id",
        "outsider-1",
        "--headers",
        f"{HEADER}={json.dumps(header)}",
    )
    assert done.returncode != 0, done.stdout
    return done.stdout + done.stderr


async def test_a_forged_or_replayed_attestation_through_the_cli_is_refused(
    dev_env: WorkflowEnvironment, guarded: Harness
) -> None:
    await propose_as_the_api(guarded, await api_client(dev_env, "k-2026-12"))
    # Forged: a made-up MAC for the outsider's own request.
    forged = {
        "key_id": "k-2026-12",
        "issuer": "https://login.example/",
        "subject": "maria-sub",
        "token_id": "jti-9",
        "mac": "0" * 64,
    }
    said = await asyncio.to_thread(cli_update_with_header, dev_env, answer("ES"), forged)
    assert "Unattested" in said
    assert "does not match this request" in said
    # Replayed: a genuine attestation, made for PT's answer, carried over to ES's.
    genuine = attest(
        {k: v.encode() for k, v in KEYS.items()},
        "k-2026-12",
        Caller(issuer="https://login.example/", subject="maria-sub", token_id="jti-3"),
        workflow_id="partnership-CV",
        name="respond_to_consultation",
        update_id="outsider-1",
        request=REQUEST_FOR["respond_to_consultation"].model_validate(answer("PT")),
    )
    said = await asyncio.to_thread(
        cli_update_with_header, dev_env, answer("ES"), genuine.model_dump()
    )
    assert "does not match this request" in said
    assert guarded.event_types("CV") == ["PartnershipProposed"]


async def test_an_unattested_start_fails_and_records_nothing(
    dev_env: WorkflowEnvironment, guarded: Harness
) -> None:
    handle = await guarded.client.start_workflow(
        WORKFLOW_TYPE,
        StartPartnership.model_validate(START),
        id="partnership-CV",
        task_queue=guarded.task_queue,
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "Unattested"
    assert guarded.store().streams() == []


async def test_without_the_requirement_a_cli_step_is_recorded_as_coming_through_temporal(
    dev_harness: Harness,
) -> None:
    handle = await dev_harness.propose("CV")
    await dev_harness.update(handle, "respond_to_consultation", member("PT"), **_fields("PT"))
    stored = dev_harness.store().read_stream("partnership-CV/1")
    assert [e.metadata["channel"] for e in stored] == ["temporal", "temporal"]
    assert "subject" not in stored[1].metadata


def _fields(ms: str) -> dict[str, Any]:
    return {"member_state": ms, "position": "interested"}


async def test_a_refused_update_raises_for_the_sdk_client_too(
    dev_env: WorkflowEnvironment, guarded: Harness
) -> None:
    await propose_as_the_api(guarded, await api_client(dev_env, "k-2026-12"))
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await dev_env.client.get_workflow_handle("partnership-CV").execute_update(
            "respond_to_consultation", answer("PT")
        )
    assert isinstance(refused.value.cause, ApplicationError)
    assert refused.value.cause.type == "Unattested"
