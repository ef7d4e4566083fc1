"""Who may do what, and when: the policy tables against DESIGN.md §1–§2, and `decide`
enforcing them for every role, command and stage."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain import (
    ROLES_FOR,
    STAGES_FOR,
    USER_COMMANDS,
    Command,
    NotPermitted,
    Role,
    Stage,
    Withdraw,
    WrongStage,
)
from tests.unit.strategies import (
    ACTOR_OF_ROLE,
    ENDED_STAGES,
    EXPECTED_ROLES,
    EXPECTED_STAGES,
    LATER,
    OPEN_STAGES,
    OPERATOR,
    REFUSED_AT_LATER,
    SAMPLES,
    SYSTEM,
    Story,
    propose,
)

S = Role.SYSTEM

ALL_STAGES: dict[Stage, Callable[[], Story]] = {**OPEN_STAGES, **ENDED_STAGES}


def test_the_role_table_is_the_one_of_the_design() -> None:
    assert {command: set(roles) for command, roles in ROLES_FOR.items()} == EXPECTED_ROLES


def test_the_stage_table_is_the_one_of_the_design() -> None:
    assert {command: set(stages) for command, stages in STAGES_FOR.items()} == EXPECTED_STAGES


def test_no_role_may_act_at_an_end() -> None:
    for stages in STAGES_FOR.values():
        assert not any(stage.is_end for stage in stages)


def test_the_operator_appears_nowhere_in_the_role_table() -> None:
    assert all(Role.OPERATOR not in roles for roles in ROLES_FOR.values())


def test_user_commands_are_the_updates_of_the_contract() -> None:
    assert [command.name for command in USER_COMMANDS] == [
        "respond_to_consultation",
        "close_consultation",
        "authorise_talks",
        "record_talks_round",
        "declare_interest",
        "suspend_talks",
        "resume_talks",
        "conclude_talks",
        "submit_report",
        "extend_decision_deadline",
        "record_council_decision",
        "launch_partnership",
        "withdraw",
    ]


def test_no_user_command_is_the_engines_alone() -> None:
    assert all(ROLES_FOR[command] - {S} for command in USER_COMMANDS)


def _allowed_stage(command: type[Command]) -> Stage:
    return min(STAGES_FOR[command], key=list(Stage).index)


_FORBIDDEN = [
    (command, role)
    for command in STAGES_FOR
    for role in Role
    if role not in EXPECTED_ROLES[command]
]


@pytest.mark.parametrize(
    ("command_type", "role"),
    _FORBIDDEN,
    ids=[f"{c.name}-by-{r.value}" for c, r in _FORBIDDEN],
)
def test_a_role_the_table_does_not_list_is_refused_at_a_stage_where_the_step_is_possible(
    command_type: type[Command], role: Role
) -> None:
    command, _ = SAMPLES[command_type]
    story = ALL_STAGES[_allowed_stage(command_type)]()
    actor = ACTOR_OF_ROLE[role]
    allowed = sorted(r.value for r in EXPECTED_ROLES[command_type] if r is not S)
    says = f"only {' or '.join(allowed)} may" if allowed else "only the engine itself"
    story.reject(command, actor, LATER, NotPermitted, f"{actor} may not", says)


@pytest.mark.parametrize("command_type", list(SAMPLES), ids=lambda c: c.name)
def test_the_operator_may_do_nothing(command_type: type[Command]) -> None:
    command, _ = SAMPLES[command_type]
    story = ALL_STAGES[_allowed_stage(command_type)]()
    story.reject(command, OPERATOR, LATER, NotPermitted, "olga (operator) may not")


def test_the_operator_may_not_propose() -> None:
    Story().reject(propose(), OPERATOR, LATER, NotPermitted, "only commission may")


_WRONG_STAGES = [
    (command, stage)
    for command in STAGES_FOR
    for stage in Stage
    if stage not in STAGES_FOR[command]
]


@pytest.mark.parametrize(
    ("command_type", "stage"),
    _WRONG_STAGES,
    ids=[f"{c.name}-at-{s.value}" for c, s in _WRONG_STAGES],
)
def test_a_step_at_a_stage_where_it_is_not_possible_is_refused(
    command_type: type[Command], stage: Stage
) -> None:
    command, actor = SAMPLES[command_type]
    story = ALL_STAGES[stage]()
    if stage.is_end:
        says = [f"has ended ({stage.value})", "nothing more can be done"]
    else:
        possible = ", ".join(s.value for s in Stage if s in EXPECTED_STAGES[command_type])
        says = [
            f"cannot {command.name} while the partnership is at stage {stage.value}",
            f"{command.name} is possible at: {possible}",
        ]
    story.reject(command, actor, LATER, WrongStage, *says)


# Each command's stages in the lifecycle's own order: a set's order changes from process to
# process, and parallel test runners collect the same tests in the same order everywhere.
_ALLOWED = [
    (command, stage) for command in STAGES_FOR for stage in Stage if stage in STAGES_FOR[command]
]


@pytest.mark.parametrize(
    ("command_type", "stage"),
    _ALLOWED,
    ids=[f"{c.name}-at-{s.value}" for c, s in _ALLOWED],
)
def test_a_permitted_role_at_a_possible_stage_is_accepted_unless_a_deadline_rules_it_out(
    command_type: type[Command], stage: Stage
) -> None:
    command, actor = SAMPLES[command_type]
    story = ALL_STAGES[stage]()
    if command_type in REFUSED_AT_LATER:
        error, says = REFUSED_AT_LATER[command_type]
        story.reject(command, actor, LATER, error, says)
    else:
        assert story.do(command, actor, LATER)


def test_the_engine_may_not_take_a_users_step() -> None:
    story = OPEN_STAGES[Stage.CONSULTATION]()
    story.reject(Withdraw(reason="x"), SYSTEM, LATER, NotPermitted, "only commission may")
