"""The acting user, from `--as ROLE[:MS]:USER` or the PARTNERSHIPS_ACTOR environment variable.

Examples: `commission:alice`, `presidency:PT:joao`, `member_state:PT:maria`, `operator:olga`.
A Presidency official names the Member State holding the Presidency (its steps are valid only
on the dates that Member State held it).
"""

from __future__ import annotations

from pydantic import ValidationError

from domain.actors import HUMAN_ROLES, Actor, Role
from domain.explain import explain_validation_error
from interfaces.terminal import CliError, ExitCode

ACTOR_ENV = "PARTNERSHIPS_ACTOR"
ACTOR_FORMAT = "ROLE[:MS]:USER, e.g. commission:alice, presidency:PT:joao or member_state:PT:maria"

_ROLE_NAMES = ", ".join(role.value for role in HUMAN_ROLES)


def _role(text: str) -> Role:
    # People type member-state as often as member_state; both mean the same role.
    name = text.strip().lower().replace("-", "_")
    try:
        role = Role(name)
    except ValueError:
        raise CliError(
            f"unknown role {text!r} in --as; the roles are: {_ROLE_NAMES}", code=ExitCode.USAGE
        ) from None
    if role is Role.SYSTEM:
        raise CliError(
            f"the system role is the engine's own; act as one of: {_ROLE_NAMES}",
            code=ExitCode.USAGE,
        )
    return role


def parse_actor(text: str | None) -> Actor:
    """Parse `ROLE[:MS]:USER` into an Actor, or raise CliError saying what is wrong."""
    if text is None or not text.strip():
        raise CliError(
            f"who is acting? Pass --as {ACTOR_FORMAT} (or set {ACTOR_ENV})",
            code=ExitCode.USAGE,
        )
    role_text, sep, rest = text.strip().partition(":")
    if not sep:
        raise CliError(
            f"--as {text!r} is missing the role or the user; write it as {ACTOR_FORMAT}",
            code=ExitCode.USAGE,
        )
    role = _role(role_text)
    member_state: str | None = None
    user = rest
    if role is Role.PRESIDENCY and ":" in rest:
        member_state, _, user = rest.partition(":")
    if role is Role.MEMBER_STATE:
        member_state, sep, user = rest.partition(":")
        if not sep:
            raise CliError(
                f"--as {text!r}: a member_state representative names the Member State and "
                "the user, e.g. member_state:PT:maria",
                code=ExitCode.USAGE,
            )
    if not user.strip():
        raise CliError(
            f"--as {text!r} names no user; write it as {ACTOR_FORMAT}", code=ExitCode.USAGE
        )
    try:
        return Actor(id=user.strip(), role=role, member_state=member_state)
    except ValidationError as error:
        detail = explain_validation_error(
            error, labels={"id": "the user", "member_state": "the Member State"}
        )
        raise CliError(f"--as {text!r}: {detail}", code=ExitCode.USAGE) from None


def format_actor(actor: Actor) -> str:
    """The `--as` spelling of an actor (the inverse of `parse_actor`)."""
    if actor.member_state:
        return f"{actor.role.value}:{actor.member_state}:{actor.id}"
    return f"{actor.role.value}:{actor.id}"
