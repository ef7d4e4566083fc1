"""The console's forms, offers, refusals and words, without I/O: each form is the contract's
request, what was typed comes back as typed, and people see only their own steps."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from app.exceptions import Rejected, Unavailable
from app.identity import Caller
from app.reading import InboxItem
from domain.actors import Actor, Role
from domain.commands import Position
from domain.components import Component
from domain.conditions import COMMUNITY_OFFERS, MEMBER_STATE_OFFERS
from domain.directory import Binding, BindingRole
from domain.events import ConsultationAnswered, PartnershipLaunched
from domain.requests import REQUEST_FOR, RespondToConsultationRequest, StartPartnership
from domain.stages import Stage
from domain.state import Partnership
from domain.view import status_view
from interfaces.console import wording
from interfaces.console.core_parts import Viewer
from interfaces.console.inbox_pages import task_of
from interfaces.console.refusals import refusal_of
from interfaces.console.step_forms import (
    Typed,
    defaults,
    field_errors,
    form_fields,
    request_for,
    typed_from,
)
from interfaces.console.templating import TEMPLATES
from interfaces.console.timeline_words import event_words

COMMISSION = Actor(id="alice", role=Role.COMMISSION)
PORTUGAL = Actor(id="maria", role=Role.MEMBER_STATE, member_state="PT")


def binding(role: BindingRole, member_state: str | None = None) -> Binding:
    return Binding(
        binding_id=f"b-{role.value}-{member_state}",
        issuer="http://127.0.0.1:8000/dev/",
        subject="someone",
        role=role,
        member_state=member_state,
        valid_from=date(2007, 1, 1),
        granted_by="admin",
        granted_on=date(2007, 1, 1),
    )


def viewer(*bindings: Binding) -> Viewer:
    return Viewer(Caller("http://127.0.0.1:8000/dev/", "someone", None, tuple(bindings)))


@pytest.mark.parametrize("update", [*REQUEST_FOR, "propose"])
def test_every_step_has_a_form_with_each_of_the_contracts_fields_but_who_acts(
    update: str,
) -> None:
    model = StartPartnership if update == "propose" else REQUEST_FOR[update]
    expected = set(model.model_fields) - {"actor", "expected_version", "region"}
    assert {f.name for f in form_fields(update)} == expected


def test_components_are_checkboxes_and_member_states_the_interested_ones() -> None:
    fields = {f.name: f for f in form_fields("launch_partnership", member_states=["ES", "PT"])}
    assert fields["components"].kind == "checkboxes"
    assert {c.value for c in fields["components"].choices} == {c.value for c in Component}
    assert [c.value for c in fields["member_states"].choices] == ["ES", "PT"]
    assert fields["signed_on"].kind == "date"
    offers = {f.name: f for f in form_fields("respond_to_consultation")}["offers"]
    # Visa facilitation is the Community's to offer (point 10), not a Member State's.
    assert {c.value for c in offers.choices} == {c.value for c in MEMBER_STATE_OFFERS}
    community = {f.name: f for f in form_fields("conclude_talks")}["community_offers"]
    assert {c.value for c in community.choices} == {c.value for c in COMMUNITY_OFFERS}


def test_a_representative_answers_for_their_own_member_state_only() -> None:
    fields = form_fields("respond_to_consultation", acting_for="PT")
    member_state = next(f for f in fields if f.name == "member_state")
    assert member_state.kind == "fixed"
    assert [(c.value, c.label) for c in member_state.choices] == [("PT", "Portugal")]


def test_a_new_form_dates_what_happens_today_and_ticks_every_interested_member_state() -> None:
    fields = form_fields("record_talks_round", member_states=["ES", "PT"])
    typed = defaults(fields, date(2008, 6, 5), member_states=["ES", "PT"])
    assert typed.value("held_on") == "2008-06-05"
    assert typed.checked("member_states", "PT")
    assert typed.checked("member_states", "ES")
    assert typed.value("summary") == ""


@given(st.sets(st.sampled_from(sorted(MEMBER_STATE_OFFERS))))
def test_the_offers_ticked_are_the_offers_sent(ticked: set[Component]) -> None:
    fields = form_fields("respond_to_consultation", acting_for="PT")
    typed = Typed(
        values={"member_state": "PT", "position": "interested", "occurred_on": "2007-07-16"},
        lists={"offers": [c.value for c in ticked]},
    )
    sent = request_for("respond_to_consultation", typed, fields, PORTUGAL, expected_version=3)
    assert isinstance(sent, RespondToConsultationRequest)
    assert set(sent.offers) == ticked
    assert sent.expected_version == 3
    assert sent.occurred_on == date(2007, 7, 16)


def test_yes_and_no_are_the_third_countrys_willingness() -> None:
    fields = form_fields("conclude_talks")
    for answer, willing in (("yes", True), ("no", False)):
        typed = typed_from({"third_country_willing": answer}, fields)
        sent = request_for("conclude_talks", typed, fields, COMMISSION)
        assert sent.command().model_dump()["third_country_willing"] is willing


def test_a_missing_field_is_named_and_what_was_typed_stays() -> None:
    fields = form_fields("propose")
    typed = typed_from({"country": "CV", "terms_of_reference": "kept", "rationale": "  "}, fields)
    with pytest.raises(ValidationError) as refused:
        request_for("propose", typed, fields, COMMISSION)
    assert field_errors(refused.value, fields) == {"rationale": "This field is required."}
    assert typed.value("terms_of_reference") == "kept"


def test_a_representative_is_offered_their_own_answer_only() -> None:
    view = status_view(Partnership(country="CV", stage=Stage.CONSULTATION, version=1))
    offers = viewer(binding(BindingRole.MEMBER_STATE, "PT")).offers(view)
    assert [(o.update, o.acting_for) for o in offers] == [("respond_to_consultation", "PT")]
    two = viewer(binding(BindingRole.MEMBER_STATE, "PT"), binding(BindingRole.MEMBER_STATE, "ES"))
    assert {o.acting_for for o in two.offers(view)} == {"PT", "ES"}
    assert two.offer(view, "respond_to_consultation", "FR") is None


def test_someone_without_an_acting_role_is_offered_nothing() -> None:
    view = status_view(Partnership(country="CV", stage=Stage.CONSULTATION, version=1))
    assert viewer(binding(BindingRole.ADMINISTRATOR)).offers(view) == []
    assert viewer(binding(BindingRole.OPERATOR)).offers(view) == []
    assert viewer().offers(view) == []


def test_a_version_mismatch_is_told_as_someone_else_acting_first() -> None:
    refusal = refusal_of(Rejected("the partnership is at version 4", kind="VersionMismatch"))
    assert refusal.is_conflict
    assert refusal.title == "Someone else acted first"
    assert "the partnership is at version 4" in refusal.message


def test_a_domain_refusal_is_told_in_the_domains_words() -> None:
    refusal = refusal_of(Rejected("talks are authorised by the Presidency", kind="NotPermitted"))
    assert (refusal.kind, refusal.message) == (
        "NotPermitted",
        "talks are authorised by the Presidency",
    )
    assert not refusal.is_conflict


def test_an_unreachable_service_is_told_without_its_details() -> None:
    refusal = refusal_of(Unavailable("cannot reach Temporal at 10.0.0.7:7233"))
    assert "10.0.0.7" not in refusal.message
    assert "nothing was read or recorded" in refusal.message


def test_an_unforeseen_error_is_not_dressed_as_a_refusal() -> None:
    with pytest.raises(KeyError):
        refusal_of(KeyError("bug"))


def test_steps_read_as_tasks_with_english_country_names() -> None:
    assert wording.task("respond_to_consultation", "CV", "PT") == (
        "Answer the consultation on Cabo Verde for Portugal"
    )
    assert wording.task("authorise_talks", "GE") == "Authorise talks with Georgia"
    assert wording.task("record_council_decision", "MD") == "Record the Council decision on Moldova"
    assert wording.people_date(date(2008, 6, 5)) == "5 June 2008"


def test_what_happens_next_names_the_deadline_and_an_end_says_nothing_more() -> None:
    said = wording.what_next("council_decision", None, date(2007, 12, 31))
    assert said == "The Presidency records the Council's decision, due by 31 December 2007."
    assert "nothing more" in wording.what_next("launched", None, None)
    assert {s.value for s in Stage} <= set(wording.STAGE_LABELS)


def test_an_overdue_step_stands_out_in_the_inbox() -> None:
    item = InboxItem(
        country="CV",
        stream_id="partnership-CV/1",
        stage="consultation",
        update="respond_to_consultation",
        actor=PORTUGAL,
        deadline=date(2008, 6, 2),
        days_left=-3,
        overdue=True,
    )
    task = task_of(item, date(2008, 6, 5))
    assert task.title == "Answer the consultation on Cabo Verde for Portugal"
    assert task.href == "/cases/CV/act/respond_to_consultation?for=PT"
    assert task.when == "3 days overdue"
    html = TEMPLATES.env.get_template("inbox.html").render(
        request=SimpleNamespace(url=SimpleNamespace(path="/")),
        csrf_token="t",
        viewer=viewer(binding(BindingRole.MEMBER_STATE, "PT")),
        tasks=[task],
        today=date(2008, 6, 5),
    )
    assert '<tr class="overdue">' in html
    assert "Overdue</strong> 3 days overdue" in html
    assert '<time datetime="2008-06-02">2 June 2008</time>' in html


def test_an_empty_inbox_says_so() -> None:
    html = TEMPLATES.env.get_template("inbox.html").render(
        request=SimpleNamespace(url=SimpleNamespace(path="/")),
        csrf_token="t",
        viewer=viewer(binding(BindingRole.OPERATOR)),
        tasks=[],
        today=date(2008, 6, 5),
    )
    assert "Nothing awaits you: there is no step you may take now." in html
    assert "<table" not in html


def test_the_timeline_words_events_with_english_names() -> None:
    moment = datetime(2008, 6, 5, 12, tzinfo=UTC)
    answered = ConsultationAnswered(
        actor=Actor(id="kostas", role=Role.MEMBER_STATE, member_state="EL"),
        occurred_on=date(2007, 7, 16),
        recorded_at=moment,
        member_state="EL",
        position=Position.INTERESTED,
        offers=(Component.LEGAL_MIGRATION, Component.VISA_FACILITATION),
    )
    assert event_words(answered) == (
        "Greece answered: interested, offering legal migration opportunities and visa facilitation."
    )
    launched = PartnershipLaunched(
        actor=COMMISSION,
        occurred_on=date(2008, 6, 5),
        recorded_at=moment,
        member_states=("ES", "FR", "LU", "PT"),
        components=(Component.LEGAL_MIGRATION,),
    )
    assert event_words(launched) == (
        "Launched: the joint declaration was signed with Spain, France, Luxembourg and Portugal."
    )
