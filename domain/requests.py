"""The public contract's update and start payloads: a command's fields plus the acting user.

Each model is the one JSON object a client sends (DESIGN.md §3), so the `temporal` CLI and
other SDKs can drive a partnership with plain JSON.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, field_validator

from domain.actors import Actor, RequestActor, Role
from domain.commands import (
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
    """Mixin: the acting user, who may hold any role but the engine's own."""

    actor: RequestActor
    command_type: ClassVar[type[Command]]

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

    command_type: ClassVar[type[Command]] = ProposePartnership


class RespondToConsultationRequest(RespondToConsultation, UserRequest):
    """Payload of the `respond_to_consultation` update."""

    command_type: ClassVar[type[Command]] = RespondToConsultation


class CloseConsultationRequest(CloseConsultation, UserRequest):
    """Payload of the `close_consultation` update."""

    command_type: ClassVar[type[Command]] = CloseConsultation


class AuthoriseTalksRequest(AuthoriseTalks, UserRequest):
    """Payload of the `authorise_talks` update."""

    command_type: ClassVar[type[Command]] = AuthoriseTalks


class RecordTalksRoundRequest(RecordTalksRound, UserRequest):
    """Payload of the `record_talks_round` update."""

    command_type: ClassVar[type[Command]] = RecordTalksRound


class ConcludeTalksRequest(ConcludeTalks, UserRequest):
    """Payload of the `conclude_talks` update."""

    command_type: ClassVar[type[Command]] = ConcludeTalks


class SubmitReportRequest(SubmitReport, UserRequest):
    """Payload of the `submit_report` update."""

    command_type: ClassVar[type[Command]] = SubmitReport


class ExtendDecisionDeadlineRequest(ExtendDecisionDeadline, UserRequest):
    """Payload of the `extend_decision_deadline` update."""

    command_type: ClassVar[type[Command]] = ExtendDecisionDeadline


class RecordCouncilDecisionRequest(RecordCouncilDecision, UserRequest):
    """Payload of the `record_council_decision` update."""

    command_type: ClassVar[type[Command]] = RecordCouncilDecision


class LaunchPartnershipRequest(LaunchPartnership, UserRequest):
    """Payload of the `launch_partnership` update."""

    command_type: ClassVar[type[Command]] = LaunchPartnership


class WithdrawRequest(Withdraw, UserRequest):
    """Payload of the `withdraw` update."""

    command_type: ClassVar[type[Command]] = Withdraw


REQUEST_FOR: dict[str, type[UserRequest]] = {
    request.command_type.name: request
    for request in (
        RespondToConsultationRequest,
        CloseConsultationRequest,
        AuthoriseTalksRequest,
        RecordTalksRoundRequest,
        ConcludeTalksRequest,
        SubmitReportRequest,
        ExtendDecisionDeadlineRequest,
        RecordCouncilDecisionRequest,
        LaunchPartnershipRequest,
        WithdrawRequest,
    )
}
"""Update name → its payload model."""
