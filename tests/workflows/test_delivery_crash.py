"""A worker killed with SIGKILL in the middle of a delivery: another delivers it, and the
receiver sees the same `webhook-id` on the repeat (at least once, recognisably)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from activities.database import create_engine_from_url
from activities.delivery_log import DeliveryLog
from activities.delivery_messages import DeliveryState
from activities.directory_store import DirectoryStore
from activities.webhook_signatures import secret_for, usable_key, verify
from domain.subscriptions import Subscribe
from tests.workflows.delivery_receivers import SIGNING_KEY, WebhookReceiver
from tests.workflows.harness import COMMISSION, Harness, member
from tests.workflows.worker_process import WorkerProcess


async def test_a_worker_killed_mid_delivery_is_replaced_and_the_repeat_has_the_same_webhook_id(
    dev_env: WorkflowEnvironment, worker_process: WorkerProcess, database_url: str, tmp_path: Path
) -> None:
    worker_process.env.update(
        {
            "WEBHOOK_SIGNING_KEY": SIGNING_KEY,
            "DATA_DIR": str(tmp_path),
            # An attempt whose worker died is retried once this has passed.
            "DELIVERY_ATTEMPT_TIMEOUT": "PT3S",
            "DELIVERY_RETRY_INITIAL": "PT0.2S",
            "DELIVERY_SWEEP_INTERVAL": "PT0.2S",
        }
    )
    engine = create_engine_from_url(database_url)
    log = DeliveryLog(engine)
    with WebhookReceiver(hold=True).serving() as receiver:
        hook = DirectoryStore(engine).subscribe(
            Subscribe(name="Council Secretariat", destination=receiver.url, subscribed_by="ada"),
            allow_loopback_http=True,
        )
        await asyncio.to_thread(worker_process.start)
        h = Harness(dev_env.client, worker_process.env["TASK_QUEUE"], database_url)
        handle = await h.propose("CV")
        await h.update(
            handle,
            "respond_to_consultation",
            member("ES"),
            member_state="ES",
            position="interested",
        )
        await h.update(handle, "close_consultation", COMMISSION)

        # The webhook is in flight, its answer held back: the worker dies now.
        assert await asyncio.to_thread(receiver.arrived.wait, 30), "no webhook was sent"
        worker_process.kill()
        receiver.hold = False
        receiver.release.set()
        assert [d.state for d in log.recent()] == [DeliveryState.PENDING]

        await asyncio.to_thread(worker_process.start)
        deadline = asyncio.get_running_loop().time() + 60
        while [d.state for d in log.recent()] != [DeliveryState.DELIVERED]:
            assert asyncio.get_running_loop().time() < deadline, "not delivered within 60 s"
            await asyncio.sleep(0.1)

    [delivery] = log.recent()
    assert len(receiver.received) >= 2, "the attempt cut short was made again"
    assert {r.headers["webhook-id"] for r in receiver.received} == {delivery.delivery_id}
    assert len({r.body for r in receiver.received}) == 1, "the same message each time"
    secret = secret_for(usable_key(SIGNING_KEY, source="test"), hook.subscription_id)
    for request in receiver.received:
        verify(secret, request.headers, request.body, now=datetime.now(UTC))
    assert json.loads(receiver.received[-1].body)["id"] == delivery.delivery_id
    # The attempt the dead worker made was never logged; the one that delivered was.
    [logged] = log.attempts(delivery.delivery_id)
    assert logged.outcome == "delivered"
    assert logged.attempt >= 2
    engine.dispose()
