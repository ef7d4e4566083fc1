"""The public contract's update and start payloads: a command's fields plus the acting user.

Each model is the one JSON object a client sends (DESIGN.md §3), so the `temporal` CLI and
other SDKs can drive a partnership with plain JSON.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field, field_validator

from domain.actors import Actor, RequestActor, Role
from domain.commands import (
    USER_COMMANDS,
    AccedeToPartnership,
    AuthoriseTalks,
    CloseConsultation,
    Command,
    ConcludeTalks,
    DeclareInterest,
    ExtendDecisionDeadline,
    LaunchPartnership,
    ProposePartnership,
    RecordCouncilDecision,
    RecordTalksRound,
    RespondToConsultation,
    ResumeTalks,
    SubmitReport,
    SuspendTalks,
    Withdraw,
)
from domain.errors import VersionMismatch


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
        command = next((base for base in cls.__bases__ if issubclass(base, Command)), None)
        if command is not None:  # StepRequest, a mixin itself, carries no command
            cls.command_type = command

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


class StepRequest(UserRequest):
    """Mixin of every update's payload: optionally, the version the caller last read.

    Given, the step is refused as `VersionMismatch` when the partnership has moved on since:
    the check runs in the workflow, under its lock, so two people acting on the same reading
    cannot both be recorded (an HTTP client sends it as `If-Match`).
    """

    expected_version: int | None = Field(default=None, ge=0)

    def version_refusal(self, version: int) -> VersionMismatch | None:
        """The refusal when the partnership is at `version` but the caller read another."""
        if self.expected_version is None or self.expected_version == version:
            return None
        return VersionMismatch(
            f"the partnership is at version {version}, not at version {self.expected_version} "
            f"that was read; read it again (version {version}) and decide anew"
        )


class StartPartnership(ProposePartnership, UserRequest):
    """Start input of `PilotPartnershipWorkflow`."""


class RespondToConsultationRequest(RespondToConsultation, StepRequest):
    """Payload of the `respond_to_consultation` update."""


class CloseConsultationRequest(CloseConsultation, StepRequest):
    """Payload of the `close_consultation` update."""


class AuthoriseTalksRequest(AuthoriseTalks, StepRequest):
    """Payload of the `authorise_talks` update."""


class RecordTalksRoundRequest(RecordTalksRound, StepRequest):
    """Payload of the `record_talks_round` update."""


class DeclareInterestRequest(DeclareInterest, StepRequest):
    """Payload of the `declare_interest` update."""


class SuspendTalksRequest(SuspendTalks, StepRequest):
    """Payload of the `suspend_talks` update."""


class ResumeTalksRequest(ResumeTalks, StepRequest):
    """Payload of the `resume_talks` update."""


class AccedeRequest(AccedeToPartnership, UserRequest):
    """Input of the accession workflow: a Member State joins a launched partnership."""


class ConcludeTalksRequest(ConcludeTalks, StepRequest):
    """Payload of the `conclude_talks` update."""


class SubmitReportRequest(SubmitReport, StepRequest):
    """Payload of the `submit_report` update."""


class ExtendDecisionDeadlineRequest(ExtendDecisionDeadline, StepRequest):
    """Payload of the `extend_decision_deadline` update."""


class RecordCouncilDecisionRequest(RecordCouncilDecision, StepRequest):
    """Payload of the `record_council_decision` update."""


class LaunchPartnershipRequest(LaunchPartnership, StepRequest):
    """Payload of the `launch_partnership` update."""


class WithdrawRequest(Withdraw, StepRequest):
    """Payload of the `withdraw` update."""


# Each command's request is the subclass that extends it, found rather than listed again; a
# user command without one fails here, at import, instead of at its first update.
_REQUEST_OF: dict[type[Command], type[UserRequest]] = {
    request.command_type: request
    for request in (*UserRequest.__subclasses__(), *StepRequest.__subclasses__())
    if request is not StepRequest
}
REQUEST_FOR: dict[str, type[UserRequest]] = {
    command.name: _REQUEST_OF[command] for command in USER_COMMANDS
}
"""Update name → its payload model, in the lifecycle order of `USER_COMMANDS`."""
