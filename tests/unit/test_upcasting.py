"""Upcasting: this software's upcasters read a ConsultationAnswered v1 as v2, every older version
of every event has its steps, and a version newer than this software knows is refused."""

from __future__ import annotations

import datetime
import inspect
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine

from activities.codec import to_domain
from activities.eventstore import EventStore
from activities.failures import Kind, as_activity_failure, classify
from activities.records import StoredEvent
from activities.store_errors import MissingUpcaster, StoreError, UnknownSchemaVersion
from activities.upcasting import (
    NO_UPCASTERS,
    UPCASTERS,
    refuse_unknown_version,
    upcast_to_newest,
)
from domain.actors import Actor, Role
from domain.commands import Position
from domain.components import Component
from domain.events import SCHEMA_VERSIONS, ConsultationAnswered

NEWEST = {
    "PartnershipProposed": 1,
    "ConsultationAnswered": 2,
    "ConsultationClosed": 1,
    "PartnershipNotPursued": 1,
    "TalksAuthorised": 1,
    "TalksRoundRecorded": 1,
    "LateInterestDeclared": 1,
    "TalksSuspended": 1,
    "TalksResumed": 1,
    "MemberStateAcceded": 1,
    "TalksConcluded": 1,
    "ReportSubmitted": 1,
    "DecisionDeadlineExtended": 1,
    "DecisionDeadlineReminderIssued": 1,
    "CouncilDecisionRecorded": 1,
    "PartnershipLapsed": 1,
    "PartnershipLaunched": 1,
    "PartnershipWithdrawn": 1,
}
event_types = st.sampled_from(sorted(NEWEST))


def answer_v1(**fields: Any) -> dict[str, Any]:
    """A ConsultationAnswered payload as schema version 1 allowed it: `offers` left out."""
    return {
        "schema_version": 1,
        "type": "ConsultationAnswered",
        "actor": {"id": "rep-es", "role": "member_state", "member_state": "ES"},
        "occurred_on": "2026-03-10",
        "recorded_at": "2026-03-10T10:00:00.000000Z",
        "member_state": "ES",
        "position": "interested",
        "comments": None,
        **fields,
    }


def stored(payload: dict[str, Any], schema_version: int) -> StoredEvent:
    """A row of partnership-CV/1 at version 2 holding `payload` as stored."""
    return StoredEvent(
        event_id=uuid.UUID(int=2),
        type=payload["type"],
        schema_version=schema_version,
        payload=payload,
        metadata={},
        occurred_on=datetime.date(2026, 3, 10),
        recorded_at=datetime.datetime(2026, 3, 10, 10, 0, tzinfo=datetime.UTC),
        position=2,
        stream_id="partnership-CV/1",
        stream_version=2,
        prev_hash="0" * 64,
        hash="1" * 64,
    )


def test_the_newest_schema_version_of_each_event_is_the_one_written_out_here() -> None:
    assert SCHEMA_VERSIONS == NEWEST


def test_a_version_one_answer_without_offers_is_read_as_version_two_offering_nothing() -> None:
    assert UPCASTERS.upcast("ConsultationAnswered", 1, answer_v1()) == (
        2,
        {
            "schema_version": 2,
            "type": "ConsultationAnswered",
            "actor": {"id": "rep-es", "role": "member_state", "member_state": "ES"},
            "occurred_on": "2026-03-10",
            "recorded_at": "2026-03-10T10:00:00.000000Z",
            "member_state": "ES",
            "position": "interested",
            "offers": [],
            "comments": None,
        },
    )


@given(offers=st.lists(st.sampled_from([c.value for c in Component]), unique=True))
def test_a_version_one_answer_that_carries_offers_keeps_them_as_recorded(
    offers: list[str],
) -> None:
    payload = answer_v1(offers=offers)
    version, upcast = UPCASTERS.upcast("ConsultationAnswered", 1, payload)
    assert (version, upcast["offers"], upcast["schema_version"]) == (2, offers, 2)
    assert payload["schema_version"] == 1  # the stored payload itself is not touched


def test_a_version_two_answer_is_left_as_recorded() -> None:
    payload = answer_v1(schema_version=2, offers=["legal_migration"])
    assert UPCASTERS.upcast("ConsultationAnswered", 2, payload) == (2, payload)


@given(data=st.data())
def test_every_older_version_of_every_event_has_steps_up_to_the_newest(
    data: st.DataObject,
) -> None:
    event_type = data.draw(event_types)
    version = data.draw(st.integers(min_value=1, max_value=NEWEST[event_type]))
    assert upcast_to_newest(event_type, version, {})[0] == NEWEST[event_type]


def test_an_old_version_no_step_brings_up_to_date_is_refused_naming_the_missing_step() -> None:
    with pytest.raises(MissingUpcaster) as refused:
        upcast_to_newest(
            "ConsultationAnswered", 1, answer_v1(), upcasters=NO_UPCASTERS, where="CV/1 version 2"
        )
    assert str(refused.value) == (
        "The ConsultationAnswered event at CV/1 version 2 is recorded at schema version 1, and "
        "no upcaster brings it to version 2, the one this software reads. Register the "
        "ConsultationAnswered v1 step in activities/upcasting.py (UPCASTERS) and deploy again; "
        "the record itself is intact and was not read."
    )


@given(event_type=event_types, ahead=st.integers(min_value=1, max_value=10**6))
def test_a_version_newer_than_this_software_knows_is_refused_naming_type_versions_and_fix(
    event_type: str, ahead: int
) -> None:
    version = NEWEST[event_type] + ahead
    with pytest.raises(UnknownSchemaVersion) as refused:
        refuse_unknown_version(event_type, version, where="partnership-CV/1 version 6")
    assert isinstance(refused.value, StoreError)
    assert (refused.value.event_type, refused.value.schema_version, refused.value.newest) == (
        event_type,
        version,
        NEWEST[event_type],
    )
    assert str(refused.value) == (
        f"The {event_type} event at partnership-CV/1 version 6 is recorded at schema version "
        f"{version}, but this software reads {event_type} only up to version "
        f"{NEWEST[event_type]}: a newer release wrote it. Upgrade the worker and the CLI to a "
        f"release that knows {event_type} v{version}, then read the log again; the record "
        f"itself is intact and was not read."
    )


@given(data=st.data())
def test_a_version_this_software_knows_is_not_refused(data: st.DataObject) -> None:
    event_type = data.draw(event_types)
    refuse_unknown_version(
        event_type, data.draw(st.integers(min_value=1, max_value=NEWEST[event_type]))
    )


def test_a_type_the_domain_does_not_define_is_left_to_its_reader() -> None:
    refuse_unknown_version("Something", 99)


def test_a_stored_version_one_answer_becomes_the_domain_event_of_version_two() -> None:
    assert to_domain(stored(answer_v1(), 1)) == ConsultationAnswered(
        schema_version=2,
        actor=Actor(id="rep-es", role=Role.MEMBER_STATE, member_state="ES"),
        occurred_on=datetime.date(2026, 3, 10),
        recorded_at=datetime.datetime(2026, 3, 10, 10, 0, tzinfo=datetime.UTC),
        member_state="ES",
        position=Position.INTERESTED,
        offers=(),
        comments=None,
    )


def test_a_stored_version_one_answer_with_offers_keeps_them_in_the_domain() -> None:
    event = to_domain(stored(answer_v1(offers=["legal_migration"]), 1))
    assert isinstance(event, ConsultationAnswered)
    assert (event.schema_version, event.offers) == (2, (Component.LEGAL_MIGRATION,))


def test_every_store_reads_through_this_softwares_upcasters_unless_told_otherwise() -> None:
    assert inspect.signature(EventStore).parameters["upcasters"].default is UPCASTERS
    engine = create_engine("sqlite://")
    try:
        assert EventStore(engine).upcasters is UPCASTERS
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "error",
    [
        UnknownSchemaVersion("ConsultationAnswered", 99, 2, where="partnership-CV/1 version 6"),
        MissingUpcaster("ConsultationAnswered", 1, 2, where="partnership-CV/1 version 2"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_an_unreadable_schema_version_is_a_final_failure_of_its_own_type(
    error: StoreError,
) -> None:
    assert classify(error).kind is Kind.PERMANENT
    failure = as_activity_failure(error, "the append to partnership-CV/1 after version 5")
    assert failure.non_retryable  # type: ignore[attr-defined]
    assert failure.type == type(error).__name__  # type: ignore[attr-defined]
    assert failure.message.startswith(  # type: ignore[attr-defined]
        f"the append to partnership-CV/1 after version 5 failed: {str(error).rstrip('.')}. "
        "Nothing was written: the transaction rolled back. Retrying cannot help: "
    )
