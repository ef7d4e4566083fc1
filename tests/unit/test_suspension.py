"""Issue 13, items 4 (accession), 5 and 6: suspension of the talks, the Council told, accession
to a launched partnership, as pure rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import Stage, Withdraw
from domain.bounds import latest_deadline
from domain.commands import AccedeToPartnership, ResumeTalks, SuspendTalks
from domain.council_document import council_document_of, document_text
from domain.decide import MAX_SUSPENSIONS, decide, decide_accession, resumed_deadline
from domain.errors import (
    DomainError,
    ForeignMemberState,
    InvalidInput,
    LimitReached,
    NotPermitted,
    WrongStage,
)
from domain.events import MemberStateAcceded, PartnershipWithdrawn
from domain.evolve import replay
from domain.milestones import WITHDRAWAL_REPORTED_FROM, milestone_kind
from domain.programme import NotAnEnd, Programme, decide_free_slot
from domain.report import render_state
from domain.state import MilestoneKind
from tests.unit.strategies import (
    COMMISSION,
    ENDED_STAGES,
    OPEN_STAGES,
    SAMPLES,
    SIGNED,
    SUSPENDED,
    Story,
    at_exploratory_talks,
    at_launched,
    at_talks_suspended,
    rep,
)


@given(st.lists(st.booleans(), min_size=1, max_size=12))
def test_suspend_and_resume_alternate_whatever_is_tried(tries: list[bool]) -> None:
    story = at_exploratory_talks()
    now = SUSPENDED
    for suspend in tries:
        now += timedelta(days=1)
        command = SuspendTalks(reason="Elections") if suspend else ResumeTalks()
        suspended = story.state.stage is Stage.TALKS_SUSPENDED
        if suspend == suspended or (suspend and len(story.state.suspensions) >= MAX_SUSPENSIONS):
            with pytest.raises((WrongStage, LimitReached)):
                decide(story.state, command, COMMISSION, now)
            continue
        story.do(command, COMMISSION, now)
        expected = Stage.TALKS_SUSPENDED if suspend else Stage.EXPLORATORY_TALKS
        assert story.state.stage is expected
    open_ones = [s for s in story.state.suspensions if s.resumed_on is None]
    assert len(open_ones) == (1 if story.state.stage is Stage.TALKS_SUSPENDED else 0)


@given(st.sampled_from(sorted(SAMPLES, key=lambda c: c.name)))
def test_nothing_but_resuming_or_withdrawing_is_allowed_while_suspended(kind: type) -> None:
    story = at_talks_suspended()
    command, actor = SAMPLES[kind]
    now = SUSPENDED + timedelta(days=3)
    if kind in (ResumeTalks, Withdraw):
        assert decide(story.state, command, actor, now)
        return
    with pytest.raises((WrongStage, NotPermitted)):
        decide(story.state, command, actor, now)


@given(
    deadline=st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31)),
    suspended_days=st.integers(0, 5000),
    start=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)),
)
def test_the_deadline_stands_still_while_suspended_within_the_horizon(
    deadline: date, suspended_days: int, start: datetime
) -> None:
    suspended_at = start.replace(tzinfo=UTC)
    now = suspended_at + timedelta(days=suspended_days)
    moved = resumed_deadline(deadline, suspended_at, now)
    assert moved >= deadline
    shifted = deadline + timedelta(days=(now.date() - suspended_at.date()).days)
    assert moved == max(deadline, min(shifted, latest_deadline(now.date())))


def test_the_talks_may_be_suspended_only_so_often() -> None:
    story = at_exploratory_talks()
    now = SUSPENDED
    for _ in range(MAX_SUSPENSIONS):
        story.do(SuspendTalks(reason="Again"), COMMISSION, now)
        story.do(ResumeTalks(), COMMISSION, now + timedelta(hours=1))
        now += timedelta(days=1)
    story.reject(SuspendTalks(reason="Again"), COMMISSION, now, LimitReached, "(10)")


def test_a_suspension_is_reported_with_its_reason_and_still_suspended() -> None:
    story = at_talks_suspended()
    assert story.state.milestones[-1].kind is MilestoneKind.TALKS_SUSPENDED
    report = render_state(story.state, MilestoneKind.TALKS_SUSPENDED)
    assert report.startswith("# Suspension of the exploratory talks")
    assert "(still suspended): Elections in the third country" in report


@pytest.mark.parametrize("stage", [s for s in Stage if not s.is_end])
def test_a_withdrawal_is_reported_once_the_council_has_the_report(stage: Stage) -> None:
    withdrawn = PartnershipWithdrawn(
        actor=COMMISSION,
        occurred_on=date(2008, 1, 1),
        recorded_at=datetime(2026, 1, 1, tzinfo=UTC),
        reason="Stop",
        stage=stage,
    )
    expected = MilestoneKind.WITHDRAWAL if stage in WITHDRAWAL_REPORTED_FROM else None
    assert milestone_kind(withdrawn) is expected
    assert (expected is not None) == (stage in {Stage.COUNCIL_DECISION, Stage.LAUNCH_PREPARATION})


# -- accession --------------------------------------------------------------------------------

AFTER_SIGNING = SIGNED + timedelta(days=30)


def accede(story: Story, code: str, **fields: object) -> list[MemberStateAcceded]:
    events = decide_accession(
        story.state, AccedeToPartnership(member_state=code, **fields), rep(code), AFTER_SIGNING
    )
    story.state = replay(events, story.state)
    return events  # type: ignore[return-value]


def test_a_member_state_accedes_to_a_launched_partnership_with_its_date() -> None:
    story = at_launched()
    [acceded] = accede(story, "DE", occurred_on=AFTER_SIGNING.date())
    assert acceded.member_state == "DE"
    assert acceded.occurred_on == AFTER_SIGNING.date()
    assert story.state.signatories == ("FR", "ES", "PT", "DE")
    assert story.state.stage is Stage.LAUNCHED
    assert f"DE acceded on {AFTER_SIGNING.date().isoformat()}" in render_state(story.state)


@pytest.mark.parametrize("code", ["FR", "ES", "PT"])
def test_a_signatory_cannot_accede(code: str) -> None:
    with pytest.raises(InvalidInput, match="signed the joint declaration"):
        accede(at_launched(), code)


def test_a_member_state_accedes_only_once() -> None:
    story = at_launched()
    accede(story, "DE")
    with pytest.raises(InvalidInput, match="already acceded"):
        accede(story, "DE")


@pytest.mark.parametrize("stage", [s for s in Stage if s is not Stage.LAUNCHED])
def test_only_a_launched_partnership_takes_accessions(stage: Stage) -> None:
    story = {**OPEN_STAGES, **ENDED_STAGES}[stage]()
    with pytest.raises(WrongStage, match="only a launched partnership takes accessions"):
        accede(story, "DE")


@given(st.sampled_from(["IT", "SE", "BG", "RO"]), st.sampled_from(["DE", "IT", "NL"]))
def test_a_representative_accedes_only_for_its_own_member_state(acting: str, code: str) -> None:
    story = at_launched()
    command = AccedeToPartnership(member_state=code)
    if acting == code:
        assert decide_accession(story.state, command, rep(acting), AFTER_SIGNING)
        return
    with pytest.raises(ForeignMemberState):
        decide_accession(story.state, command, rep(acting), AFTER_SIGNING)


def test_only_a_member_state_accedes() -> None:
    with pytest.raises(NotPermitted):
        decide_accession(
            at_launched().state, AccedeToPartnership(member_state="DE"), COMMISSION, AFTER_SIGNING
        )


def test_an_accession_before_the_signature_is_refused() -> None:
    with pytest.raises(DomainError, match="before the joint declaration's signature"):
        accede(at_launched(), "DE", occurred_on=SIGNED.date() - timedelta(days=1))


def test_a_suspended_partnership_keeps_its_programme_slot() -> None:
    # Suspended talks are no end: the programme frees a slot only at an end.
    with pytest.raises(NotAnEnd, match="not at an end"):
        decide_free_slot(
            Programme(),
            "partnership-SN/1",
            Stage.TALKS_SUSPENDED,
            occurred_on=date(2009, 6, 15),
            now=datetime(2026, 12, 2, tzinfo=UTC),
        )
    assert not Stage.TALKS_SUSPENDED.is_end


def test_the_council_ready_documents_name_the_suspension_and_the_accession() -> None:
    story = at_talks_suspended()
    document = council_document_of(story.events, MilestoneKind.TALKS_SUSPENDED, "partnership-CV/1")
    assert document.title.startswith(
        "Note from the Commission to the Council on the suspension of the exploratory talks"
    )
    text = document_text(document)
    assert "The Commission suspended the talks on 20 June 2025: Elections" in text
    assert "They remain suspended." in text

    launched = at_launched()
    acceded = decide_accession(
        launched.state, AccedeToPartnership(member_state="DE"), rep("DE"), AFTER_SIGNING
    )
    document = council_document_of([*launched.events, *acceded], None, "partnership-CV/1")
    said = f"Germany acceded to the joint declaration on {AFTER_SIGNING.day} March 2026."
    assert said in document_text(document)
