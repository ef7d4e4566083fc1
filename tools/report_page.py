"""Render the demo's Cape Verde launch report to PDF, for README's picture (`make report-png`).

The demo's Cape Verde story (`tools.demo.stories`) is decided step by step by the domain,
each step recorded at noon UTC on its business date as it would have been in 2007–2008, with
the domain's default deadlines (the demo sets them on today's date instead, since its
workflows' timers run on recorded time). The events go into a fresh SQLite store, migrated
to the head, and the report is rendered from that store by the same core the CLI and the API
use, so the picture shows exactly what a reader gets. Nothing depends on today's date: the
same command draws the same page.

    python -m tools.report_page OUTPUT.pdf
"""

from __future__ import annotations

import sys
import tempfile
import uuid
from datetime import UTC, date, datetime, time
from pathlib import Path

from activities.codec import to_new_event
from activities.database import create_engine_from_url
from activities.eventstore import EventStore
from activities.projections import Projections
from app.reports import ReportFormat, render_report_as
from domain.commands import Command
from domain.decide import decide
from domain.evolve import evolve
from domain.identifiers import stream_id
from domain.requests import UserRequest
from domain.state import MilestoneKind, Partnership
from migrations import runner
from tools.demo import stories

COUNTRY = "CV"
DEMO_TODAY = date(2007, 6, 18)
"""The day the demo's stories are told from (only its deadlines use it, and they are
replaced by the domain's defaults here)."""


def business_date(command: Command) -> date:
    """The day a step happened: its `occurred_on`, or the date its own field gives."""
    for name in ("occurred_on", "held_on", "decided_on", "signed_on"):
        found = getattr(command, name, None)
        if isinstance(found, date):
            return found
    raise ValueError(f"{type(command).__name__} carries no business date")


def recorded_at(command: Command) -> datetime:
    """When a step is recorded here: noon UTC on its business date."""
    return datetime.combine(business_date(command), time(12), tzinfo=UTC)


def fill(engine_url: str) -> str:
    """Record the demo's Cape Verde story in the store at `engine_url`; its stream id."""
    story = next(s for s in stories(DEMO_TODAY) if s.country == COUNTRY)
    start = story.start.model_copy(
        update={"consultation_deadline": None, "decision_deadline": None}
    )
    requests: list[UserRequest] = [start, *(step.request for step in story.steps)]
    stream = stream_id(COUNTRY, 1)
    engine = create_engine_from_url(engine_url)
    try:
        store = EventStore(engine, projections=Projections(engine))
        state = Partnership()
        for request in requests:
            command = request.command()
            for event in decide(state, command, request.actor, recorded_at(command)):
                # Ids derived from the stream and version: the same run records the same ids.
                event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{stream}/{state.version + 1}")
                store.append(stream, state.version, [to_new_event(event_id, event, {})])
                state = evolve(state, event)
    finally:
        engine.dispose()
    return stream


def render(output: Path) -> int:
    """Write the launch report's PDF to `output`; its size in bytes."""
    with tempfile.TemporaryDirectory(prefix="report-page-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'partnerships.db'}"
        runner.upgrade(url)
        fill(url)
        engine = create_engine_from_url(url)
        try:
            pdf = render_report_as(engine, COUNTRY, MilestoneKind.LAUNCH, ReportFormat.PDF)
        finally:
            engine.dispose()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(pdf.content)
    return len(pdf.content)


def main(argv: list[str]) -> int:
    """`python -m tools.report_page OUTPUT.pdf`."""
    if len(argv) != 1:
        print("usage: python -m tools.report_page OUTPUT.pdf", file=sys.stderr)
        return 2
    output = Path(argv[0])
    size = render(output)
    print(f"wrote {output} ({size:,} bytes): the demo's Cape Verde launch report")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
