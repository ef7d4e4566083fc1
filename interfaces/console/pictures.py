"""Pictures the console draws on the server, as inline SVG: the programme and the lifecycle.

Every picture is `Markup` a template inserts as it is: every text in it (country names, stage
names, anything a row carries) is escaped here, and characters XML cannot hold are replaced, so
the SVG parses whatever the rows say. A picture is a function of its arguments only: the same
input gives the same bytes (no clock, no random ids), and it is sized by its viewBox so it
scales with the page.

Accessibility: each picture is `role="img"` with a `<title>` and a `<desc>` that say in words
what it shows; every bar and box has its own `<title>` (a tooltip, and what a screen reader
reads); colours reach WCAG AA contrast against white, and nothing is told by colour alone: each
row and box carries its stage in text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from markupsafe import Markup, escape

from app.reading import BoardRow, ListedPartnership
from domain.commands import CloseConsultation, LapseDecisionDeadline
from domain.policy import allowed_at
from domain.stages import END_STAGES, Stage
from interfaces.console.dates import country_name, days_left_phrase, people_date
from interfaces.console.lifecycle_graph import Transition, lifecycle_transitions

# One colour per stage, each at least 4.5:1 against white (WCAG AA for text, so also for the
# 3:1 graphical objects need): the open stages in blues and purples, the good end in green,
# the other ends in reds, browns and grey. tests/unit/test_console_pictures.py measures them.
STAGE_COLOURS: Final[dict[Stage, str]] = {
    Stage.CONSULTATION: "#1f5fa8",
    Stage.AWAITING_TALKS_AUTHORISATION: "#5b3fa0",
    Stage.EXPLORATORY_TALKS: "#0b6e75",
    Stage.TALKS_SUSPENDED: "#6a1b9a",
    Stage.REPORT_DUE: "#805300",
    Stage.COUNCIL_DECISION: "#a03c78",
    Stage.LAUNCH_PREPARATION: "#2e7d32",
    Stage.LAUNCHED: "#1b5e20",
    Stage.NOT_PURSUED: "#6d4c41",
    Stage.TALKS_FAILED: "#b3261e",
    Stage.DECLINED: "#8e1b1b",
    Stage.LAPSED: "#9c4a00",
    Stage.WITHDRAWN: "#555555",
}
UNKNOWN_COLOUR: Final = "#595959"
"""For a stage this software does not know (a row written by a newer version): plain grey."""

OVERDUE_COLOUR: Final = "#b3261e"
TODAY_COLOUR: Final = "#c2410c"
INK: Final = "#1a1a1a"
MUTED: Final = "#595959"

# Characters XML 1.0 cannot hold (C0 controls but tab and line breaks, lone surrogates, and
# the two non-characters U+FFFE and U+FFFF): a row's text is shown with U+FFFD in their place.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: object) -> Markup:
    """`value` as text inside SVG: XML-safe and escaped (also fit for an attribute)."""
    return escape(_NOT_XML.sub("\ufffd", str(value)))


def _number(value: float) -> str:
    """A coordinate, written the same way every time (one decimal, no "-0.0")."""
    shown = f"{value:.1f}"
    return "0.0" if shown == "-0.0" else shown


def _short(value: str, limit: int) -> str:
    """`value` cut to `limit` characters with an ellipsis (the full text is in the tooltip)."""
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"


def stage_label(stage: str) -> str:
    """A stage as people read it: "awaiting talks authorisation"."""
    return stage.replace("_", " ")


def _stage(value: str) -> Stage | None:
    """The stage named `value`, or None for a name this software does not know."""
    try:
        return Stage(value)
    except ValueError:
        return None


def stage_colour(value: str) -> str:
    """The colour a stage is drawn in (grey for an unknown one)."""
    stage = _stage(value)
    return STAGE_COLOURS[stage] if stage is not None else UNKNOWN_COLOUR


def _open_tag(width: float, height: float, ident: str, css_class: str) -> str:
    """The `<svg>` tag: its natural size, which a page's CSS (`max-width: 100%; height: auto`)
    shrinks to fit, and the viewBox that makes it scale."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" '
        f'width="{_number(width)}" height="{_number(height)}" '
        f'viewBox="0 0 {_number(width)} {_number(height)}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" '
        f'font-family="system-ui, sans-serif" font-size="12">'
    )


def _heading(ident: str, title: str, desc: str) -> list[str]:
    return [
        f'<title id="{ident}-title">{_text(title)}</title>',
        f'<desc id="{ident}-desc">{_text(desc)}</desc>',
    ]


def _counted(counts: Counter[str], order: Iterable[str]) -> str:
    """How many rows are at each stage ("2 consultation, 1 launched"), in `order`, then the
    stages `order` does not know, alphabetically."""
    known = list(order)
    names = known + sorted(name for name in counts if name not in known)
    return ", ".join(f"{counts[name]} {stage_label(name)}" for name in names if counts[name])


# --- The programme ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Bar:
    """One row of the programme, with the dates it is drawn between."""

    row: BoardRow
    name: str
    start: date
    end: date
    proposed_on: date | None


def _bar(item: BoardRow | ListedPartnership, today: date) -> _Bar:
    """Where a row's bar starts and ends.

    It starts at the proposal's business date when the row carries it (`ListedPartnership`);
    a bare `BoardRow` does not, so it starts at the earliest date it carries instead. An open
    partnership's bar runs on to today; one that ended stops at its last business date.
    """
    row = item.row if isinstance(item, ListedPartnership) else item
    proposed_on = item.proposed_on if isinstance(item, ListedPartnership) else None
    carried = [row.last_changed_on] + [
        d for d in (row.consultation_deadline, row.decision_deadline) if d is not None
    ]
    start = proposed_on if proposed_on is not None else min(carried)
    stage = _stage(row.stage)
    ended = stage is None or stage in END_STAGES
    end = row.last_changed_on if ended else max(row.last_changed_on, today)
    return _Bar(
        row=row,
        name=country_name(row.country),
        start=min(start, end),
        end=max(start, end),
        proposed_on=proposed_on,
    )


def _live_deadlines(row: BoardRow) -> tuple[bool, bool]:
    """Whether the consultation and the decision deadline can still end the row's stage.

    The policy's table says at which stages the deadline-driven commands are armed, as it does
    for the workflow's timers and the inbox.
    """
    stage = _stage(row.stage)
    if stage is None:
        return False, False
    return allowed_at(stage, CloseConsultation), allowed_at(stage, LapseDecisionDeadline)


def _year_ticks(first: int, last: int) -> list[int]:
    """The years to mark on the axis: every year, or every few when there are many."""
    years = last - first + 1
    step = max(1, -(-years // 12))
    return list(range(first, last + 1, step))


def _deadline_title(what: str, deadline: date, live: bool, today: date) -> str:
    told = f"{what}: {people_date(deadline)}"
    return f"{told} ({days_left_phrase(deadline, today)})" if live else told


def _bar_title(bar: _Bar) -> str:
    row = bar.row
    title = f"{bar.name} \u2014 {stage_label(row.stage)}, {people_date(row.last_changed_on)}"
    details = []
    if bar.proposed_on is not None:
        details.append(f"proposed {people_date(bar.proposed_on)}")
    if row.consultation_deadline is not None:
        details.append(f"consultation deadline {people_date(row.consultation_deadline)}")
    if row.decision_deadline is not None:
        details.append(f"decision deadline {people_date(row.decision_deadline)}")
    return f"{title} ({'; '.join(details)})" if details else title


_WIDTH: Final = 960.0
_LABELS: Final = 210.0  # the column of country names and stages
_RIGHT: Final = 24.0
_TOP: Final = 40.0
_ROW: Final = 36.0
_LEGEND_COLUMNS: Final = 4


def programme_svg(
    rows: Sequence[BoardRow | ListedPartnership], today: date, *, ident: str = "programme"
) -> Markup:
    """The programme as a picture: one row per partnership on a time axis of business dates.

    Each row is a bar from the proposal (see `_bar` for a row that does not carry it) to its
    last business date, or to today while it is open, coloured by stage and labelled with the
    country and the stage in words; the consultation deadline is marked with a triangle and
    the decision deadline with a diamond (filled while the deadline can still end the stage,
    outlined once past it or no longer live), with year ticks and a line for today. `ident`
    prefixes the ids of the title and description, for a page with two pictures.
    """
    bars = [_bar(item, today) for item in rows]
    ident = re.sub(r"[^A-Za-z0-9_-]", "-", ident) or "programme"
    stages = Counter(bar.row.stage for bar in bars)
    lifecycle = [stage.value for stage in Stage]
    title = "The programme: every partnership on a time line of business dates"
    if not bars:
        height = 80.0
        parts = [
            _open_tag(_WIDTH, height, ident, "programme"),
            *_heading(ident, title, "No partnership to show."),
            f'<text x="{_number(_WIDTH / 2)}" y="44" text-anchor="middle" fill="{INK}">'
            "No partnership to show.</text>",
            "</svg>",
        ]
        return Markup("".join(parts))

    dates = [d for bar in bars for d in (bar.start, bar.end)]
    dates += [
        d
        for bar in bars
        for d in (bar.row.consultation_deadline, bar.row.decision_deadline)
        if d is not None
    ]
    dates.append(today)
    first_year, last_year = min(dates).year, max(dates).year
    axis_start = date(first_year, 1, 1).toordinal()
    axis_end = date(last_year, 12, 31).toordinal() + 1
    plot = _WIDTH - _LABELS - _RIGHT

    def x(day: date) -> float:
        return _LABELS + (day.toordinal() - axis_start) / (axis_end - axis_start) * plot

    legend_top = _TOP + _ROW * len(bars) + 16
    # The stages shown, four to a line, then a line for the deadline marks.
    legend_lines = -(-len(stages) // _LEGEND_COLUMNS) + 1
    height = legend_top + 8 + 20 * legend_lines + 8
    desc = (
        f"{len(bars)} partnership{'s' if len(bars) != 1 else ''} from {first_year} to "
        f"{last_year}: {_counted(stages, lifecycle)}. Each row is a bar from the proposal to "
        "the latest business date, or to today while the partnership is open, labelled with "
        "its country and stage; triangles mark consultation deadlines and diamonds decision "
        f"deadlines. A vertical line marks today, {people_date(today)}."
    )
    parts = [_open_tag(_WIDTH, height, ident, "programme"), *_heading(ident, title, desc)]

    # Year ticks and grid lines, behind the bars.
    bottom = _TOP + _ROW * len(bars)
    parts.append('<g class="axis" aria-hidden="true">')
    for year in _year_ticks(first_year, last_year):
        left = x(date(year, 1, 1))
        parts.append(
            f'<line x1="{_number(left)}" y1="{_number(_TOP - 6)}" x2="{_number(left)}" '
            f'y2="{_number(bottom)}" stroke="#d0d0d0" stroke-width="1"/>'
            f'<text x="{_number(left + 3)}" y="{_number(_TOP - 10)}" fill="{MUTED}">{year}</text>'
        )
    parts.append("</g>")

    for number, bar in enumerate(bars):
        row = bar.row
        top = _TOP + _ROW * number
        colour = stage_colour(row.stage)
        left, right = x(bar.start), x(bar.end)
        width = max(right - left, 3.0)  # a one-day partnership is still visible
        parts.append(f'<g class="row" data-stage="{_text(row.stage)}">')
        parts.append(f"<title>{_text(_bar_title(bar))}</title>")
        parts.append(
            f'<text x="8" y="{_number(top + 14)}" fill="{INK}" font-weight="600">'
            f"{_text(_short(bar.name, 28))}</text>"
            f'<text x="8" y="{_number(top + 28)}" fill="{colour}" font-size="11">'
            f"{_text(_short(stage_label(row.stage), 32))}</text>"
        )
        parts.append(
            f'<rect class="bar" x="{_number(left)}" y="{_number(top + 8)}" '
            f'width="{_number(width)}" height="16" rx="3" fill="{colour}"/>'
        )
        consultation_live, decision_live = _live_deadlines(row)
        marks = (
            ("Consultation deadline", row.consultation_deadline, consultation_live, "triangle"),
            ("Decision deadline", row.decision_deadline, decision_live, "diamond"),
        )
        for what, deadline, live, shape in marks:
            if deadline is None:
                continue
            overdue = live and deadline < today
            told = _deadline_title(what, deadline, live, today)
            parts.append(_deadline_mark(x(deadline), top + 16, shape, live, overdue, told))
        parts.append("</g>")

    # Today, over the bars.
    now = x(today)
    parts.append(
        f'<g class="today"><line x1="{_number(now)}" y1="{_number(_TOP - 6)}" '
        f'x2="{_number(now)}" y2="{_number(bottom)}" stroke="{TODAY_COLOUR}" stroke-width="2" '
        f'stroke-dasharray="4 3"/><text x="{_number(now)}" y="{_number(bottom + 12)}" '
        f'text-anchor="middle" fill="{TODAY_COLOUR}" font-size="11">today</text></g>'
    )
    parts.append(_legend(legend_top + 8, list(stages)))
    parts.append("</svg>")
    return Markup("".join(parts))


def _deadline_mark(
    cx: float, cy: float, shape: str, live: bool, overdue: bool, title: str | None = None
) -> str:
    """A deadline's mark: filled while live, outlined otherwise; red and wider when overdue.

    `title` is the mark's own tooltip ("Decision deadline: 31 December 2008 (3 days left)").
    """
    size = 6.0
    if shape == "triangle":
        points = [(cx, cy - size), (cx + size, cy + size), (cx - size, cy + size)]
    else:
        points = [(cx, cy - size - 1), (cx + size, cy), (cx, cy + size + 1), (cx - size, cy)]
    drawn = " ".join(f"{_number(px)},{_number(py)}" for px, py in points)
    stroke = OVERDUE_COLOUR if overdue else INK
    fill = INK if live and not overdue else "#ffffff"
    width = "2.5" if overdue else "1.5"
    kind = "overdue" if overdue else "live" if live else "past"
    opened = (
        f'<polygon class="deadline {shape} {kind}" points="{drawn}" fill="{fill}" '
        f'stroke="{stroke}" stroke-width="{width}"'
    )
    if title is None:
        return opened + "/>"
    return f"{opened}><title>{_text(title)}</title></polygon>"


def _legend(top: float, present: Sequence[str]) -> str:
    """The key: each stage shown (in lifecycle order, then unknown ones) and the two marks."""
    order = [stage.value for stage in Stage if stage.value in present]
    order += sorted(name for name in present if _stage(name) is None)
    parts = ['<g class="legend">']
    column = 0
    line = 0
    for name in order:
        left = _LABELS + column * 185.0
        y = top + line * 20
        parts.append(
            f'<rect x="{_number(left)}" y="{_number(y)}" width="14" height="12" rx="2" '
            f'fill="{stage_colour(name)}"/><text x="{_number(left + 20)}" '
            f'y="{_number(y + 10)}" fill="{INK}">{_text(_short(stage_label(name), 26))}</text>'
        )
        column += 1
        if column == _LEGEND_COLUMNS:
            column, line = 0, line + 1
    marks_y = top + (line + (1 if column else 0)) * 20
    parts.append(
        f'<text x="8" y="{_number(top + 10)}" fill="{INK}" font-weight="600">Key</text>'
        f"{_deadline_mark(_LABELS + 7, marks_y + 6, 'triangle', True, False)}"
        f'<text x="{_number(_LABELS + 20)}" y="{_number(marks_y + 10)}" fill="{INK}">'
        "consultation deadline</text>"
        f"{_deadline_mark(_LABELS + 192, marks_y + 6, 'diamond', True, False)}"
        f'<text x="{_number(_LABELS + 205)}" y="{_number(marks_y + 10)}" fill="{INK}">'
        "decision deadline (outlined once past; red when overdue)</text>"
    )
    parts.append("</g>")
    return "".join(parts)


# --- The lifecycle ------------------------------------------------------------------------

_BOX_W: Final = 220.0
_BOX_H: Final = 40.0
_STEP_H: Final = 80.0  # one row of the diagram
_GAP: Final = 150.0  # between a stage and an end beside it, room for the step's name
_END_W: Final = 170.0
_BUS: Final = 22.0  # between two of the lines on the left


def step_label(step: str) -> str:
    """A step (an update's name) as people read it: "record council decision"."""
    return step.replace("_", " ")


@dataclass(frozen=True)
class _Layout:
    """Where each stage's box stands, and how each transition is drawn."""

    spine: list[Stage]  # the open stages, top to bottom, in the lifecycle's order
    beside: dict[Stage, tuple[Stage, int]]  # an end reached from one stage: that stage, slot
    below: list[Stage]  # ends reached from several stages, joined by a line on the left
    transitions: tuple[Transition, ...]


def _layout(transitions: tuple[Transition, ...]) -> _Layout:
    """The open stages down the middle in the domain's order; an end reached from one of them
    beside it; an end reached from several below, with a line on the left joining its sources.
    """
    spine = [stage for stage in Stage if not stage.is_end]
    sources: dict[Stage, list[Stage]] = {}
    for transition in transitions:
        sources.setdefault(transition.target, [])
        if transition.source not in sources[transition.target]:
            sources[transition.target].append(transition.source)
    beside: dict[Stage, tuple[Stage, int]] = {}
    below: list[Stage] = []
    for stage in Stage:
        if stage in spine:
            continue
        froms = sources.get(stage, [])
        if len(froms) == 1 and froms[0] in spine:
            slot = sum(1 for source, _ in beside.values() if source == froms[0])
            beside[stage] = (froms[0], slot)
        else:
            below.append(stage)
    return _Layout(spine=spine, beside=beside, below=below, transitions=transitions)


def _steps_sentence(transitions: tuple[Transition, ...]) -> str:
    """The transitions in words, grouped by stage and step, in the lifecycle's order."""
    sentences = []
    for source in Stage:
        leaving = [t for t in transitions if t.source == source]
        if not leaving:
            continue
        steps: dict[str, list[str]] = {}
        for transition in leaving:
            steps.setdefault(transition.step, []).append(stage_label(transition.target))
        told = "; ".join(
            f"{step_label(step)} leads to {' or '.join(targets)}"
            for step, targets in sorted(steps.items(), key=lambda item: _first(item[1]))
        )
        sentences.append(f"From {stage_label(source)}: {told}.")
    return " ".join(sentences)


def _first(targets: list[str]) -> int:
    """Where the first of `targets` stands in the lifecycle's order (to sort the steps)."""
    order = [stage_label(stage) for stage in Stage]
    return min(order.index(target) for target in targets)


def lifecycle_svg(
    current_stage: str | None, ended_at: str | None = None, *, ident: str = "lifecycle"
) -> Markup:
    """The lifecycle of DESIGN §2 as boxes and arrows, with the current stage marked.

    The stages and the steps between them are the domain's (`lifecycle_transitions` walks
    them). The current stage's box has a thick border and says "current"; an end's box is
    rounder than an open stage's. `ended_at` is the stage a partnership was at when it ended
    (a withdrawal records it); for an end reached from one stage only, that stage is implied.
    The box it ended at says "ended here" and the step taken is drawn thicker. `ident`
    prefixes the ids in the picture, for a page with two pictures.
    """
    ident = re.sub(r"[^A-Za-z0-9_-]", "-", ident) or "lifecycle"
    transitions = lifecycle_transitions()
    layout = _layout(transitions)
    current = _stage(current_stage) if current_stage is not None else None
    left_from = _stage(ended_at) if ended_at is not None else None
    if current is not None and current.is_end and left_from is None:
        froms = {t.source for t in transitions if t.target == current}
        left_from = froms.pop() if len(froms) == 1 else None
    # The step that ended it, when the domain has such a step (a stray `ended_at` marks none).
    taken = next(
        (
            (t.source, t.target)
            for t in transitions
            if current is not None
            and current.is_end
            and (t.source, t.target) == (left_from, current)
        ),
        None,
    )

    spine_x = 24.0 + _BUS * (len(layout.below) + 1)
    end_x = spine_x + _BOX_W + _GAP
    width = end_x + _END_W + 24.0
    top = 16.0
    rows = len(layout.spine) + len(layout.below)
    height = top + _STEP_H * (rows - 1) + _BOX_H + top
    centre = spine_x + _BOX_W / 2

    def row_y(stage: Stage) -> float:
        if stage in layout.spine:
            return top + _STEP_H * layout.spine.index(stage)
        if stage in layout.beside:
            return row_y(layout.beside[stage][0])
        return top + _STEP_H * (len(layout.spine) + layout.below.index(stage))

    def box_x(stage: Stage) -> float:
        if stage in layout.beside:
            return end_x + layout.beside[stage][1] * (_END_W + 16)
        return spine_x

    if current_stage is None:
        now = "The partnership is not proposed yet."
    elif current is None:
        now = f"Its current stage, {current_stage!r}, is not one this software knows."
    else:
        now = f"The current stage is {stage_label(current)}."
        if taken is not None:
            now += f" It ended at {stage_label(taken[0])}."
    ends = ", ".join(stage_label(stage) for stage in Stage if stage.is_end)
    desc = (
        f"The stages of a partnership, from proposal to its end. "
        f"{_steps_sentence(transitions)} The ends are {ends}. {now}"
    )
    title = "The lifecycle of a partnership"
    if current is not None:
        title += f", at {stage_label(current)}"
    extra = max((slot for _, slot in layout.beside.values()), default=0)
    width += extra * (_END_W + 16)
    parts = [_open_tag(width, height, ident, "lifecycle"), *_heading(ident, title, desc)]
    parts.append(
        f'<defs><marker id="{ident}-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{INK}"/></marker></defs>'
    )
    arrow = f'marker-end="url(#{ident}-arrow)"'

    def stroke(source: Stage, target: Stage) -> str:
        """How a step's line is drawn: named by its two stages, thicker when it was taken."""
        thick = taken == (source, target)
        return (
            f'class="step" data-from="{source.value}" data-to="{target.value}" '
            f'stroke="{INK}" stroke-width="{"3" if thick else "1.5"}"'
        )

    # The steps between open stages, down the middle.
    parts.append('<g class="steps">')
    steps: dict[tuple[Stage, Stage], list[str]] = {}
    for transition in transitions:
        steps.setdefault((transition.source, transition.target), []).append(transition.step)
    for (source, target), names in steps.items():
        said = _text(", ".join(step_label(name) for name in dict.fromkeys(names)))
        if source in layout.spine and target in layout.spine:
            y1, y2 = row_y(source) + _BOX_H, row_y(target)
            parts.append(
                f'<line x1="{_number(centre)}" y1="{_number(y1)}" x2="{_number(centre)}" '
                f'y2="{_number(y2 - 1)}" {stroke(source, target)} {arrow}/>'
                f'<text x="{_number(centre + 8)}" y="{_number((y1 + y2) / 2 + 4)}" '
                f'fill="{MUTED}" font-size="11">{said}</text>'
            )
        elif target in layout.beside:
            y = row_y(source) + _BOX_H / 2
            x1, x2 = spine_x + _BOX_W, box_x(target)
            parts.append(
                f'<line x1="{_number(x1)}" y1="{_number(y)}" x2="{_number(x2 - 1)}" '
                f'y2="{_number(y)}" {stroke(source, target)} {arrow}/>'
                f'<text x="{_number((x1 + x2) / 2)}" y="{_number(y - 6)}" text-anchor="middle" '
                f'fill="{MUTED}" font-size="10">{said}</text>'
            )
    # The ends reached from several stages: a line on the left joins their sources.
    for number, end in enumerate(layout.below):
        bus = spine_x - _BUS * (number + 1)
        offset = -8.0 + 16.0 * (number % 2)
        joined = [t.source for t in transitions if t.target == end]
        joining = ", ".join(
            step_label(name)
            for name in dict.fromkeys(t.step for t in transitions if t.target == end)
        )
        first = min(row_y(source) for source in joined) if joined else row_y(end)
        end_y = row_y(end) + _BOX_H / 2
        dashes = ' stroke-dasharray="5 3"' if number % 2 else ""
        parts.append(f'<g class="joined" data-end="{end.value}">')
        parts.append(
            f'<line x1="{_number(bus)}" y1="{_number(first + _BOX_H / 2 + offset)}" '
            f'x2="{_number(bus)}" y2="{_number(end_y)}" stroke="{INK}" stroke-width="1.5"'
            f"{dashes}/>"
            f'<line x1="{_number(bus)}" y1="{_number(end_y)}" x2="{_number(spine_x - 1)}" '
            f'y2="{_number(end_y)}" stroke="{INK}" stroke-width="1.5"{dashes} {arrow}/>'
        )
        for source in joined:
            y = row_y(source) + _BOX_H / 2 + offset
            parts.append(
                f'<line x1="{_number(spine_x)}" y1="{_number(y)}" x2="{_number(bus)}" '
                f'y2="{_number(y)}" {stroke(source, end)}{dashes}/>'
            )
        parts.append(
            f'<text x="{_number(spine_x + _BOX_W + 12)}" y="{_number(end_y + 4)}" '
            f'fill="{MUTED}" font-size="11">{_text(joining)}, from '
            f"{len(joined)} stage{'s' if len(joined) != 1 else ''} joined on the left</text>"
        )
        parts.append("</g>")
    parts.append("</g>")

    # The boxes, over the lines.
    for stage in Stage:
        box_width = _END_W if stage in layout.beside else _BOX_W
        ended_here = taken is not None and stage == left_from
        parts.append(
            _stage_box(stage, box_x(stage), row_y(stage), box_width, stage == current, ended_here)
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _stage_box(
    stage: Stage, x: float, y: float, width: float, current: bool, ended_here: bool
) -> str:
    """One stage's box: its name, "current" when it is, "ended here" where the end came from."""
    colour = STAGE_COLOURS[stage]
    notes = []
    if current:
        notes.append("current")
    if ended_here:
        notes.append("ended here")
    kind = "an end" if stage.is_end else "a stage"
    tooltip = f"{stage_label(stage)} ({kind}{''.join(', ' + note for note in notes)})"
    css = " ".join(["stage", "end" if stage.is_end else "open", *(["current"] if current else [])])
    label_y = y + (16 if notes else 25)
    marked = ' aria-current="step"' if current else ""
    bold = ' font-weight="700"' if current else ""
    parts = [
        f'<g class="{css}" data-stage="{stage.value}"{marked}><title>{_text(tooltip)}</title>',
        f'<rect x="{_number(x)}" y="{_number(y)}" width="{_number(width)}" '
        f'height="{_number(_BOX_H)}" rx="{"18" if stage.is_end else "4"}" fill="#ffffff" '
        f'stroke="{colour}" stroke-width="{"4" if current else "1.5"}"/>',
        f'<text x="{_number(x + width / 2)}" y="{_number(label_y)}" text-anchor="middle" '
        f'fill="{INK}"{bold}>{_text(stage_label(stage))}</text>',
    ]
    if notes:
        parts.append(
            f'<text x="{_number(x + width / 2)}" y="{_number(y + 32)}" text-anchor="middle" '
            f'fill="{colour}" font-size="11" font-weight="700">{_text(", ".join(notes))}</text>'
        )
    parts.append("</g>")
    return "".join(parts)
