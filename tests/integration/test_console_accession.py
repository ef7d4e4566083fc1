"""The console's accession form on a launched partnership's page, over real HTTP with real
sign-ins and a real worker.

The API's app (console included) is served by uvicorn on a free loopback port, in a thread; the
development issuer is the OpenID Connect provider, so people sign in through the whole flow.
The store is a migrated SQLite file holding Cape Verde's record, proposal to joint declaration
(signed by ES, FR, LU and PT). A Temporal dev server from the venv and a worker run on a loop
of their own, so the form's POST runs `AccessionWorkflow` as it does in production.
"""

from __future__ import annotations

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

from activities.codec import to_new_event
from activities.database import create_engine_from_url
from activities.directory_store import DirectoryStore
from activities.eventstore import EventStore
from activities.projections import Projections
from app.dev_issuer import dev_token
from domain.directory import BindingRole
from interfaces.api.server import create_app
from migrations import runner
from settings import Settings
from tests.integration.test_api import TemporalThread
from tests.integration.test_console_deliveries import csrf_of
from tests.unit.test_golden_report import SIGNATORIES, cape_verde
from tests.workflows.harness import unique_task_queue

STREAM: Final = "partnership-CV/1"
FORM_TITLE: Final = "Accede to the joint declaration"


@dataclass
class Served:
    """The app served on loopback, and its settings."""

    url: str
    settings: Settings

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
        with httpx.Client(base_url=self.url, follow_redirects=False, timeout=60) as browser:
            page = browser.get("/sign-in")
            form = {"csrf_token": csrf_of(page), "next": "/", "login_hint": user}
            to_issuer = browser.post("/sign-in", data=form)
            assert to_issuer.status_code == 302, to_issuer.text
            to_console = browser.get(to_issuer.headers["location"])
            assert to_console.status_code == 303, to_console.text
            landed = browser.get(to_console.headers["location"])
            assert landed.status_code == 303, landed.text
            yield browser


def _record_launch(engine_url: str) -> None:
    """Cape Verde's record up to its joint declaration, appended as the workflow appends it."""
    engine = create_engine_from_url(engine_url)
    try:
        store = EventStore(engine, projections=Projections(engine))
        for version, event in enumerate(cape_verde().events):
            store.append(STREAM, version, [to_new_event(uuid.uuid4(), event, {})])
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp: Path = tmp_path_factory.mktemp("console-accession")
    url = f"sqlite:///{tmp / 'partnerships.db'}"
    runner.upgrade(url)
    _record_launch(url)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    settings = Settings(
        database_url=url,
        data_dir=str(tmp / "data"),
        dev_issuer_url=f"http://127.0.0.1:{port}/dev/",
        task_queue=unique_task_queue(),
    )
    with TemporalThread(settings) as temporal:
        served_settings = settings.model_copy(update={"temporal_address": temporal.address})
        app = create_app(served_settings)
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
            yield Served(f"http://127.0.0.1:{port}", served_settings)
        finally:
            server.should_exit = True
            thread.join(30)
            listener.close()
            app.state.resources.store.close()


def _launch_section(page: httpx.Response) -> str:
    """The page's "Report, decision and launch" section."""
    found = re.search(r'<section aria-labelledby="outcome-h">(.*?)</section>', page.text, re.S)
    assert found, "the page has no launch section"
    return found.group(1)


def test_a_non_signatorys_representative_accedes_and_the_page_lists_the_accession(
    served: Served,
) -> None:
    assert "DE" not in SIGNATORIES
    with served.person(BindingRole.MEMBER_STATE, "dieter", "DE") as dieter:
        page = dieter.get("/cases/CV")
        assert page.status_code == 200, page.text
        launch = _launch_section(page)
        assert FORM_TITLE in launch
        assert 'action="/cases/CV/accede"' in launch
        assert '<input type="hidden" name="member_state" value="DE">' in launch
        today = datetime.datetime.now(datetime.UTC).date().isoformat()
        assert f'name="acceded_on" type="date" value="{today}"' in launch
        assert '<label for="f-acceded_on">Date of accession</label>' in launch
        sent = dieter.post(
            "/cases/CV/accede",
            data={"csrf_token": csrf_of(page), "member_state": "DE", "acceded_on": "2026-11-30"},
        )
        assert sent.status_code == 303, sent.text
        assert sent.headers["location"] == "/cases/CV?done=accede"
        after = dieter.get(sent.headers["location"])
    assert after.status_code == 200, after.text
    launch = _launch_section(after)
    assert (
        'Germany <span class="code">DE</span> acceded on '
        '<time datetime="2026-11-30">30 November 2026</time>'
    ) in launch
    assert "Recorded: Accession to the joint declaration" in after.text
    # Germany is a party now: no form for it any more.
    assert FORM_TITLE not in launch


def test_a_refusal_by_the_core_is_shown_beside_the_form_with_the_date_kept(
    served: Served,
) -> None:
    # The form says Italy; the representative is Austria's: the domain refuses it.
    with served.person(BindingRole.MEMBER_STATE, "anna", "AT") as anna:
        page = anna.get("/cases/CV")
        refused = anna.post(
            "/cases/CV/accede",
            data={"csrf_token": csrf_of(page), "member_state": "IT", "acceded_on": "2026-11-29"},
        )
        unreadable = anna.post(
            "/cases/CV/accede",
            data={"csrf_token": csrf_of(page), "member_state": "AT", "acceded_on": "29/11/2026"},
        )
    assert refused.status_code == 403, refused.text
    launch = _launch_section(refused)
    assert 'role="alert"' in launch
    assert "may accede only for AT, not for IT" in launch
    assert 'name="acceded_on" type="date" value="2026-11-29"' in launch
    assert '<input type="hidden" name="member_state" value="AT">' in launch
    assert unreadable.status_code == 422
    assert "&#39;29/11/2026&#39; is not a date" in _launch_section(unreadable)
    assert 'value="29/11/2026"' in _launch_section(unreadable)


def test_a_signatorys_representative_sees_no_form(served: Served) -> None:
    with served.person(BindingRole.MEMBER_STATE, "paula", SIGNATORIES[-1]) as paula:
        page = paula.get("/cases/CV")
    assert page.status_code == 200, page.text
    assert FORM_TITLE not in page.text
    assert "/accede" not in page.text


def test_a_commission_user_sees_no_form_and_the_core_refuses_their_accession(
    served: Served,
) -> None:
    with served.person(BindingRole.COMMISSION, "carla") as carla:
        page = carla.get("/cases/CV")
        refused = carla.post(
            "/cases/CV/accede",
            data={"csrf_token": csrf_of(page), "member_state": "SE", "acceded_on": ""},
        )
    assert page.status_code == 200, page.text
    assert FORM_TITLE not in page.text
    assert refused.status_code == 403, refused.text
    launch = _launch_section(refused)
    assert "may not accede to a partnership" in launch
    assert FORM_TITLE not in launch
    assert "Sweden" not in _launch_section(refused)


def test_an_accession_without_the_csrf_token_is_refused_and_nothing_is_recorded(
    served: Served,
) -> None:
    with served.person(BindingRole.MEMBER_STATE, "nils", "NL") as nils:
        refused = nils.post("/cases/CV/accede", data={"member_state": "NL"})
        page = nils.get("/cases/CV")
    assert refused.status_code == 403
    assert "This form was refused" in refused.text
    assert "Netherlands" not in _launch_section(page).split("Accessions", 1)[1].split("</dd>")[0]
    assert FORM_TITLE in page.text
