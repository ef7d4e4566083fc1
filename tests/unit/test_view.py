"""The `status` view of DESIGN.md §3: derived from state, with next actions per role."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from pydantic import TypeAdapter

from domain import (
    USER_COMMANDS,
    CloseConsultation,
    Component,
    ExtendDecisionDeadline,
    IssueDeadlineReminder,
    MilestoneKind,
    NotPermitted,
    Outcome,
    Partnership,
    Position,
    Recommendation,
    Region,
    Stage,
    WrongStage,
    decide,
    next_actions,
    reminder_instant,
    replay,
    status_view,
)
from domain.actors import ACTOR_ID_MAX_BYTES, RequestActor, Role
from domain.bounds import (
    MAX_ANSWERS_PER_MEMBER_STATE,
    MAX_DEADLINE_EXTENSIONS,
    MAX_TALKS_ROUNDS,
)
from domain.commands import SubmitReport, Withdraw
from domain.countries import EVER_MEMBER_STATES
from domain.events import EVENT_LIST_ADAPTER
from domain.state import (
    Answer,
    Decision,
    Launch,
    Milestone,
    Participant,
    Report,
    TalksOutcome,
    TalksRound,
)
from domain.text import LABEL_MAX_BYTES, LABEL_MAX_CHARS, TEXT_MAX_BYTES, utf8_size
from tests.unit.strategies import (
    ACTOR_OF_ROLE,
    COMMISSION,
    DECISION_DEADLINE,
    ENDED_STAGES,
    LATER,
    OFFERS_FR,
    OPEN_STAGES,
    PRESIDENCY,
    REFUSED_AT_LATER,
    SAMPLES,
    SYSTEM,
    Story,
    answer,
    at,
    at_consultation,
    at_council_decision,
    at_launch_preparation,
    at_launched,
    in_office,
    propose,
    rep,
)

NOTHING: dict[str, list[str]] = {
    "commission": [],
    "presidency": [],
    "member_state": [],
    "operator": [],
}

# What each role may send at each open stage, written out from DESIGN.md §1–§3.
EXPECTED_ACTIONS: dict[Stage, dict[str, list[str]]] = {
    Stage.CONSULTATION: {
        **NOTHING,
        "commission": ["close_consultation", "withdraw"],
        "presidency": ["extend_decision_deadline"],
        "member_state": ["respond_to_consultation"],
    },
    Stage.AWAITING_TALKS_AUTHORISATION: {
        **NOTHING,
        "commission": ["withdraw"],
        "presidency": ["authorise_talks", "extend_decision_deadline"],
    },
    Stage.EXPLORATORY_TALKS: {
        **NOTHING,
        "commission": ["record_talks_round", "suspend_talks", "conclude_talks", "withdraw"],
        "presidency": ["extend_decision_deadline"],
        # A Member State that did not declare interest in the consultation may do so now.
        "member_state": ["declare_interest"],
    },
    Stage.REPORT_DUE: {
        **NOTHING,
        "commission": ["submit_report", "withdraw"],
        "presidency": ["extend_decision_deadline"],
    },
    Stage.COUNCIL_DECISION: {
        **NOTHING,
        "commission": ["withdraw"],
        "presidency": ["extend_decision_deadline", "record_council_decision"],
    },
    Stage.LAUNCH_PREPARATION: {
        **NOTHING,
        "commission": ["launch_partnership", "withdraw"],
    },
    # While suspended, nothing but resuming the talks or withdrawing (issue 13, item 6).
    Stage.TALKS_SUSPENDED: {
        **NOTHING,
        "commission": ["resume_talks", "withdraw"],
    },
}

ALL_STAGES: dict[Stage, Callable[[], Story]] = {**OPEN_STAGES, **ENDED_STAGES}


def test_before_a_proposal_only_the_commission_may_act_by_proposing() -> None:
    assert next_actions(Partnership()) == {**NOTHING, "commission": ["propose"]}


@pytest.mark.parametrize("stage", list(OPEN_STAGES))
def test_each_role_is_offered_the_updates_it_may_send_at_each_open_stage(stage: Stage) -> None:
    story = OPEN_STAGES[stage]()

    assert next_actions(story.state) == EXPECTED_ACTIONS[stage]
    assert status_view(story.state).next_actions == EXPECTED_ACTIONS[stage]


@pytest.mark.parametrize("stage", list(ENDED_STAGES))
def test_nobody_is_offered_anything_at_an_end(stage: Stage) -> None:
    assert next_actions(ENDED_STAGES[stage]().state) == NOTHING


@pytest.mark.parametrize("stage", list(ALL_STAGES))
def test_next_actions_offer_exactly_what_decide_lets_a_role_past_its_checks(
    stage: Stage,
) -> None:
    story = ALL_STAGES[stage]()
    offered = next_actions(story.state)
    for command_type in USER_COMMANDS:
        command, usual = SAMPLES[command_type]
        for role, names in offered.items():
            # The sample's own actor where it holds the role (a Member State acts for itself),
            # the Presidency in office on the day.
            actor = usual if usual.role.value == role else ACTOR_OF_ROLE[Role(role)]
            actor = in_office(actor, command, LATER)
            if command.name not in names:
                # Not offered: refused for the role or the stage, and for nothing else.
                with pytest.raises((NotPermitted, WrongStage)) as refused:
                    decide(story.state, command, actor, LATER)
                assert type(refused.value) in (NotPermitted, WrongStage), (role, command.name)
            elif command_type in REFUSED_AT_LATER:
                # Offered at the stage, but the sample's date is past the deadline by LATER.
                error, says = REFUSED_AT_LATER[command_type]
                story.reject(command, actor, LATER, error, says)
            else:
                assert decide(story.state, command, actor, LATER), (role, command.name)


def test_the_view_of_an_unproposed_partnership_is_empty() -> None:
    view = status_view(Partnership())

    assert view.country is None
    assert view.stage is None
    assert view.version == 0
    assert view.answers == {}
    assert view.milestones == ()


def test_the_view_shows_the_country_region_stage_and_deadlines() -> None:
    view = status_view(at_consultation().state)

    assert view.country == "CV"
    assert view.country_name == "Cabo Verde"
    assert view.region is Region.AFRICA_MEDITERRANEAN
    assert view.stage is Stage.CONSULTATION
    assert view.consultation_deadline == date(2025, 4, 14)
    assert view.decision_deadline == DECISION_DEADLINE
    assert view.proposed_on == date(2025, 3, 3)
    assert view.version == 5


def test_the_view_shows_each_member_states_latest_answer_and_counts_the_answers_given() -> None:
    story = at_consultation()
    story.do(answer("ES", Position.NOT_INTERESTED), rep("ES"), at(2025, 3, 20))
    view = status_view(story.state)

    assert list(view.answers) == ["DE", "ES", "FR", "PT"]
    assert view.answers["ES"].position is Position.NOT_INTERESTED
    assert view.answers["FR"].offers == OFFERS_FR
    assert view.answers_given == {"DE": 1, "ES": 2, "FR": 1, "PT": 1}
    # The amended answer is in the record, not in the view nor in the state.
    assert [a.member_state for a in story.state.answers] == ["FR", "DE", "PT", "ES"]
    assert view.interested_member_states == ("FR", "PT")


def test_the_view_shows_talks_report_decision_and_milestones() -> None:
    view = status_view(at_launch_preparation().state)

    assert [r.number for r in view.talks] == [1, 2]
    assert view.talks[1].member_states == ("FR", "ES", "PT")
    assert view.talks_outcome is not None
    assert view.talks_outcome.third_country_willing is True
    assert view.report is not None
    assert view.report.recommendation is Recommendation.LAUNCH
    assert view.decision is not None
    assert view.decision.outcome is Outcome.INVITE_LAUNCH
    assert [m.kind for m in view.milestones] == [
        MilestoneKind.CONSULTATION_OUTCOME,
        MilestoneKind.TALKS_OUTCOME,
        MilestoneKind.REPORT_TO_COUNCIL,
        MilestoneKind.COUNCIL_DECISION,
    ]
    assert [(p.id, p.role.value, p.member_state) for p in view.participants][:2] == [
        ("alice", "commission", None),
        ("rep-fr", "member_state", "FR"),
    ]


def test_the_view_of_a_launched_partnership_shows_the_launch() -> None:
    view = status_view(at_launched().state)

    assert view.launch is not None
    assert view.launch.member_states == ("FR", "ES", "PT")
    assert view.launch.components == (Component.LEGAL_MIGRATION, Component.READMISSION_AND_RETURN)
    assert view.stage is Stage.LAUNCHED
    assert view.reminder_due_at is None


def test_the_view_says_when_the_reminder_is_due_until_it_is_issued() -> None:
    story = at_council_decision()
    assert status_view(story.state).reminder_due_at == datetime(2025, 12, 18, tzinfo=UTC)

    story.do(IssueDeadlineReminder(), SYSTEM, reminder_instant(DECISION_DEADLINE))
    assert status_view(story.state).reminder_due_at is None

    story.do(
        ExtendDecisionDeadline(new_deadline=date(2026, 3, 31), reason="More time"),
        PRESIDENCY,
        at(2025, 12, 20),
    )
    assert status_view(story.state).reminder_due_at == datetime(2026, 3, 18, tzinfo=UTC)
    assert status_view(story.state).decision_deadline == date(2026, 3, 31)


def test_the_view_is_plain_json_with_the_contracts_names() -> None:
    view = status_view(at_launch_preparation().state)
    payload = json.loads(view.model_dump_json())

    assert {
        "country",
        "region",
        "stage",
        "consultation_deadline",
        "decision_deadline",
        "answers",
        "interested_member_states",
        "talks",
        "decision",
        "participants",
        "milestones",
        "next_actions",
    } <= set(payload)
    assert payload["stage"] == "launch_preparation"
    assert payload["region"] == "africa_mediterranean"
    assert payload["decision_deadline"] == "2025-12-31"
    assert payload["answers"]["FR"]["offers"] == ["legal_migration", "capacity_building"]
    assert payload["decision"]["outcome"] == "invite_launch"
    assert payload["next_actions"]["commission"] == ["launch_partnership", "withdraw"]


def _changed_its_mind() -> Story:
    """Germany answers interested, then amends to not interested; nobody else answers."""
    story = Story()
    story.do(propose(), COMMISSION, at(2025, 3, 3))
    story.do(answer("DE", offers=(Component.CAPACITY_BUILDING,)), rep("DE"), at(2025, 3, 12))
    story.do(
        answer("DE", Position.NOT_INTERESTED, comments="On reflection"), rep("DE"), at(2025, 3, 20)
    )
    story.do(CloseConsultation(), COMMISSION, at(2025, 4, 1))
    return story


# The view of `_changed_its_mind`, written out by hand from its five events.
CHANGED_ITS_MIND_VIEW = {
    "country": "CV",
    "country_name": "Cabo Verde",
    "region": "africa_mediterranean",
    "stage": "not_pursued",
    "version": 5,
    "proposed_on": "2025-03-03",
    "rationale": "A partner on the Atlantic route",
    "terms_of_reference": "Legal migration against readmission",
    "consultation_deadline": "2025-04-14",
    "decision_deadline": "2025-12-31",
    "council_target_date": None,
    "reminder_due_at": None,
    # Only the amendment: the first answer is in the record, not in the view.
    "answers": {
        "DE": {
            "member_state": "DE",
            "position": "not_interested",
            "offers": [],
            "comments": "On reflection",
            "answered_on": "2025-03-20",
            "answered_by": "rep-de",
        }
    },
    "answers_given": {"DE": 2},
    "interested_member_states": [],
    "talks": [],
    "late_interest": [],
    "talks_outcome": None,
    "report": None,
    "decision": None,
    "launch": None,
    "accessions": [],
    "suspensions": [],
    "end_reason": "no Member State declared interest (1 answered)",
    "participants": [
        {"id": "alice", "role": "commission", "member_state": None},
        {"id": "rep-de", "role": "member_state", "member_state": "DE"},
    ],
    "milestones": [
        {
            "kind": "consultation_outcome",
            "version": 5,
            "occurred_on": "2025-04-01",
            "recorded_at": "2025-04-01T12:00:00Z",
        }
    ],
    "next_actions": NOTHING,
    "last_recorded_at": "2025-04-01T12:00:00Z",
    # As of the last step recorded: Poland held the Presidency in the first half of 2025.
    "presidency": {
        "member_state": "PL",
        "name": "Poland",
        "first_day": "2025-01-01",
        "last_day": "2025-06-30",
        "source": "Council Decision (EU) 2016/1316",
    },
}


def test_the_view_is_derived_from_the_events_alone() -> None:
    story = _changed_its_mind()
    # The events as the store keeps them, parsed back and folded at once.
    events = EVENT_LIST_ADAPTER.validate_json(EVENT_LIST_ADAPTER.dump_json(story.events))

    assert status_view(replay(events)).model_dump(mode="json") == CHANGED_ITS_MIND_VIEW


# --- The view's size -------------------------------------------------------------------------

# JSON writes `"` and `\` as two bytes each (and tabs and line breaks too; every other control
# character is refused), so the largest JSON a bounded text can make is one of quotes.
DOUBLED_IN_JSON = '"'
TEMPORAL_PAYLOAD_LIMIT = 2 * 1024 * 1024
VIEW_BUDGET = TEMPORAL_PAYLOAD_LIMIT * 3 // 4
"""The most the largest view may weigh: a quarter of Temporal's payload limit left as headroom
for the update's envelope and for fields added to the view later."""


def _largest_text() -> str:
    text = DOUBLED_IN_JSON * (TEXT_MAX_BYTES // utf8_size(DOUBLED_IN_JSON))
    assert Withdraw(reason=text).reason == text  # accepted: the bound allows exactly this
    return text


def _largest_label() -> str:
    label = DOUBLED_IN_JSON * min(LABEL_MAX_CHARS, LABEL_MAX_BYTES)
    assert SubmitReport(recommendation="launch", summary="s", reference=label).reference == label
    return label


def _largest_actor_id(number: int) -> str:
    tail = f"{number:04d}"  # every participant its own id
    actor_id = DOUBLED_IN_JSON * (ACTOR_ID_MAX_BYTES - len(tail)) + tail
    actor = TypeAdapter(RequestActor).validate_python({"id": actor_id, "role": "commission"})
    assert actor.id == actor_id
    return actor_id


def _largest_state() -> Partnership:
    """A partnership as large as the bounds let it grow, every count at its cap and every text,
    label and id at its byte bound (more than any one history could hold at once)."""
    text, label, day = _largest_text(), _largest_label(), date(2026, 1, 1)
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    states = tuple(sorted(EVER_MEMBER_STATES))
    extensions = MAX_DEADLINE_EXTENSIONS
    # One event per step the caps allow; each may come from an actor of its own.
    events = (
        1  # proposed
        + len(states) * MAX_ANSWERS_PER_MEMBER_STATE
        + 2  # consultation closed, not pursued
        + 1  # talks authorised
        + MAX_TALKS_ROUNDS
        + 1  # talks concluded
        + 1  # report
        + extensions
        + (extensions + 1)  # a reminder for the first deadline and after each extension
        + 1  # Council decision
        + 1  # the end
    )
    milestones = 5 + extensions + 1
    answers = tuple(
        Answer(
            member_state=ms,
            position=Position.INTERESTED,
            offers=tuple(Component),
            comments=text,
            answered_on=day,
            answered_by=_largest_actor_id(0),
        )
        for ms in states
    )
    rounds = tuple(
        TalksRound(number=n, held_on=day, member_states=states, summary=text, location=label)
        for n in range(1, MAX_TALKS_ROUNDS + 1)
    )
    return Partnership(
        version=events,
        country="CV",
        region=Region.AFRICA_MEDITERRANEAN,
        stage=Stage.LAUNCH_PREPARATION,
        proposed_on=day,
        rationale=text,
        terms_of_reference=text,
        consultation_deadline=day,
        decision_deadline=day,
        answers=answers,
        answers_given=dict.fromkeys(states, MAX_ANSWERS_PER_MEMBER_STATE),
        last_answered_on=day,
        consultation_closed_on=day,
        talks_authorised_on=day,
        rounds=rounds,
        talks=TalksOutcome(
            third_country_willing=True, commitments=tuple(Component), concluded_on=day
        ),
        report=Report(
            recommendation=Recommendation.LAUNCH, summary=text, reference=label, submitted_on=day
        ),
        reminded_deadlines=(day,) * (extensions + 1),
        decision=Decision(outcome=Outcome.INVITE_LAUNCH, decided_on=day, council_reference=label),
        launch=Launch(
            member_states=states,
            components=tuple(Component),
            signed_on=day,
            joint_declaration_reference=label,
        ),
        end_reason=text,
        milestones=tuple(
            Milestone(
                kind=MilestoneKind.DEADLINE_REMINDER, version=n, occurred_on=day, recorded_at=moment
            )
            for n in range(milestones)
        ),
        participants=tuple(
            Participant(id=_largest_actor_id(n), role=Role.MEMBER_STATE, member_state="PT")
            for n in range(events)
        ),
        last_recorded_at=moment,
    )


def test_the_largest_view_the_bounds_allow_stays_far_below_temporals_payload_limit() -> None:
    state = _largest_state()
    view = status_view(state)
    size = len(view.model_dump_json().encode())

    assert size < VIEW_BUDGET, f"the largest status view is {size:,} bytes"
    assert len(view.answers) == len(EVER_MEMBER_STATES)
    assert set(view.answers_given.values()) == {MAX_ANSWERS_PER_MEMBER_STATE}


def test_the_largest_state_a_continued_run_carries_stays_below_temporals_payload_limit() -> None:
    # The state keeps each Member State's latest answer, not every amendment, so what a run
    # hands to the next at continue-as-new is as bounded as the view.
    size = len(_largest_state().model_dump_json().encode())
    assert size < VIEW_BUDGET, f"the largest state is {size:,} bytes"
