"""The contract's JSON payloads (DESIGN.md §3): a command's fields plus the acting user."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from domain import Actor, ProposePartnership, RespondToConsultation, Role
from domain.actors import ACTOR_ID_MAX_BYTES, RequestActor
from domain.errors import VersionMismatch
from domain.events import PartnershipWithdrawn, event_payload, parse_event
from domain.requests import REQUEST_FOR, StartPartnership, StepRequest
from domain.stages import Stage


def test_every_update_of_the_contract_has_a_payload_model_that_carries_its_command() -> None:
    assert list(REQUEST_FOR) == [
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
    for name, request in REQUEST_FOR.items():
        assert request.command_type.name == name
        assert issubclass(request, request.command_type)
    assert StartPartnership.command_type is ProposePartnership


def test_the_start_input_of_the_contract_parses_from_plain_json() -> None:
    payload = json.loads(
        '{"country": "CV", "actor": {"id": "alice", "role": "commission"},'
        ' "rationale": "Atlantic route", "terms_of_reference": "ToR",'
        ' "occurred_on": "2007-06-18", "consultation_deadline": null,'
        ' "decision_deadline": null}'
    )
    start = StartPartnership.model_validate(payload)

    assert start.actor == Actor(id="alice", role=Role.COMMISSION)
    command = start.command()
    assert type(command) is ProposePartnership
    assert command == ProposePartnership(
        country="CV",
        rationale="Atlantic route",
        terms_of_reference="ToR",
        occurred_on=date(2007, 6, 18),
    )


def test_an_update_payload_carries_a_member_state_actor_and_the_commands_fields() -> None:
    request = REQUEST_FOR["respond_to_consultation"].model_validate(
        {
            "actor": {"id": "ana", "role": "member_state", "member_state": "pt"},
            "member_state": "PT",
            "position": "interested",
            "offers": ["legal_migration"],
        }
    )

    assert request.actor.member_state == "PT"
    command = request.command()
    assert type(command) is RespondToConsultation
    assert command.offers == ["legal_migration"]


def test_nobody_may_send_an_update_as_the_engine() -> None:
    with pytest.raises(ValidationError, match="the system role is the engine's own"):
        REQUEST_FOR["withdraw"].model_validate(
            {"actor": {"id": "pilot-partnerships", "role": "system"}, "reason": "x"}
        )


@pytest.mark.parametrize(
    ("name", "fields", "complaint"),
    [
        ("respond_to_consultation", {"member_state": "PT", "position": "maybe"}, "position"),
        ("record_council_decision", {"outcome": "invite_launch"}, "decided_on"),
        ("launch_partnership", {"member_states": [], "components": ["legal_migration"],
                                "signed_on": "2008-06-05"}, "member_states"),
        ("withdraw", {"reason": "x", "colour": "blue"}, "colour"),
        ("submit_report", {"recommendation": "launch", "summary": "   "}, "summary"),
    ],
)  # fmt: skip
def test_a_malformed_payload_is_refused_before_anything_is_decided(
    name: str, fields: dict[str, object], complaint: str
) -> None:
    with pytest.raises(ValidationError, match=complaint):
        REQUEST_FOR[name].model_validate({"actor": {"id": "a", "role": "commission"}, **fields})


# --- The actor a caller names ----------------------------------------------------------------

REQUEST_ACTOR: TypeAdapter[Actor] = TypeAdapter(RequestActor)


@given(
    st.text(st.characters(exclude_categories=["Cc", "Cf", "Cs", "Z"]), min_size=1, max_size=10),
    st.characters(categories=["Cf"]),
)
def test_a_callers_actor_id_with_a_format_character_is_refused_by_code_point(
    name: str, character: str
) -> None:
    with pytest.raises(ValidationError, match=f"actor's id .*U\\+{ord(character):04X}"):
        REQUEST_ACTOR.validate_python({"id": f"{name}{character}x", "role": "commission"})


def test_a_callers_actor_id_is_bounded_in_utf8_bytes() -> None:
    at_bound = "é" * (ACTOR_ID_MAX_BYTES // 2)
    assert REQUEST_ACTOR.validate_python({"id": at_bound, "role": "operator"}).id == at_bound
    with pytest.raises(ValidationError, match=f"at most {ACTOR_ID_MAX_BYTES} bytes"):
        REQUEST_ACTOR.validate_python({"id": at_bound + "é", "role": "operator"})


def test_an_event_recorded_by_an_actor_the_rules_now_refuse_still_loads() -> None:
    # Every event carries an `Actor`; the caller's rules apply to requests, not to the record.
    actor = Actor(id="ali\u200bce " + "é" * 150, role=Role.COMMISSION)
    old = PartnershipWithdrawn(
        actor=actor,
        occurred_on=date(2024, 1, 1),
        recorded_at=datetime(2024, 1, 1, tzinfo=UTC),
        reason="r",
        stage=Stage.CONSULTATION,
    )
    assert parse_event(event_payload(old)).actor == actor


def test_a_request_whose_actor_id_hides_a_bidirectional_override_is_refused() -> None:
    with pytest.raises(ValidationError, match="U\\+202E"):
        REQUEST_FOR["withdraw"].model_validate(
            {"actor": {"id": "ali\u202ece", "role": "commission"}, "reason": "x"}
        )


def test_every_update_may_name_the_version_its_sender_read_and_the_start_may_not() -> None:
    for request in REQUEST_FOR.values():
        assert request.model_fields["expected_version"].default is None, request.__name__
    assert "expected_version" not in StartPartnership.model_fields


def test_a_step_naming_another_version_is_refused_with_both_versions() -> None:
    request = REQUEST_FOR["withdraw"].model_validate(
        {"actor": {"id": "alice", "role": "commission"}, "reason": "x", "expected_version": 3}
    )
    assert isinstance(request, StepRequest)
    assert request.version_refusal(3) is None
    refusal = request.version_refusal(5)
    assert isinstance(refusal, VersionMismatch)
    assert refusal.message == (
        "the partnership is at version 5, not at version 3 that was read; read it again "
        "(version 5) and decide anew"
    )
    with pytest.raises(ValidationError):
        REQUEST_FOR["withdraw"].model_validate(
            {"actor": {"id": "a", "role": "commission"}, "reason": "x", "expected_version": -1}
        )
