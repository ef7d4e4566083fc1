"""Hostile inputs, sent the way an outsider would: plain JSON through the `temporal` CLI.

For every input the refusal (or acceptance) is clear, the `status` query still answers, the
next legitimate step is recorded, and `partnerships verify` finds every chain intact. The
dev-server fixture then checks that no workflow task failed in any history.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import temporalio.api.sdk.v1
from temporalio.testing import WorkflowEnvironment

from domain.bounds import MAX_ANSWERS_PER_MEMBER_STATE
from domain.text import TEXT_MAX_BYTES
from tests.workflows.harness import (
    COMMISSION,
    PRESIDENCY,
    Harness,
    drive_to_council_decision,
    member,
    today,
)
from tests.workflows.temporal_cli import query_status, send_update, temporal_cli

START = {
    "country": "CV",
    "actor": COMMISSION,
    "rationale": "Cape Verde asked for a partnership",
    "terms_of_reference": "Council conclusions of June 2007, point 11",
}


def start(env: WorkflowEnvironment, task_queue: str, workflow_id: str, payload: Any) -> None:
    """Start a partnership with `payload` as its plain-JSON input."""
    started = temporal_cli(
        env,
        "workflow",
        "start",
        "--type",
        "PilotPartnershipWorkflow",
        "--task-queue",
        task_queue,
        "--workflow-id",
        workflow_id,
        "--input",
        json.dumps(payload),
    )
    assert started.returncode == 0, started.stderr


def failure(env: WorkflowEnvironment, workflow_id: str) -> tuple[str, str, bool]:
    """How the latest run of `workflow_id` failed: its type, message and whether final."""
    result = temporal_cli(
        env, "workflow", "result", "--workflow-id", workflow_id, "--output", "json"
    )
    assert result.returncode != 0, f"{workflow_id} did not fail: {result.stdout}"
    close = json.loads(result.stdout)["closeEvent"]
    failed = close["workflowExecutionFailedEventAttributes"]["failure"]
    info = failed.get("applicationFailureInfo", {})
    return info.get("type", ""), failed["message"], bool(info.get("nonRetryable"))


def refused(env: WorkflowEnvironment, workflow_id: str, name: str, payload: Any) -> str:
    """Send an update that must be refused; return what the CLI printed."""
    sent = send_update(env, workflow_id, name, payload)
    assert sent.returncode != 0, f"{name} was accepted: {sent.stdout}"
    return sent.stdout + sent.stderr


def accepted(env: WorkflowEnvironment, workflow_id: str, name: str, payload: Any) -> str:
    """Send an update that must be recorded; return what the CLI printed."""
    sent = send_update(env, workflow_id, name, payload)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    return sent.stdout


def verify(database_url: str) -> str:
    """`partnerships verify` on the test's store, as an operator runs it."""
    cli = Path(sys.executable).parent / "partnerships"
    done = subprocess.run(
        [str(cli), "verify"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "DATABASE_URL": database_url},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def answer(ms: str, **fields: Any) -> dict[str, Any]:
    return {"actor": member(ms), "member_state": ms, "position": "interested", **fields}


async def test_a_start_with_deadlines_at_the_end_of_the_calendar_is_refused_and_leaves_no_trace(
    dev_env: WorkflowEnvironment, dev_harness: Harness
) -> None:
    env, queue = dev_env, dev_harness.task_queue
    far = "9999-12-31"
    payload = {**START, "consultation_deadline": far, "decision_deadline": far}
    await asyncio.to_thread(start, env, queue, "partnership-CV", payload)
    kind, message, final = await asyncio.to_thread(failure, env, "partnership-CV")
    assert kind == "InvalidDeadline"
    assert final
    assert message.startswith(f"the decision deadline {far} lies more than 10 years after")
    assert "give a date between" in message
    assert dev_harness.store().streams() == []
    # The country's id is free again: a proper start succeeds and answers.
    await asyncio.to_thread(start, env, queue, "partnership-CV", START)
    await dev_harness.recorded(dev_harness.client.get_workflow_handle("partnership-CV"))
    assert (await asyncio.to_thread(query_status, env, "partnership-CV"))["version"] == 1
    await asyncio.to_thread(verify, dev_harness.database_url)


async def test_countries_that_are_member_states_or_no_country_at_all_cannot_be_proposed(
    dev_env: WorkflowEnvironment, dev_harness: Harness
) -> None:
    env, queue = dev_env, dev_harness.task_queue
    cases = [
        ("partnership-FR", {**START, "country": "FR", "occurred_on": "1957-12-31"}, "InvalidDate"),
        (
            "partnership-HR",
            {**START, "country": "HR", "occurred_on": "2010-01-01"},
            "NotAThirdCountry",
        ),
        ("partnership-SS", {**START, "country": "ß"}, "InvalidCountry"),
        ("partnership-FI", {**START, "country": "ﬁ"}, "InvalidCountry"),
    ]
    for workflow_id, payload, expected in cases:
        await asyncio.to_thread(start, env, queue, workflow_id, payload)
        kind, message, final = await asyncio.to_thread(failure, env, workflow_id)
        assert (kind, final) == (expected, True), message
        assert "give" in message or "allowed" in message or "propose" in message, message
    assert dev_harness.store().streams() == []
    await asyncio.to_thread(verify, dev_harness.database_url)


async def test_an_extension_to_the_end_of_the_calendar_is_refused_and_a_real_one_is_recorded(
    dev_env: WorkflowEnvironment, dev_harness: Harness
) -> None:
    await drive_to_council_decision(dev_harness, "CV", ["PT"])
    wid = "partnership-CV"
    said = await asyncio.to_thread(
        refused,
        dev_env,
        wid,
        "extend_decision_deadline",
        {"actor": PRESIDENCY, "new_deadline": "9999-12-31", "reason": "typo"},
    )
    assert "InvalidDeadline" in said
    assert "give a date between" in said
    status = await asyncio.to_thread(query_status, dev_env, wid)
    later = (today() + timedelta(days=400)).isoformat()
    await asyncio.to_thread(
        accepted,
        dev_env,
        wid,
        "extend_decision_deadline",
        {"actor": PRESIDENCY, "new_deadline": later, "reason": "more time"},
    )
    after = await asyncio.to_thread(query_status, dev_env, wid)
    assert after["version"] == status["version"] + 1
    assert after["decision_deadline"] == later
    await asyncio.to_thread(verify, dev_harness.database_url)


MALFORMED: dict[str, str] = {
    "unknown field": json.dumps({**answer("PT"), "admin": True}),
    "wrong type": json.dumps({**answer("PT"), "offers": "legal_migration"}),
    "null actor": json.dumps({**answer("PT"), "actor": None}),
    "null position": json.dumps({**answer("PT"), "position": None}),
    "null member state": json.dumps({**answer("PT"), "member_state": None}),
    "deeply nested": json.dumps({**answer("PT"), "comments": "x"})[:-1]
    + ', "extra": '
    + "[" * 3000
    + "]" * 3000
    + "}",
    "not an object": json.dumps(["PT", "interested"]),
    "a bare null": "null",
    "an empty object": "{}",
    "a date out of the calendar": json.dumps({**answer("PT"), "occurred_on": "2008-02-30"}),
    "a year 0": json.dumps({**answer("PT"), "occurred_on": "0000-01-01"}),
    "a backdated answer": json.dumps({**answer("PT"), "occurred_on": "1957-12-31"}),
    "another state's answer": json.dumps({**answer("PT"), "member_state": "ES"}),
    "the engine's role": json.dumps(
        {**answer("PT"), "actor": {"id": "x", "role": "system"}, "member_state": "PT"}
    ),
}


async def test_malformed_payloads_are_refused_as_final_and_the_next_answer_is_recorded(
    dev_env: WorkflowEnvironment, dev_harness: Harness
) -> None:
    await dev_harness.propose("CV")
    wid = "partnership-CV"
    for what, payload in MALFORMED.items():
        said = await asyncio.to_thread(refused, dev_env, wid, "respond_to_consultation", payload)
        assert "Traceback" not in said, what
        status = await asyncio.to_thread(query_status, dev_env, wid)
        assert status["version"] == 1, what
    said = await asyncio.to_thread(refused, dev_env, wid, "become_emperor", answer("PT"))
    assert "become_emperor" in said
    await asyncio.to_thread(accepted, dev_env, wid, "respond_to_consultation", answer("PT"))
    status = await asyncio.to_thread(query_status, dev_env, wid)
    assert status["version"] == 2
    assert list(status["answers"]) == ["PT"]
    await asyncio.to_thread(verify, dev_harness.database_url)


def largest_text(size: int) -> str:
    """A text of exactly `size` UTF-8 bytes, mixing one- to four-byte characters and lines."""
    unit = "Mobilité ∑ 🌍\n"  # 1 + 2 + 3 + 4-byte characters and a line break
    text = unit * (size // len(unit.encode()))
    text = "x" * (size - len(text.encode())) + text
    return text.strip() + "x" * (size - len(text.strip().encode()))


async def test_the_largest_accepted_answers_up_to_the_cap_leave_the_partnership_answering(
    dev_env: WorkflowEnvironment, dev_harness: Harness
) -> None:
    await dev_harness.propose("CV")
    wid = "partnership-CV"
    biggest = largest_text(TEXT_MAX_BYTES)
    assert len(biggest.encode()) == TEXT_MAX_BYTES
    said = await asyncio.to_thread(
        refused, dev_env, wid, "respond_to_consultation", answer("PT", comments=biggest + "y")
    )
    assert f"{TEXT_MAX_BYTES + 1:,} bytes" in said
    assert f"at most {TEXT_MAX_BYTES:,} bytes" in said
    said = await asyncio.to_thread(
        refused, dev_env, wid, "respond_to_consultation", answer("PT", comments="fine\u202etxt.exe")
    )
    assert "U+202E" in said
    for _ in range(MAX_ANSWERS_PER_MEMBER_STATE):
        await asyncio.to_thread(
            accepted, dev_env, wid, "respond_to_consultation", answer("PT", comments=biggest)
        )
    said = await asyncio.to_thread(
        refused, dev_env, wid, "respond_to_consultation", answer("PT", comments="one more")
    )
    assert str(MAX_ANSWERS_PER_MEMBER_STATE) in said
    status = await asyncio.to_thread(query_status, dev_env, wid)
    assert status["version"] == 1 + MAX_ANSWERS_PER_MEMBER_STATE
    # The view carries the latest answer, not every amendment: it stays small.
    assert len(json.dumps(status).encode()) < 4 * TEXT_MAX_BYTES + 16_384
    await asyncio.to_thread(accepted, dev_env, wid, "close_consultation", {"actor": COMMISSION})
    status = await asyncio.to_thread(query_status, dev_env, wid)
    assert status["stage"] == "awaiting_talks_authorisation"
    await asyncio.to_thread(verify, dev_harness.database_url)


async def test_markup_a_user_writes_reaches_the_temporal_ui_inert(
    dev_env: WorkflowEnvironment, dev_harness: Harness
) -> None:
    handle = await dev_harness.propose("CV")
    wid = "partnership-CV"
    hostile = "[click](http://evil.example) <script>alert(1)</script> **now**"
    await asyncio.to_thread(
        accepted, dev_env, wid, "withdraw", {"actor": COMMISSION, "reason": hostile}
    )
    metadata = await handle.query(
        "__temporal_workflow_metadata", result_type=temporalio.api.sdk.v1.WorkflowMetadata
    )
    details = str(metadata.current_details)
    assert "withdrawn" in details
    assert "[click](http://evil.example)" not in details
    assert "<script>" not in details
    assert "**now**" not in details
    await asyncio.to_thread(verify, dev_harness.database_url)
