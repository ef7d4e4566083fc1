"""`PilotPartnershipWorkflow`: one partnership's life, orchestrated on Temporal.

The workflow owns no business rule. Each step asks `domain.decide`, hands the events to the
store through an activity, and folds them into the state it keeps; the validators ask the same
`decide`, so a rejection reaches the caller before anything is recorded.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.failures import final_failure
    from activities.messages import (
        AppendInput,
        MilestoneInput,
        MilestoneOutput,
        OpenStreamInput,
        RecordedEvent,
    )
    from activities.partnership import PartnershipActivities
    from activities.programme_slots import (
        FreeSlotInput,
        ProgrammeSlots,
        ReleaseSlotInput,
        TakeSlotInput,
    )
    from domain.actors import SYSTEM_ACTOR, Actor
    from domain.commands import Command
    from domain.deadlines import DEFAULT_CONSULTATION_PERIOD
    from domain.decide import decide
    from domain.errors import DomainError
    from domain.events import Event
    from domain.evolve import evolve, replay
    from domain.milestones import milestone_kind
    from domain.narration import LATEST_SHOWN, current_details, describe
    from domain.provenance import START, SYSTEM, UNATTESTED, Attestation, Provenance
    from domain.requests import (
        AuthoriseTalksRequest,
        CloseConsultationRequest,
        ConcludeTalksRequest,
        DeclareInterestRequest,
        ExtendDecisionDeadlineRequest,
        LaunchPartnershipRequest,
        RecordCouncilDecisionRequest,
        RecordTalksRoundRequest,
        RespondToConsultationRequest,
        ResumeTalksRequest,
        StartPartnership,
        StepRequest,
        SubmitReportRequest,
        SuspendTalksRequest,
        WithdrawRequest,
    )
    from domain.state import MilestoneKind, Partnership
    from domain.timers import due_command, next_wakeup
    from domain.view import StatusView, status_view
    from workflows.attestation import provenance_of_update, unattested_refusal
    from workflows.continuation import Continuation
    from workflows.contract import WORKFLOW_TYPE, workflow_id_for
    from workflows.search import search_attribute_updates


# The store is the legal record: an outage is waited out, never given up on.
# Which store errors are final is the activities' call (they raise them non-retryable).
_STORE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
)
# An append takes milliseconds; a worker that died mid-activity is noticed after this long.
_ACTIVITY_TIMEOUT = timedelta(seconds=10)

_In = TypeVar("_In")
_Out = TypeVar("_Out")


EMIT_MILESTONE_PATCH = "emit-milestone"
MILESTONE_RENAMED_AT = datetime(2026, 11, 28, 6, 30, tzinfo=UTC)
"""Runs started before this scheduled `deliver_milestone`; from it, `emit_milestone`.

The histories recorded before commit 7609fef (tests/histories/*-2026-11-28T06-16.json) started
by 06:16:25 UTC, those recorded with it from 06:55:46; the rename lies between the two.
"""


POINT_11_PATCH = "point-11"
"""Runs that record this marker decide by the rules of issue 13: the Presidency in office on
each step's date, the conditions of point 10, late interest and the Council's target date.
A run recorded before it (no marker) decides as it did, so its history replays; a run it
continues into carries the choice (`Continuation.point_11`)."""


SUSPENSION_PATCH = "suspension"
"""Runs that record this marker report a withdrawal to the Council once it has the
Commission's report (issue 13, item 5: a `withdrawal` milestone from council_decision or
launch_preparation). A run recorded before it emitted no milestone for a withdrawal, so its
history replays without one; a run it continues into carries the choice
(`Continuation.suspension`). Suspending and resuming the talks are new updates and new events,
which no earlier history holds, so they need no marker."""


PROGRAMME_SLOT_PATCH = "programme-slot"
"""Runs that record this marker take a slot of the programme when proposed (issue 13, item 1):
a proposal beyond the programme's cap is refused (CapReached). Runs recorded before it took
none, so their histories replay."""

LEAN_STEPS_PATCH = "lean-steps"
"""Runs that record this marker take each step with one activity of Temporal's queue (issue 16):
the append that records a step also emits the milestones it reaches and returns their reports
(no `emit_milestone` activity), and opening the stream (a read, safe to run again) is a local
activity. A run recorded before it replays as it ran; a run it continues into carries the
choice (`Continuation.lean_steps`)."""

PROGRAMME_SLOT_FREED_PATCH = "programme-slot-freed"
"""Runs that record this marker free their programme slot when they end (but at a launch,
which keeps it: domain/programme.py). A separate marker, so a run that took no slot and ends
after the change frees nothing (the activity finds none) and one recorded before it replays."""


def _rejection(error: Exception) -> ApplicationError:
    """The final refusal a caller receives; nothing was recorded.

    A domain error carries the domain's own message, and its type lets clients branch on the
    kind. Anything else is a bug in a rule: refused too, never left to fail the workflow task.
    """
    if isinstance(error, DomainError):
        return final_failure(error.message, type(error).__name__)
    return final_failure(
        f"the engine could not decide this step ({type(error).__name__}: {error}); nothing was "
        "recorded. Report it to the operators with the partnership's workflow id",
        "InternalError",
    )


def _not_recorded(error: ActivityError, what: str) -> ApplicationError:
    """The refusal of a step whose append failed for good: the store wrote nothing."""
    cause = error.cause
    kind = cause.type if isinstance(cause, ApplicationError) and cause.type else "NotRecorded"
    reason = cause.message if isinstance(cause, ApplicationError) else str(cause or error)
    return final_failure(f"{what} was not recorded: {reason}", kind)


def _milestone_activity() -> str:
    """The milestone activity's name, as the run's own history has it.

    It was `deliver_milestone` until commit 7609fef renamed it `emit_milestone` without a patch.
    A run that reaches this point live (not replaying) records the marker and uses the new name.
    A replayed run without the marker was recorded before the marker existed: it used the old
    name if it started before the rename.
    """
    if workflow.patched(EMIT_MILESTONE_PATCH):
        return "emit_milestone"
    return (
        "emit_milestone"
        if workflow.info().start_time >= MILESTONE_RENAMED_AT
        else ("deliver_milestone")
    )


def _milestone_summary(kind: MilestoneKind) -> str:
    return f"milestone {kind.value}: report to the Council"


def _start_of(given: StartPartnership | Continuation) -> StartPartnership:
    return given.start if isinstance(given, Continuation) else given


@workflow.defn(name=WORKFLOW_TYPE)
class PilotPartnershipWorkflow:
    """One partnership with one third country, from proposal to an end."""

    @workflow.init
    def __init__(self, start: StartPartnership | Continuation) -> None:
        carried = start if isinstance(start, Continuation) else None
        start = _start_of(start)
        # Decided once, here: validators may not record a marker, and every decision of the
        # run, the validators' included, must follow the same rules.
        self._point_11 = (
            carried.point_11 if carried is not None else workflow.patched(POINT_11_PATCH)
        )
        self._suspension = (
            carried.suspension if carried is not None else workflow.patched(SUSPENSION_PATCH)
        )
        self._lean = (
            carried.lean_steps if carried is not None else workflow.patched(LEAN_STEPS_PATCH)
        )
        # What each update's validator decided, by update id, for its handler to take when
        # nothing moved in between: the state's version and the time it decided at, the events.
        self._decided: dict[str, tuple[int, datetime, list[Event]]] = {}
        self._state = carried.state if carried is not None else Partnership()
        # Updates may arrive in the same activation as the start, before the proposal is
        # recorded: validators check them against the proposal as it will be recorded.
        self._provisional = Partnership()
        if carried is None:
            try:
                self._provisional = replay(
                    decide(
                        Partnership(),
                        start.command(),
                        start.actor,
                        workflow.now(),
                        point_11=self._point_11,
                    )
                )
            except Exception:  # the run refuses the start itself, with the reason
                self._provisional = Partnership()
        self._lock = asyncio.Lock()
        # What the attestation interceptor found: the start's header, each step's provenance.
        self.attested: dict[str, Any] = {}
        self._stream_id = carried.stream_id if carried is not None else ""
        self._consultation_period = (
            timedelta(days=carried.consultation_period_days)
            if carried is not None
            else DEFAULT_CONSULTATION_PERIOD
        )
        # Only the latest lines are shown; the whole story is in the event store.
        self._timeline: deque[str] = deque(
            carried.timeline if carried is not None else (), maxlen=LATEST_SHOWN
        )
        # Search attributes carry over a continue-as-new, so a carried run starts upserted.
        self._upserted: list[SearchAttributeUpdate[Any]] = (
            self._attributes() if carried is not None else []
        )

    @workflow.run
    async def run(self, start: StartPartnership | Continuation) -> StatusView:
        """Record the proposal, then wake for deadlines until the partnership ends.

        A run that continues an earlier one (a `Continuation`) starts from its state instead:
        the proposal is already recorded.
        """
        carried = start if isinstance(start, Continuation) else None
        start = _start_of(start)
        self._check_workflow_id(start)
        if carried is None:
            await self._record_proposal(start)
        else:
            self._show()
        while not self._ended():
            if workflow.info().is_continue_as_new_suggested():
                await self._continue_as_new(start)
            await self._wait_for_change_or_deadline()
        # Let an update that lost the race to an end finish and report its rejection.
        await workflow.wait_condition(workflow.all_handlers_finished)
        if workflow.patched(PROGRAMME_SLOT_FREED_PATCH):
            await self._free_slot()
        return self._view()

    async def _record_proposal(self, start: StartPartnership) -> None:
        # A replay meets a patch marker recorded after a local activity of the same workflow
        # task out of order (a nondeterminism error), so a lean run asks before opening.
        slot_early = workflow.patched(PROGRAMME_SLOT_PATCH) if self._lean else None
        async with self._lock:
            try:
                opened = await self._quick_read(
                    PartnershipActivities.open_stream,
                    OpenStreamInput(
                        country=start.country,
                        workflow_id=workflow.info().workflow_id,
                        start=start.model_dump(mode="json"),
                        attestation=self._start_attestation(),
                    ),
                    f"open the record of {start.country.upper()}",
                )
            except ActivityError as error:
                raise _not_recorded(error, "the proposal") from None
            if opened.unattested is not None:
                raise unattested_refusal(opened.unattested)
            self._stream_id = opened.stream_id
            self._consultation_period = timedelta(days=opened.consultation_period_days)
            try:
                events = self._decide(start.command(), start.actor)
            except Exception as error:
                raise _rejection(error) from None
            took_slot = (
                slot_early if slot_early is not None else workflow.patched(PROGRAMME_SLOT_PATCH)
            )
            if took_slot:
                await self._take_slot(start, events[0], opened.provenance)
            try:
                await self._record(events, opened.provenance or UNATTESTED)
            except ActivityError as error:
                if took_slot:
                    await self._release_slot(events[0], error)
                # Operators see this as the workflow's failure: what failed, and that the
                # country's id is free again once this run has closed.
                raise _not_recorded(
                    error, f"the proposal of {start.country.upper()} ({self._stream_id})"
                ) from None

    async def _take_slot(
        self, start: StartPartnership, proposed: Event, provenance: Provenance | None
    ) -> None:
        """Take the programme's slot for this proposal, or refuse it as the programme says."""
        info = workflow.info()
        try:
            taken = await workflow.execute_activity_method(
                ProgrammeSlots.take_programme_slot,
                TakeSlotInput(
                    country=self._stream_id.removeprefix("partnership-").split("/")[0],
                    stream_id=self._stream_id,
                    taken_on=proposed.occurred_on,
                    actor=start.actor,
                    workflow_id=info.workflow_id,
                    run_id=info.run_id,
                    provenance=provenance,
                ),
                start_to_close_timeout=_ACTIVITY_TIMEOUT,
                retry_policy=_STORE_RETRY,
                summary=f"take a programme slot for {self._stream_id}",
            )
        except ActivityError as error:
            raise _not_recorded(error, "the proposal") from None
        if not taken.taken:
            raise final_failure(
                taken.refusal or "the programme has no slot", taken.refusal_type or "CapReached"
            )

    async def _release_slot(self, proposed: Event, failure: ActivityError) -> None:
        """Give back the slot of a proposal whose record could not be written."""
        info = workflow.info()
        await workflow.execute_activity_method(
            ProgrammeSlots.release_programme_slot,
            ReleaseSlotInput(
                stream_id=self._stream_id,
                reason=f"the proposal was not recorded: {failure.cause or failure}",
                occurred_on=proposed.occurred_on,
                actor=SYSTEM_ACTOR,
                workflow_id=info.workflow_id,
                run_id=info.run_id,
            ),
            start_to_close_timeout=_ACTIVITY_TIMEOUT,
            retry_policy=_STORE_RETRY,
            summary=f"give back the programme slot of {self._stream_id}",
        )

    async def _free_slot(self) -> None:
        """Free the programme's slot of a partnership that has ended (a launch keeps it)."""
        stage = self._state.stage
        if stage is None or not self._stream_id:
            return
        info = workflow.info()
        await workflow.execute_activity_method(
            ProgrammeSlots.free_programme_slot,
            FreeSlotInput(
                stream_id=self._stream_id,
                end_stage=stage,
                actor=SYSTEM_ACTOR,
                workflow_id=info.workflow_id,
                run_id=info.run_id,
            ),
            start_to_close_timeout=_ACTIVITY_TIMEOUT,
            retry_policy=_STORE_RETRY,
            summary=f"free the programme slot of {self._stream_id} ({stage.value})",
        )

    async def _quick_read(
        self, method: Callable[[Any, _In], _Out], given: _In, summary: str
    ) -> _Out:
        """Run an activity that writes nothing and answers at once: local in a lean run.

        A local activity runs in this worker without a round trip through Temporal's queue;
        its result is recorded in the history all the same, and never run again on replay.
        It holds the workflow task while it runs, so only quick reads are run so: the
        programme slot's take and free, which wait on the one `programme` stream that every
        partnership writes, held first tasks past their timeout on a loaded machine, and
        updates sent meanwhile were refused ("Workflow Task in failed state").
        """
        if self._lean:
            return await workflow.execute_local_activity_method(
                method,
                given,
                start_to_close_timeout=_ACTIVITY_TIMEOUT,
                retry_policy=_STORE_RETRY,
                summary=summary,
            )
        return await workflow.execute_activity_method(
            method,
            given,
            start_to_close_timeout=_ACTIVITY_TIMEOUT,
            retry_policy=_STORE_RETRY,
            summary=summary,
        )

    def _start_attestation(self) -> Attestation | None:
        found = self.attested.get(START)
        return found if isinstance(found, Attestation) else None

    async def _continue_as_new(self, start: StartPartnership) -> None:
        # Running steps finish first; no await follows the wait, so no step starts between
        # it and the hand-over, and the next run decides from exactly this state.
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.logger.info(
            "continuing as new at version %s (history of %s events)",
            self._state.version,
            workflow.info().get_current_history_length(),
        )
        workflow.continue_as_new(
            Continuation(
                start=start,
                stream_id=self._stream_id,
                consultation_period_days=self._consultation_period.days,
                state=self._state,
                timeline=list(self._timeline),
                point_11=self._point_11,
                suspension=self._suspension,
                lean_steps=self._lean,
            )
        )

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
            raise final_failure(
                f"a partnership with {expected.removeprefix('partnership-')} runs as workflow "
                f"id {expected}, not {actual}; start it again with that id",
                "WrongWorkflowId",
            )

    def _ended(self) -> bool:
        return self._state.stage is not None and self._state.stage.is_end

    async def _wait_for_change_or_deadline(self) -> None:
        # One durable timer per distinct wake-up: a step that leaves the next deadline where
        # it was keeps the running timer instead of cancelling and starting another.
        wake = next_wakeup(self._state)

        def moved() -> bool:
            return (
                self._ended()
                or next_wakeup(self._state) != wake
                or workflow.info().is_continue_as_new_suggested()
            )

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
            # The domain or the store refused what the timers said was due: waking again at
            # once would spin, so wait for the next recorded step instead.
            await workflow.wait_condition(
                lambda: (
                    self._state.version != seen
                    or self._ended()
                    or workflow.info().is_continue_as_new_suggested()
                )
            )

    async def _fire_due_deadlines(self) -> bool:
        """Issue every due deadline command; False when one was refused or not recorded."""
        async with self._lock:
            while (command := due_command(self._state, workflow.now())) is not None:
                try:
                    events = self._decide(command, SYSTEM_ACTOR)
                except Exception as error:
                    self._stalled(f"{command.name} was refused: {error}")
                    return False
                try:
                    await self._record(events, SYSTEM)
                except ActivityError as error:
                    self._stalled(_not_recorded(error, command.name).message)
                    return False
        return True

    def _stalled(self, why: str) -> None:
        # An engine step that cannot be taken is the operators' to see, in the log and in
        # the current details, while people's steps go on.
        workflow.logger.error("deadline step at version %s: %s", self._state.version, why)
        self._show(warning=f"A deadline step is waiting for the next recorded step: {why}")

    def _decide(
        self, command: Command, actor: Actor, state: Partnership | None = None
    ) -> list[Event]:
        return decide(
            state if state is not None else self._state,
            command,
            actor,
            workflow.now(),
            consultation_period=self._consultation_period,
            point_11=self._point_11,
        )

    async def _record(self, events: list[Event], provenance: Provenance) -> None:
        """Append `events`, then bring the workflow up to what was recorded.

        Raises ActivityError only when the store recorded nothing. Once the append returns,
        nothing that follows (folding, milestones, visibility) may fail the step or the
        workflow: each is guarded, logged, and the state stays at the store's version.
        """
        info = workflow.info()
        recorded = [RecordedEvent(event_id=workflow.uuid4(), event=e) for e in events]
        first_version = self._state.version
        reached = self._milestones(events, first_version)
        summary = f"record {', '.join(e.type for e in events)}"
        if self._lean and reached:
            summary += "; " + ", ".join(_milestone_summary(kind) for _, kind in reached)
        appended = await workflow.execute_activity_method(
            PartnershipActivities.append_events,
            AppendInput(
                stream_id=self._stream_id,
                expected_version=first_version,
                events=recorded,
                workflow_id=info.workflow_id,
                run_id=info.run_id,
                provenance=provenance,
                milestones=[
                    MilestoneInput(stream_id=self._stream_id, version=version, kind=kind)
                    for version, kind in reached
                ]
                if self._lean
                else [],
            ),
            start_to_close_timeout=_ACTIVITY_TIMEOUT,
            retry_policy=_STORE_RETRY,
            summary=summary,
        )
        # Fold everything first: the state matches the store whatever happens to a milestone.
        for event in events:
            self._fold(event)
        if self._lean:
            # The append emitted the milestones and its result shows their reports.
            for why in appended.unreported:
                workflow.logger.error("milestone not shown: %s", why)
        else:
            for version, kind in reached:
                await self._emit_milestone(version, kind)
        self._show()

    def _milestones(
        self, events: list[Event], first_version: int
    ) -> list[tuple[int, MilestoneKind]]:
        """The (version, kind) of each milestone `events`, recorded after `first_version`, reach."""
        reached: list[tuple[int, MilestoneKind]] = []
        for version, event in enumerate(events, start=first_version + 1):
            try:
                kind = milestone_kind(event)
            except Exception as error:
                workflow.logger.error("milestone of version %s: %r", version, error)
                continue
            if kind is MilestoneKind.WITHDRAWAL and not self._suspension:
                continue  # a run recorded before the Council was told of withdrawals
            if kind is not None:
                reached.append((version, kind))
        return reached

    def _fold(self, event: Event) -> None:
        try:
            self._state = evolve(self._state, event)
        except Exception as error:
            # The event is recorded; keep the version in step with the store so the next
            # append is not refused, and leave the rest to the operators to repair.
            workflow.logger.error("could not fold %s: %r", event.type, error)
            self._state = self._state.model_copy(update={"version": self._state.version + 1})
        try:
            self._timeline.append(describe(event))
        except Exception as error:
            workflow.logger.error("could not describe %s: %r", event.type, error)

    def _attributes(self) -> list[SearchAttributeUpdate[Any]]:
        return search_attribute_updates(self._state)

    def _show(self, warning: str | None = None) -> None:
        """Update what operators see; a failure here is logged, never the step's."""
        try:
            attributes = self._attributes()
            # Visibility is written only when what operators filter on has changed.
            if attributes != self._upserted:
                workflow.upsert_search_attributes(attributes)
                self._upserted = attributes
        except Exception as error:
            workflow.logger.error("search attributes at version %s: %r", self._state.version, error)
        try:
            details = current_details(self._state, self._timeline, workflow.now())
            if warning is not None:
                details = f"{details}\n\n**Attention:** {warning}"
            workflow.set_current_details(details)
        except Exception as error:
            workflow.logger.error("current details at version %s: %r", self._state.version, error)

    async def _emit_milestone(self, version: int, kind: MilestoneKind) -> None:
        try:
            await workflow.execute_activity(
                _milestone_activity(),
                MilestoneInput(stream_id=self._stream_id, version=version, kind=kind),
                result_type=MilestoneOutput,
                start_to_close_timeout=_ACTIVITY_TIMEOUT,
                retry_policy=_STORE_RETRY,
                summary=_milestone_summary(kind),
            )
        except ActivityError as error:
            # The milestone is in the outbox already (written with its event); only showing
            # its report here failed, which must not undo or block the recorded step.
            workflow.logger.error("milestone %s at version %s: %s", kind, version, error.cause)

    def _view(self) -> StatusView:
        try:
            return status_view(self._state, workflow.now())
        except Exception as error:
            raise final_failure(
                f"the partnership is at version {self._state.version}, but its status view "
                f"could not be built ({type(error).__name__}: {error}); its record is "
                "intact in the event store",
                "ViewUnavailable",
            ) from None

    def _decide_step(self, request: StepRequest, state: Partnership) -> list[Event]:
        """The events of a person's step against `state`, or the refusal to raise."""
        try:
            mismatch = request.version_refusal(state.version)
            if mismatch is not None:
                raise mismatch
            return self._decide(request.command(), request.actor, state)
        except Exception as error:
            raise _rejection(error) from None

    def _validate(self, request: StepRequest) -> None:
        state = self._state if self._state.version else self._provisional
        events = self._decide_step(request, state)
        update = workflow.current_update_info()
        if update is not None and state is self._state:
            self._decided[update.id] = (state.version, workflow.now(), events)

    def _decided_by_validator(self) -> list[Event] | None:
        """The events this update's validator decided, if the state and time are as it saw.

        Only a live run has them (a replay runs no validator, and decides again): both decide
        the same, as `decide` is a function of what the key holds.
        """
        update = workflow.current_update_info()
        decided = self._decided.pop(update.id, None) if update is not None else None
        if decided is None:
            return None
        version, now, events = decided
        return events if (version, now) == (self._state.version, workflow.now()) else None

    async def _apply(self, request: StepRequest) -> StatusView:
        # The proposal is recorded first, whatever order the activation delivered things in.
        await workflow.wait_condition(lambda: self._state.version > 0)
        async with self._lock:
            # The state may have moved since validation (and since the caller read it): decide
            # again under the lock, unless nothing moved since this update's validator decided.
            events = self._decided_by_validator() or self._decide_step(request, self._state)
            update = workflow.current_update_info()
            provenance = provenance_of_update(self.attested, update.id if update else "")
            try:
                await self._record(events, provenance)
            except ActivityError as error:
                raise _not_recorded(error, f"{request.command_type.name}") from None
            return self._view()

    @workflow.query(name="status")
    def status(self) -> StatusView:
        """The partnership as it stands now."""
        return self._view()

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

    @workflow.update(name="declare_interest")
    async def declare_interest(self, request: DeclareInterestRequest) -> StatusView:
        """A Member State declares interest during the talks, joining late."""
        return await self._apply(request)

    @declare_interest.validator
    def _check_declare_interest(self, request: DeclareInterestRequest) -> None:
        self._validate(request)

    @workflow.update(name="suspend_talks")
    async def suspend_talks(self, request: SuspendTalksRequest) -> StatusView:
        """The Commission suspends the talks: no round, no conclusion, no deadline until resumed."""
        return await self._apply(request)

    @suspend_talks.validator
    def _check_suspend_talks(self, request: SuspendTalksRequest) -> None:
        self._validate(request)

    @workflow.update(name="resume_talks")
    async def resume_talks(self, request: ResumeTalksRequest) -> StatusView:
        """The Commission resumes suspended talks; the decision deadline moves by the pause."""
        return await self._apply(request)

    @resume_talks.validator
    def _check_resume_talks(self, request: ResumeTalksRequest) -> None:
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
