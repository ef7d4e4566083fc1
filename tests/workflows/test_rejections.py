"""Rejections reach the caller with the domain's reason, and the event log stays as it was."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from domain.stages import Stage
from domain.view import StatusView
from tests.workflows.harness import (
    COMMISSION,
    OPERATOR,
    PRESIDENCY,
    Harness,
    member,
    today,
)


async def rejected(
    harness: Harness, handle: WorkflowHandle[Any, Any], name: str, payload: dict[str, Any]
) -> ApplicationError:
    """Send a raw JSON update; assert it fails, records nothing, and return its cause."""
    country = handle.id.removeprefix("partnership-")
    before = harness.event_types(country)
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update(name, payload)
    assert harness.event_types(country) == before
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def test_a_presidency_step_tried_by_the_commission_is_refused(harness: Harness) -> None:
    handle = await harness.propose("CV")
    await harness.update(
        handle, "respond_to_consultation", member("PT"), member_state="PT", position="interested"
    )
    await harness.update(handle, "close_consultation", COMMISSION)
    cause = await rejected(harness, handle, "authorise_talks", {"actor": COMMISSION})
    assert cause.type == "NotPermitted"
    assert "only presidency may" in cause.message


async def test_a_step_at_the_wrong_stage_is_refused(harness: Harness) -> None:
    handle = await harness.propose("CV")
    cause = await rejected(
        harness,
        handle,
        "submit_report",
        {"actor": COMMISSION, "recommendation": "launch", "summary": "too early"},
    )
    assert cause.type == "WrongStage"
    assert "consultation" in cause.message
    assert "report_due" in cause.message


async def test_a_member_state_cannot_answer_for_another(harness: Harness) -> None:
    handle = await harness.propose("CV")
    cause = await rejected(
        harness,
        handle,
        "respond_to_consultation",
        {"actor": member("PT"), "member_state": "FR", "position": "interested"},
    )
    assert cause.type == "ForeignMemberState"
    assert "only for PT, not for FR" in cause.message


async def test_a_non_member_cannot_answer_as_a_member_state(harness: Harness) -> None:
    handle = await harness.propose("CV")
    cause = await rejected(
        harness,
        handle,
        "respond_to_consultation",
        {"actor": member("NO"), "member_state": "NO", "position": "interested"},
    )
    assert cause.type == "NotAMemberState"
    assert "NO is not an EU Member State" in cause.message


async def test_an_operator_takes_no_domain_decision(harness: Harness) -> None:
    handle = await harness.propose("CV")
    cause = await rejected(harness, handle, "withdraw", {"actor": OPERATOR, "reason": "tidy up"})
    assert cause.type == "NotPermitted"


async def test_an_extension_to_an_earlier_date_is_refused(harness: Harness) -> None:
    handle = await harness.propose("CV")
    current = (await harness.status(handle)).decision_deadline
    assert current is not None
    earlier = current - timedelta(days=1)
    cause = await rejected(
        harness,
        handle,
        "extend_decision_deadline",
        {"actor": PRESIDENCY, "new_deadline": earlier.isoformat(), "reason": "typo"},
    )
    assert cause.type == "InvalidDeadline"
    assert cause.message.startswith(
        f"the new deadline {earlier.isoformat()} is not later than the current one "
        f"({current.isoformat()}); give a date between "
        f"{(current + timedelta(days=1)).isoformat()} and "
    )


async def test_a_signatory_that_never_declared_interest_is_refused(harness: Harness) -> None:
    handle = await harness.propose("CV")
    await harness.update(
        handle, "respond_to_consultation", member("PT"), member_state="PT", position="interested"
    )
    await harness.update(handle, "close_consultation", COMMISSION)
    await harness.update(handle, "authorise_talks", PRESIDENCY)
    cause = await rejected(
        harness,
        handle,
        "record_talks_round",
        {
            "actor": COMMISSION,
            "held_on": today().isoformat(),
            "member_states": ["DE"],
            "summary": "round",
        },
    )
    assert cause.type == "NotInterested"
    assert "DE did not declare interest" in cause.message


@pytest.mark.parametrize(
    "payload",
    [
        {"actor": COMMISSION, "reason": ""},
        {"actor": COMMISSION, "reason": "ok", "unknown_field": 1},
        {"actor": {"id": "x", "role": "emperor"}, "reason": "ok"},
        {"actor": {"id": "x", "role": "system"}, "reason": "impersonating the engine"},
        {"reason": "no actor"},
        {"actor": COMMISSION, "reason": 42},
    ],
    ids=["empty", "unknown-field", "unknown-role", "system-role", "no-actor", "wrong-type"],
)
async def test_malformed_json_is_refused_as_final_with_its_reason_and_the_workflow_goes_on(
    harness: Harness, payload: dict[str, Any]
) -> None:
    handle = await harness.propose("CV")
    cause = await rejected(harness, handle, "withdraw", payload)
    assert cause.type == "ValidationError"
    assert cause.message.startswith("the WithdrawRequest payload is not valid: ")
    assert cause.non_retryable, "sending the same JSON again cannot succeed"
    status = await harness.update(handle, "withdraw", COMMISSION, reason="now properly")
    assert status.stage is Stage.WITHDRAWN


async def test_a_second_workflow_for_an_open_country_is_refused(harness: Harness) -> None:
    await harness.propose("CV")
    with pytest.raises(WorkflowAlreadyStartedError):
        await harness.propose("CV")
    assert harness.event_types("CV") == ["PartnershipProposed"]
    assert harness.event_types("CV", 2) == []


async def test_a_member_state_proposed_as_a_third_country_fails_the_start_and_records_nothing(
    harness: Harness,
) -> None:
    handle = await harness.client.start_workflow(
        "PilotPartnershipWorkflow",
        {"country": "FR", "actor": COMMISSION, "rationale": "r", "terms_of_reference": "t"},
        id="partnership-FR",
        task_queue=harness.task_queue,
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert "FR is an EU Member State, not a third country" in cause.message
    assert harness.store().streams() == []


async def test_an_outermost_region_fails_the_start_and_kosovo_is_proposed(
    harness: Harness,
) -> None:
    handle = await harness.client.start_workflow(
        "PilotPartnershipWorkflow",
        {"country": "RE", "actor": COMMISSION, "rationale": "r", "terms_of_reference": "t"},
        id="partnership-RE",
        task_queue=harness.task_queue,
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "UnionTerritory"
    assert cause.message.startswith("RE (Réunion) is part of the Union, not a third country")
    assert harness.store().streams() == []
    kosovo = await harness.propose("XK")
    status = await harness.status(kosovo)
    assert (status.country, status.country_name) == ("XK", "Kosovo")
    assert status.region is not None
    assert status.region.value == "eastern_south_eastern"


async def test_a_malformed_start_fails_at_once_instead_of_retrying(harness: Harness) -> None:
    handle = await harness.client.start_workflow(
        "PilotPartnershipWorkflow",
        {"country": "CV", "actor": COMMISSION, "rationale": ""},
        id="partnership-CV",
        task_queue=harness.task_queue,
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "ValidationError"
    assert cause.non_retryable
    assert cause.message == (
        "the StartPartnership payload is not valid: "
        "rationale: String should have at least 1 character; terms_of_reference: Field required"
    )
    assert harness.store().streams() == []


@pytest.mark.parametrize("workflow_id", ["partnership-cv", "anything-else", "partnership-MD"])
async def test_a_start_under_another_id_than_the_countrys_is_refused(
    harness: Harness, workflow_id: str
) -> None:
    handle = await harness.client.start_workflow(
        "PilotPartnershipWorkflow",
        {"country": "CV", "actor": COMMISSION, "rationale": "r", "terms_of_reference": "t"},
        id=workflow_id,
        task_queue=harness.task_queue,
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "WrongWorkflowId"
    assert "runs as workflow id partnership-CV" in cause.message
    assert harness.store().streams() == []


async def test_a_step_sent_against_a_version_no_longer_current_is_refused_under_the_lock(
    harness: Harness,
) -> None:
    handle = await harness.propose("CV")
    read = (await harness.status(handle)).version
    assert read == 1
    # Two representatives act on the same reading; the one recorded first moves the version.
    first, second = await asyncio.gather(
        handle.execute_update(
            "respond_to_consultation",
            {**_answer("PT"), "expected_version": read},
            result_type=StatusView,
        ),
        handle.execute_update(
            "respond_to_consultation",
            {**_answer("ES"), "expected_version": read},
            result_type=StatusView,
        ),
        return_exceptions=True,
    )
    outcomes = [first, second]
    recorded = [o for o in outcomes if isinstance(o, StatusView)]
    refused = [o for o in outcomes if isinstance(o, WorkflowUpdateFailedError)]
    assert len(recorded) == 1
    assert len(refused) == 1
    cause = refused[0].cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "VersionMismatch"
    assert cause.message == (
        "the partnership is at version 2, not at version 1 that was read; read it again "
        "(version 2) and decide anew"
    )
    assert harness.event_types("CV") == ["PartnershipProposed", "ConsultationAnswered"]
    # Read again, and the step goes through.
    status = await harness.update(handle, "withdraw", COMMISSION, reason="x", expected_version=2)
    assert status.version == 3


def _answer(ms: str) -> dict[str, Any]:
    return {"actor": member(ms), "member_state": ms, "position": "interested"}
