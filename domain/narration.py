"""How a partnership reads in words: what each event did, and where the partnership stands.

One set of words serves every reader. The terminal's timeline shows `what_happened` as plain
text; the Temporal UI shows `describe` and `current_details` as Markdown; the report lists
names with `listed`, as the timeline does. In Markdown, what people wrote (a reason, say) goes
through `markdown_inert` and shows as typed: no link, heading, list or HTML can be made of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from domain.actors import Role
from domain.events import (
    ConsultationAnswered,
    ConsultationClosed,
    CouncilDecisionRecorded,
    DecisionDeadlineExtended,
    DecisionDeadlineReminderIssued,
    Event,
    LateInterestDeclared,
    MemberStateAcceded,
    PartnershipLapsed,
    PartnershipLaunched,
    PartnershipNotPursued,
    PartnershipProposed,
    PartnershipWithdrawn,
    ReportSubmitted,
    TalksAuthorised,
    TalksConcluded,
    TalksResumed,
    TalksRoundRecorded,
    TalksSuspended,
)
from domain.state import Partnership
from domain.text import markdown_inert
from domain.view import next_actions

# The current details show only the latest steps: they are set on every step, and the whole
# timeline is in the store.
LATEST_SHOWN = 8
# How much of what someone wrote a line of the current details quotes: a reason may run to
# pages, the details are set on every step, and the whole text is in the store.
QUOTED_CHARS = 160


def listed(items: Iterable[str]) -> str:
    """Names or codes as a list in a sentence, `ES, PT`; `none` when there are none."""
    return ", ".join(items) or "none"


def _plain(text: str) -> str:
    return text


def _detail(event: Event, written: Callable[[str], str]) -> str:
    # `written` renders what a person wrote; everything else here is the engine's own words,
    # codes, enums and dates.
    match event:
        case PartnershipProposed():
            return f"proposed a partnership with {event.country}"
        case ConsultationAnswered():
            offers = ", ".join(o.value for o in event.offers)
            return f"{event.member_state} answered {event.position.value}" + (
                f" (offers {offers})" if offers else ""
            )
        case ConsultationClosed():
            how = " at its deadline" if event.by_deadline else ""
            interested = listed(event.interested_member_states)
            return f"consultation closed{how}; interested: {interested}"
        case PartnershipNotPursued():
            return f"not pursued: {written(event.reason)}"
        case TalksAuthorised():
            return "exploratory talks authorised"
        case TalksRoundRecorded():
            # No number: a line is written once, when the round is recorded, and a round
            # recorded late takes its place by `held_on` (the state's `in_held_order`), which
            # would leave a number here stale. The line's business date names the round.
            return f"talks round with {listed(event.member_states)}"
        case LateInterestDeclared():
            offers = ", ".join(o.value for o in event.offers)
            return f"{event.member_state} declared interest during the talks (joins late)" + (
                f", offering {offers}" if offers else ""
            )
        case TalksSuspended():
            return f"talks suspended: {written(event.reason)}"
        case TalksResumed():
            moved = event.new_deadline != event.previous_deadline
            return "talks resumed" + (
                f"; decision deadline moved to {event.new_deadline}" if moved else ""
            )
        case MemberStateAcceded():
            return f"{event.member_state} acceded to the partnership"
        case TalksConcluded():
            willing = "willing" if event.third_country_willing else "unwilling"
            return f"talks concluded; third country {willing}"
        case ReportSubmitted():
            return f"report to the Council, recommending {event.recommendation.value}"
        case DecisionDeadlineExtended():
            return f"decision deadline extended to {event.new_deadline}"
        case DecisionDeadlineReminderIssued():
            return f"reminder: the Council's decision is due by {event.deadline}"
        case CouncilDecisionRecorded():
            return f"the Council decided: {event.outcome.value}"
        case PartnershipLapsed():
            return f"lapsed: no decision by {event.deadline}"
        case PartnershipLaunched():
            return f"launched with {', '.join(event.member_states)}"
        case PartnershipWithdrawn():
            return f"withdrawn at {event.stage.value}: {written(event.reason)}"
    return event.type


def _quoted(text: str) -> str:
    """What someone wrote, cut to `QUOTED_CHARS` and made inert, for one line of Markdown."""
    brief = text if len(text) <= QUOTED_CHARS else text[:QUOTED_CHARS].rstrip() + "…"
    return markdown_inert(brief)


def what_happened(event: Event) -> str:
    """What an event did, in plain words (not Markdown), as a terminal shows it."""
    return _detail(event, _plain)


def describe(event: Event) -> str:
    """One Markdown line for an event in the workflow's timeline.

    What people wrote is made inert and cut to `QUOTED_CHARS` characters.
    """
    actor = event.actor
    who = actor.member_state or actor.role.value
    if actor.role is Role.PRESIDENCY and actor.member_state:
        who = f"presidency ({actor.member_state})"
    return f"{event.occurred_on.isoformat()} · {who}: {_detail(event, _quoted)}"


def current_details(state: Partnership, recent: Iterable[str], now: datetime) -> str:
    """The Markdown shown as the workflow's current details in the Temporal UI.

    `recent` are timeline lines as `describe` wrote them, already Markdown.
    """
    lines = [
        f"**{state.country}** · stage **{state.stage.value if state.stage else 'starting'}**",
        f"Decision deadline: {state.decision_deadline}",
        "",
    ]
    if state.stage is not None and state.stage.is_end:
        ended = _quoted(state.end_reason) if state.end_reason else state.stage.value
        lines.append(f"Ended: {ended}")
    else:
        for role, actions in next_actions(state, now).items():
            if actions:
                lines.append(f"- {role} may: {', '.join(actions)}")
    lines += ["", "Latest:", *(f"- {line}" for line in list(recent)[-LATEST_SHOWN:])]
    return "\n".join(lines)
