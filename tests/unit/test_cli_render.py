"""What people typed is shown as typed: Rich markup in user text is never parsed.

A withdrawal reason such as `talks stalled [/] see annex` once crashed `partnerships show`
with a MarkupError; every renderer must escape user-supplied text.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime

import pytest
from rich.console import Console, RenderableType

from activities.records import StoredEvent
from app.reading import BoardRow
from domain.actors import Actor, Role
from domain.commands import (
    AuthoriseTalks,
    CloseConsultation,
    Command,
    ConcludeTalks,
    Position,
    ProposePartnership,
    Recommendation,
    RecordTalksRound,
    RespondToConsultation,
    SubmitReport,
    Withdraw,
)
from domain.components import Component
from domain.decide import decide
from domain.events import Event
from domain.evolve import replay
from domain.identifiers import incarnation, latest_stream
from domain.presidencies import presidency_on
from domain.view import status_view
from interfaces.cli import store_commands as store_cli
from interfaces.cli.render import board_table, status_panel

NOW = datetime(2026, 1, 10, 9, 30, tzinfo=UTC)
MARKUP = "[/] [bold]x[/bold] [link=http://e.vil]y\\"
COMMISSION = Actor(id=f"alice {MARKUP}", role=Role.COMMISSION)
# The Presidency in office on NOW's date, from the Council's order.
PRESIDENCY = Actor(id="joao [/]", role=Role.PRESIDENCY, member_state=presidency_on(NOW.date()))
PORTUGAL = Actor(id="maria [/]", role=Role.MEMBER_STATE, member_state="PT")


def _history(steps: list[tuple[Command, Actor]]) -> list[Event]:
    events: list[Event] = []
    for command, actor in steps:
        events += decide(replay(events), command, actor, NOW)
    return events


def _text(renderable: RenderableType) -> str:
    console = Console(record=True, width=400, color_system=None)
    console.print(renderable)
    return console.export_text()


def _withdrawn_after_talks() -> list[Event]:
    return _history(
        [
            (
                ProposePartnership(
                    country="CV",
                    rationale=f"rationale {MARKUP}",
                    terms_of_reference=f"terms {MARKUP}",
                ),
                COMMISSION,
            ),
            (
                RespondToConsultation(
                    member_state="PT",
                    position=Position.INTERESTED,
                    offers=[Component.LEGAL_MIGRATION],
                    comments=f"comments {MARKUP}",
                ),
                PORTUGAL,
            ),
            (CloseConsultation(), COMMISSION),
            (AuthoriseTalks(note=f"note {MARKUP}"), PRESIDENCY),
            (
                RecordTalksRound(
                    held_on=date(2026, 1, 10),
                    member_states=["PT"],
                    summary=f"summary {MARKUP}",
                    location="Praia [/]",
                ),
                COMMISSION,
            ),
            (
                ConcludeTalks(
                    third_country_willing=True,
                    commitments=[
                        Component.READMISSION_AND_RETURN,
                        Component.ILLEGAL_IMMIGRATION_COOPERATION,
                    ],
                ),
                COMMISSION,
            ),
            (
                SubmitReport(
                    recommendation=Recommendation.LAUNCH,
                    summary=f"report {MARKUP}",
                    reference="COM(2026) [/] 1",
                ),
                COMMISSION,
            ),
            (Withdraw(reason="talks stalled [/] see annex"), COMMISSION),
        ]
    )


def test_show_renders_markup_like_user_text_verbatim() -> None:
    events = _withdrawn_after_talks()
    shown = _text(status_panel(status_view(replay(events)), events, notes=["note [/]"]))
    assert "talks stalled [/] see annex" in shown  # the reason, in the overview and timeline
    assert shown.count("talks stalled [/] see annex") == 2
    assert f"alice {MARKUP}" in shown  # the actor id, in the timeline
    assert f"rationale {MARKUP}" in shown
    assert f"terms {MARKUP}" in shown
    assert f"summary {MARKUP}" in shown
    assert "Praia [/]" in shown
    assert f"report {MARKUP}" in shown
    assert "COM(2026) [/] 1" in shown
    assert "maria [/]" in shown
    assert "note [/]" in shown


def test_the_status_board_shows_incarnations_and_escapes_its_cells() -> None:
    row = BoardRow(
        stream_id="partnership-CV/2",
        country="CV",
        region="africa_mediterranean [/]",
        stage="withdrawn",
        consultation_deadline=None,
        decision_deadline=date(2026, 12, 31),
        interested_count=1,
        stream_version=3,
        last_event_type="PartnershipWithdrawn",
        last_changed_on=date(2026, 1, 10),
        last_recorded_at=NOW,
    )
    first = BoardRow(**{**row.__dict__, "stream_id": "partnership-CV/1"})
    shown = _text(board_table([first, row]))
    assert "CV #2" in shown
    assert "CV #1" not in shown
    assert "africa_mediterranean [/]" in shown


def test_the_event_log_shows_markup_like_actor_ids_verbatim(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_cli, "out", Console(width=400, color_system=None))
    stored = StoredEvent(
        event_id=uuid.uuid4(),
        type="PartnershipWithdrawn",
        schema_version=1,
        payload={"reason": "talks stalled [/] see annex"},
        metadata={"actor": {"id": "bob [/] [red]", "role": "commission"}},
        occurred_on=date(2026, 1, 10),
        recorded_at=NOW,
        position=1,
        stream_id="partnership-CV/1",
        stream_version=1,
        prev_hash="",
        hash="",
    )
    assert store_cli._print([stored], "Events of [/] partnership-CV/1") == 1
    printed = capsys.readouterr().out
    assert "commission:bob [/] [red]" in printed
    assert "Events of [/] partnership-CV/1" in printed


@pytest.mark.parametrize(
    ("stream_id", "number"),
    [
        ("partnership-CV/1", 1),
        ("partnership-CV/12", 12),
        ("partnership-CV", 0),
        ("partnership-CV/", 0),
        ("partnership-CV/x", 0),
        ("7", 0),
    ],
)
def test_a_stream_ordinal_is_its_number_or_zero(stream_id: str, number: int) -> None:
    assert incarnation(stream_id) == number


def test_the_latest_stream_is_the_highest_ordinal_not_the_last_in_text_order() -> None:
    assert latest_stream(["partnership-CV/9", "partnership-CV/10", "partnership-CV/2"]) == (
        "partnership-CV/10"
    )


def test_show_names_the_deadline_for_what_it_is_the_councils_target_and_the_presidency() -> None:
    events = _history(
        [
            (
                ProposePartnership(
                    country="CV",
                    rationale="r",
                    terms_of_reference="t",
                    occurred_on=date(2007, 6, 18),
                    council_target_date=date(2007, 12, 31),
                ),
                COMMISSION,
            )
        ]
    )
    view = status_view(replay(events), NOW)
    shown = _text(status_panel(view, events))
    assert re.search(rf"operational decision deadline +{view.decision_deadline}", shown)
    assert "Council decision deadline" not in shown
    assert re.search(r"the Council's target +2007-12-31", shown)
    # NOW is in January 2026: Cyprus held the Presidency.
    assert re.search(r"Presidency in office +Cyprus \(CY\)", shown)
