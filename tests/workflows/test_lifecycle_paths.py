"""Every path of DESIGN.md §2, end to end on the time-skipping server with the real activities."""

from __future__ import annotations

from datetime import date

from domain.stages import Stage
from tests.workflows.harness import (
    COMMISSION,
    PRESIDENCY,
    Harness,
    drive_to_council_decision,
    member,
    presidency,
    today,
)


async def test_cape_verde_is_launched_with_its_four_member_states(harness: Harness) -> None:
    handle = await drive_to_council_decision(
        harness, "CV", ["ES", "FR", "LU", "PT"], occurred_on="2007-06-18"
    )
    await harness.update(
        handle,
        "record_council_decision",
        PRESIDENCY,
        outcome="invite_launch",
        decided_on=today(),
        council_reference="Council conclusions, 10 Dec 2007",
    )
    status = await harness.update(
        handle,
        "launch_partnership",
        COMMISSION,
        member_states=["ES", "FR", "LU", "PT"],
        components=["legal_migration", "readmission_and_return"],
        signed_on=today(),
    )
    assert status.stage is Stage.LAUNCHED
    result = await handle.result()
    assert result.stage is Stage.LAUNCHED
    assert result.launch is not None
    assert result.launch.member_states == ("ES", "FR", "LU", "PT")
    assert harness.event_types("CV") == [
        "PartnershipProposed",
        *["ConsultationAnswered"] * 4,
        "ConsultationClosed",
        "TalksAuthorised",
        "TalksRoundRecorded",
        "TalksConcluded",
        "ReportSubmitted",
        "CouncilDecisionRecorded",
        "PartnershipLaunched",
    ]
    assert harness.store().verify().ok


async def test_every_milestone_of_a_launch_is_counted_in_the_status(harness: Harness) -> None:
    handle = await drive_to_council_decision(harness, "MD", ["BG", "RO"])
    await harness.update(
        handle, "record_council_decision", PRESIDENCY, outcome="invite_launch", decided_on=today()
    )
    await harness.update(
        handle,
        "launch_partnership",
        COMMISSION,
        member_states=["BG"],
        components=["legal_migration", "readmission_and_return"],
        signed_on=today(),
    )
    result = await handle.result()
    assert [m.kind.value for m in result.milestones] == [
        "consultation_outcome",
        "talks_outcome",
        "report_to_council",
        "council_decision",
        "launch",
    ]


async def test_no_interested_member_state_ends_in_not_pursued(harness: Harness) -> None:
    handle = await harness.propose("BR")
    await harness.update(
        handle,
        "respond_to_consultation",
        member("DE"),
        member_state="DE",
        position="not_interested",
    )
    status = await harness.update(handle, "close_consultation", COMMISSION)
    assert status.stage is Stage.NOT_PURSUED
    assert (await handle.result()).stage is Stage.NOT_PURSUED
    assert harness.event_types("BR")[-2:] == ["ConsultationClosed", "PartnershipNotPursued"]


async def test_an_unwilling_third_country_ends_in_talks_failed(harness: Harness) -> None:
    handle = await harness.propose("SN", occurred_on="2008-01-15")
    for ms in ("FR", "IT", "ES"):
        await harness.update(
            handle,
            "respond_to_consultation",
            member(ms),
            member_state=ms,
            position="interested",
            offers=["legal_migration"],
            occurred_on="2008-02-01",
        )
    await harness.update(handle, "close_consultation", COMMISSION, occurred_on="2008-03-01")
    # Slovenia held the Presidency in the first half of 2008.
    await harness.update(
        handle, "authorise_talks", presidency(date(2008, 3, 15)), occurred_on="2008-03-15"
    )
    await harness.update(
        handle,
        "record_talks_round",
        COMMISSION,
        held_on="2008-06-10",
        member_states=["FR", "IT", "ES"],
        summary="Dakar round",
        location="Dakar",
    )
    status = await harness.update(
        handle,
        "conclude_talks",
        COMMISSION,
        third_country_willing=False,
        occurred_on="2009-05-01",
    )
    assert status.stage is Stage.TALKS_FAILED
    assert (await handle.result()).stage is Stage.TALKS_FAILED


async def test_a_council_decline_ends_in_declined(harness: Harness) -> None:
    handle = await drive_to_council_decision(harness, "EG", ["IT"])
    status = await harness.update(
        handle, "record_council_decision", PRESIDENCY, outcome="decline", decided_on=today()
    )
    assert status.stage is Stage.DECLINED
    assert (await handle.result()).decision is not None


async def test_the_commission_may_withdraw_during_the_talks(harness: Harness) -> None:
    handle = await harness.propose("MA")
    await harness.update(
        handle,
        "respond_to_consultation",
        member("ES"),
        member_state="ES",
        position="interested",
    )
    await harness.update(handle, "close_consultation", COMMISSION)
    await harness.update(handle, "authorise_talks", PRESIDENCY)
    status = await harness.update(handle, "withdraw", COMMISSION, reason="talks stalled")
    assert status.stage is Stage.WITHDRAWN
    events = harness.events("MA")
    assert events[-1].type == "PartnershipWithdrawn"
    assert (await handle.result()).end_reason == "talks stalled"


async def test_a_country_proposed_again_after_an_end_gets_a_new_record(harness: Harness) -> None:
    first = await harness.propose("GE")
    await harness.update(first, "withdraw", COMMISSION, reason="not now")
    await first.result()
    second = await harness.propose("GE")
    await harness.update(
        second,
        "respond_to_consultation",
        member("DE"),
        member_state="DE",
        position="interested",
    )
    assert harness.event_types("GE", 1) == ["PartnershipProposed", "PartnershipWithdrawn"]
    assert harness.event_types("GE", 2) == ["PartnershipProposed", "ConsultationAnswered"]
    assert harness.store().verify().ok


async def test_amended_answers_keep_every_answer_and_count_the_latest(harness: Harness) -> None:
    handle = await harness.propose("UA")
    for position in ("interested", "not_interested", "interested"):
        status = await harness.update(
            handle,
            "respond_to_consultation",
            member("PL"),
            member_state="PL",
            position=position,
        )
    assert status.interested_member_states == ("PL",)
    assert status.answers_given == {"PL": 3}
    assert harness.event_types("UA").count("ConsultationAnswered") == 3


async def test_business_dates_are_kept_apart_from_recorded_time(harness: Harness) -> None:
    handle = await harness.propose("CV", occurred_on="2007-06-18")
    status = await harness.status(handle)
    assert status.proposed_on == date(2007, 6, 18)
    proposed = harness.events("CV")[0]
    assert proposed.occurred_on == date(2007, 6, 18)
    assert proposed.recorded_at.year >= 2026
