"""`--as ROLE[:MS]:USER`: who is acting, parsed into the domain's Actor with clear errors."""

from __future__ import annotations

import pytest

from domain.actors import Actor, Role
from interfaces.cli.actor import format_actor, parse_actor
from interfaces.terminal import CliError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("commission:alice", Actor(id="alice", role=Role.COMMISSION)),
        ("presidency:joao", Actor(id="joao", role=Role.PRESIDENCY)),
        # The Presidency of a Member State: its steps count on the dates it held it.
        ("presidency:PT:joao", Actor(id="joao", role=Role.PRESIDENCY, member_state="PT")),
        ("operator:olga", Actor(id="olga", role=Role.OPERATOR)),
        (
            "member_state:PT:maria",
            Actor(id="maria", role=Role.MEMBER_STATE, member_state="PT"),
        ),
        (" Member-State:gr:nikos ", Actor(id="nikos", role=Role.MEMBER_STATE, member_state="EL")),
        ("commission:a:b", Actor(id="a:b", role=Role.COMMISSION)),
    ],
)
def test_a_well_formed_actor_is_parsed(text: str, expected: Actor) -> None:
    assert parse_actor(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (None, "who is acting?"),
        ("", "who is acting?"),
        ("alice", "is missing the role or the user"),
        ("commission:", "names no user"),
        ("director:alice", "unknown role 'director'"),
        ("system:engine", "the system role is the engine's own"),
        ("member_state:PT", "names the Member State and the user"),
        ("member_state:XX:maria", "XX is not an ISO 3166-1 alpha-2 country code"),
        ("member_state::maria", "the Member State"),
    ],
)
def test_a_malformed_actor_is_refused_with_what_to_write(text: str | None, says: str) -> None:
    with pytest.raises(CliError) as refused:
        parse_actor(text)
    assert says in refused.value.message
    assert refused.value.code == 2  # usage


def test_the_unknown_role_error_lists_the_roles_a_user_may_hold() -> None:
    with pytest.raises(CliError) as refused:
        parse_actor("boss:x")
    assert "commission, presidency, member_state, operator" in refused.value.message
    assert "system" not in refused.value.message


@pytest.mark.parametrize("text", ["commission:alice", "member_state:EL:nikos", "operator:o"])
def test_formatting_an_actor_gives_back_what_was_parsed(text: str) -> None:
    assert format_actor(parse_actor(text)) == text
