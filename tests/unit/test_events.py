"""Events: frozen, versioned, one discriminated union on `type`, and unchanged through JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from domain import (
    EVENT_ADAPTER,
    EVENT_TYPES,
    Event,
    EventBase,
    Stage,
    event_payload,
    parse_event,
    replay,
)
from domain.events import EVENT_LIST_ADAPTER, ConsultationAnswered, PartnershipProposed
from tests.unit.strategies import (
    Story,
    any_event,
    at_lapsed,
    at_launched,
    at_not_pursued,
    at_talks_failed,
    at_withdrawn,
    events_of,
)


def test_event_types_are_the_eighteen_events_in_the_order_of_the_lifecycle() -> None:
    assert [t.__name__ for t in EVENT_TYPES] == [
        "PartnershipProposed",
        "ConsultationAnswered",
        "ConsultationClosed",
        "PartnershipNotPursued",
        "TalksAuthorised",
        "TalksRoundRecorded",
        "LateInterestDeclared",
        "TalksSuspended",
        "TalksResumed",
        "TalksConcluded",
        "ReportSubmitted",
        "DecisionDeadlineExtended",
        "DecisionDeadlineReminderIssued",
        "CouncilDecisionRecorded",
        "PartnershipLapsed",
        "PartnershipLaunched",
        "MemberStateAcceded",
        "PartnershipWithdrawn",
    ]


def test_every_event_class_is_in_the_union_so_that_it_parses_back() -> None:
    assert set(EventBase.__subclasses__()) == set(EVENT_TYPES)


def test_event_names_are_in_the_past_tense_and_unique() -> None:
    tags = [t.model_fields["type"].default for t in EVENT_TYPES]

    assert tags == [t.__name__ for t in EVENT_TYPES]
    assert all(tag.endswith(("ed", "Withdrawn")) for tag in tags)


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.__name__)
def test_every_event_carries_actor_business_date_recorded_time_and_version(
    event_type: type[EventBase],
) -> None:
    assert {"type", "schema_version", "actor", "occurred_on", "recorded_at"} <= set(
        event_type.model_fields
    )
    assert event_type.model_config.get("frozen") is True
    assert event_type.model_config.get("extra") == "forbid"


def _assert_round_trips(event: EventBase) -> None:
    payload = event_payload(event)  # type: ignore[arg-type]
    assert payload["type"] == type(event).__name__
    assert payload["schema_version"] == event.schema_version

    via_payload = parse_event(payload)
    via_text = parse_event(json.loads(json.dumps(payload)))
    via_model_json = parse_event(json.loads(event.model_dump_json()))
    via_adapter = EVENT_ADAPTER.validate_json(EVENT_ADAPTER.dump_json(event))  # type: ignore[arg-type]

    for parsed in (via_payload, via_text, via_model_json, via_adapter):
        assert type(parsed) is type(event)
        assert parsed == event
        # The payload is canonical: parsing and dumping again gives the same JSON, which the
        # event store's hash chain relies on.
        assert event_payload(parsed) == payload


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.__name__)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_every_event_type_round_trips_through_json_unchanged(
    event_type: type[EventBase], data: st.DataObject
) -> None:
    _assert_round_trips(data.draw(events_of(event_type)))


@settings(max_examples=200, deadline=None)
@given(event=any_event)
def test_any_event_round_trips_through_json_unchanged(event: Event) -> None:
    _assert_round_trips(event)


# Where each history ends and how many events it holds, counted by hand from its commands
# (tests/unit/strategies.py): closing with nobody interested records two events, every other
# command one.
@pytest.mark.parametrize(
    ("build", "stage", "version"),
    [
        (at_launched, Stage.LAUNCHED, 13),
        (at_lapsed, Stage.LAPSED, 12),
        (at_not_pursued, Stage.NOT_PURSUED, 4),
        (at_talks_failed, Stage.TALKS_FAILED, 10),
        (at_withdrawn, Stage.WITHDRAWN, 6),
    ],
)
def test_a_whole_history_round_trips_and_replays_to_where_it_ended(
    build: Callable[[], Story], stage: Stage, version: int
) -> None:
    story = build()
    text = EVENT_LIST_ADAPTER.dump_json(story.events)
    parsed = EVENT_LIST_ADAPTER.validate_json(text)

    assert parsed == story.events
    replayed = replay(parsed)
    assert (replayed.stage, replayed.version) == (stage, version)
    assert replayed.last_recorded_at == story.events[-1].recorded_at


def test_a_payload_with_an_unknown_type_is_rejected() -> None:
    payload = event_payload(at_launched().events[0])
    payload["type"] = "PartnershipTeleported"

    with pytest.raises(ValidationError, match="union_tag_invalid"):
        parse_event(payload)


def test_a_payload_without_a_type_is_rejected() -> None:
    payload = event_payload(at_launched().events[0])
    del payload["type"]

    with pytest.raises(ValidationError, match="union_tag_not_found"):
        parse_event(payload)


def test_a_payload_with_an_unknown_field_is_rejected() -> None:
    payload = event_payload(at_launched().events[0])
    payload["colour"] = "blue"

    with pytest.raises(ValidationError, match="extra_forbidden"):
        parse_event(payload)


def test_a_payload_with_a_naive_recorded_time_is_rejected() -> None:
    payload = event_payload(at_launched().events[0])
    payload["recorded_at"] = "2025-03-03T12:00:00"

    with pytest.raises(ValidationError, match="timezone"):
        parse_event(payload)


def test_events_are_frozen() -> None:
    event = at_launched().events[1]
    assert isinstance(event, ConsultationAnswered)

    with pytest.raises(ValidationError, match="frozen"):
        event.member_state = "IT"  # type: ignore[misc]


def test_a_proposal_payload_names_its_fields_as_the_contract_does() -> None:
    event = at_launched().events[0]
    assert isinstance(event, PartnershipProposed)
    payload = event_payload(event)

    assert payload["occurred_on"] == "2025-03-03"
    assert payload["recorded_at"] == "2025-03-03T12:00:00Z"
    assert payload["actor"] == {"id": "alice", "role": "commission", "member_state": None}
    assert payload["region"] == "africa_mediterranean"
    assert payload["decision_deadline"] == date(2025, 12, 31).isoformat()
    assert payload["schema_version"] == 1


def test_a_consultation_answer_is_written_at_schema_version_two_and_the_rest_at_one() -> None:
    answer = at_launched().events[1]
    assert isinstance(answer, ConsultationAnswered)
    assert (answer.schema_version, event_payload(answer)["schema_version"]) == (2, 2)
    assert [t.model_fields["schema_version"].default for t in EVENT_TYPES] == [1, 2] + [1] * 16


def test_a_version_one_answer_inside_a_recorded_workflow_history_parses_as_written() -> None:
    # As tests/histories/launched.json holds it, inside the append activity's input.
    recorded = {
        "schema_version": 1,
        "actor": {"id": "rep-es", "role": "member_state", "member_state": "ES"},
        "occurred_on": "2026-11-28",
        "recorded_at": "2026-11-28T06:55:46.401000Z",
        "type": "ConsultationAnswered",
        "member_state": "ES",
        "position": "interested",
        "offers": ["legal_migration"],
        "comments": None,
    }
    event = parse_event(recorded)
    assert isinstance(event, ConsultationAnswered)
    assert (event.schema_version, event.member_state, [o.value for o in event.offers]) == (
        1,
        "ES",
        ["legal_migration"],
    )
    assert event_payload(event) == recorded
