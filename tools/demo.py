"""`partnerships demo`: the real 2007–2009 history, driven through the live system.

Cape Verde and the Republic of Moldova are taken from proposal to the joint declarations
signed on 5 June 2008, through one Council decision of 10 December 2007 that invited both
launches, recorded once in the programme and applied to each (app/pilot_programme).
Georgia is left awaiting the Council's decision and Senegal's talks suspended (2009), so the
Temporal UI
shows finished and running workflows side by side. Business dates are historical; deadlines
are set on recorded time, in the future, as the domain requires.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from app.exceptions import AppError
from app.partnerships import Partnerships, connected
from app.pilot_programme import record_joint_decision
from app.reading import open_engine
from domain.actors import Actor, Role
from domain.commands import Outcome, Position, Recommendation
from domain.components import Component as C
from domain.presidencies import presidency_on
from domain.requests import (
    AuthoriseTalksRequest,
    CloseConsultationRequest,
    ConcludeTalksRequest,
    RecordCouncilDecisionRequest,
    RecordTalksRoundRequest,
    RespondToConsultationRequest,
    StartPartnership,
    SubmitReportRequest,
    SuspendTalksRequest,
    UserRequest,
)
from domain.requests import (
    LaunchPartnershipRequest as LaunchRequest,
)
from domain.stages import END_STAGES
from interfaces.terminal import CliError, explained, out
from settings import Settings, load_settings

COMMISSION = Actor(id="commission.dg-jls", role=Role.COMMISSION)

EU_OFFERS = [C.LEGAL_MIGRATION, C.MIGRATION_AND_DEVELOPMENT, C.CAPACITY_BUILDING]
THIRD_COUNTRY = [C.ILLEGAL_IMMIGRATION_COOPERATION, C.READMISSION_AND_RETURN]
# Visa facilitation is the Community's to offer (point 10): the Commission records it when it
# concludes the talks, with the capacity building the Community funds.
COMMUNITY = [C.VISA_FACILITATION, C.CAPACITY_BUILDING]
END_OF_2007 = date(2007, 12, 31)
"""The Council's own target in June 2007: a decision "by the end of 2007"."""
JOINT_DECISION = "General Affairs and External Relations Council, 10 December 2007"
"""The one decision that invited the launch with Cape Verde and with Moldova."""


def presidency(day: date) -> Actor:
    """The official of the Presidency in office on `day`, e.g. the Portuguese one of 2007."""
    code = presidency_on(day)
    if code is None:
        raise ValueError(f"the Council's order of Presidencies does not reach {day}")
    return Actor(id=f"presidency.{code.lower()}", role=Role.PRESIDENCY, member_state=code)


def delegate(member_state: str) -> Actor:
    """A Member State's representative."""
    return Actor(
        id=f"{member_state.lower()}.delegate", role=Role.MEMBER_STATE, member_state=member_state
    )


@dataclass(frozen=True)
class Step:
    """One update of the story: its payload (whose type names the update) and a progress line."""

    request: UserRequest
    label: str
    joint: bool = False
    """Recorded by one Council decision for every story that has it (app/pilot_programme.py)."""


@dataclass(frozen=True)
class Story:
    """One country's history as the demo tells it."""

    country: str
    title: str
    start: StartPartnership
    steps: list[Step] = field(default_factory=list)
    ends_at: str = "launched"


def _deadlines(today: date) -> dict[str, date]:
    # Deadlines are durable timers on recorded time: in the future, far enough that the
    # Georgia workflow waits for the Council rather than lapsing during a demo.
    return {
        "consultation_deadline": today + timedelta(days=60),
        "decision_deadline": date(today.year + 1, 12, 31),
    }


def _consultation(member_states: list[str], offers: list[C], answered_on: date) -> list[Step]:
    return [
        Step(
            RespondToConsultationRequest(
                actor=delegate(ms),
                member_state=ms,
                position=Position.INTERESTED,
                offers=offers,
                occurred_on=answered_on,
            ),
            f"{ms} answers: interested",
        )
        for ms in member_states
    ]


def _story(
    *,
    country: str,
    title: str,
    proposed_on: date,
    member_states: list[str],
    offers: list[C],
    dates: dict[str, date],
    today: date,
    decided: bool,
    council_target: date | None = None,
) -> Story:
    start = StartPartnership(
        actor=COMMISSION,
        country=country,
        rationale=f"Pilot mobility partnership with {title}, as the conclusions of "
        "12–13 June 2007 (point 11) invite.",
        terms_of_reference="Legal migration opportunities and mobility, migration and "
        "development, capacity building; cooperation against illegal immigration, "
        "readmission and return.",
        occurred_on=proposed_on,
        council_target_date=council_target,
        **_deadlines(today),
    )
    steps = _consultation(member_states, offers, dates["answers"])
    steps += [
        Step(
            CloseConsultationRequest(actor=COMMISSION, occurred_on=dates["closed"]),
            "the Commission closes the consultation",
        ),
        Step(
            AuthoriseTalksRequest(
                actor=presidency(dates["authorised"]),
                note="Exploratory talks with the interested Member States",
                occurred_on=dates["authorised"],
            ),
            "the Presidency authorises exploratory talks",
        ),
        Step(
            RecordTalksRoundRequest(
                actor=COMMISSION,
                held_on=dates["round"],
                member_states=member_states,
                summary="Exploratory talks on the content of a mobility partnership",
                location=title,
            ),
            "a round of exploratory talks",
        ),
        Step(
            ConcludeTalksRequest(
                actor=COMMISSION,
                third_country_willing=True,
                commitments=THIRD_COUNTRY,
                community_offers=COMMUNITY,
                occurred_on=dates["concluded"],
            ),
            "talks concluded: the third country is willing",
        ),
        Step(
            SubmitReportRequest(
                actor=COMMISSION,
                recommendation=Recommendation.LAUNCH,
                summary=f"The talks with {title} show a basis for a pilot partnership.",
                occurred_on=dates["reported"],
            ),
            "report-back to the Council, recommending launch",
        ),
    ]
    if decided:
        steps += [
            Step(
                RecordCouncilDecisionRequest(
                    actor=presidency(dates["decided"]),
                    outcome=Outcome.INVITE_LAUNCH,
                    decided_on=dates["decided"],
                    council_reference=JOINT_DECISION,
                ),
                f"the Council invites the launch ({dates['decided']:%d %b %Y})",
                joint=True,
            ),
            Step(
                LaunchRequest(
                    actor=COMMISSION,
                    member_states=member_states,
                    components=list(dict.fromkeys([*offers, *COMMUNITY, *THIRD_COUNTRY])),
                    signed_on=dates["signed"],
                    joint_declaration_reference=f"Joint declaration, EU and {title}",
                ),
                f"joint declaration signed ({dates['signed']:%d %b %Y})",
            ),
        ]
    return Story(
        country=country,
        title=title,
        start=start,
        steps=steps,
        ends_at="launched" if decided else "council_decision",
    )


def _suspended_story(today: date) -> Story:
    """Senegal: talks opened in 2008, backed by ES, FR and IT, suspended in 2009 without
    agreement, and still suspended (DESIGN.md §1). The days are illustrative; the years are
    the record's."""
    member_states = ["ES", "FR", "IT"]
    start = StartPartnership(
        actor=COMMISSION,
        country="SN",
        rationale="Pilot mobility partnership with Senegal, on the Atlantic route, as the "
        "conclusions of 12–13 June 2007 (point 11) invite.",
        terms_of_reference="Legal migration opportunities and mobility, migration and "
        "development, capacity building; cooperation against illegal immigration, "
        "readmission and return.",
        occurred_on=date(2008, 2, 4),
        **_deadlines(today),
    )
    authorised = date(2008, 4, 14)
    steps = _consultation(member_states, EU_OFFERS, date(2008, 3, 3))
    steps += [
        Step(
            CloseConsultationRequest(actor=COMMISSION, occurred_on=date(2008, 3, 28)),
            "the Commission closes the consultation",
        ),
        Step(
            AuthoriseTalksRequest(
                actor=presidency(authorised),
                note="Exploratory talks with the interested Member States",
                occurred_on=authorised,
            ),
            "the Presidency authorises exploratory talks",
        ),
        Step(
            RecordTalksRoundRequest(
                actor=COMMISSION,
                held_on=date(2008, 10, 9),
                member_states=member_states,
                summary="Exploratory talks on the content of a mobility partnership",
                location="Dakar",
            ),
            "a round of exploratory talks",
        ),
        Step(
            SuspendTalksRequest(
                actor=COMMISSION,
                reason="No agreement with Senegal on readmission and return; the talks are "
                "suspended until the Senegalese side is ready to resume them.",
                occurred_on=date(2009, 6, 15),
            ),
            "talks suspended (2009)",
        ),
    ]
    return Story(country="SN", title="Senegal", start=start, steps=steps, ends_at="talks_suspended")


def stories(today: date) -> list[Story]:
    """Cape Verde and Moldova (launched on 5 June 2008), Georgia (awaiting the Council) and
    Senegal (talks suspended in 2009)."""
    first_wave = {
        "answers": date(2007, 7, 16),
        "closed": date(2007, 9, 14),
        "authorised": date(2007, 9, 20),
        "round": date(2007, 10, 18),
        "concluded": date(2007, 11, 16),
        "reported": date(2007, 11, 23),
        "decided": date(2007, 12, 10),
        "signed": date(2008, 6, 5),
    }
    return [
        _story(
            country="CV",
            title="Cape Verde",
            proposed_on=date(2007, 6, 18),
            member_states=["ES", "FR", "LU", "PT"],
            offers=EU_OFFERS,
            council_target=END_OF_2007,
            dates=first_wave,
            today=today,
            decided=True,
        ),
        _story(
            country="MD",
            title="the Republic of Moldova",
            proposed_on=date(2007, 6, 18),
            member_states=[
                *("BG", "CY", "CZ", "DE", "EL", "FR", "HU", "IT"),
                *("LT", "PL", "PT", "RO", "SE", "SI", "SK"),
            ],
            offers=[*EU_OFFERS, C.REINTEGRATION_OF_RETURNEES],
            council_target=END_OF_2007,
            dates=first_wave,
            today=today,
            decided=True,
        ),
        _story(
            country="GE",
            title="Georgia",
            proposed_on=date(2008, 10, 6),
            member_states=[
                *("BE", "BG", "CZ", "DE", "DK", "EE", "EL", "FR"),
                *("IT", "LT", "LV", "NL", "PL", "RO", "SE", "UK"),
            ],
            offers=[*EU_OFFERS, C.REINTEGRATION_OF_RETURNEES],
            dates={
                "answers": date(2008, 12, 1),
                "closed": date(2009, 1, 30),
                "authorised": date(2009, 2, 16),
                "round": date(2009, 5, 12),
                "concluded": date(2009, 7, 10),
                "reported": date(2009, 9, 18),
            },
            today=today,
            decided=False,
        ),
        _suspended_story(today),
    ]


async def _play(
    partnerships: Partnerships,
    story: Story,
    progress: Progress,
    report: Callable[[str], Any],
    tasks: dict[str, TaskID],
) -> bool:
    """Play the story's steps not yet recorded; stop before a joint step (True: it waits)."""
    stage = await partnerships.stage(story.country)
    done = 0
    if stage is not None:
        if stage in {s.value for s in END_STAGES} or stage == story.ends_at:
            report(
                f"[yellow]skip[/] {story.title} ({story.country}): a partnership is already on "
                f"record at stage {stage}"
            )
            return False
        # An interrupted run left the story open: each step records one event after the
        # proposal, so the recorded version says where to pick it up.
        done = (await partnerships.status(story.country)).version - 1
        if story.country not in tasks:
            report(f"[yellow]resume[/] {story.title} ({story.country}) after step {done}")
    task = tasks.get(story.country)
    if task is None:
        task = progress.add_task(story.title, total=len(story.steps) + 1, completed=done + 1)
        tasks[story.country] = task
    if stage is None:
        progress.update(task, description=f"{story.title}: proposed", completed=0)
        await partnerships.propose(story.start)
        progress.advance(task)
    for step in story.steps[done:]:
        if step.joint:
            progress.update(task, description=f"{story.title}: awaiting the Council")
            return True
        progress.update(task, description=f"{story.title}: {step.label}")
        await partnerships.step(story.country, step.request)
        progress.advance(task)
    progress.update(task, description=f"{story.title}: {story.ends_at}")
    report(f"[green]✓[/] {story.title} ({story.country}) is at stage {story.ends_at}")
    return False


async def _decide_jointly(
    settings: Settings,
    partnerships: Partnerships,
    waiting: list[Story],
    report: Callable[[str], Any],
) -> None:
    """Record the one Council decision the waiting stories share, once, applied to each."""
    request = next(step.request for step in waiting[0].steps if step.joint)
    assert isinstance(request, RecordCouncilDecisionRequest)
    engine = open_engine(settings)
    try:
        await record_joint_decision(
            engine,
            partnerships,
            countries=[story.country for story in waiting],
            reference=request.council_reference or JOINT_DECISION,
            decided_on=request.decided_on,
            outcome=request.outcome,
            actor=request.actor,
            now=datetime.now(UTC),
        )
    finally:
        engine.dispose()
    names = " and ".join(story.title for story in waiting)
    report(
        f"[green]✓[/] one Council decision of {request.decided_on:%d %B %Y} invites the launch "
        f"with {names}"
    )


async def run_demo() -> None:
    """Drive every story through the live system, one country after another."""
    settings = load_settings()
    today = datetime.now(UTC).date()
    async with connected(settings) as partnerships:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=out,
        ) as progress:
            told = stories(today)
            tasks: dict[str, TaskID] = {}
            report = progress.console.print
            waiting = [s for s in told if await _play(partnerships, s, progress, report, tasks)]
            if waiting:
                await _decide_jointly(settings, partnerships, waiting, report)
                for story in waiting:
                    await _play(partnerships, story, progress, report, tasks)


def demo() -> None:
    """Play the 2007–2009 history: Cape Verde and Moldova launched, Georgia awaiting the Council,
    Senegal's talks suspended."""
    try:
        asyncio.run(run_demo())
    except AppError as error:
        said = explained(error)
        raise CliError(f"the demo stopped: {said.message}", code=said.code) from None
    out.print(
        "\nOpen the Temporal UI and filter with "
        'PartnershipStage="launched", PartnershipStage="council_decision" or '
        'PartnershipStage="talks_suspended"; '
        "or try `partnerships list`, `partnerships show MD`, `partnerships report CV`."
    )
