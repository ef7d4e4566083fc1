"""Histories of real runs replay without non-determinism against today's workflow code.

A change that fails here would break workflows already running in production. The fix is
`workflow.patched(...)` in the workflow, never a new export over an old history: histories are
only ever added (tests/histories/MANIFEST.sha256 and its test keep it so).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from workflows.contract import workflow_id_for
from workflows.converter import DATA_CONVERTER
from workflows.lifecycle import PilotPartnershipWorkflow

HISTORIES = sorted((Path(__file__).resolve().parents[1] / "histories").glob("*.json"))
TEXTS = {path.stem: path.read_text() for path in HISTORIES}


def workflow_id_of(history_json: str) -> str:
    """The workflow id a recorded run had: the canonical id of its start input's country."""
    started = json.loads(history_json)["events"][0]["workflowExecutionStartedEventAttributes"]
    start = json.loads(base64.b64decode(started["input"]["payloads"][0]["data"]))
    # A continued run's input is a Continuation, which carries the original start.
    return workflow_id_for(start.get("start", start)["country"])


def test_the_histories_recorded_before_the_milestone_activity_was_renamed_are_kept() -> None:
    # Recorded by commit 29f0c1c, when milestones went through `deliver_milestone`.
    assert {
        "launched-2026-11-28T06-16",
        "extended_then_lapsed-2026-11-28T06-16",
        "closed_by_deadline-2026-11-28T06-16",
    } <= set(TEXTS)
    assert all('"deliver_milestone"' in TEXTS[f"{n}-2026-11-28T06-16"] for n in ("launched",))


@pytest.mark.parametrize("name", sorted(TEXTS))
async def test_a_recorded_history_replays_without_non_determinism(name: str) -> None:
    history = WorkflowHistory.from_json(workflow_id_of(TEXTS[name]), TEXTS[name])
    replayer = Replayer(workflows=[PilotPartnershipWorkflow], data_converter=DATA_CONVERTER)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
