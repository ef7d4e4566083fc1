"""`PilotPartnershipWorkflow`: one partnership's life, orchestrated on Temporal.

The workflow owns no business rule. Each step asks `domain.decide`, hands the events to the
store through an activity, and folds them into the state it keeps; the validators ask the same
`decide`, so a rejection reaches the caller before anything is recorded.
"""

from __future__ import annotations

import asyncio
from collections import deque
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.contract import (
        AppendInput,
        MilestoneInput,
        OpenStreamInput,
        RecordedEvent,
    )
    from activities.partnership import PartnershipActivities
    from domain.actors import SYSTEM_ACTOR, Actor
    from domain.commands import Command
    from domain.countries import iso_code
    from domain.deadlines import DEFAULT_CONSULTATION_PERIOD
    from domain.decide import decide
    from domain.errors import DomainError
    from domain.events import Event
    from domain.evolve import evolve, replay
    from domain.milestones import milestone_kind
    from domain.requests import (
        AuthoriseTalksRequest,
        CloseConsultationRequest,
        ConcludeTalksRequest,
        ExtendDecisionDeadlineRequest,
        LaunchPartnershipRequest,
        RecordCouncilDecisionRequest,
        RecordTalksRoundRequest,
        RespondToConsultationRequest,
        StartPartnership,
        SubmitReportRequest,
        UserRequest,
        WithdrawRequest,
    )
    from domain.state import MilestoneKind, Partnership
    from domain.timers import due_command, next_wakeup
    from domain.view import StatusView, status_view
    from workflows.narration import LATEST_SHOWN, current_details, describe
    from workflows.search import search_attribute_updates

WORKFLOW_TYPE = "PilotPartnershipWorkflow"
TASK_QUEUE = "pilot-partnerships"

# The store is the legal record: an outage is waited out, never given up on.
# Which store errors are final is the activities' call (they raise them non-retryable).
_STORE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
)
# An append takes milliseconds; a worker that died mid-activity is noticed after this long.
_ACTIVITY_TIMEOUT = timedelta(seconds=10)


def workflow_id_for(country: str) -> str:
    """The workflow id of a country's partnership, e.g. `partnership-CV` (`uk` → `-GB`).

    Raises InvalidCountry for a code that is not an ISO 3166-1 alpha-2 country.
    """
    return f"partnership-{iso_code(country)}"


def _rejection(error: DomainError) -> ApplicationError:
    # The caller sees the domain's own message; the type lets clients branch on the kind.
    return ApplicationError(error.message, type=type(error).__name__, non_retryable=True)


@workflow.defn(name=WORKFLOW_TYPE)
class PilotPartnershipWorkflow:
    """One partnership with one third country, from proposal to an end."""

    @workflow.init
    def __init__(self, start: StartPartnership) -> None:
        self._state = Partnership()
        # Updates may arrive in the same activation as the start, before the proposal is
        # recorded: validators check them against the proposal as it will be recorded.
        try:
            self._provisional = replay(
                decide(Partnership(), start.command(), start.actor, workflow.now())
            )
        except DomainError:
            self._provisional = Partnership()
        self._lock = asyncio.Lock()
        self._stream_id = ""
        self._consultation_period = DEFAULT_CONSULTATION_PERIOD
        # Only the latest lines are shown; the whole story is in the event store.
        self._timeline: deque[str] = deque(maxlen=LATEST_SHOWN)
        self._upserted: list[SearchAttributeUpdate[Any]] = []

    @workflow.run
    async def run(self, start: StartPartnership) -> StatusView:
        """Record the proposal, then wake for deadlines until the partnership ends."""
        self._check_workflow_id(start)
        async with self._lock:
            opened = await workflow.execute_activity_method(
                PartnershipActivities.open_stream,
                OpenStreamInput(country=start.country),
                start_to_close_timeout=_ACTIVITY_TIMEOUT,
                retry_policy=_STORE_RETRY,
                summary=f"open the record of {start.country.upper()}",
            )
            self._stream_id = opened.stream_id
            self._consultation_period = timedelta(days=opened.consultation_period_days)
            try:
                events = self._decide(start.command(), start.actor)
            except DomainError as error:
                raise _rejection(error) from None
            await self._record(events)
        while not self._ended():
            await self._wait_for_change_or_deadline()
        # Let an update that lost the race to an end finish and report its rejection.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return status_view(self._state, workflow.now())

    @staticmethod
    def _check_workflow_id(start: StartPartnership) -> None:
        # Temporal keeps one open workflow per id; only the canonical id makes that "one open
        # partnership per country", so a start under any other id is refused.
        try:
            expected = workflow_id_for(start.country)
        except DomainError as error:
            raise _rejection(error) from None
        actual = workflow.info().workflow_id
        if actual != expected:
            raise ApplicationError(
                f"a partnership with {expected.removeprefix('partnership-')} runs as workflow "
                f"id {expected}, not {actual}; start it again with that id",
                type="WrongWorkflowId",
                non_retryable=True,
            )

    def _ended(self) -> bool:
        return self._state.stage is not None and self._state.stage.is_end

    async def _wait_for_change_or_deadline(self) -> None:
        # One durable timer per distinct wake-up: a step that leaves the next deadline where
        # it was keeps the running timer instead of cancelling and starting another.
        wake = next_wakeup(self._state)

        def moved() -> bool:
            return self._ended() or next_wakeup(self._state) != wake

        if wake is None:
            await workflow.wait_condition(moved)
            return
        delay = (wake - workflow.now()).total_seconds()
        if delay > 0:
            try:
                await workflow.wait_condition(
                    moved, timeout=delay, timeout_summary=f"deadline {wake.isoformat()}"
                )
                return
            except TimeoutError:
                pass
        seen = self._state.version
        if not await self._fire_due_deadlines():
            # The domain refused what its own timers said was due: waking again at once would
            # spin, so wait for the next recorded step instead.
            workflow.logger.error("a due deadline was refused; waiting for the next step")
            await workflow.wait_condition(lambda: self._state.version != seen or self._ended())

    async def _fire_due_deadlines(self) -> bool:
        """Issue every due deadline command; False when the domain refused one."""
        async with self._lock:
            while (command := due_command(self._state, workflow.now())) is not None:
                try:
                    events = self._decide(command, SYSTEM_ACTOR)
                except DomainError:
                    return False
                await self._record(events)
        return True

    def _decide(
        self, command: Command, actor: Actor, state: Partnership | None = None
    ) -> list[Event]:
        return decide(
            state if state is not None else self._state,
            command,
            actor,
            workflow.now(),
            consultation_period=self._consultation_period,
        )

    async def _record(self, events: list[Event]) -> None:
        info = workflow.info()
        recorded = [RecordedEvent(event_id=workflow.uuid4(), event=e) for e in events]
        names = ", ".join(e.type for e in events)
        await workflow.execute_activity_method(
            PartnershipActivities.append_events,
            AppendInput(
                stream_id=self._stream_id,
                expected_version=self._state.version,
                events=recorded,
                workflow_id=info.workflow_id,
                run_id=info.run_id,
            ),
            start_to_close_timeout=_ACTIVITY_TIMEOUT,
            retry_policy=_STORE_RETRY,
            summary=f"record {names}",
        )
        # Fold everything first: the state matches the store whatever happens to a milestone.
        first_version = self._state.version
        for event in events:
            self._state = evolve(self._state, event)
            self._timeline.append(describe(event))
        for version, event in enumerate(events, start=first_version + 1):
            kind = milestone_kind(event)
            if kind is not None:
                await self._emit_milestone(version, kind)
        attributes = search_attribute_updates(self._state)
        # Visibility is written only when what operators filter on has changed.
        if attributes != self._upserted:
            workflow.upsert_search_attributes(attributes)
            self._upserted = attributes
        workflow.set_current_details(current_details(self._state, self._timeline, workflow.now()))

    async def _emit_milestone(self, version: int, kind: MilestoneKind) -> None:
        try:
            await workflow.execute_activity_method(
                PartnershipActivities.emit_milestone,
                MilestoneInput(stream_id=self._stream_id, version=version, kind=kind),
                start_to_close_timeout=_ACTIVITY_TIMEOUT,
                retry_policy=_STORE_RETRY,
                summary=f"milestone {kind.value}: report to the Council",
            )
        except ActivityError as error:
            # The milestone is in the outbox already (written with its event); only showing
            # its report here failed, which must not undo or block the recorded step.
            workflow.logger.error("milestone %s at version %s: %s", kind, version, error.cause)

    def _validate(self, request: UserRequest) -> None:
        basis = self._state if self._state.version else self._provisional
        try:
            self._decide(request.command(), request.actor, basis)
        except DomainError as error:
            raise _rejection(error) from None

    async def _apply(self, request: UserRequest) -> StatusView:
        # The proposal is recorded first, whatever order the activation delivered things in.
        await workflow.wait_condition(lambda: self._state.version > 0)
        async with self._lock:
            # The state may have moved since validation; decide again under the lock.
            try:
                events = self._decide(request.command(), request.actor)
            except DomainError as error:
                raise _rejection(error) from None
            await self._record(events)
            return status_view(self._state, workflow.now())

    @workflow.query(name="status")
    def status(self) -> StatusView:
        """The partnership as it stands now."""
        return status_view(self._state, workflow.now())

    @workflow.update(name="respond_to_consultation")
    async def respond_to_consultation(self, request: RespondToConsultationRequest) -> StatusView:
        """A Member State answers the consultation for itself."""
        return await self._apply(request)

    @respond_to_consultation.validator
    def _check_respond_to_consultation(self, request: RespondToConsultationRequest) -> None:
        self._validate(request)

    @workflow.update(name="close_consultation")
    async def close_consultation(self, request: CloseConsultationRequest) -> StatusView:
        """The Commission closes the consultation."""
        return await self._apply(request)

    @close_consultation.validator
    def _check_close_consultation(self, request: CloseConsultationRequest) -> None:
        self._validate(request)

    @workflow.update(name="authorise_talks")
    async def authorise_talks(self, request: AuthoriseTalksRequest) -> StatusView:
        """The Presidency authorises exploratory talks."""
        return await self._apply(request)

    @authorise_talks.validator
    def _check_authorise_talks(self, request: AuthoriseTalksRequest) -> None:
        self._validate(request)

    @workflow.update(name="record_talks_round")
    async def record_talks_round(self, request: RecordTalksRoundRequest) -> StatusView:
        """The Commission records a round of talks."""
        return await self._apply(request)

    @record_talks_round.validator
    def _check_record_talks_round(self, request: RecordTalksRoundRequest) -> None:
        self._validate(request)

    @workflow.update(name="conclude_talks")
    async def conclude_talks(self, request: ConcludeTalksRequest) -> StatusView:
        """The Commission concludes the talks."""
        return await self._apply(request)

    @conclude_talks.validator
    def _check_conclude_talks(self, request: ConcludeTalksRequest) -> None:
        self._validate(request)

    @workflow.update(name="submit_report")
    async def submit_report(self, request: SubmitReportRequest) -> StatusView:
        """The Commission reports back to the Council."""
        return await self._apply(request)

    @submit_report.validator
    def _check_submit_report(self, request: SubmitReportRequest) -> None:
        self._validate(request)

    @workflow.update(name="extend_decision_deadline")
    async def extend_decision_deadline(self, request: ExtendDecisionDeadlineRequest) -> StatusView:
        """The Presidency extends the decision deadline before it passes."""
        return await self._apply(request)

    @extend_decision_deadline.validator
    def _check_extend_decision_deadline(self, request: ExtendDecisionDeadlineRequest) -> None:
        self._validate(request)

    @workflow.update(name="record_council_decision")
    async def record_council_decision(self, request: RecordCouncilDecisionRequest) -> StatusView:
        """The Presidency records the Council's decision."""
        return await self._apply(request)

    @record_council_decision.validator
    def _check_record_council_decision(self, request: RecordCouncilDecisionRequest) -> None:
        self._validate(request)

    @workflow.update(name="launch_partnership")
    async def launch_partnership(self, request: LaunchPartnershipRequest) -> StatusView:
        """The Commission launches the partnership."""
        return await self._apply(request)

    @launch_partnership.validator
    def _check_launch_partnership(self, request: LaunchPartnershipRequest) -> None:
        self._validate(request)

    @workflow.update(name="withdraw")
    async def withdraw(self, request: WithdrawRequest) -> StatusView:
        """The Commission withdraws the partnership."""
        return await self._apply(request)

    @withdraw.validator
    def _check_withdraw(self, request: WithdrawRequest) -> None:
        self._validate(request)
