"""The console's deliveries page and a milestone's PDF, over real HTTP with real sign-ins.

The API's app (console included) is served by uvicorn on a free loopback port, in a thread; the
development issuer is the OpenID Connect provider, so people sign in through the whole flow.
The store is a migrated SQLite file holding Cape Verde's record (proposal to joint
declaration, appended as the workflow appends it, so its milestones are in the outbox), and
deliveries written by the real delivery log. A Temporal dev server from the venv (no worker)
answers "Send again": the re-sent delivery's workflow is then running there under its id.
"""

from __future__ import annotations

import asyncio
import datetime
import re
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import httpx
import pytest
import uvicorn
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.codec import to_new_event
from activities.database import create_engine_from_url
from activities.delivery_log import Attempt, DeliveryLog
from activities.delivery_messages import DeliveryState, delivery_id
from activities.directory_store import DirectoryStore
from activities.eventstore import EventStore
from activities.projections import Projections
from app.dev_issuer import dev_token
from domain.directory import BindingRole
from interfaces.api.server import create_app
from migrations import runner
from settings import Settings
from tests.unit.test_golden_report import cape_verde
from tests.workflows.harness import unique_task_queue, venv_binary
from workflows.contract import SEARCH_ATTRIBUTE_KEYS
from workflows.delivery import DELIVERY_WORKFLOW_TYPE

STREAM: Final = "partnership-CV/1"
LAUNCH_VERSION: Final = 12
"""Cape Verde's joint declaration is the 13th event of its record (version 12)."""
DECISION_VERSION: Final = 11
AT: Final = datetime.datetime(2026, 12, 2, 6, 0, tzinfo=datetime.UTC)

FAILED_WEBHOOK: Final = delivery_id(STREAM, LAUNCH_VERSION, "launch", "s-council")
FAILED_MAIL: Final = delivery_id(STREAM, LAUNCH_VERSION, "launch", "s-presidency")
DELIVERED: Final = delivery_id(STREAM, DECISION_VERSION, "council_decision", "s-council")


class DevServer:
    """A Temporal dev server from the venv on a loop of its own, in a thread (no worker)."""

    def __init__(self) -> None:
        self.address = ""
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="temporal-dev", daemon=True)

    def __enter__(self) -> DevServer:
        self._thread.start()
        if not self._ready.wait(60):
            raise AssertionError("the Temporal dev server did not start in 60 s")
        if self._error is not None:
            raise self._error
        return self

    def __exit__(self, *_: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:
            self._error = error
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=venv_binary("temporal"),
            search_attributes=list(SEARCH_ATTRIBUTE_KEYS),
            dev_server_log_level="error",
        )
        try:
            self.address = env.client.service_client.config.target_host
            self._ready.set()
            await self._stop.wait()
        finally:
            await env.shutdown()

    def status_of(self, workflow_id: str) -> tuple[str, WorkflowExecutionStatus] | None:
        """The workflow's type and status on this server, or None when it never ran."""

        async def describe() -> tuple[str, WorkflowExecutionStatus] | None:
            client = await Client.connect(self.address)
            try:
                found = await client.get_workflow_handle(workflow_id).describe()
            except RPCError:
                return None
            assert found.status is not None
            return found.workflow_type, found.status

        return asyncio.run(describe())


@dataclass
class Served:
    """The app served on loopback, its settings, store and Temporal."""

    url: str
    settings: Settings
    temporal: DevServer

    @contextmanager
    def person(
        self, role: BindingRole, user: str, member_state: str | None = None
    ) -> Iterator[httpx.Client]:
        """A browser (cookies kept, no redirect followed) with `user` signed in as `role`."""
        engine = create_engine_from_url(self.settings.database_url)
        try:
            directory = DirectoryStore(engine)
            dev_token(self.settings, directory, role=role, user=user, member_state=member_state)
        finally:
            engine.dispose()
        with httpx.Client(base_url=self.url, follow_redirects=False, timeout=30) as browser:
            page = browser.get("/sign-in")
            form = {"csrf_token": csrf_of(page), "next": "/", "login_hint": user}
            to_issuer = browser.post("/sign-in", data=form)
            assert to_issuer.status_code == 302, to_issuer.text
            to_console = browser.get(to_issuer.headers["location"])
            assert to_console.status_code == 303, to_console.text
            landed = browser.get(to_console.headers["location"])
            assert landed.status_code == 303, landed.text
            yield browser


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token a page's forms carry."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def _record_deliveries(engine_url: str) -> None:
    """Cape Verde's record, and its deliveries as the delivery workflow logs them."""
    engine = create_engine_from_url(engine_url)
    try:
        store = EventStore(engine, projections=Projections(engine))
        for version, event in enumerate(cape_verde().events):
            store.append(STREAM, version, [to_new_event(uuid.uuid4(), event, {})])
        log = DeliveryLog(engine)
        for key, version, kind, subscription, subscriber, destination in (
            (
                DELIVERED,
                DECISION_VERSION,
                "council_decision",
                "s-council",
                "Council Secretariat",
                "https://council.example.eu/hooks",
            ),
            (
                FAILED_WEBHOOK,
                LAUNCH_VERSION,
                "launch",
                "s-council",
                "Council Secretariat",
                "https://council.example.eu/hooks",
            ),
            (
                FAILED_MAIL,
                LAUNCH_VERSION,
                "launch",
                "s-presidency",
                "The Presidency",
                "presidency@example.eu",
            ),
        ):
            log.open(
                delivery_id=key,
                stream_id=STREAM,
                version=version,
                kind=kind,
                subscription_id=subscription,
                subscriber=subscriber,
                destination=destination,
                now=AT,
            )
        log.record_attempt(
            DELIVERED,
            Attempt(1, AT, "delivered", 9, 204, subscription_id="s-council", subscriber="C"),
            final=DeliveryState.DELIVERED,
        )
        for n in range(1, 4):
            log.record_attempt(
                FAILED_WEBHOOK,
                Attempt(
                    n,
                    AT + datetime.timedelta(minutes=n),
                    "retried",
                    30 + n,
                    503,
                    error="the receiver answered HTTP 503",
                ),
            )
        log.finish(FAILED_WEBHOOK, DeliveryState.FAILED, AT + datetime.timedelta(hours=1))
        log.record_attempt(
            FAILED_MAIL,
            Attempt(1, AT, "failed", 120, 550, reply="550 5.1.1 mailbox unavailable"),
            final=DeliveryState.FAILED,
        )
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp: Path = tmp_path_factory.mktemp("console-deliveries")
    url = f"sqlite:///{tmp / 'partnerships.db'}"
    runner.upgrade(url)
    _record_deliveries(url)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    with DevServer() as temporal:
        settings = Settings(
            database_url=url,
            data_dir=str(tmp / "data"),
            dev_issuer_url=f"http://127.0.0.1:{port}/dev/",
            temporal_address=temporal.address,
            task_queue=unique_task_queue(),
        )
        app = create_app(settings)
        server = uvicorn.Server(
            uvicorn.Config(app, lifespan="off", log_level="warning", server_header=False)
        )
        thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
        thread.start()
        try:
            for _ in range(1000):
                if server.started:
                    break
                thread.join(0.01)
            assert server.started, "uvicorn did not start"
            yield Served(f"http://127.0.0.1:{port}", settings, temporal)
        finally:
            server.should_exit = True
            thread.join(30)
            listener.close()
            app.state.resources.store.close()


def test_an_operator_sees_a_failed_delivery_with_its_milestone_and_attempts(
    served: Served,
) -> None:
    with served.person(BindingRole.OPERATOR, "olga") as olga:
        page = olga.get("/delivery-log", params={"state": "failed"})
    assert page.status_code == 200, page.text
    text = page.text
    assert FAILED_WEBHOOK in text
    assert FAILED_MAIL in text
    assert DELIVERED not in text  # the filter keeps the failed ones only
    assert "The launch, Cabo Verde, to Council Secretariat" in text
    assert '<time datetime="2008-06-05">5 June 2008</time>' in text  # the launch's business date
    assert "https://council.example.eu/hooks" in text
    assert "Failed after 3 attempts" in text
    # The latest attempts, newest first, with the receiver's status and how long each took.
    rows = re.findall(
        r"<th scope=\"row\">(\d)</th>\s*<td><time [^>]*>([^<]+)</time></td>\s*<td>(\w+)</td>"
        r"\s*<td>([^<]*)</td>\s*<td>(\d+) ms</td>",
        text,
    )
    assert ("3", "2 December 2026, 06:03:00 UTC", "retried", "HTTP 503", "33") in rows
    assert ("1", "2 December 2026, 06:01:00 UTC", "retried", "HTTP 503", "31") in rows
    assert (
        "1",
        "2 December 2026, 06:00:00 UTC",
        "failed",
        "550 5.1.1 mailbox unavailable",
        "120",
    ) in rows
    assert text.count(">Send again</button>") == 2
    assert '<a href="/delivery-log" aria-current="page">Deliveries</a>' in text


def test_every_delivery_is_listed_without_a_filter_and_a_delivered_one_is_not_sent_again(
    served: Served,
) -> None:
    with served.person(BindingRole.ADMINISTRATOR, "ada") as ada:
        page = ada.get("/delivery-log")
        unknown = ada.get("/delivery-log", params={"state": "lost"})
    assert page.status_code == 200
    assert all(key in page.text for key in (DELIVERED, FAILED_WEBHOOK, FAILED_MAIL))
    assert "Delivered after 1 attempt;" in page.text
    assert page.text.count(">Send again</button>") == 2
    assert unknown.status_code == 200
    assert "There is no state &#39;lost&#39;" in unknown.text


def test_a_member_states_representative_is_refused_the_page_and_not_shown_the_link(
    served: Served,
) -> None:
    with served.person(BindingRole.MEMBER_STATE, "maria", "PT") as maria:
        refused = maria.get("/delivery-log")
        inbox = maria.get("/")
        csrf = csrf_of(inbox)
        not_sent = maria.post(
            "/delivery-log/send-again", data={"csrf_token": csrf, "delivery_id": FAILED_MAIL}
        )
    assert refused.status_code == 403
    assert "Deliveries are for operators and administrators" in refused.text
    assert "member_state:PT" in refused.text
    assert FAILED_MAIL not in refused.text
    assert inbox.status_code == 200
    assert 'href="/delivery-log"' not in inbox.text
    assert not_sent.status_code == 403
    assert served.temporal.status_of(FAILED_MAIL) is None


def test_send_again_without_the_csrf_token_is_refused_and_starts_nothing(
    served: Served,
) -> None:
    with served.person(BindingRole.OPERATOR, "olga") as olga:
        refused = olga.post("/delivery-log/send-again", data={"delivery_id": FAILED_MAIL})
        forged = olga.post(
            "/delivery-log/send-again",
            data={"csrf_token": "not-the-sessions", "delivery_id": FAILED_MAIL},
        )
    assert refused.status_code == 403
    assert "did not carry this session's security token" in refused.text
    assert forged.status_code == 403
    assert served.temporal.status_of(FAILED_MAIL) is None


def test_send_again_starts_the_deliverys_workflow_and_a_second_press_is_refused_in_the_cores_words(
    served: Served,
) -> None:
    with served.person(BindingRole.OPERATOR, "olga") as olga:
        csrf = csrf_of(olga.get("/delivery-log?state=failed"))
        sent = olga.post(
            "/delivery-log/send-again",
            data={"csrf_token": csrf, "delivery_id": FAILED_WEBHOOK, "state": "failed"},
        )
        assert sent.status_code == 303, sent.text
        landed = olga.get(sent.headers["location"])
        again = olga.post(
            "/delivery-log/send-again",
            data={"csrf_token": csrf, "delivery_id": FAILED_WEBHOOK},
        )
        unknown = olga.post(
            "/delivery-log/send-again",
            data={"csrf_token": csrf, "delivery_id": "delivery:nothing"},
        )
        delivered = olga.post(
            "/delivery-log/send-again",
            data={"csrf_token": csrf, "delivery_id": DELIVERED},
        )
    assert sent.headers["location"].startswith("/delivery-log?")
    assert "state=failed" in sent.headers["location"]
    assert served.temporal.status_of(FAILED_WEBHOOK) == (
        DELIVERY_WORKFLOW_TYPE,
        WorkflowExecutionStatus.RUNNING,
    )
    assert landed.status_code == 200
    assert "Sent again:" in landed.text
    assert FAILED_WEBHOOK in landed.text
    assert again.status_code == 409
    assert "is still being attempted (its workflow is running)" in again.text
    assert unknown.status_code == 404
    assert "no delivery has the id &#39;delivery:nothing&#39;" in unknown.text
    assert delivered.status_code == 409
    assert "only a failed delivery can be re-sent" in delivered.text
    assert served.temporal.status_of(DELIVERED) is None


def test_a_milestones_report_is_offered_as_pdf_and_served_as_an_attachment(
    served: Served,
) -> None:
    with served.person(BindingRole.COMMISSION, "alice") as alice:
        case = alice.get("/cases/CV")
        pdf = alice.get("/cases/CV/reports/launch.pdf")
        none = alice.get("/cases/CV/reports/nothing.pdf")
    assert case.status_code == 200, case.text
    assert 'href="/cases/CV/reports/launch.pdf"' in case.text
    assert 'href="/cases/CV/reports/consultation_outcome.pdf"' in case.text
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == 'attachment; filename="report-CV-launch.pdf"'
    assert pdf.content.startswith(b"%PDF")
    assert none.status_code == 404
