"""The programme's cap in the proposal path, on real workflows: a proposal beyond the cap is
refused naming who holds the slots, and a partnership that ends frees its slot."""

from __future__ import annotations

from datetime import date

import pytest

from activities.database import create_engine_from_url
from activities.eventstore import EventStore
from activities.programme_store import ProgrammeStore
from app.exceptions import Rejected
from app.partnerships import Partnerships
from domain.actors import Actor, Role
from domain.programme import PROGRAMME_STREAM, SetCap
from domain.requests import StartPartnership
from settings import Settings
from tests.workflows.harness import COMMISSION, Harness, drive_to_council_decision, presidency


def _core(h: Harness) -> Partnerships:
    return Partnerships(h.client, Settings(database_url=h.database_url, task_queue=h.task_queue))


def _programme(h: Harness) -> ProgrammeStore:
    return ProgrammeStore(create_engine_from_url(h.database_url))


def _start(country: str) -> StartPartnership:
    return StartPartnership(
        country=country,
        actor=Actor(id="alice", role=Role.COMMISSION),
        rationale="Test the concept of mobility partnerships",
        terms_of_reference="Council conclusions of June 2007, point 11",
    )


async def test_a_proposal_beyond_the_cap_is_refused_naming_the_partnerships_that_hold_it(
    harness: Harness,
) -> None:
    _programme(harness).set_cap(
        SetCap(cap=1, reason="one pilot", set_by="ada"), role="administrator"
    )
    await harness.propose("CV")
    with pytest.raises(Rejected) as refused:
        await _core(harness).propose(_start("MD"))
    assert refused.value.kind == "CapReached"
    assert "limited to 1 pilot partnership and 1 hold a slot: partnership-CV/1 (CV" in (
        refused.value.message
    )
    # Nothing of the refused proposal is on record.
    assert harness.store().streams("partnership-MD/") == []
    programme, _ = _programme(harness).programme()
    assert list(programme.slots) == ["partnership-CV/1"]


async def test_a_partnership_that_ends_frees_its_slot_for_the_next_proposal(
    harness: Harness,
) -> None:
    store = _programme(harness)
    store.set_cap(SetCap(cap=1, reason="one pilot", set_by="ada"), role="administrator")
    cv = await harness.propose("CV")
    await harness.update(cv, "withdraw", COMMISSION, reason="the candidate withdrew")
    await cv.result()
    programme, _ = store.programme()
    assert programme.held == 0
    freed = EventStore(store.engine).read_stream(PROGRAMME_STREAM)[-1]
    assert freed.type == "SlotFreed"
    assert freed.payload["end_stage"] == "withdrawn"
    assert freed.metadata["channel"] == "system"
    view = await _core(harness).propose(_start("MD"))
    assert view.stage == "consultation"
    assert list(store.programme()[0].slots) == ["partnership-MD/1"]


async def test_without_a_cap_every_proposal_takes_a_slot_dated_by_its_business_date(
    harness: Harness,
) -> None:
    await harness.propose("CV", occurred_on="2007-06-18")
    await harness.propose("MD")
    programme, _ = _programme(harness).programme()
    assert programme.cap is None
    assert programme.slots["partnership-CV/1"].taken_on == date(2007, 6, 18)
    assert programme.slots["partnership-MD/1"].taken_on == await harness.today()


async def test_a_launched_partnership_frees_its_slot_for_the_next(harness: Harness) -> None:
    store = _programme(harness)
    store.set_cap(SetCap(cap=1, reason="one pilot", set_by="ada"), role="administrator")
    cv = await drive_to_council_decision(harness, "CV", ["ES", "PT"])
    day = await harness.today()
    await harness.update(
        cv, "record_council_decision", presidency(day), outcome="invite_launch", decided_on=day
    )
    await harness.update(
        cv,
        "launch_partnership",
        COMMISSION,
        member_states=["ES", "PT"],
        components=["legal_migration", "readmission_and_return", "illegal_immigration_cooperation"],
        signed_on=day,
    )
    assert (await cv.result()).stage == "launched"
    assert store.programme()[0].free == 1
    proposed = await _core(harness).propose(_start("MD"))
    assert proposed.stage == "consultation"
