"""A real dev stack for the console's browser tests, and Chromium driven by Playwright.

One stack serves every browser test: a Temporal dev server and a worker from the venv (on a
loop of their own, in a thread), a migrated SQLite store in a temporary directory, and the
API's app (console included) served by uvicorn in a thread on a port the OS chose. Steps are
attested and attestation is required, as in production. The browser is Debian's Chromium
(`/usr/bin/chromium`); nothing is downloaded.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import pytest
import uvicorn
from playwright import sync_api
from sqlalchemy.engine import Engine

from activities.database import create_engine_from_url
from activities.directory_store import DirectoryStore
from app.dev_issuer import DevIssuer
from domain.directory import BindingRole, GrantRole
from interfaces.api.server import create_app
from migrations import runner
from settings import Settings
from tests.integration.test_api import TemporalThread
from tests.workflows.harness import unique_task_queue

CHROMIUM: Final = "/usr/bin/chromium"
CHROMIUM_ARGS: Final = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE: Final = Path(__file__).resolve().parents[2] / ".venv/npm/node_modules/axe-core/axe.min.js"
START_TIMEOUT_S: Final = 30


class ServedApp:
    """The app served by uvicorn in a thread, on a socket bound to 127.0.0.1:0."""

    def __init__(self, app: Any, sock: socket.socket) -> None:
        self.server = uvicorn.Server(
            uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
        )
        self.sock = sock
        self.thread = threading.Thread(target=self._run, name="console-uvicorn", daemon=True)

    def _run(self) -> None:
        self.server.run(sockets=[self.sock])

    def __enter__(self) -> ServedApp:
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise AssertionError("uvicorn did not start serving the console")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(START_TIMEOUT_S)
        self.sock.close()


@dataclass
class Stack:
    """The running stack: where the console is, its settings and its store."""

    url: str
    settings: Settings
    engine: Engine
    granted: set[str] = field(default_factory=set)
    """Bindings granted on this stack's store (a binding is granted once). The stack is the
    package's: a process that leaves the package and comes back (a parallel run) gets a new
    stack, with a new store, and grants again."""

    def grant(self, who: str) -> None:
        """Give `who` = `ROLE[:MS]:USER` its role binding, as an administrator would."""
        role, _, rest = who.partition(":")
        member_state, _, user = rest.rpartition(":")
        DirectoryStore(self.engine).grant(
            GrantRole(
                issuer=DevIssuer(self.settings).issuer,
                subject=user,
                role=BindingRole(role),
                member_state=member_state or None,
                valid_from=datetime.now(UTC).date(),
                granted_by="browser-tests",
            ),
            provenance={"channel": "cli"},
        )


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One dev stack for every browser test."""
    tmp = tmp_path_factory.mktemp("console")
    url = f"sqlite:///{tmp / 'partnerships.db'}"
    runner.upgrade(url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    settings = Settings(
        database_url=url,
        task_queue=unique_task_queue(),
        data_dir=str(tmp),
        dev_issuer_url=f"{base}/dev/",
        attestation_keys={"k-test": "a secret the API and the workers share"},
        attestation_key_id="k-test",
        require_attested_actors=True,
    )
    with TemporalThread(settings) as temporal:
        served = settings.model_copy(update={"temporal_address": temporal.address})
        engine = create_engine_from_url(url)
        try:
            with ServedApp(create_app(served), sock):
                yield Stack(url=base, settings=served, engine=engine)
        finally:
            engine.dispose()


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright's sync API."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"the browser tests drive Debian's Chromium at {CHROMIUM}: apt-get install chromium "
            "(.ci/run installs it when missing); no browser is downloaded"
        )
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


class Person:
    """One person at their own browser (a context of their own: their own cookies)."""

    def __init__(self, stack: Stack, browser: Any, who: str, *, javascript: bool = True) -> None:
        self.stack = stack
        self.who = who
        self.user = who.rpartition(":")[2]
        self.context = browser.new_context(base_url=stack.url, java_script_enabled=javascript)
        self.context.set_default_timeout(30_000)
        self.page = self.context.new_page()

    def sign_in(self) -> Person:
        """Sign in through the sign-in page, as a person would: choose yourself in the list."""
        self.page.goto("/sign-in")
        self.page.get_by_role("button", name=f"Sign in as {self.user}", exact=True).click()
        self.page.wait_for_url(re.compile(r"/(\?.*)?$"))
        sync_api.expect(self.page.get_by_text(f"Signed in as {self.user}")).to_be_visible()
        return self

    def close(self) -> None:
        """Leave: close the browser context."""
        self.context.close()


@pytest.fixture
def people(stack: Stack, browser: Any) -> Iterator[Any]:
    """`people("commission:alice")`: a signed-in person with that role binding granted."""
    opened: list[Person] = []
    granted: set[str] = set()

    def person(who: str, *, javascript: bool = True, grant: bool = True) -> Person:
        if grant and who not in granted and who not in stack.granted:
            stack.grant(who)
            stack.granted.add(who)
        granted.add(who)
        one = Person(stack, browser, who, javascript=javascript)
        opened.append(one)
        return one.sign_in()

    yield person
    for one in opened:
        one.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """The serious and critical violations axe-core finds on the page as it is."""
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed at {AXE}; `make test` installs it from npm")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": len(v["nodes"])}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
