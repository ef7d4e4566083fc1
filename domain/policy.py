"""Who may do what, and when: the two tables every check and every `next_actions` reads."""

from __future__ import annotations

from typing import Final

from domain.actors import Role
from domain.commands import (
    AccedeToPartnership,
    AuthoriseTalks,
    CloseConsultation,
    Command,
    ConcludeTalks,
    DeclareInterest,
    ExtendDecisionDeadline,
    IssueDeadlineReminder,
    LapseDecisionDeadline,
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
from domain.stages import AWAITING_DECISION, END_STAGES, Stage

# The one policy table: which roles may issue which command.
ROLES_FOR: Final[dict[type[Command], frozenset[Role]]] = {
    ProposePartnership: frozenset({Role.COMMISSION}),
    RespondToConsultation: frozenset({Role.MEMBER_STATE}),
    CloseConsultation: frozenset({Role.COMMISSION, Role.SYSTEM}),
    AuthoriseTalks: frozenset({Role.PRESIDENCY}),
    RecordTalksRound: frozenset({Role.COMMISSION}),
    DeclareInterest: frozenset({Role.MEMBER_STATE}),
    SuspendTalks: frozenset({Role.COMMISSION}),
    ResumeTalks: frozenset({Role.COMMISSION}),
    ConcludeTalks: frozenset({Role.COMMISSION}),
    SubmitReport: frozenset({Role.COMMISSION}),
    ExtendDecisionDeadline: frozenset({Role.PRESIDENCY}),
    RecordCouncilDecision: frozenset({Role.PRESIDENCY}),
    LaunchPartnership: frozenset({Role.COMMISSION}),
    Withdraw: frozenset({Role.COMMISSION}),
    IssueDeadlineReminder: frozenset({Role.SYSTEM}),
    LapseDecisionDeadline: frozenset({Role.SYSTEM}),
    # Not a step of the partnership's workflow (it has ended at the launch): recorded by
    # AccessionWorkflow, decided by `decide_accession`; listed so a caller acts as its
    # Member State's representative.
    AccedeToPartnership: frozenset({Role.MEMBER_STATE}),
}

_OPEN_STAGES: Final = frozenset(Stage) - END_STAGES

# The lifecycle table: at which stages each command makes sense.
STAGES_FOR: Final[dict[type[Command], frozenset[Stage]]] = {
    RespondToConsultation: frozenset({Stage.CONSULTATION}),
    CloseConsultation: frozenset({Stage.CONSULTATION}),
    AuthoriseTalks: frozenset({Stage.AWAITING_TALKS_AUTHORISATION}),
    RecordTalksRound: frozenset({Stage.EXPLORATORY_TALKS}),
    DeclareInterest: frozenset({Stage.EXPLORATORY_TALKS}),
    # Only talks under way may be suspended; while suspended, nothing but resuming them or
    # withdrawing the partnership (below) is possible: no round, no conclusion, no deadline.
    SuspendTalks: frozenset({Stage.EXPLORATORY_TALKS}),
    ResumeTalks: frozenset({Stage.TALKS_SUSPENDED}),
    ConcludeTalks: frozenset({Stage.EXPLORATORY_TALKS}),
    SubmitReport: frozenset({Stage.REPORT_DUE}),
    ExtendDecisionDeadline: AWAITING_DECISION,
    RecordCouncilDecision: frozenset({Stage.COUNCIL_DECISION}),
    LaunchPartnership: frozenset({Stage.LAUNCH_PREPARATION}),
    Withdraw: _OPEN_STAGES,
    IssueDeadlineReminder: AWAITING_DECISION,
    LapseDecisionDeadline: AWAITING_DECISION,
}


def may_issue(role: Role, command: type[Command]) -> bool:
    """Whether `role` may issue `command` at all."""
    return role in ROLES_FOR.get(command, frozenset())


def allowed_at(stage: Stage, command: type[Command]) -> bool:
    """Whether `command` is possible at `stage`."""
    return stage in STAGES_FOR.get(command, frozenset())


def roles_label(command: type[Command]) -> str:
    """The human roles that may issue `command`, for error messages."""
    roles = sorted(r.value for r in ROLES_FOR.get(command, frozenset()) if r is not Role.SYSTEM)
    return " or ".join(roles) if roles else "the engine itself (on a deadline)"


def stages_label(command: type[Command]) -> str:
    """The stages at which `command` is possible, for error messages."""
    stages = [s.value for s in Stage if s in STAGES_FOR.get(command, frozenset())]
    return ", ".join(stages)
