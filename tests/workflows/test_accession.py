"""Issue 13, item 4: a Member State accedes to a launched partnership through
`AccessionWorkflow`, on a real Temporal server with the real store."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from app.accessions import accede
from app.exceptions import NotFound, Rejected
from domain.actors import Actor
from domain.events import MemberStateAcceded
from domain.stages import Stage
from interfaces.cli.app import app as cli
from settings import Settings
from tests.workflows.harness import (
    COMMISSION,
    PRESIDENCY,
    Harness,
    drive_to_council_decision,
    today,
    unique_task_queue,
)
from worker import build_worker, wire


def representative(ms: str) -> Actor:
    """A Member State's representative, as the app receives it."""
    return Actor(id=f"rep-{ms.lower()}", role="member_state", member_state=ms)  # type: ignore[arg-type]


async def launched(h: Harness, country: str = "CV") -> WorkflowHandle[Any, Any]:
    """A partnership signed by ES today."""
    handle = await drive_to_council_decision(h, country, ["ES"])
    await h.update(
        handle, "record_council_decision", PRESIDENCY, outcome="invite_launch", decided_on=today()
    )
    await h.update(
        handle,
        "launch_partnership",
        COMMISSION,
        member_states=["ES"],
        components=["legal_migration", "readmission_and_return"],
        signed_on=today(),
    )
    assert (await handle.result()).stage is Stage.LAUNCHED
    return handle


async def test_a_member_state_accedes_to_a_launched_partnership(harness: Harness) -> None:
    await launched(harness)
    recorded = await accede(
        harness.client,
        harness.task_queue,
        country="cv",
        member_state="DE",
        acceded_on=today(),
        actor=representative("DE"),
    )
    assert recorded.stream_id == "partnership-CV/1"
    assert recorded.member_state == "DE"
    assert recorded.acceded_on == today()
    assert recorded.signatories == ("ES", "DE")
    acceded = harness.events("CV")[-1]
    assert isinstance(acceded, MemberStateAcceded)
    assert acceded.member_state == "DE"
    assert len(harness.events("CV")) == recorded.version
    assert harness.store().verify().ok


async def refusal(h: Harness, ms: str) -> Rejected:
    """The refusal of `ms`'s accession to CV, checking that nothing was recorded."""
    before = h.event_types("CV")
    with pytest.raises(Rejected) as refused:
        await accede(
            h.client,
            h.task_queue,
            country="CV",
            member_state=ms,
            acceded_on=None,
            actor=representative(ms),
        )
    assert h.event_types("CV") == before
    return refused.value


async def test_a_member_state_already_a_party_is_refused(harness: Harness) -> None:
    await launched(harness)
    signatory = await refusal(harness, "ES")
    assert signatory.kind == "InvalidInput"
    assert "ES signed the joint declaration at its launch" in str(signatory)

    await accede(
        harness.client,
        harness.task_queue,
        country="CV",
        member_state="DE",
        acceded_on=None,
        actor=representative("DE"),
    )
    again = await refusal(harness, "DE")
    assert again.kind == "InvalidInput"
    assert "DE already acceded" in str(again)
    assert harness.event_types("CV").count("MemberStateAcceded") == 1


async def test_a_partnership_not_launched_takes_no_accession(harness: Harness) -> None:
    await drive_to_council_decision(harness, "CV", ["ES"])
    before = harness.event_types("CV")
    with pytest.raises(Rejected) as refused:
        await accede(
            harness.client,
            harness.task_queue,
            country="CV",
            member_state="DE",
            acceded_on=None,
            actor=representative("DE"),
        )
    assert refused.value.kind == "WrongStage"
    assert "only a launched partnership takes accessions" in str(refused.value)
    assert harness.event_types("CV") == before


async def test_a_representative_accedes_only_for_its_own_member_state(harness: Harness) -> None:
    await launched(harness)
    with pytest.raises(Rejected) as refused:
        await accede(
            harness.client,
            harness.task_queue,
            country="CV",
            member_state="DE",
            acceded_on=today() - timedelta(days=0),
            actor=representative("IT"),
        )
    assert refused.value.kind == "ForeignMemberState"


async def test_a_country_never_proposed_is_not_found(harness: Harness) -> None:
    with pytest.raises(NotFound):
        await accede(
            harness.client,
            harness.task_queue,
            country="GE",
            member_state="DE",
            acceded_on=None,
            actor=representative("DE"),
        )


async def test_the_cli_records_an_accession_with_its_date(harness: Harness) -> None:
    await launched(harness)
    env = {
        "TEMPORAL_ADDRESS": harness.client.service_client.config.target_host,
        "DATABASE_URL": harness.database_url,
        "TASK_QUEUE": harness.task_queue,
        "PARTNERSHIPS_API": "",
        "COLUMNS": "200",
    }
    args = ["accede", "CV", "--member-state", "DE", "--on", today().isoformat()]
    args += ["--as", "member_state:DE:hans"]
    result = await asyncio.to_thread(CliRunner().invoke, cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert f"DE acceded to the partnership with CV on {today().isoformat()}" in result.output
    assert "parties to the joint declaration: ES, DE" in result.output
    again = await asyncio.to_thread(CliRunner().invoke, cli, args, env=env)
    assert again.exit_code != 0
    assert "DE already acceded" in again.output


async def test_an_unattested_accession_is_refused_where_attestation_is_required(
    skipping_env: WorkflowEnvironment, database_url: str
) -> None:
    settings = Settings(
        database_url=database_url,
        task_queue=unique_task_queue(),
        attestation_keys={"k-test": "a secret the API and the workers share"},
        attestation_key_id="k-test",
        require_attested_actors=True,
    )
    wiring = wire(settings)
    try:
        async with build_worker(skipping_env.client, wiring, settings.task_queue):
            with pytest.raises(Rejected) as refused:
                await accede(
                    skipping_env.client,
                    settings.task_queue,
                    country="CV",
                    member_state="DE",
                    acceded_on=None,
                    actor=representative("DE"),
                )
    finally:
        wiring.executor.shutdown(wait=True)
    assert refused.value.kind == "Unattested"
    assert "not attested by the API" in str(refused.value)
