"""Decoding a row read straight from the log (codec.domain_from_row), as a rebuild does, gives
the event a read through the store and `to_domain` gives, and refuses what they refuse."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

import pytest
from hypothesis import given
from sqlalchemy import create_engine

from activities.codec import domain_from_row, to_domain, to_new_event
from activities.eventstore import EventStore
from activities.records import StoredEvent
from activities.store_errors import MissingUpcaster, UnknownSchemaVersion
from activities.upcasting import Upcasters
from domain.actors import Actor, Role
from domain.commands import Position
from domain.components import Component
from domain.events import SCHEMA_VERSIONS, ConsultationAnswered, Event
from tests.unit.strategies import any_event

REP = {"id": "rep-fr", "role": "member_state", "member_state": "FR"}
RECORDED = datetime.datetime(2025, 3, 10, 9, tzinfo=datetime.UTC)


def stored(event_type: str, schema_version: int, payload: dict[str, Any]) -> StoredEvent:
    """A row as the store returns it, at version 3 of a partnership's stream."""
    return StoredEvent(
        event_id=uuid.uuid4(),
        type=event_type,
        schema_version=schema_version,
        payload=payload,
        metadata={},
        occurred_on=RECORDED.date(),
        recorded_at=RECORDED,
        position=3,
        stream_id="partnership-FR/1",
        stream_version=3,
        prev_hash="0" * 64,
        hash="1" * 64,
    )


def decoded(row: StoredEvent, payload: str | dict[str, Any], **kwargs: Any) -> Event:
    return domain_from_row(
        row.type,
        row.schema_version,
        payload,
        stream_id=row.stream_id,
        stream_version=row.stream_version,
        **kwargs,
    )


@given(any_event)
def test_every_event_as_appended_decodes_from_its_json_text_to_what_to_domain_reads(
    drawn: Event,
) -> None:
    # As this software records it: at its type's newest version.
    event = drawn.model_copy(update={"schema_version": SCHEMA_VERSIONS[drawn.type]})
    new = to_new_event(uuid.uuid4(), event, {})
    row = stored(new.type, new.schema_version, new.payload)
    assert decoded(row, json.dumps(new.payload)) == to_domain(row) == event
    # PostgreSQL's driver may hand the JSONB column over already decoded.
    assert decoded(row, new.payload) == event


def test_a_version_1_answer_is_upcast_as_the_store_and_to_domain_upcast_it() -> None:
    payload = {
        "type": "ConsultationAnswered",
        "schema_version": 1,
        "actor": REP,
        "occurred_on": "2025-03-10",
        "recorded_at": RECORDED.isoformat(),
        "member_state": "FR",
        "position": "interested",
    }
    event = decoded(stored("ConsultationAnswered", 1, payload), json.dumps(payload))
    assert isinstance(event, ConsultationAnswered)
    assert (event.schema_version, event.offers) == (2, ())
    assert event == to_domain(stored("ConsultationAnswered", 1, payload))


def test_the_row_s_type_and_version_prevail_over_a_payload_that_names_none() -> None:
    answer = ConsultationAnswered(
        actor=Actor(id="rep-fr", role=Role.MEMBER_STATE, member_state="FR"),
        occurred_on=RECORDED.date(),
        recorded_at=RECORDED,
        member_state="FR",
        position=Position.INTERESTED,
        offers=(Component.LEGAL_MIGRATION,),
    )
    payload = to_new_event(uuid.uuid4(), answer, {}).payload
    del payload["type"], payload["schema_version"]
    assert decoded(stored("ConsultationAnswered", 2, payload), json.dumps(payload)) == answer


def test_a_row_newer_than_this_software_knows_is_refused_naming_it() -> None:
    row = stored("ConsultationAnswered", 3, {"type": "ConsultationAnswered", "schema_version": 3})
    with pytest.raises(UnknownSchemaVersion, match="partnership-FR/1 version 3"):
        decoded(row, json.dumps(row.payload))


def test_an_old_row_that_no_step_brings_up_to_date_is_refused_naming_it() -> None:
    proposed = {"type": "PartnershipProposed", "schema_version": 0, "actor": REP}
    with pytest.raises(MissingUpcaster, match="partnership-FR/1 version 3"):
        decoded(stored("PartnershipProposed", 0, proposed), json.dumps(proposed))


def test_the_store_s_own_upcasters_apply_first_as_the_store_applies_them() -> None:
    # A store reading with a step of its own from the newest version (renaming the Member
    # State): the row is not taken as it stands, it goes through that step first.
    renamed = Upcasters()
    renamed.add("ConsultationAnswered", 2, lambda p: {**p, "member_state": "DE"})
    payload = {
        "type": "ConsultationAnswered",
        "schema_version": 2,
        "actor": REP,
        "occurred_on": "2025-03-10",
        "recorded_at": RECORDED.isoformat(),
        "member_state": "FR",
        "position": "interested",
        "offers": [],
    }
    row = stored("ConsultationAnswered", 2, payload)
    assert decoded(row, json.dumps(payload)) == to_domain(row)
    through_the_store = EventStore(create_engine("sqlite://"), upcasters=renamed).upcast(row)
    event = decoded(row, json.dumps(payload), upcasters=renamed)
    assert event == to_domain(through_the_store)
    assert isinstance(event, ConsultationAnswered)
    assert event.member_state == "DE"
