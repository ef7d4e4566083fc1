"""Rich renderings of a partnership for people: the status, the timeline and the board.

Every piece of text a person typed (reasons, summaries, references, actor ids, places) is
escaped before Rich sees it, so `[/]` or `[bold]` in a reason is shown as typed, never parsed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from app.reading import BoardRow
from domain.events import Event
from domain.identifiers import incarnation
from domain.narration import what_happened
from domain.stages import END_STAGES, Stage
from domain.view import StatusView

_END_STYLE: dict[str, str] = {
    Stage.LAUNCHED: "green",
    Stage.NOT_PURSUED: "yellow",
    Stage.TALKS_FAILED: "yellow",
}
_ENDS = {stage.value for stage in END_STAGES}


def _day(value: date | None) -> str:
    return value.isoformat() if value else "—"


def _moment(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


def _names(items: Iterable[object]) -> str:
    text = ", ".join(str(getattr(item, "value", item)) for item in items)
    return escape(text) if text else "none"


def stage_text(stage: str | None) -> Text:
    """A stage, coloured: green when launched, red for the other ends, bold while open."""
    if stage is None:
        return Text("—")
    style = _END_STYLE.get(stage, "red") if stage in _ENDS else "bold cyan"
    return Text(stage, style=style)


def confirmation(action: str, view: StatusView) -> Text:
    """One line after a successful step: what was recorded and where the partnership stands."""
    line = Text("✓ ", style="green")
    line.append(f"{action} recorded: partnership with {view.country} ({view.country_name}) ")
    line.append("is at stage ")
    line.append_text(stage_text(view.stage.value if view.stage else None))
    return line


def next_steps(view: StatusView) -> Table:
    """What each role may do next, as the `status` view says."""
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("role")
    table.add_column("may now")
    for role, actions in view.next_actions.items():
        table.add_row(escape(role), escape(", ".join(actions)) if actions else "—")
    return table


def _overview(view: StatusView) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("stage", stage_text(view.stage.value if view.stage else None))
    grid.add_row("region", view.region.value if view.region else "—")
    grid.add_row("proposed on", _day(view.proposed_on))
    grid.add_row("consultation deadline", _day(view.consultation_deadline))
    # The engine's deadline, on recorded time; the Council's own date is a business fact.
    grid.add_row("operational decision deadline", _day(view.decision_deadline))
    if view.council_target_date:
        grid.add_row("the Council's target", _day(view.council_target_date))
    if view.presidency:
        grid.add_row(
            "Presidency in office",
            escape(f"{view.presidency.name} ({view.presidency.member_state})"),
        )
    if view.reminder_due_at:
        grid.add_row("reminder due", _moment(view.reminder_due_at))
    grid.add_row("interested Member States", _names(view.interested_member_states))
    if view.rationale:
        grid.add_row("rationale", escape(view.rationale))
    if view.terms_of_reference:
        grid.add_row("terms of reference", escape(view.terms_of_reference))
    if view.end_reason:
        grid.add_row("ended", escape(view.end_reason))
    return grid


def _answers(view: StatusView) -> Table | None:
    if not view.answers:
        return None
    table = Table(title="Consultation answers (latest per Member State)", title_justify="left")
    for column in ("Member State", "position", "offers", "answered on", "by", "answers given"):
        table.add_column(column, overflow="fold")
    for ms, answer in view.answers.items():
        given = view.answers_given.get(ms, 1)  # a latest answer is at least one given
        table.add_row(
            escape(ms),
            answer.position.value,
            _names(answer.offers),
            _day(answer.answered_on),
            escape(answer.answered_by),
            str(given),
        )
    return table


def _talks(view: StatusView) -> Table | None:
    if not view.talks and view.talks_outcome is None:
        return None
    table = Table(title="Exploratory talks", title_justify="left")
    for column in ("round", "held on", "where", "Member States", "summary"):
        table.add_column(column, overflow="fold")
    for r in view.talks:
        table.add_row(
            str(r.number),
            _day(r.held_on),
            escape(r.location or "—"),
            _names(r.member_states),
            escape(r.summary),
        )
    if view.talks_outcome is not None:
        outcome = view.talks_outcome
        willing = "willing" if outcome.third_country_willing else "unwilling"
        table.caption = (
            f"concluded {_day(outcome.concluded_on)}: third country {willing}; "
            f"commitments: {_names(outcome.commitments)}"
        )  # _names escapes
    return table


def _outcome(view: StatusView) -> Table | None:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    if view.report is not None:
        ref = f" ({view.report.reference})" if view.report.reference else ""
        grid.add_row(
            "report to the Council",
            escape(
                f"{_day(view.report.submitted_on)}{ref}: recommends "
                f"{view.report.recommendation.value}. {view.report.summary}"
            ),
        )
    if view.decision is not None:
        ref = f" ({view.decision.council_reference})" if view.decision.council_reference else ""
        grid.add_row(
            "Council decision",
            escape(f"{_day(view.decision.decided_on)}{ref}: {view.decision.outcome.value}"),
        )
    if view.launch is not None:
        jd = view.launch.joint_declaration_reference
        grid.add_row(
            "joint declaration",
            escape(
                f"signed {_day(view.launch.signed_on)}{' (' + jd + ')' if jd else ''} by "
                f"{_names(view.launch.member_states)}; components: "
                f"{_names(view.launch.components)}"
            ),
        )
    return grid if grid.row_count else None


def _milestones(view: StatusView) -> Table | None:
    if not view.milestones:
        return None
    table = Table(title="Report-back milestones", title_justify="left")
    for column in ("milestone", "business date", "recorded (UTC)", "event #"):
        table.add_column(column, overflow="fold")
    for m in view.milestones:
        table.add_row(m.kind.value, _day(m.occurred_on), _moment(m.recorded_at), str(m.version))
    return table


def timeline(events: Sequence[Event]) -> Table:
    """Every event with both of its dates: when it happened and when it was recorded."""
    table = Table(title="Timeline", title_justify="left")
    for column in ("#", "business date", "recorded (UTC)", "by", "what happened"):
        table.add_column(column, overflow="fold")
    for number, event in enumerate(events, start=1):
        actor = event.actor
        who = f"{actor.id} ({actor.member_state or actor.role.value})"
        # The description quotes what people typed (a withdrawal's reason, say).
        what = what_happened(event)
        table.add_row(
            str(number),
            _day(event.occurred_on),
            _moment(event.recorded_at),
            escape(who),
            escape(what),
        )
    return table


def status_panel(
    view: StatusView, events: Sequence[Event] | None, notes: Sequence[str] = ()
) -> RenderableType:
    """The whole of `partnerships show`: status, answers, talks, outcome, timeline, next steps."""
    title = f"Pilot mobility partnership with {view.country_name} ({view.country})"
    parts: list[RenderableType] = [_overview(view)]
    for section in (_answers(view), _talks(view), _outcome(view), _milestones(view)):
        if section is not None:
            parts += [Text(""), section]
    if events is not None:
        parts += [Text(""), timeline(events)]
    parts += [Text(""), Text("What each role may do next", style="bold"), next_steps(view)]
    for note in notes:
        parts += [Text(note, style="yellow")]
    # No surrounding panel: the tables need the terminal's full width for their text.
    return Group(Rule(escape(title), align="left"), *parts)


def _event_words(event_type: str) -> str:
    """`ReportSubmitted` → `report submitted`; `PartnershipLaunched` → `launched`."""
    words = re.findall(r"[A-Z][a-z]*", event_type.removeprefix("Partnership")) or [event_type]
    return " ".join(words).lower()


def board_table(rows: Sequence[BoardRow]) -> Table:
    """The status board as a table, one line per partnership (each incarnation its own)."""
    table = Table(title="Pilot mobility partnerships", title_justify="left")
    table.add_column("country", no_wrap=True)
    table.add_column("stage", overflow="fold", min_width=12)
    table.add_column("region", overflow="fold", min_width=10)
    table.add_column("decide by", no_wrap=True)
    table.add_column("MS", justify="right")
    table.add_column("last event", overflow="fold", min_width=14)
    for row in rows:
        number = incarnation(row.stream_id)
        # A country proposed again after an end has a new stream; the old one stays listed.
        country = row.country if number <= 1 else f"{row.country} #{number}"
        table.add_row(
            escape(country),
            stage_text(row.stage),
            escape(row.region),
            _day(row.decision_deadline),
            str(row.interested_count),
            f"{_day(row.last_changed_on)} {_event_words(row.last_event_type)}",
        )
    table.caption = "decide by: the Council's decision deadline; MS: Member States interested"
    return table
