"""Who acts: the roles of DESIGN.md §1 and the acting user."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Final, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.countries import eu_code
from domain.errors import InvalidCountry
from domain.text import no_format_characters, printable, utf8_size


class Role(StrEnum):
    """A user's role. `system` is the engine itself acting on a deadline; no user holds it."""

    COMMISSION = "commission"
    PRESIDENCY = "presidency"
    MEMBER_STATE = "member_state"
    OPERATOR = "operator"
    SYSTEM = "system"


_WITH_A_MEMBER_STATE: Final = frozenset({Role.MEMBER_STATE, Role.PRESIDENCY})

HUMAN_ROLES: tuple[Role, ...] = (
    Role.COMMISSION,
    Role.PRESIDENCY,
    Role.MEMBER_STATE,
    Role.OPERATOR,
)


class Actor(BaseModel):
    """The acting user; a `member_state` representative is bound to exactly one Member State.

    A `presidency` official names the Member State whose Presidency they act for (e.g. PT);
    the Presidency's steps are valid only on dates that Member State held it
    (domain/presidencies.py). Events recorded before it had to carry none.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=200, pattern=r"^\S(.*\S)?$")
    role: Role
    member_state: str | None = None

    @field_validator("id")
    @classmethod
    def _printable_id(cls, value: str) -> str:
        return printable(value)

    @field_validator("member_state")
    @classmethod
    def _eu_form(cls, value: str | None) -> str | None:
        # Membership depends on the business date, so only the code's shape is checked here.
        if value is None:
            return None
        try:
            return eu_code(value)
        except InvalidCountry as error:
            raise ValueError(str(error)) from None

    @model_validator(mode="after")
    def _bound_to_one_member_state(self) -> Self:
        if self.role is Role.MEMBER_STATE and self.member_state is None:
            raise ValueError("a member_state actor must name its Member State, e.g. PT")
        if self.role not in _WITH_A_MEMBER_STATE and self.member_state is not None:
            raise ValueError(
                f"only member_state and presidency actors name a Member State, not {self.role}"
            )
        return self

    def __str__(self) -> str:
        if self.member_state:
            return f"{self.id} ({self.role}, {self.member_state})"
        return f"{self.id} ({self.role})"


SYSTEM_ACTOR = Actor(id="pilot-partnerships", role=Role.SYSTEM)


ACTOR_ID_MAX_BYTES: Final[int] = 200
"""The most an actor's id may hold in UTF-8 bytes, when a caller names it.

An id is a user name or an address, and every distinct one is listed among the partnership's
`participants` in the status view; bytes, not characters, keep a few hundred ids of a
four-byte script from weighing four times as much there.
"""


def _as_a_caller_may_name_it(actor: Actor) -> Actor:
    size = utf8_size(actor.id)
    if size > ACTOR_ID_MAX_BYTES:
        raise ValueError(
            f"the actor's id is {size:,} bytes in UTF-8; at most {ACTOR_ID_MAX_BYTES:,} bytes "
            "are allowed; use the user's short login name"
        )
    try:
        no_format_characters(actor.id)
    except ValueError as error:
        raise ValueError(f"the actor's id {error}") from None
    return actor


RequestActor = Annotated[Actor, AfterValidator(_as_a_caller_may_name_it)]
"""An actor as a caller names it: an `Actor` whose id holds no format character and is at
most `ACTOR_ID_MAX_BYTES` long.

These rules are not on `Actor` itself because every event carries an `Actor`: an event recorded
before the rules existed, by someone whose id breaks them, must still load. So they apply where
a caller's request comes in, and stored events are read as they are.
"""
