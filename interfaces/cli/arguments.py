"""The command line's arguments as the contract's requests, checked before anything is sent.

A malformed value is reported by the CLI option the user typed (`--position`, not
`position`), with what is allowed, and nothing is sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ValidationError

from app.exceptions import Rejected
from app.partnerships import check_proposal
from domain.actors import Actor
from domain.countries import iso_code
from domain.errors import InvalidCountry
from domain.explain import explain_validation_error
from domain.requests import StartPartnership, UserRequest
from interfaces.terminal import CliError, ExitCode, explained

# Contract field → the option that fills it, for error messages.
OPTION_FOR: dict[str, str] = {
    "actor": "--as",
    "country": "CC",
    "rationale": "--rationale",
    "terms_of_reference": "--terms",
    "region": "--region",
    "consultation_deadline": "--consultation-deadline",
    "decision_deadline": "--decision-deadline",
    "occurred_on": "--on",
    "member_state": "--member-state",
    "position": "--position",
    "offers": "--offer",
    "comments": "--comments",
    "note": "--note",
    "held_on": "--held-on",
    "member_states": "--member-state",
    "summary": "--summary",
    "location": "--location",
    "third_country_willing": "--willing/--unwilling",
    "commitments": "--commitment",
    "recommendation": "--recommend",
    "reference": "--reference",
    "new_deadline": "--to",
    "reason": "--reason",
    "outcome": "--invite-launch/--decline",
    "decided_on": "--decided-on",
    "council_reference": "--reference",
    "components": "--component",
    "signed_on": "--signed-on",
    "joint_declaration_reference": "--reference",
}


def _validated(model: type[BaseModel], fields: dict[str, Any]) -> Any:
    # Options left out are dropped, so the contract's defaults apply rather than a null.
    given = {name: value for name, value in fields.items() if value is not None}
    try:
        return model.model_validate(given)
    except ValidationError as error:
        raise CliError(explain_validation_error(error, labels=OPTION_FOR)) from None


Country = Annotated[
    str, typer.Argument(metavar="CC", help="The third country's ISO 3166-1 alpha-2 code, e.g. CV")
]
"""A command's country argument: the third country's code."""


def country_code(text: str) -> str:
    """A country code as the contract writes it (upper-case ISO), or CliError saying why not."""
    try:
        return iso_code(text)
    except InvalidCountry as error:
        raise CliError(str(error), code=ExitCode.USAGE) from None


def update_request(kind: type[UserRequest], actor: Actor, fields: dict[str, Any]) -> UserRequest:
    """The payload of an update of type `kind`, validated locally."""
    request: UserRequest = _validated(kind, {**fields, "actor": actor})
    return request


def start_request(
    actor: Actor, fields: dict[str, Any], *, consultation_period_days: int, now: datetime
) -> StartPartnership:
    """The start input, checked locally by the domain before anything starts.

    A consultation deadline left out stays null in the input: the workflow fills it with the
    worker's own CONSULTATION_PERIOD_DAYS, capped at a decision deadline given explicitly (the
    domain's rule, `domain.decide`). The CLI's own period serves only the local check here,
    which exists because a proposal is the workflow's first step: a rejection there would
    fail the workflow instead of answering the caller.
    """
    request: StartPartnership = _validated(StartPartnership, {**fields, "actor": actor})
    try:
        check_proposal(request, consultation_period_days=consultation_period_days, now=now)
    except Rejected as refusal:
        raise explained(refusal) from None
    return request
