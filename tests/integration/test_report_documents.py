"""Council-ready reports from a real store: the PDF read back with pdftotext, the API by
`Accept` with real development tokens, and `partnerships report --format pdf -o`.

The store is a migrated SQLite database holding Cape Verde's record from the golden report's
test (proposal to joint declaration, 2007–2008), appended as the workflow appends it. Each
document is rendered once for the module. Reports need the store only, so the API runs
without Temporal (its address is a port nobody listens on).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner
from weasyprint.urls import FatalURLFetchingError

from activities.codec import to_new_event
from activities.database import create_engine_from_url
from activities.directory_store import DirectoryStore
from activities.documents import pdf_of_html
from activities.eventstore import EventStore
from activities.projections import Projections
from app.dev_issuer import dev_token
from app.reports import ReportFormat, render_report_as
from domain import MilestoneKind
from domain.directory import BindingRole
from interfaces.api.server import create_app
from interfaces.cli.app import app as cli
from migrations import runner
from settings import Settings
from tests.unit.test_golden_report import cape_verde
from tools import report_page

STREAM = "partnership-CV/1"
SIGNATORIES = ("Spain", "France", "Luxembourg", "Portugal")
TITLE = (
    "Report from the Commission to the Council on the launch of the pilot mobility "
    "partnership with the Republic of Cabo Verde"
)


def _unused_port() -> int:
    """A loopback port asked of the system and released: nothing listens on it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass(frozen=True)
class Stored:
    """The store holding Cape Verde's record, and the settings that name it."""

    url: str
    engine: Engine
    settings: Settings


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stored]:
    tmp = tmp_path_factory.mktemp("documents")
    url = f"sqlite:///{tmp / 'partnerships.db'}"
    runner.upgrade(url)
    engine = create_engine_from_url(url)
    store = EventStore(engine, projections=Projections(engine))
    for version, event in enumerate(cape_verde().events):
        store.append(STREAM, version, [to_new_event(uuid.uuid4(), event, {})])
    settings = Settings(
        database_url=url, data_dir=str(tmp), temporal_address=f"127.0.0.1:{_unused_port()}"
    )
    try:
        yield Stored(url, engine, settings)
    finally:
        engine.dispose()


def pdf_text(pdf: bytes, tmp: Path) -> str:
    """The PDF's text as `pdftotext` reads it, its blanks and line breaks made single spaces."""
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.fail("pdftotext is missing: install poppler-utils (.ci/run does)")
    path = tmp / "report.pdf"
    path.write_bytes(pdf)
    read = subprocess.run([tool, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return " ".join(read.stdout.decode("utf-8").split())


@pytest.fixture(scope="module")
def launch_pdf(stored: Stored) -> bytes:
    """Cape Verde's launch report as PDF, rendered once."""
    rendered = render_report_as(stored.engine, "CV", MilestoneKind.LAUNCH, ReportFormat.PDF)
    assert rendered.filename == "report-CV-launch.pdf"
    return rendered.content


def test_the_pdf_reads_back_with_the_country_the_dates_and_the_member_states(
    launch_pdf: bytes, tmp_path: Path
) -> None:
    assert launch_pdf.startswith(b"%PDF-")
    text = pdf_text(launch_pdf, tmp_path)
    assert TITLE in text
    assert "the Republic of Cabo Verde (CV)" in text
    assert "partnership-CV/1 v12 launch" in text
    for day in ("18 June 2007", "27 July 2007", "10 December 2007", "5 June 2008"):
        assert day in text
    assert "signed on 5 June 2008 by Spain, France, Luxembourg and Portugal" in text
    for name in SIGNATORIES:
        assert f"{name} interested" in text  # each one's row of the consultation's table


@pytest.mark.parametrize(
    "asks",
    [
        '<img src="http://127.0.0.1:9/logo.png" alt="">',
        '<link rel="stylesheet" href="https://cdn.example/x.css">',
        '<style>@import url("file:///etc/passwd");</style>',
    ],
)
def test_rendering_loads_nothing_a_page_asks_for(asks: str) -> None:
    with pytest.raises(FatalURLFetchingError, match="may load nothing while it renders"):
        pdf_of_html(f'<!doctype html><html lang="en"><head>{asks}</head><body>x</body></html>')


def test_the_pdf_is_tagged_titled_and_the_same_bytes_each_time(
    stored: Stored, launch_pdf: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "launch.pdf"
    path.write_bytes(launch_pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout
    assert f"Title:           {TITLE}" in info
    assert "Author:          European Commission" in info
    assert "Tagged:          yes" in info
    assert "Page size:       595.276 x 841.89 pts (A4)" in info
    again = render_report_as(stored.engine, "CV", MilestoneKind.LAUNCH, ReportFormat.PDF)
    assert again.content == launch_pdf


def test_a_milestone_reached_earlier_is_the_record_as_it_stood_then(
    stored: Stored, tmp_path: Path
) -> None:
    rendered = render_report_as(
        stored.engine, "CV", MilestoneKind.COUNCIL_DECISION, ReportFormat.PDF
    )
    text = pdf_text(rendered.content, tmp_path)
    assert "the Council invited the Commission to launch the partnership" in text
    assert "joint declaration" not in text


# --- the API --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(stored: Stored) -> Iterator[TestClient]:
    with TestClient(create_app(stored.settings), raise_server_exceptions=False) as served:
        yield served


def bearer(
    stored: Stored, role: BindingRole, user: str, member_state: str | None = None
) -> dict[str, str]:
    """The Authorization header of a real development token (its binding granted if need be)."""
    token = dev_token(
        stored.settings,
        DirectoryStore(stored.engine),
        role=role,
        user=user,
        member_state=member_state,
    ).token
    return {"Authorization": f"Bearer {token}"}


def test_the_api_serves_the_pdf_to_whoever_reads_the_record(
    stored: Stored, client: TestClient, tmp_path: Path
) -> None:
    reader = bearer(stored, BindingRole.MEMBER_STATE, "rep-pt", "PT")
    response = client.get(
        "/partnerships/CV/reports/launch", headers={**reader, "Accept": "application/pdf"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'inline; filename="report-CV-launch.pdf"'
    assert response.headers["vary"] == "Accept"
    assert response.content.startswith(b"%PDF-")
    assert TITLE in pdf_text(response.content, tmp_path)


def test_the_api_serves_the_council_ready_html_and_the_records_markdown(
    stored: Stored, client: TestClient
) -> None:
    reader = bearer(stored, BindingRole.OPERATOR, "olga")
    html = client.get("/partnerships/cv/reports/all", headers={**reader, "Accept": "text/html"})
    assert html.status_code == 200
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>Report from the Commission to the Council on the state of the pilot" in html.text
    assert "partnership-CV/1 v12" in html.text
    markdown = client.get("/partnerships/CV/reports/launch", headers=reader)
    assert markdown.headers["content-type"] == "text/markdown; charset=utf-8"
    assert markdown.text.startswith("# Launch of the pilot partnership\n")


def test_the_api_refuses_other_types_with_406_naming_the_three_it_offers(
    stored: Stored, client: TestClient
) -> None:
    reader = bearer(stored, BindingRole.OPERATOR, "olga")
    refused = client.get(
        "/partnerships/CV/reports/launch", headers={**reader, "Accept": "application/msword"}
    )
    assert refused.status_code == 406
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["type"] == "NotAcceptable"
    assert problem["available"] == ["text/markdown", "text/html", "application/pdf"]
    assert "application/pdf" in problem["detail"]


def test_the_api_serves_no_report_without_a_token(client: TestClient) -> None:
    anonymous = client.get("/partnerships/CV/reports/launch", headers={"Accept": "application/pdf"})
    assert anonymous.status_code == 401
    assert not anonymous.content.startswith(b"%PDF")


# --- the CLI --------------------------------------------------------------------------------


def test_the_cli_writes_the_pdf_to_the_file_given(stored: Stored, tmp_path: Path) -> None:
    target = tmp_path / "cv.pdf"
    result = CliRunner().invoke(
        cli,
        ["report", "CV", "--milestone", "launch", "--format", "pdf", "-o", str(target)],
        env={"DATABASE_URL": stored.url},
    )
    assert result.exit_code == 0, result.output
    assert f"Wrote {target} (pdf" in result.output
    assert target.read_bytes().startswith(b"%PDF-")
    assert TITLE in pdf_text(target.read_bytes(), tmp_path)


def test_the_cli_writes_html_and_markdown_to_standard_output(stored: Stored) -> None:
    html = CliRunner().invoke(
        cli, ["report", "CV", "--format", "html"], env={"DATABASE_URL": stored.url}
    )
    assert html.exit_code == 0, html.output
    assert html.output.startswith("<!doctype html>")
    markdown = CliRunner().invoke(cli, ["report", "CV"], env={"DATABASE_URL": stored.url})
    assert markdown.output.startswith("# Status of the pilot partnership\n")


def test_the_cli_refuses_a_pdf_for_a_terminal_and_says_to_give_a_file(stored: Stored) -> None:
    # The real command, its standard output a pseudo-terminal as in the user's shell.
    terminal, screen = os.openpty()
    try:
        result = subprocess.run(
            [
                str(Path(sys.executable).with_name("partnerships")),
                "report",
                "CV",
                "--format",
                "pdf",
            ],
            stdin=subprocess.DEVNULL,
            stdout=screen,
            stderr=subprocess.PIPE,
            env={**os.environ, "DATABASE_URL": stored.url, "COLUMNS": "200"},
            timeout=60,
            check=False,
        )
        os.close(screen)
        shown = b""
        while True:
            try:
                chunk = os.read(terminal, 65536)
            except OSError:  # the pty's other end is closed: nothing more to read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(terminal)
    assert result.returncode == 2
    assert b"a PDF is binary and is not written to a terminal" in result.stderr
    assert b"-o" in result.stderr
    assert b"%PDF" not in shown


def test_the_cli_says_so_when_no_partnership_is_on_record(stored: Stored, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["report", "MD", "--format", "pdf", "-o", str(tmp_path / "md.pdf")],
        env={"DATABASE_URL": stored.url},
    )
    assert result.exit_code == 4
    assert "no partnership with MD is on record" in result.output
    assert not (tmp_path / "md.pdf").exists()


# --- README's picture ---------------------------------------------------------------------


def test_readmes_page_is_the_demos_cape_verde_launch_from_a_fresh_store(tmp_path: Path) -> None:
    # What `make report-png` draws: the demo's story, decided by the domain, as a PDF.
    target = tmp_path / "page.pdf"
    assert report_page.main([str(target)]) == 0
    text = pdf_text(target.read_bytes(), tmp_path)
    assert TITLE in text
    assert "Reference partnership-CV/1 v12 launch Date 5 June 2008" in text
    assert "Member States taking part Spain, France, Luxembourg and Portugal" in text
    assert "The consultation closed on 14 September 2007." in text
