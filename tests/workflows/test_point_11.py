"""Issue 13 on a real Temporal server: the Presidency in office, point 10's conditions, late
interest and the Council's own target date, each refused or recorded through the workflow.

Cape Verde is back-filled with its business dates of 2007-2008, so the Presidencies are the
Council's historical ones (Portugal in the second half of 2007, Slovenia in the first half of
2008) whatever day the test runs on; the deadlines are the engine's, on recorded time.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from domain.report import render_report
from domain.stages import Stage
from domain.state import MilestoneKind
from domain.view import StatusView
from tests.workflows.harness import COMMISSION, Harness, member, presidency

PORTUGAL_2007 = presidency(date(2007, 9, 20))
SLOVENIA = {"id": "janez", "role": "presidency", "member_state": "SI"}
COMPONENTS_OFFERED = ["legal_migration", "visa_facilitation", "readmission_and_return"]


async def refused(
    h: Harness, handle: WorkflowHandle[Any, Any], name: str, actor: dict[str, Any], **fields: Any
) -> ApplicationError:
    """Send update `name`; assert it is refused and records nothing; return its cause."""
    before = h.event_types("CV")
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await h.update(handle, name, actor, **fields)
    assert h.event_types("CV") == before
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def cape_verde_in_talks(h: Harness) -> WorkflowHandle[Any, Any]:
    """Cape Verde, proposed on 18 June 2007 with the Council's target of the end of 2007,
    ES and FR interested, talks authorised by the Portuguese Presidency."""
    today = await h.today()
    handle = await h.propose(
        "CV",
        occurred_on="2007-06-18",
        council_target_date="2007-12-31",
        consultation_deadline=(today + timedelta(days=200)).isoformat(),
        decision_deadline=(today + timedelta(days=300)).isoformat(),
    )
    for ms in ("ES", "FR"):
        await h.update(
            handle,
            "respond_to_consultation",
            member(ms),
            member_state=ms,
            position="interested",
            offers=["legal_migration"],
            occurred_on="2007-07-16",
        )
    await h.update(handle, "close_consultation", COMMISSION, occurred_on="2007-09-14")
    await h.update(handle, "authorise_talks", PORTUGAL_2007, occurred_on="2007-09-20")
    return handle


async def test_a_presidency_step_counts_only_for_the_presidency_in_office_on_its_date(
    harness: Harness,
) -> None:
    today = await harness.today()
    handle = await harness.propose(
        "CV",
        occurred_on="2007-06-18",
        consultation_deadline=(today + timedelta(days=200)).isoformat(),
        decision_deadline=(today + timedelta(days=300)).isoformat(),
    )
    await harness.update(
        handle,
        "respond_to_consultation",
        member("ES"),
        member_state="ES",
        position="interested",
        occurred_on="2007-07-16",
    )
    await harness.update(handle, "close_consultation", COMMISSION, occurred_on="2007-09-14")

    cause = await refused(harness, handle, "authorise_talks", SLOVENIA, occurred_on="2007-09-20")
    assert cause.type == "NotThePresidency"
    assert "was held by Portugal (PT), 2007-07-01 to 2007-12-31" in cause.message
    assert "not by SI" in cause.message
    nameless = await refused(
        harness,
        handle,
        "authorise_talks",
        {"id": "joao", "role": "presidency"},
        occurred_on="2007-09-20",
    )
    assert nameless.type == "NotThePresidency"
    assert "act as presidency:PT:joao" in nameless.message

    status = await harness.update(
        handle, "authorise_talks", PORTUGAL_2007, occurred_on="2007-09-20"
    )
    assert status.stage is Stage.EXPLORATORY_TALKS
    # The view names the Presidency in office on the server's day, from the Council's order.
    assert status.presidency is not None
    assert status.presidency.first_day <= today <= status.presidency.last_day
    assert status.presidency.member_state == presidency(today)["member_state"]


async def test_the_presidency_takes_part_in_talks_and_late_interest_joins_them(
    harness: Harness,
) -> None:
    handle = await cape_verde_in_talks(harness)
    # Portugal held the Presidency and never declared interest: it takes part all the same.
    status = await harness.update(
        handle,
        "record_talks_round",
        COMMISSION,
        held_on="2007-10-18",
        member_states=["ES", "FR", "PT"],
        summary="Praia",
    )
    assert status.talks[-1].member_states == ("ES", "FR", "PT")
    cause = await refused(
        harness,
        handle,
        "record_talks_round",
        COMMISSION,
        held_on="2007-10-19",
        member_states=["LU"],
        summary="Praia",
    )
    assert cause.type == "NotInterested"
    assert "nor hold the Presidency on 2007-10-19 (PT)" in cause.message

    status = await harness.update(
        handle,
        "declare_interest",
        member("LU"),
        member_state="LU",
        offers=["migration_and_development"],
        occurred_on="2007-10-25",
    )
    assert [(late.member_state, late.declared_on) for late in status.late_interest] == [
        ("LU", date(2007, 10, 25))
    ]
    status = await harness.update(
        handle,
        "record_talks_round",
        COMMISSION,
        held_on="2007-11-05",
        member_states=["ES", "LU"],
        summary="Praia again",
    )
    assert status.talks[-1].member_states == ("ES", "LU")
    again = await refused(harness, handle, "declare_interest", member("ES"), member_state="ES")
    assert "already declared interest in the consultation" in again.message
    visa = await refused(
        harness,
        handle,
        "declare_interest",
        member("IT"),
        member_state="IT",
        offers=["visa_facilitation"],
    )
    assert visa.type == "ConditionNotMet"
    assert "offered by the Community, not by a Member State" in visa.message


async def launched_cape_verde(h: Harness, handle: WorkflowHandle[Any, Any]) -> StatusView:
    """From the talks to the Council's decision of 10 December 2007, checking point 10."""
    await h.update(
        handle,
        "record_talks_round",
        COMMISSION,
        held_on="2007-10-18",
        member_states=["ES", "FR"],
        summary="Praia",
    )
    less = await refused(
        h,
        handle,
        "conclude_talks",
        COMMISSION,
        third_country_willing=True,
        commitments=["readmission_and_return"],
        occurred_on="2007-11-16",
    )
    assert less.type == "ConditionNotMet"
    assert "point 10" in less.message
    assert "missing: illegal_immigration_cooperation" in less.message
    status = await h.update(
        handle,
        "conclude_talks",
        COMMISSION,
        third_country_willing=True,
        commitments=["illegal_immigration_cooperation", "readmission_and_return"],
        community_offers=["visa_facilitation"],
        occurred_on="2007-11-16",
    )
    assert status.talks_outcome is not None
    assert [c.value for c in status.talks_outcome.community_offers] == ["visa_facilitation"]
    await h.update(
        handle,
        "submit_report",
        COMMISSION,
        recommendation="launch",
        summary="A basis exists",
        occurred_on="2007-11-23",
    )
    late = await refused(
        h,
        handle,
        "record_council_decision",
        presidency(date(2008, 1, 15)),
        outcome="invite_launch",
        decided_on="2008-01-15",
    )
    assert late.type == "InvalidDate"
    assert "after the Council's own target date 2007-12-31" in late.message
    return await h.update(
        handle,
        "record_council_decision",
        presidency(date(2007, 12, 10)),
        outcome="invite_launch",
        decided_on="2007-12-10",
    )


async def test_a_launch_holds_what_was_offered_and_is_signed_by_those_that_took_part(
    harness: Harness,
) -> None:
    handle = await cape_verde_in_talks(harness)
    status = await launched_cape_verde(harness, handle)
    assert status.stage is Stage.LAUNCH_PREPARATION
    unoffered = await refused(
        harness,
        handle,
        "launch_partnership",
        COMMISSION,
        member_states=["ES", "FR"],
        components=[*COMPONENTS_OFFERED, "refugee_protection"],
        signed_on="2008-06-05",
    )
    assert unoffered.type == "ConditionNotMet"
    assert unoffered.message.startswith("refugee_protection was neither offered")
    without = await refused(
        harness,
        handle,
        "launch_partnership",
        COMMISSION,
        member_states=["ES", "FR"],
        components=["legal_migration"],
        signed_on="2008-06-05",
    )
    assert "must include readmission_and_return" in without.message
    outsider = await refused(
        harness,
        handle,
        "launch_partnership",
        COMMISSION,
        member_states=["ES", "FR", "DE"],
        components=COMPONENTS_OFFERED,
        signed_on="2008-06-05",
    )
    assert outsider.type == "NotInterested"
    assert "by accession" in outsider.message

    status = await harness.update(
        handle,
        "launch_partnership",
        COMMISSION,
        member_states=["ES", "FR"],
        components=COMPONENTS_OFFERED,
        signed_on="2008-06-05",
    )
    assert status.stage is Stage.LAUNCHED
    assert status.council_target_date == date(2007, 12, 31)

    report = render_report(harness.events("CV"), MilestoneKind.LAUNCH)
    # The Council's own date and the engine's deadline, each named for what it is.
    assert "The Council's own target: a decision by 2007-12-31." in report
    assert "operational decision deadline" in report
    assert "Council decision deadline" not in report
    assert "Presidency of the Council on 2008-06-05: Slovenia (SI)" in report
    assert "recorded by the Presidency (PT): **invite_launch**" in report
    assert "The Community offers: visa_facilitation." in report
