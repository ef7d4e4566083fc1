"""The report-back document in the Council's manner: what it is called, and what it says.

The Markdown report (`domain.report`) is the record's own working copy, shown in the Temporal
UI and kept in the outbox. This module holds the words of the document that goes to the
Council, the Presidency and the Member States: a title per milestone kind naming the third
country by its formal name, a reference derived from the record, business dates written as
people read them ("5 June 2008"), the Member States by name in the Council's protocol order,
and the facts of the record. It builds a `CouncilDocument` of plain text only; the renderers
(HTML and PDF in `activities.documents`, plain text here) decide how it looks, and escape
everything, so what people wrote is shown as written and never becomes markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

import pycountry

from domain.commands import Outcome, Position, Recommendation
from domain.components import Component
from domain.countries import country_name, iso_code
from domain.events import Event
from domain.evolve import replay
from domain.milestones import milestone_kind
from domain.regions import Region
from domain.stages import Stage
from domain.state import MilestoneKind, Partnership

_MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def long_date(day: date) -> str:
    """A business date as people read it in an English Council document: `5 June 2008`."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


# The Member States in the Council's protocol order (by their names in their own languages),
# with their short names as the Interinstitutional Style Guide writes them in English.
_MEMBER_STATE_NAMES: Final[dict[str, str]] = {
    "BE": "Belgium",
    "BG": "Bulgaria",
    "CZ": "Czechia",
    "DK": "Denmark",
    "DE": "Germany",
    "EE": "Estonia",
    "IE": "Ireland",
    "EL": "Greece",
    "ES": "Spain",
    "FR": "France",
    "HR": "Croatia",
    "IT": "Italy",
    "CY": "Cyprus",
    "LV": "Latvia",
    "LT": "Lithuania",
    "LU": "Luxembourg",
    "HU": "Hungary",
    "MT": "Malta",
    "NL": "the Netherlands",
    "AT": "Austria",
    "PL": "Poland",
    "PT": "Portugal",
    "RO": "Romania",
    "SI": "Slovenia",
    "SK": "Slovakia",
    "FI": "Finland",
    "SE": "Sweden",
    "UK": "the United Kingdom",
}
_PROTOCOL_ORDER: Final[dict[str, int]] = {code: n for n, code in enumerate(_MEMBER_STATE_NAMES)}

# Read pycountry's table once, at import (as domain.countries does): its lazy first read opens
# a file, which a workflow sandbox forbids.
_OFFICIAL_NAMES: Final[dict[str, str]] = {
    c.alpha_2: str(c.official_name)
    for c in pycountry.countries
    if getattr(c, "official_name", None) and c.official_name != c.name
}
# A name that is a form of state takes "the" in a sentence: "the Syrian Arab Republic".
_NEEDS_ARTICLE: Final = re.compile(r"\b(Republic|Kingdom|Federation|Emirates|Islands|States)\b")
# Where ISO's name is a list ("Taiwan, Province of China") and no official name differs.
_COMMON_NAMES: Final[dict[str, str]] = {
    c.alpha_2: str(c.common_name)
    for c in pycountry.countries
    if c.alpha_2 not in _OFFICIAL_NAMES and getattr(c, "common_name", None) and "," in c.name
}


def member_state_name(code: str) -> str:
    """A Member State's English short name, as the EU writes it: `Spain`, `the Netherlands`."""
    return _MEMBER_STATE_NAMES.get(code, code)


def member_states_named(codes: Iterable[str]) -> tuple[str, ...]:
    """Member States by name, in the Council's protocol order (unknown codes last, as given)."""
    ordered = sorted(set(codes), key=lambda c: (_PROTOCOL_ORDER.get(c, len(_PROTOCOL_ORDER)), c))
    return tuple(member_state_name(code) for code in ordered)


def formal_name(code: str) -> str:
    """The third country's formal English name, as a title names it after "with".

    pycountry's official name with its article (`the Republic of Moldova`) where it has one;
    an inverted ISO name put the right way round (`Congo, The Democratic Republic of the` →
    `the Democratic Republic of the Congo`); the common or short name otherwise (`Georgia`,
    `Kosovo`, `Taiwan`).
    """
    iso = iso_code(code)
    if iso in _OFFICIAL_NAMES:
        # Some official names carry their article already ("the State of Palestine").
        return f"the {_OFFICIAL_NAMES[iso].removeprefix('the ')}"
    name = country_name(iso)
    head, comma, tail = name.partition(", ")
    tail = tail.removeprefix("The ")
    if comma and (tail.endswith(" of") or tail.endswith(" of the")):
        return f"the {tail} {head}"
    name = _COMMON_NAMES.get(iso, name)
    return f"the {name}" if _NEEDS_ARTICLE.search(name) else name


def in_series(items: Sequence[str]) -> str:
    """Items that may hold "and" themselves, in a sentence: `a; b and c; and d`, `a; and b`."""
    if len(items) < 2:
        return "".join(items) or "none"
    return f"{'; '.join(items[:-1])}; and {items[-1]}"


def in_words(items: Sequence[str]) -> str:
    """Names in a sentence: `Spain`, `Spain and France`, `Spain, France and Portugal`."""
    if not items:
        return "none"
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} and {items[-1]}"


_REGIONS: Final[dict[Region, str]] = {
    Region.AFRICA_MEDITERRANEAN: "Africa and the Mediterranean",
    Region.EASTERN_SOUTH_EASTERN: "Eastern and South-Eastern Europe",
    Region.EASTERN_MEDITERRANEAN_MIDDLE_EAST: "the Eastern Mediterranean and the Middle East",
    Region.CENTRAL_ASIA: "Central Asia",
    Region.ASIA_ORIGIN: "countries of origin in Asia",
    Region.OTHER: "other regions",
}

_STAGES: Final[dict[Stage, str]] = {
    Stage.CONSULTATION: "consultation of the Member States",
    Stage.AWAITING_TALKS_AUTHORISATION: "awaiting the Presidency's authorisation of talks",
    Stage.EXPLORATORY_TALKS: "exploratory talks",
    Stage.TALKS_SUSPENDED: "exploratory talks suspended",
    Stage.REPORT_DUE: "report to the Council due",
    Stage.COUNCIL_DECISION: "awaiting the Council's decision",
    Stage.LAUNCH_PREPARATION: "preparation of the launch",
    Stage.NOT_PURSUED: "not pursued",
    Stage.TALKS_FAILED: "talks failed",
    Stage.DECLINED: "declined by the Council",
    Stage.LAPSED: "lapsed without a decision",
    Stage.WITHDRAWN: "withdrawn by the Commission",
    Stage.LAUNCHED: "launched",
}

_COMPONENTS: Final[dict[Component, str]] = {
    Component.LEGAL_MIGRATION: "legal migration",
    Component.MIGRATION_AND_DEVELOPMENT: "migration and development",
    Component.CAPACITY_BUILDING: "capacity building",
    Component.REINTEGRATION_OF_RETURNEES: "reintegration of returnees",
    Component.VISA_FACILITATION: "visa facilitation",
    Component.HUMAN_RIGHTS_PROTECTION: "protection of human rights",
    Component.REFUGEE_PROTECTION: "protection of refugees",
    Component.ILLEGAL_IMMIGRATION_COOPERATION: "cooperation against illegal immigration",
    Component.READMISSION_AND_RETURN: "readmission and return",
}

_RECOMMENDATIONS: Final[dict[Recommendation, str]] = {
    Recommendation.LAUNCH: "that the partnership be launched",
    Recommendation.DO_NOT_LAUNCH: "that the partnership not be launched",
}

_OUTCOMES: Final[dict[Outcome, str]] = {
    Outcome.INVITE_LAUNCH: "invited the Commission to launch the partnership",
    Outcome.DECLINE: "decided not to launch the partnership",
}

_SUBJECTS: Final[dict[MilestoneKind | None, str]] = {
    MilestoneKind.CONSULTATION_OUTCOME: (
        "Report from the Commission to the Council on the outcome of the consultation of the "
        "Member States on a pilot mobility partnership with {country}"
    ),
    MilestoneKind.TALKS_OUTCOME: (
        "Report from the Commission to the Council on the outcome of the exploratory talks "
        "on a pilot mobility partnership with {country}"
    ),
    MilestoneKind.REPORT_TO_COUNCIL: (
        "Report from the Commission to the Council on the outcome of the consultations on a "
        "pilot mobility partnership with {country}"
    ),
    MilestoneKind.DEADLINE_REMINDER: (
        "Note from the Commission to the Council on the approaching deadline for its decision "
        "on a pilot mobility partnership with {country}"
    ),
    MilestoneKind.COUNCIL_DECISION: (
        "Note from the Commission on the decision of the Council on a pilot mobility "
        "partnership with {country}"
    ),
    MilestoneKind.LAPSE: (
        "Note from the Commission to the Council on the lapse of the deadline for its decision "
        "on a pilot mobility partnership with {country}"
    ),
    MilestoneKind.LAUNCH: (
        "Report from the Commission to the Council on the launch of the pilot mobility "
        "partnership with {country}"
    ),
    MilestoneKind.TALKS_SUSPENDED: (
        "Note from the Commission to the Council on the suspension of the exploratory talks "
        "on a pilot mobility partnership with {country}"
    ),
    MilestoneKind.TALKS_RESUMED: (
        "Note from the Commission to the Council on the resumption of the exploratory talks "
        "on a pilot mobility partnership with {country}"
    ),
    MilestoneKind.WITHDRAWAL: (
        "Note from the Commission to the Council on the withdrawal of its proposal for a "
        "pilot mobility partnership with {country}"
    ),
    None: (
        "Report from the Commission to the Council on the state of the pilot mobility "
        "partnership with {country}"
    ),
}


def document_title(kind: MilestoneKind | None, country: str) -> str:
    """The title in the Council's manner of the document for milestone `kind` (None: all)."""
    return _SUBJECTS[kind].format(country=formal_name(country))


def document_reference(stream_id: str, version: int, kind: MilestoneKind | None) -> str:
    """The document's reference, stable for a milestone: its stream, its version, its kind.

    `partnership-CV/1 v12 launch` is the launch milestone reached by version 12 of the first
    Cape Verde stream; the whole record as of version 12 is `partnership-CV/1 v12`.
    """
    return f"{stream_id} v{version}" + (f" {kind.value}" if kind is not None else "")


@dataclass(frozen=True)
class Paragraph:
    """Plain text; a line break in what someone wrote stays a line break."""

    text: str


@dataclass(frozen=True)
class Facts:
    """Labelled facts, shown as a definition list."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    """A table with a caption and a header row."""

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Items:
    """A list of items, in order."""

    items: tuple[str, ...]


Block = Paragraph | Facts | Table | Items


@dataclass(frozen=True)
class Section:
    """A numbered section of the document under its heading."""

    heading: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class CouncilDocument:
    """A report-back document as the Council reads it: plain text, to be rendered."""

    title: str
    reference: str
    country: str
    """The third country's ISO code."""
    country_name: str
    """Its formal name, as the title gives it."""
    dated: date | None
    """The business date of the milestone (the latest event's for the whole record)."""
    participants: tuple[str, ...]
    """The Member States taking part, by name, in protocol order."""
    sections: tuple[Section, ...]
    reached: bool = True
    """False when the milestone has not been reached: the document then says so only."""


def _deadlines(state: Partnership) -> Facts:
    items: list[tuple[str, str]] = [
        ("Third country", f"{formal_name(state.country or '')} ({state.country})"),
        ("Region", _REGIONS[state.region] if state.region else "unknown"),
        ("Stage", _STAGES[state.stage] if state.stage else "unknown"),
    ]
    if state.proposed_on:
        items.append(("Proposed by the Commission on", long_date(state.proposed_on)))
    if state.consultation_deadline:
        items.append(("Consultation deadline", long_date(state.consultation_deadline)))
    if state.decision_deadline:
        extended = state.deadline_extensions
        note = f" (extended {'once' if extended == 1 else f'{extended} times'})" if extended else ""
        # The engine's timer on recorded time, named for what it is (issue 13, item 7).
        items.append(("Operational decision deadline", long_date(state.decision_deadline) + note))
    if state.council_target_date:
        items.append(("The Council's own target date", long_date(state.council_target_date)))
    return Facts(tuple(items))


def _taking_part(state: Partnership) -> tuple[str, ...]:
    if state.launch is not None:
        return member_states_named(state.launch.member_states)
    return member_states_named(state.interested_member_states)


def _consultation(state: Partnership) -> Section:
    latest = state.latest_answers
    if not latest:
        return Section(
            "Consultation of the Member States", (Paragraph("No Member State has answered."),)
        )
    rows = tuple(
        (
            member_state_name(ms),
            "interested" if answer.position is Position.INTERESTED else "not interested",
            in_series([_COMPONENTS[o] for o in answer.offers]),
            long_date(answer.answered_on),
        )
        for ms, answer in sorted(latest.items(), key=lambda i: _PROTOCOL_ORDER.get(i[0], 99))
    )
    closed = state.consultation_closed_on
    interested = member_states_named(state.interested_member_states)
    closing = (
        f"The consultation closed on {long_date(closed)}."
        if closed
        else "The consultation is still open."
    )
    said = (
        f"{in_words(interested)} declared an interest in taking part."
        if interested
        else "No Member State declared an interest in taking part."
    )
    return Section(
        "Consultation of the Member States",
        (
            Table(
                "The answers of the Member States (each one's latest)",
                ("Member State", "Position", "Offers", "Answered on"),
                rows,
            ),
            Paragraph(f"{closing} {said}"),
        ),
    )


def _talks(state: Partnership, country: str) -> Section | None:
    if state.talks_authorised_on is None:
        return None
    blocks: list[Block] = [
        Paragraph(
            "The Presidency authorised exploratory talks on "
            f"{long_date(state.talks_authorised_on)}."
        )
    ]
    if state.rounds:
        blocks.append(
            Items(
                tuple(
                    f"Round {r.number}, {long_date(r.held_on)}"
                    f"{', in ' + r.location if r.location else ''}, with "
                    f"{in_words(member_states_named(r.member_states))}: {r.summary}"
                    for r in state.rounds
                )
            )
        )
    for suspension in state.suspensions:
        until = (
            f" They resumed on {long_date(suspension.resumed_on)}."
            if suspension.resumed_on
            else " They remain suspended."
        )
        blocks.append(
            Paragraph(
                f"The Commission suspended the talks on {long_date(suspension.suspended_on)}: "
                f"{suspension.reason}.{until}"
            )
        )
    if state.talks is not None:
        willing = "is willing" if state.talks.third_country_willing else "is not willing"
        commitments = [_COMPONENTS[c] for c in state.talks.commitments]
        offered = (
            f" It would commit to {in_series(commitments)}."
            if commitments
            else " It made no commitment."
        )
        blocks.append(
            Paragraph(
                f"The talks concluded on {long_date(state.talks.concluded_on)}: {country} "
                f"{willing} to enter into a mobility partnership.{offered}"
            )
        )
    return Section("Exploratory talks", tuple(blocks))


def _outcome(state: Partnership) -> list[Section]:
    sections: list[Section] = []
    if state.report is not None:
        ref = f" ({state.report.reference})" if state.report.reference else ""
        sections.append(
            Section(
                "Report to the Council",
                (
                    Paragraph(
                        f"The Commission submitted its report on "
                        f"{long_date(state.report.submitted_on)}{ref}, recommending "
                        f"{_RECOMMENDATIONS[state.report.recommendation]}."
                    ),
                    Paragraph(state.report.summary),
                ),
            )
        )
    if state.decision is not None:
        council = state.decision.council_reference
        sections.append(
            Section(
                "Decision of the Council",
                (
                    Paragraph(
                        f"On {long_date(state.decision.decided_on)}"
                        f"{' (' + council + ')' if council else ''}, the Council "
                        f"{_OUTCOMES[state.decision.outcome]}."
                    ),
                ),
            )
        )
    if state.lapsed_on is not None:
        sections.append(
            Section(
                "Lapse",
                (
                    Paragraph(
                        f"The Council took no decision by {long_date(state.lapsed_on)}; the "
                        "deadline for its decision has passed."
                    ),
                ),
            )
        )
    if state.launch is not None:
        jd = state.launch.joint_declaration_reference
        components = [_COMPONENTS[c] for c in state.launch.components]
        sections.append(
            Section(
                "Launch",
                (
                    Paragraph(
                        f"The joint declaration{' (' + jd + ')' if jd else ''} was signed on "
                        f"{long_date(state.launch.signed_on)} by "
                        f"{in_words(member_states_named(state.launch.member_states))}."
                    ),
                    Paragraph(f"The partnership covers {in_series(components)}."),
                    *(
                        Paragraph(
                            f"{member_state_name(a.member_state)} acceded to the joint "
                            f"declaration on {long_date(a.acceded_on)}."
                        )
                        for a in state.accessions
                    ),
                ),
            )
        )
    return sections


def _reminder(state: Partnership) -> Section | None:
    if not state.reminded_deadlines or state.decision_deadline is None:
        return None
    return Section(
        "The deadline for the Council's decision",
        (
            Paragraph(
                f"The Council's decision on this partnership is due by "
                f"{long_date(state.decision_deadline)}. Unless the Council decides or extends "
                "the deadline, the proposal lapses on that date."
            ),
        ),
    )


def council_document(
    state: Partnership, kind: MilestoneKind | None, stream_id: str, dated: date | None = None
) -> CouncilDocument:
    """The document for milestone `kind` (None: the whole record) of a folded partnership."""
    country = state.country or ""
    if not country:
        raise ValueError("no partnership has been proposed: there is nothing to report")
    named = formal_name(country)
    sections: list[Section] = [
        Section(
            "The partnership",
            (
                _deadlines(state),
                Paragraph(f"Terms of reference: {state.terms_of_reference or 'none given'}"),
            ),
        ),
        _consultation(state),
    ]
    talks = _talks(state, named)
    if talks is not None:
        sections.append(talks)
    sections += _outcome(state)
    if kind is MilestoneKind.DEADLINE_REMINDER and (reminder := _reminder(state)) is not None:
        sections.append(reminder)  # what the note is about, after the report it follows
    if state.end_reason and state.stage is not None and state.stage.is_end:
        sections.append(Section("End of the partnership", (Paragraph(state.end_reason),)))
    return CouncilDocument(
        title=document_title(kind, country),
        reference=document_reference(stream_id, state.version, kind),
        country=country,
        country_name=named,
        dated=dated,
        participants=_taking_part(state),
        sections=tuple(sections),
    )


def council_document_of(
    events: Sequence[Event], kind: MilestoneKind | None, stream_id: str
) -> CouncilDocument:
    """The document for `kind` as of its latest occurrence in `events` (None: all of them).

    A milestone not reached gives a document that says so, under its title and reference.
    """
    if not events:
        raise ValueError("the record is empty: there is nothing to report")
    upto = len(events)
    if kind is not None:
        reached = [i for i, e in enumerate(events, start=1) if milestone_kind(e) is kind]
        if not reached:
            state = replay(events)
            return CouncilDocument(
                title=document_title(kind, state.country or ""),
                reference=f"{stream_id} {kind.value}",
                country=state.country or "",
                country_name=formal_name(state.country or ""),
                dated=None,
                participants=(),
                sections=(
                    Section(
                        "Not reached",
                        (Paragraph("This milestone has not been reached on the record."),),
                    ),
                ),
                reached=False,
            )
        upto = reached[-1]
    state = replay(events[:upto])
    dated = _business_date(events[upto - 1])
    return council_document(state, kind, stream_id, dated)


def _business_date(event: Event) -> date | None:
    found = getattr(event, "occurred_on", None)
    return found if isinstance(found, date) else None


def document_text(document: CouncilDocument) -> str:
    """The document as plain text (an e-mail's text part): the same words, no markup."""
    lines = [document.title, "", f"Reference: {document.reference}"]
    if document.dated is not None:
        lines.append(f"Date: {long_date(document.dated)}")
    if document.participants:
        lines.append(f"Member States taking part: {in_words(document.participants)}")
    lines.append("")
    for number, section in enumerate(document.sections, start=1):
        lines += [f"{number}. {section.heading}", ""]
        for block in section.blocks:
            lines += [*_block_text(block), ""]
    return "\n".join(lines).rstrip() + "\n"


def _block_text(block: Block) -> list[str]:
    match block:
        case Paragraph(text=text):
            return text.splitlines() or [""]
        case Facts(items=items):
            return [f"{label}: {value}" for label, value in items]
        case Table(caption=caption, header=header, rows=rows):
            return [f"{caption}:"] + [
                "- " + "; ".join(f"{h}: {v}" for h, v in zip(header, row, strict=True))
                for row in rows
            ]
        case Items(items=items):
            return [f"- {item}" for item in items]
    raise TypeError(f"not a block of a document: {type(block).__name__}")
