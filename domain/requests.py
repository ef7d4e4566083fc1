"""The public contract's update and start payloads: a command's fields plus the acting user.

Each model is the one JSON object a client sends (DESIGN.md §3), so the `temporal` CLI and
other SDKs can drive a partnership with plain JSON.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, field_validator

from domain.actors import Actor, RequestActor, Role
from domain.commands import (
    USER_COMMANDS,
    AuthoriseTalks,
    CloseConsultation,
    Command,
    ConcludeTalks,
    ExtendDecisionDeadline,
    LaunchPartnership,
    ProposePartnership,
    RecordCouncilDecision,
    RecordTalksRound,
    RespondToConsultation,
    SubmitReport,
    Withdraw,
)


class UserRequest(BaseModel):
    """Mixin: the acting user, who may hold any role but the engine's own.

    A request extends the command it carries, `class XRequest(X, UserRequest)`, and that base
    is its `command_type`: the command is named once.
    """

    actor: RequestActor
    command_type: ClassVar[type[Command]]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.command_type = next(base for base in cls.__bases__ if issubclass(base, Command))

    @field_validator("actor")
    @classmethod
    def _not_the_engine(cls, actor: Actor) -> Actor:
        if actor.role is Role.SYSTEM:
            raise ValueError(
                "the system role is the engine's own; act as commission, presidency, "
                "member_state or operator"
            )
        return actor

    def command(self) -> Command:
        """The command this request carries, without the actor."""
        fields = {name: getattr(self, name) for name in self.command_type.model_fields}
        return self.command_type.model_validate(fields)


class StartPartnership(ProposePartnership, UserRequest):
    """Start input of `PilotPartnershipWorkflow`."""


class RespondToConsultationRequest(RespondToConsultation, UserRequest):
    """Payload of the `respond_to_consultation` update."""


class CloseConsultationRequest(CloseConsultation, UserRequest):
    """Payload of the `close_consultation` update."""


class AuthoriseTalksRequest(AuthoriseTalks, UserRequest):
    """Payload of the `authorise_talks` update."""


class RecordTalksRoundRequest(RecordTalksRound, UserRequest):
    """Payload of the `record_talks_round` update."""


class ConcludeTalksRequest(ConcludeTalks, UserRequest):
    """Payload of the `conclude_talks` update."""


class SubmitReportRequest(SubmitReport, UserRequest):
    """Payload of the `submit_report` update."""


class ExtendDecisionDeadlineRequest(ExtendDecisionDeadline, UserRequest):
    """Payload of the `extend_decision_deadline` update."""


class RecordCouncilDecisionRequest(RecordCouncilDecision, UserRequest):
    """Payload of the `record_council_decision` update."""


class LaunchPartnershipRequest(LaunchPartnership, UserRequest):
    """Payload of the `launch_partnership` update."""


class WithdrawRequest(Withdraw, UserRequest):
    """Payload of the `withdraw` update."""


# Each command's request is the subclass that extends it, found rather than listed again; a
# user command without one fails here, at import, instead of at its first update.
_REQUEST_OF: dict[type[Command], type[UserRequest]] = {
    request.command_type: request for request in UserRequest.__subclasses__()
}
REQUEST_FOR: dict[str, type[UserRequest]] = {
    command.name: _REQUEST_OF[command] for command in USER_COMMANDS
}
"""Update name → its payload model, in the lifecycle order of `USER_COMMANDS`."""
