"""Histories of real runs replay without non-determinism against today's workflow code.

A change that fails here would break workflows already running in production; regenerate the
histories (tests/histories/export.py) only for a change that is compatible by design.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from workflows.converter import DATA_CONVERTER
from workflows.partnership import PilotPartnershipWorkflow, workflow_id_for

HISTORIES = sorted((Path(__file__).resolve().parents[1] / "histories").glob("*.json"))
TEXTS = {path.stem: path.read_text() for path in HISTORIES}


def workflow_id_of(history_json: str) -> str:
    """The workflow id a recorded run had: the canonical id of its start input's country."""
    started = json.loads(history_json)["events"][0]["workflowExecutionStartedEventAttributes"]
    start = json.loads(base64.b64decode(started["input"]["payloads"][0]["data"]))
    # A continued run's input is a Continuation, which carries the original start.
    return workflow_id_for(start.get("start", start)["country"])


def test_there_are_recorded_histories_to_replay() -> None:
    assert len(HISTORIES) >= 3


@pytest.mark.parametrize("name", sorted(TEXTS))
async def test_a_recorded_history_replays_without_non_determinism(name: str) -> None:
    history = WorkflowHistory.from_json(workflow_id_of(TEXTS[name]), TEXTS[name])
    replayer = Replayer(workflows=[PilotPartnershipWorkflow], data_converter=DATA_CONVERTER)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
