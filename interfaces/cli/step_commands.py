"""The verbs of staff and officials: `propose`, then one command per update of the contract."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer

from app.accessions import AccessionOutput
from app.accessions import accede as record_accession
from app.partnerships import connected, update_name
from domain.actors import Actor
from domain.components import THIRD_COUNTRY_COMPONENTS, Component
from domain.conditions import COMMUNITY_OFFERS, MEMBER_STATE_OFFERS
from domain.regions import Region
from domain.requests import (
    AuthoriseTalksRequest,
    CloseConsultationRequest,
    ConcludeTalksRequest,
    DeclareInterestRequest,
    ExtendDecisionDeadlineRequest,
    LaunchPartnershipRequest,
    RecordCouncilDecisionRequest,
    RecordTalksRoundRequest,
    RespondToConsultationRequest,
    ResumeTalksRequest,
    StartPartnership,
    SubmitReportRequest,
    SuspendTalksRequest,
    UserRequest,
    WithdrawRequest,
)
from domain.view import StatusView
from interfaces.cli import api_client
from interfaces.cli.actor import ACTOR_ENV, ACTOR_FORMAT, parse_actor
from interfaces.cli.arguments import Country, country_code, start_request, update_request
from interfaces.cli.render import confirmation, next_steps
from interfaces.terminal import CliError, ExitCode, out, reported
from settings import Settings, load_settings

As = Annotated[
    str | None,
    typer.Option(
        "--as",
        envvar=ACTOR_ENV,
        show_envvar=True,
        help=f"Who is acting: {ACTOR_FORMAT}. With {api_client.API_ENV}, in development only: "
        "the user the development issuer gives a token to (presidency:PT:joao names the "
        "Presidency's Member State)",
    ),
]
On = Annotated[
    str | None,
    typer.Option("--on", help="Business date it happened (YYYY-MM-DD); default: today"),
]
Reference = Annotated[str | None, typer.Option("--reference", help="A document reference")]


def _names(components: Iterable[Component]) -> str:
    """Component names in the contract's order, for help texts."""
    return ", ".join(c.value for c in Component if c in set(components))


Components = f"Components: {_names(Component)}"
Offers = f"Member States offer: {_names(MEMBER_STATE_OFFERS)}"
Commitments = (
    f"The third country commits to: {_names(THIRD_COUNTRY_COMPONENTS)} (both, when it is willing)"
)
CommunityOffers = f"The Community offers: {_names(COMMUNITY_OFFERS)}"
CouncilTarget = Annotated[
    str | None,
    typer.Option(
        "--council-target",
        help="The date by which the Council's conclusions ask it to decide, YYYY-MM-DD "
        "(e.g. 2007-12-31 for 'by the end of 2007'): a business fact, unlike the decision "
        "deadline, which is the engine's timer",
    ),
]


ROUTES: str = (
    f"With {api_client.API_ENV} set (e.g. http://127.0.0.1:8000), the step goes through the "
    f"HTTP API with a bearer token: {api_client.TOKEN_ENV}, or in development "
    "(PARTNERSHIPS_ENV=development) a token of the development issuer for the --as user, "
    "granting the role binding it needs. Without it, the step goes to Temporal directly, "
    "as the --as user (development; workers that require attested actors refuse it)."
)
"""How a step reaches the workflow, shown under every step's help."""


def _send(
    country: str, kind: type[UserRequest], actor_text: str | None, fields: dict[str, Any]
) -> None:
    settings = load_settings()
    code = country_code(country)
    if settings.partnerships_api:
        body = api_client.body_of(kind, fields)
        api = api_client.api_for(settings, actor_text)
        _confirm(kind.command_type.name, api_client.step(api, code, kind.command_type.name, body))
        return
    request = update_request(kind, parse_actor(actor_text), fields)
    view = asyncio.run(_step(settings, code, request))
    _confirm(update_name(request), view)


async def _step(settings: Settings, country: str, request: UserRequest) -> StatusView:
    async with connected(settings) as partnerships:
        return await partnerships.step(country, request)


def _own_member_state(actor_text: str | None) -> str | None:
    """The Member State `--as` names; through the API with a token, only --member-state does."""
    if load_settings().partnerships_api:
        return api_client.own_member_state(actor_text)
    return parse_actor(actor_text).member_state


def _confirm(action: str, view: StatusView) -> None:
    out.print(confirmation(action.replace("_", " "), view))
    out.print(next_steps(view))


def register(app: typer.Typer) -> None:
    """Add the verbs to the root app."""
    for command in (
        propose,
        respond,
        close_consultation,
        authorise_talks,
        record_talks,
        declare_interest,
        suspend_talks,
        resume_talks,
        conclude_talks,
        submit_report,
        extend_deadline,
        decide,
        launch,
        accede,
        withdraw,
    ):
        name = command.__name__.replace("_", "-")
        app.command(name=name, rich_help_panel="Steps of a partnership", epilog=ROUTES)(
            reported(command)
        )


def propose(
    country: Country,
    rationale: Annotated[str, typer.Option("--rationale", help="Why this country")],
    terms: Annotated[
        str, typer.Option("--terms", help="The terms of reference put to the Member States")
    ],
    region: Annotated[
        Region | None, typer.Option("--region", help="Migratory region; default: by country")
    ] = None,
    on: On = None,
    consultation_deadline: Annotated[
        str | None,
        typer.Option(
            "--consultation-deadline",
            help="YYYY-MM-DD; default: the worker's CONSULTATION_PERIOD_DAYS after today, "
            "but no later than --decision-deadline",
        ),
    ] = None,
    decision_deadline: Annotated[
        str | None,
        typer.Option(
            "--decision-deadline",
            help="YYYY-MM-DD; default: 31 December this year "
            "(next year's if the consultation runs past it)",
        ),
    ] = None,
    council_target: CouncilTarget = None,
    actor: As = None,
) -> None:
    """Commission: propose a pilot partnership with a third country (starts its workflow)."""
    settings = load_settings()
    fields = {
        "country": country_code(country),
        "rationale": rationale,
        "terms_of_reference": terms,
        "region": region,
        "occurred_on": on,
        "consultation_deadline": consultation_deadline,
        "decision_deadline": decision_deadline,
        "council_target_date": council_target,
    }
    if settings.partnerships_api:
        body = api_client.body_of(StartPartnership, fields)
        view = api_client.propose(api_client.api_for(settings, actor), body)
    else:
        request = start_request(
            parse_actor(actor),
            fields,
            consultation_period_days=settings.consultation_period_days,
            now=datetime.now(UTC),
        )

        async def start() -> StatusView:
            async with connected(settings) as partnerships:
                return await partnerships.propose(request)

        view = asyncio.run(start())
    _confirm("proposal", view)
    out.print(
        f"consultation deadline {view.consultation_deadline}, "
        f"operational decision deadline {view.decision_deadline}"
        + (f", the Council's target {view.council_target_date}" if view.council_target_date else "")
    )


def respond(
    country: Country,
    position: Annotated[str, typer.Option("--position", help="interested or not_interested")],
    member_state: Annotated[
        str | None,
        typer.Option("--member-state", help="Answering Member State; default: the actor's"),
    ] = None,
    offer: Annotated[
        list[str] | None, typer.Option("--offer", help=f"An offer (repeatable). {Offers}")
    ] = None,
    comments: Annotated[str | None, typer.Option("--comments")] = None,
    on: On = None,
    actor: As = None,
) -> None:
    """Member State: answer the consultation for your own country (a later answer amends)."""
    _send(
        country,
        RespondToConsultationRequest,
        actor,
        {
            "member_state": member_state or _own_member_state(actor),
            "position": position,
            "offers": offer or [],
            "comments": comments,
            "occurred_on": on,
        },
    )


def close_consultation(country: Country, on: On = None, actor: As = None) -> None:
    """Commission: close the consultation of the Member States."""
    _send(country, CloseConsultationRequest, actor, {"occurred_on": on})


def authorise_talks(
    country: Country,
    note: Annotated[str | None, typer.Option("--note")] = None,
    on: On = None,
    actor: As = None,
) -> None:
    """Presidency: authorise exploratory talks with the third country."""
    _send(country, AuthoriseTalksRequest, actor, {"note": note, "occurred_on": on})


def record_talks(
    country: Country,
    held_on: Annotated[str, typer.Option("--held-on", help="YYYY-MM-DD")],
    member_state: Annotated[
        list[str], typer.Option("--member-state", help="A taking part Member State (repeatable)")
    ],
    summary: Annotated[str, typer.Option("--summary")],
    location: Annotated[str | None, typer.Option("--location")] = None,
    actor: As = None,
) -> None:
    """Commission: record a round of exploratory talks."""
    _send(
        country,
        RecordTalksRoundRequest,
        actor,
        {
            "held_on": held_on,
            "member_states": member_state,
            "summary": summary,
            "location": location,
        },
    )


def declare_interest(
    country: Country,
    member_state: Annotated[
        str | None,
        typer.Option("--member-state", help="Declaring Member State; default: the actor's"),
    ] = None,
    offer: Annotated[
        list[str] | None, typer.Option("--offer", help=f"An offer (repeatable). {Offers}")
    ] = None,
    comments: Annotated[str | None, typer.Option("--comments")] = None,
    on: On = None,
    actor: As = None,
) -> None:
    """Member State: declare interest during the talks, joining late (for your own country)."""
    _send(
        country,
        DeclareInterestRequest,
        actor,
        {
            "member_state": member_state or _own_member_state(actor),
            "offers": offer or [],
            "comments": comments,
            "occurred_on": on,
        },
    )


def conclude_talks(
    country: Country,
    willing: Annotated[
        bool,
        typer.Option("--willing/--unwilling", help="Is the third country willing to go ahead?"),
    ],
    commitment: Annotated[
        list[str] | None,
        typer.Option("--commitment", help=f"A commitment (repeatable). {Commitments}"),
    ] = None,
    community_offer: Annotated[
        list[str] | None,
        typer.Option(
            "--community-offer", help=f"What the Community offers (repeatable). {CommunityOffers}"
        ),
    ] = None,
    on: On = None,
    actor: As = None,
) -> None:
    """Commission: conclude the talks, with the Community's offers; an unwilling third country
    ends the partnership."""
    _send(
        country,
        ConcludeTalksRequest,
        actor,
        {
            "third_country_willing": willing,
            "commitments": commitment or [],
            "community_offers": community_offer or [],
            "occurred_on": on,
        },
    )


def submit_report(
    country: Country,
    recommend: Annotated[str, typer.Option("--recommend", help="launch or do_not_launch")],
    summary: Annotated[str, typer.Option("--summary")],
    reference: Reference = None,
    on: On = None,
    actor: As = None,
) -> None:
    """Commission: submit the report-back to the Council."""
    _send(
        country,
        SubmitReportRequest,
        actor,
        {
            "recommendation": recommend,
            "summary": summary,
            "reference": reference,
            "occurred_on": on,
        },
    )


def extend_deadline(
    country: Country,
    to: Annotated[str, typer.Option("--to", help="The new decision deadline, YYYY-MM-DD")],
    reason: Annotated[str, typer.Option("--reason")],
    on: On = None,
    council_target: CouncilTarget = None,
    actor: As = None,
) -> None:
    """Presidency: extend the Council's decision deadline before it passes (and record the
    Council's new target date, when it set one)."""
    _send(
        country,
        ExtendDecisionDeadlineRequest,
        actor,
        {
            "new_deadline": to,
            "reason": reason,
            "occurred_on": on,
            "council_target_date": council_target,
        },
    )


def decide(
    country: Country,
    invite_launch: Annotated[
        bool,
        typer.Option(
            "--invite-launch/--decline",
            help="The Council invites the Commission to launch, or declines",
        ),
    ],
    decided_on: Annotated[str, typer.Option("--decided-on", help="YYYY-MM-DD")],
    reference: Reference = None,
    actor: As = None,
) -> None:
    """Presidency: record the Council's decision."""
    _send(
        country,
        RecordCouncilDecisionRequest,
        actor,
        {
            "outcome": "invite_launch" if invite_launch else "decline",
            "decided_on": decided_on,
            "council_reference": reference,
        },
    )


def launch(
    country: Country,
    member_state: Annotated[
        list[str], typer.Option("--member-state", help="A signatory Member State (repeatable)")
    ],
    component: Annotated[
        list[str], typer.Option("--component", help=f"A component (repeatable). {Components}")
    ],
    signed_on: Annotated[str, typer.Option("--signed-on", help="YYYY-MM-DD")],
    reference: Reference = None,
    actor: As = None,
) -> None:
    """Commission: launch the partnership (the joint declaration is signed)."""
    _send(
        country,
        LaunchPartnershipRequest,
        actor,
        {
            "member_states": member_state,
            "components": component,
            "signed_on": signed_on,
            "joint_declaration_reference": reference,
        },
    )


def withdraw(
    country: Country,
    reason: Annotated[str, typer.Option("--reason")],
    on: On = None,
    actor: As = None,
) -> None:
    """Commission: withdraw the partnership at any stage before an end."""
    _send(country, WithdrawRequest, actor, {"reason": reason, "occurred_on": on})


def suspend_talks(
    country: Country,
    reason: Annotated[str, typer.Option("--reason", help="Why the talks are suspended")],
    on: On = None,
    actor: As = None,
) -> None:
    """Commission: suspend the exploratory talks (no round, no conclusion, no deadline timer
    until they resume; the partnership keeps its programme slot)."""
    _send(country, SuspendTalksRequest, actor, {"reason": reason, "occurred_on": on})


def resume_talks(country: Country, on: On = None, actor: As = None) -> None:
    """Commission: resume suspended talks (the decision deadline moves by the days suspended)."""
    _send(country, ResumeTalksRequest, actor, {"occurred_on": on})


def accede(
    country: Country,
    member_state: Annotated[
        str, typer.Option("--member-state", help="The Member State that accedes (your own)")
    ],
    on: On = None,
    actor: As = None,
) -> None:
    """Member State: accede to a launched partnership, joining its signatories on --on."""
    settings = load_settings()
    code = country_code(country)
    body = {"member_state": member_state, "acceded_on": on}
    if settings.partnerships_api:
        answer = api_client.accede(api_client.api_for(settings, actor), code, body)
        parties, day = answer["signatories"], answer["acceded_on"]
    else:
        recorded = asyncio.run(_accede(settings, code, member_state, on, parse_actor(actor)))
        parties, day = list(recorded.signatories), recorded.acceded_on.isoformat()
    out.print(
        f"{member_state.strip().upper()} acceded to the partnership with {code} on {day}; "
        f"parties to the joint declaration: {', '.join(parties)}"
    )


def _date(on: str | None) -> date | None:
    if on is None:
        return None
    try:
        return date.fromisoformat(on)
    except ValueError:
        raise CliError(f"--on {on!r} is not a date; give YYYY-MM-DD", code=ExitCode.USAGE) from None


async def _accede(
    settings: Settings, country: str, member_state: str, on: str | None, actor: Actor
) -> AccessionOutput:
    async with connected(settings) as partnerships:
        return await record_accession(
            partnerships.temporal,
            settings.task_queue,
            country=country,
            member_state=member_state,
            acceded_on=_date(on),
            actor=actor,
        )
