"""One Council decision for several partnerships, through the application core and real
workflows: recorded once, applied to each, refused as a whole when refused for any."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from activities.database import create_engine_from_url
from activities.eventstore import EventStore
from app.exceptions import Rejected
from app.partnerships import Partnerships
from app.pilot_programme import programme_of, record_joint_decision
from domain.actors import Actor
from domain.commands import Outcome
from domain.events import CouncilDecisionRecorded
from domain.programme import PROGRAMME_STREAM
from settings import Settings
from tests.workflows.harness import Harness, drive_to_council_decision, presidency

REFERENCE = "16454/07"


def _decisions_recorded(engine: Engine) -> int:
    """How many Council decisions the programme's stream holds (slots are recorded there too)."""
    stored = EventStore(engine).read_stream(PROGRAMME_STREAM)
    return sum(1 for s in stored if s.type == "JointCouncilDecisionRecorded")


def _core(h: Harness) -> Partnerships:
    return Partnerships(h.client, Settings(database_url=h.database_url, task_queue=h.task_queue))


async def test_one_council_decision_is_recorded_once_and_applied_to_each_partnership_it_names(
    harness: Harness,
) -> None:
    await drive_to_council_decision(harness, "CV", ["ES", "PT"])
    await drive_to_council_decision(harness, "MD", ["RO", "PT"])
    engine = create_engine_from_url(harness.database_url)
    day = await harness.today()
    actor = Actor.model_validate(presidency(day))
    applied = await record_joint_decision(
        engine,
        _core(harness),
        countries=["CV", "md"],
        reference=REFERENCE,
        decided_on=day,
        outcome=Outcome.INVITE_LAUNCH,
        actor=actor,
        now=await harness.now(),
    )
    assert sorted(applied.views) == ["CV", "MD"]
    assert {v.stage for v in applied.views.values()} == {"launch_preparation"}
    for country in ("CV", "MD"):
        decided = [e for e in harness.events(country) if isinstance(e, CouncilDecisionRecorded)]
        assert len(decided) == 1
        assert decided[0].council_reference == REFERENCE  # the partnership points to it
    decision = programme_of(engine).decisions[REFERENCE]
    assert [p.stream_id for p in decision.partnerships] == ["partnership-CV/1", "partnership-MD/1"]
    # Sent again (a retry after a crash): nothing is recorded twice.
    again = await record_joint_decision(
        engine,
        _core(harness),
        countries=["CV", "MD"],
        reference=REFERENCE,
        decided_on=day,
        outcome=Outcome.INVITE_LAUNCH,
        actor=actor,
        now=datetime.now(UTC),
    )
    assert again.already == ("CV", "MD")
    assert again.views == {}
    assert _decisions_recorded(engine) == 1
    engine.dispose()


async def test_a_decision_refused_for_one_partnership_is_refused_as_a_whole(
    harness: Harness,
) -> None:
    await drive_to_council_decision(harness, "CV", ["ES", "PT"])
    await harness.propose("MD")  # still in consultation: no decision can be recorded for it
    engine = create_engine_from_url(harness.database_url)
    day = await harness.today()
    with pytest.raises(Rejected) as refused:
        await record_joint_decision(
            engine,
            _core(harness),
            countries=["CV", "MD"],
            reference=REFERENCE,
            decided_on=day,
            outcome=Outcome.INVITE_LAUNCH,
            actor=Actor.model_validate(presidency(day)),
            now=await harness.now(),
        )
    assert refused.value.kind == "WrongStage"
    assert "refused as a whole" in refused.value.message
    assert "MD:" in refused.value.message
    assert "CV:" not in refused.value.message
    assert "CouncilDecisionRecorded" not in harness.event_types("CV")
    assert _decisions_recorded(engine) == 0
    engine.dispose()
