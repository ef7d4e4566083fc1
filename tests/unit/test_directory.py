"""The directory of role bindings (domain/directory.py): its rules, its events and its fold."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.actors import Role
from domain.directory import (
    DIRECTORY_SCHEMA_VERSIONS,
    DIRECTORY_STREAM,
    EMPTY_DIRECTORY,
    AlreadyBound,
    AlreadyRevoked,
    Binding,
    BindingRole,
    Directory,
    DirectoryError,
    DirectoryEvent,
    GrantRole,
    InvalidBinding,
    RevokeRole,
    RoleGranted,
    RoleRevoked,
    UnknownBinding,
    decide_grant,
    decide_revoke,
    directory_event_payload,
    evolve_directory,
    parse_directory_event,
    replay_directory,
)
from domain.errors import DomainError, NotAMemberState
from domain.events import parse_event
from domain.identifiers import WORKFLOW_ID_PREFIX

ISSUER = "https://ecas.example.eu/cas/oauth2"
NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
TODAY = NOW.date()


def grant(
    subject: str = "maria",
    role: BindingRole = BindingRole.MEMBER_STATE,
    member_state: str | None = "PT",
    *,
    issuer: str = ISSUER,
    valid_from: date = TODAY,
    granted_by: str = "alice",
) -> GrantRole:
    return GrantRole(
        issuer=issuer,
        subject=subject,
        role=role,
        member_state=member_state,
        valid_from=valid_from,
        granted_by=granted_by,
    )


def granted(directory: Directory, command: GrantRole, binding_id: str) -> Directory:
    return evolve_directory(
        directory, decide_grant(directory, command, binding_id=binding_id, now=NOW)
    )


# --- What a binding names --------------------------------------------------------------------


@pytest.mark.parametrize("role", [BindingRole.MEMBER_STATE, BindingRole.PRESIDENCY])
def test_a_member_state_or_presidency_binding_without_its_member_state_is_refused(
    role: BindingRole,
) -> None:
    with pytest.raises(InvalidBinding, match=rf"a {role.value} binding names its Member State"):
        decide_grant(EMPTY_DIRECTORY, grant(role=role, member_state=None), binding_id="b1", now=NOW)


@pytest.mark.parametrize(
    "role", [BindingRole.COMMISSION, BindingRole.OPERATOR, BindingRole.ADMINISTRATOR]
)
def test_a_binding_of_any_other_role_naming_a_member_state_is_refused_saying_which_do(
    role: BindingRole,
) -> None:
    with pytest.raises(InvalidBinding) as refused:
        decide_grant(EMPTY_DIRECTORY, grant(role=role, member_state="PT"), binding_id="b", now=NOW)
    assert "only member_state and presidency bindings do" in str(refused.value)


def test_a_binding_for_a_non_member_on_its_first_day_is_refused_naming_the_members() -> None:
    with pytest.raises(NotAMemberState) as refused:
        decide_grant(EMPTY_DIRECTORY, grant(member_state="CV"), binding_id="b1", now=NOW)
    assert "PT" in str(refused.value)
    # The United Kingdom was a Member State until 31 January 2020.
    with pytest.raises(NotAMemberState):
        decide_grant(
            EMPTY_DIRECTORY,
            grant(member_state="UK", valid_from=date(2020, 2, 1)),
            binding_id="b1",
            now=NOW,
        )


def test_a_member_state_is_recorded_as_the_eu_writes_it() -> None:
    event = decide_grant(EMPTY_DIRECTORY, grant(member_state="gr"), binding_id="b1", now=NOW)
    assert event.member_state == "EL"


def test_a_grant_names_who_granted_it() -> None:
    with pytest.raises(ValidationError, match="granted_by"):
        GrantRole(  # type: ignore[call-arg]
            issuer=ISSUER, subject="maria", role=BindingRole.COMMISSION, valid_from=TODAY
        )
    with pytest.raises(ValidationError, match="granted_by"):
        grant(granted_by="")
    event = decide_grant(EMPTY_DIRECTORY, grant(granted_by="alice"), binding_id="b1", now=NOW)
    assert event.granted_by == "alice"


@pytest.mark.parametrize("name", [" maria", "maria ", "ma\nria", "ma\u200bria", "m" * 201])
def test_a_subject_that_could_not_be_an_actor_id_is_refused_as_typed(name: str) -> None:
    with pytest.raises(ValidationError, match="subject"):
        grant(subject=name)


# --- Who holds what --------------------------------------------------------------------------


def test_the_same_unrevoked_binding_cannot_be_granted_twice_but_may_be_after_its_revocation() -> (
    None
):
    directory = granted(EMPTY_DIRECTORY, grant(), "b1")
    with pytest.raises(AlreadyBound, match=r"holds member_state:PT already \(binding b1"):
        decide_grant(directory, grant(), binding_id="b2", now=NOW)
    # Another Member State, role or issuer is another binding.
    granted(directory, grant(member_state="ES"), "b2")
    granted(directory, grant(role=BindingRole.PRESIDENCY), "b2")
    granted(directory, grant(issuer="https://other.example/"), "b2")
    revoked = evolve_directory(
        directory, decide_revoke(directory, RevokeRole(binding_id="b1", revoked_by="a"), now=NOW)
    )
    again = granted(revoked, grant(), "b2")
    assert [b.binding_id for b in again.bindings.values()] == ["b1", "b2"]


def test_a_binding_id_is_never_reused() -> None:
    directory = granted(EMPTY_DIRECTORY, grant(), "b1")
    with pytest.raises(AlreadyBound, match="each grant gets a new id"):
        decide_grant(
            directory,
            grant(role=BindingRole.COMMISSION, member_state=None),
            binding_id="b1",
            now=NOW,
        )


def test_revoking_an_unknown_binding_is_refused_saying_what_can_be_revoked() -> None:
    with pytest.raises(UnknownBinding, match="give the id of an unrevoked binding"):
        decide_revoke(EMPTY_DIRECTORY, RevokeRole(binding_id="nope", revoked_by="alice"), now=NOW)


def test_revoking_a_revoked_binding_is_refused_naming_when_and_by_whom() -> None:
    directory = granted(EMPTY_DIRECTORY, grant(), "b1")
    revocation = RevokeRole(binding_id="b1", revoked_by="alice", reason="left the service")
    directory = evolve_directory(directory, decide_revoke(directory, revocation, now=NOW))
    with pytest.raises(AlreadyRevoked) as refused:
        decide_revoke(directory, RevokeRole(binding_id="b1", revoked_by="bob"), now=NOW)
    assert str(refused.value) == (
        "binding b1 (maria, member_state:PT) was revoked on 2026-12-02 by alice; only an "
        "unrevoked binding can be revoked"
    )
    binding = directory.bindings["b1"]
    assert (binding.revoked_by, binding.revocation_reason) == ("alice", "left the service")


def test_every_refusal_of_the_directory_is_a_domain_error() -> None:
    for kind in (InvalidBinding, AlreadyBound, UnknownBinding, AlreadyRevoked):
        assert issubclass(kind, DirectoryError)
        assert issubclass(kind, DomainError)


def test_bindings_of_are_the_subjects_own_at_that_issuer_that_hold_on_the_day() -> None:
    directory = granted(EMPTY_DIRECTORY, grant(), "b1")
    directory = granted(directory, grant(subject="joao", role=BindingRole.PRESIDENCY), "b2")
    directory = granted(directory, grant(issuer="https://other.example/"), "b3")
    later = TODAY + timedelta(days=10)
    directory = granted(directory, grant(member_state="ES", valid_from=later), "b4")
    assert [b.binding_id for b in directory.bindings_of(ISSUER, "maria", TODAY)] == ["b1"]
    assert [b.binding_id for b in directory.bindings_of(ISSUER, "maria", later)] == ["b1", "b4"]
    assert directory.bindings_of(ISSUER, "nobody", TODAY) == []


@given(
    valid_from=st.dates(min_value=date(2007, 1, 1), max_value=date(2030, 12, 31)),
    revoked_on=st.none() | st.dates(min_value=date(2007, 1, 1), max_value=date(2030, 12, 31)),
    day=st.dates(min_value=date(2006, 1, 1), max_value=date(2031, 12, 31)),
)
def test_a_binding_holds_from_its_first_day_until_the_day_it_is_revoked(
    valid_from: date, revoked_on: date | None, day: date
) -> None:
    binding = Binding(
        binding_id="b1",
        issuer=ISSUER,
        subject="maria",
        role=BindingRole.COMMISSION,
        valid_from=valid_from,
        granted_by="alice",
        granted_on=valid_from,
        revoked_by="alice" if revoked_on else None,
        revoked_on=revoked_on,
    )
    expected = valid_from <= day and (revoked_on is None or day < revoked_on)
    assert binding.current_on(day) is expected


# --- The actor a binding gives ---------------------------------------------------------------


def test_a_presidency_binding_acts_as_the_presidency_of_its_member_state() -> None:
    event = decide_grant(
        EMPTY_DIRECTORY, grant(role=BindingRole.PRESIDENCY), binding_id="b1", now=NOW
    )
    binding = evolve_directory(EMPTY_DIRECTORY, event).bindings["b1"]
    assert binding.label() == "presidency:PT"
    actor = binding.actor("joao")
    assert actor is not None
    # Its steps are valid only on the dates PT held the Presidency (domain/presidencies.py).
    assert (actor.id, actor.role, actor.member_state) == ("joao", Role.PRESIDENCY, "PT")


def test_a_member_state_binding_acts_for_its_member_state_and_an_administrator_takes_no_step() -> (
    None
):
    directory = granted(EMPTY_DIRECTORY, grant(), "b1")
    directory = granted(directory, grant(role=BindingRole.ADMINISTRATOR, member_state=None), "b2")
    actor = directory.bindings["b1"].actor("maria")
    assert actor is not None
    assert (actor.role, actor.member_state) == (Role.MEMBER_STATE, "PT")
    assert directory.bindings["b2"].actor("maria") is None


# --- Events and the fold ---------------------------------------------------------------------


def test_directory_events_round_trip_and_are_not_partnership_events() -> None:
    event = decide_grant(EMPTY_DIRECTORY, grant(), binding_id="b1", now=NOW)
    payload = directory_event_payload(event)
    assert payload["type"] == "RoleGranted"
    assert payload["schema_version"] == DIRECTORY_SCHEMA_VERSIONS["RoleGranted"] == 1
    assert parse_directory_event(payload) == event
    with pytest.raises(ValidationError):
        parse_event(payload)
    assert not DIRECTORY_STREAM.startswith(WORKFLOW_ID_PREFIX)


_ROLES = st.sampled_from(
    [
        (BindingRole.COMMISSION, None),
        (BindingRole.OPERATOR, None),
        (BindingRole.ADMINISTRATOR, None),
        (BindingRole.MEMBER_STATE, "PT"),
        (BindingRole.MEMBER_STATE, "ES"),
        (BindingRole.PRESIDENCY, "PT"),
    ]
)
# Each step grants (True) a role to a subject, or revokes (False) the binding numbered `which`.
_STEPS = st.lists(
    st.tuples(
        st.booleans(),
        st.sampled_from(["maria", "joao"]),
        _ROLES,
        st.integers(min_value=0, max_value=8),
    ),
    max_size=25,
)


@given(steps=_STEPS)
def test_replaying_a_stream_gives_what_folding_it_event_by_event_gives(
    steps: list[tuple[bool, str, tuple[BindingRole, str | None], int]],
) -> None:
    directory = EMPTY_DIRECTORY
    recorded: list[DirectoryEvent] = []
    for number, (grants, subject, (role, member_state), which) in enumerate(steps):
        event: RoleGranted | RoleRevoked
        try:
            if grants:
                command = grant(subject, role, member_state)
                event = decide_grant(directory, command, binding_id=f"b{number}", now=NOW)
            else:
                revocation = RevokeRole(binding_id=f"b{which}", revoked_by="alice")
                event = decide_revoke(directory, revocation, now=NOW)
        except DirectoryError:
            continue  # refused: nothing recorded, and the fold below must agree
        recorded.append(event)
        directory = evolve_directory(directory, event)
    assert replay_directory(recorded) == directory
    # No subject ever holds the same unrevoked binding twice.
    held = [(b.subject, b.role, b.member_state) for b in directory.unrevoked()]
    assert len(held) == len(set(held))
