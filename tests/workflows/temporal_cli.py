"""The `temporal` CLI against a test's dev server: how an outsider drives a partnership."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from temporalio.testing import WorkflowEnvironment

from tests.workflows.harness import venv_binary


def temporal_cli(
    env: WorkflowEnvironment, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the `temporal` CLI against the test's dev server, as an operator would."""
    target = env.client.service_client.config.target_host
    return subprocess.run(
        [venv_binary("temporal"), *args, "--address", target, "--namespace", "default"],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def send_update(
    env: WorkflowEnvironment, workflow_id: str, name: str, payload: str | dict[str, Any]
) -> subprocess.CompletedProcess[str]:
    """Send update `name` with a JSON payload (given as text to send it verbatim)."""
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return temporal_cli(
        env,
        "workflow",
        "update",
        "execute",
        "--workflow-id",
        workflow_id,
        "--name",
        name,
        "--input",
        text,
    )


def query_status(env: WorkflowEnvironment, workflow_id: str) -> dict[str, Any]:
    """The `status` query through the CLI, as JSON; fails the test if it does not answer."""
    queried = temporal_cli(
        env,
        "workflow",
        "query",
        "--workflow-id",
        workflow_id,
        "--name",
        "status",
        "--output",
        "json",
    )
    assert queried.returncode == 0, queried.stderr
    result: dict[str, Any] = json.loads(queried.stdout)["queryResult"][0]
    return result
