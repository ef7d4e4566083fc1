"""`make screenshots`: the console's inbox, board and a partnership's page as PNGs, made from
the demo's data on a fresh stack, never by hand.

What it does, start to end, in a temporary directory it removes afterwards:
1. migrates a fresh SQLite store, starts a Temporal dev server (the venv's `temporal`) and a
   worker, and serves the app (API and console) with uvicorn on a port the OS chose;
2. plays the demo's stories (tools/demo.py: Cape Verde and Moldova launched on 5 June 2008,
   Georgia awaiting the Council) through the application core;
3. signs a development user in through the console's sign-in page in Debian's Chromium
   (`/usr/bin/chromium`, through Playwright; nothing is downloaded), a user bound to the
   Commission and the Czech Presidency, so the inbox has steps in it;
4. writes docs/screenshots/inbox.png, board.png and partnership.png.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

import uvicorn
from temporalio.testing import WorkflowEnvironment

from activities.database import create_engine_from_url
from activities.directory_store import DirectoryStore
from app.dev_issuer import DevIssuer
from app.partnerships import Partnerships
from domain.directory import BindingRole, GrantRole
from domain.presidencies import presidency_on
from interfaces.api.server import create_app
from migrations import runner
from settings import Settings
from tools.demo import stories
from worker import build_worker, wire
from workflows.contract import SEARCH_ATTRIBUTE_KEYS
from workflows.converter import DATA_CONVERTER

ROOT: Final = Path(__file__).resolve().parents[1]
OUT: Final = ROOT / "docs" / "screenshots"
CHROMIUM: Final = "/usr/bin/chromium"
CHROMIUM_ARGS: Final = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
USER: Final = "desk.officer"
"""The development user the pictures are taken as: the Commission, and the Presidency in office
on the day the pictures are taken (domain/presidencies.py), whose steps are the ones it may take."""
ROLES: Final = (
    (BindingRole.COMMISSION, None),
    (BindingRole.PRESIDENCY, presidency_on(date.today())),
)
VIEWPORT: Final = {"width": 1280, "height": 900}
START_TIMEOUT_S: Final = 60


class Background:
    """An event loop in a thread: the Temporal dev server and a worker live on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Any) -> Any:
        """Run `coroutine` on the loop and wait for its result."""
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout=300)

    def stop(self) -> None:
        """Stop the loop and its thread."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)


@contextmanager
def temporal_and_worker(settings: Settings, background: Background) -> Iterator[Any]:
    """A Temporal dev server from the venv and a worker on it; yields the client."""
    binary = Path(sys.executable).parent / "temporal"
    env = background.run(
        WorkflowEnvironment.start_local(
            dev_server_existing_path=str(binary),
            search_attributes=list(SEARCH_ATTRIBUTE_KEYS),
            data_converter=DATA_CONVERTER,
            dev_server_log_level="error",
        )
    )
    wiring = wire(settings)

    async def built() -> Any:
        # A worker is made on the loop it runs on.
        return build_worker(env.client, wiring, settings.task_queue)

    worker = background.run(built())
    running = asyncio.run_coroutine_threadsafe(worker.run(), background.loop)
    try:
        yield env.client
    finally:
        background.run(worker.shutdown())
        running.result(timeout=60)
        wiring.executor.shutdown(wait=True)
        background.run(env.shutdown())


@contextmanager
def served(app: Any, sock: socket.socket) -> Iterator[None]:
    """The app served by uvicorn in a thread on `sock`."""
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start serving the console")
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(30)


async def play_demo(client: Any, settings: Settings) -> None:
    """The demo's stories, each step through the application core."""
    partnerships = Partnerships(client, settings)
    for story in stories(datetime.now(UTC).date()):
        await partnerships.propose(story.start)
        for step in story.steps:
            await partnerships.step(story.country, step.request)


def grant_user(settings: Settings) -> None:
    """Bind the development user the pictures are taken as."""
    directory = DirectoryStore(create_engine_from_url(settings.database_url))
    for role, member_state in ROLES:
        directory.grant(
            GrantRole(
                issuer=DevIssuer(settings).issuer,
                subject=USER,
                role=role,
                member_state=member_state,
                valid_from=datetime.now(UTC).date(),
                granted_by="make screenshots",
            ),
            provenance={"channel": "cli"},
        )


def photograph(base: str) -> list[Path]:
    """Sign in and take the pictures; the paths written."""
    from playwright.sync_api import expect, sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(base_url=base, viewport=VIEWPORT)  # type: ignore[arg-type]
            page = context.new_page()
            page.goto("/sign-in")
            page.get_by_role("button", name=f"Sign in as {USER}", exact=True).click()
            expect(page.get_by_text(f"Signed in as {USER}")).to_be_visible()
            for name, path in (
                ("inbox", "/"),
                ("board", "/board"),
                ("partnership", "/cases/CV"),
            ):
                page.goto(path)
                target = OUT / f"{name}.png"
                page.screenshot(path=str(target), full_page=True)
                written.append(target)
            context.close()
        finally:
            browser.close()
    return written


def main() -> int:
    """Make the screenshots on a fresh stack; 0 on success."""
    if not Path(CHROMIUM).exists():
        print(f"Debian's chromium is needed at {CHROMIUM}: apt-get install chromium")
        return 2
    with tempfile.TemporaryDirectory(prefix="screenshots-") as directory:
        url = f"sqlite:///{Path(directory) / 'partnerships.db'}"
        runner.upgrade(url)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        settings = Settings(
            database_url=url,
            data_dir=directory,
            task_queue="pilot-partnerships-screenshots",
            dev_issuer_url=f"{base}/dev/",
        )
        background = Background()
        try:
            with temporal_and_worker(settings, background) as client:
                served_settings = settings.model_copy(
                    update={"temporal_address": client.service_client.config.target_host}
                )
                background.run(play_demo(client, served_settings))
                grant_user(served_settings)
                with served(create_app(served_settings), sock):
                    written = photograph(base)
        finally:
            background.stop()
            sock.close()
    for path in written:
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
