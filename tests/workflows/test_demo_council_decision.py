"""The demo records Cape Verde's and Moldova's Council decision once, on 10 December 2007, and
each partnership's record points to it."""

from __future__ import annotations

from activities.eventstore import EventStore
from domain.events import CouncilDecisionRecorded
from domain.programme import PROGRAMME_STREAM
from tests.workflows.harness import Harness
from tests.workflows.test_demo import demo_harness  # noqa: F401 (a fixture)
from tools.demo import JOINT_DECISION, run_demo


async def test_the_demo_records_one_council_decision_for_cape_verde_and_moldova(
    demo_harness: Harness,  # noqa: F811
) -> None:
    await run_demo()
    await run_demo()  # played again: nothing is recorded twice
    stored = EventStore(demo_harness.store().engine).read_stream(PROGRAMME_STREAM)
    (decision,) = [s for s in stored if s.type == "JointCouncilDecisionRecorded"]
    assert decision.payload["reference"] == JOINT_DECISION
    assert decision.payload["decided_on"] == "2007-12-10"
    assert decision.payload["presidency"] == "PT"
    assert [p["stream_id"] for p in decision.payload["partnerships"]] == [
        "partnership-CV/1",
        "partnership-MD/1",
    ]
    for country in ("CV", "MD"):
        (decided,) = [
            e for e in demo_harness.events(country) if isinstance(e, CouncilDecisionRecorded)
        ]
        assert decided.council_reference == JOINT_DECISION
        assert decided.occurred_on.isoformat() == "2007-12-10"
