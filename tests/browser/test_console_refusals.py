"""Refusals, conflicts and people without a step to take, in Chromium (issue 11's acceptance)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from activities.database import create_engine_from_url
from activities.directory_store import DirectoryStore
from app.dev_issuer import DevIssuer
from domain.directory import RevokeRole
from interfaces.api.server import create_app
from migrations import runner
from tests.browser.conftest import Person, ServedApp, Stack


def propose(person: Person, country: str) -> Page:
    """The Commission proposes `country` through the proposal's form."""
    page = person.page
    page.goto("/cases/new")
    page.get_by_label("Third country").fill(country)
    page.get_by_label("Rationale").fill(f"Test the concept with {country}")
    page.get_by_label("Terms of reference").fill("Council conclusions of June 2007, point 11")
    page.get_by_role("button", name="Propose a partnership").click()
    return page


def test_a_refused_step_shows_its_reason_and_keeps_what_was_typed(people: Any) -> None:
    alice = people("commission:alice")
    page = propose(alice, "FR")
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("The step was refused")
    expect(refusal).to_contain_text("FR is an EU Member State, not a third country")
    expect(page.get_by_label("Third country")).to_have_value("FR")
    expect(page.get_by_label("Rationale")).to_have_value("Test the concept with FR")


def test_a_form_with_a_missing_field_says_which_and_keeps_the_rest(people: Any) -> None:
    alice = people("commission:alice")
    page = alice.page
    page.goto("/cases/new")
    page.get_by_label("Third country").fill("TN")
    page.get_by_label("Terms of reference").fill("Kept as typed")
    page.get_by_role("button", name="Propose a partnership").click()
    errors = page.get_by_role("alert")
    expect(errors).to_contain_text("Rationale: This field is required.")
    expect(page.get_by_label("Rationale")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Terms of reference")).to_have_value("Kept as typed")


def test_two_people_acting_on_the_same_partnership_get_the_conflict_message(
    people: Any,
) -> None:
    propose(people("commission:alice"), "MA")
    maria = people("member_state:PT:maria")
    # Without JavaScript: the plain form, POST and redirect, does the same.
    jose = people("member_state:ES:jose", javascript=False)
    for person, country in ((maria, "Portugal"), (jose, "Spain")):
        person.page.goto("/cases/MA")
        person.page.get_by_role("link", name=f"Answer the consultation for {country}").click()
        person.page.get_by_label("Interested", exact=True).check()
    jose.page.get_by_label("Comments").fill("Spain's comment, typed before Portugal answered")

    maria.page.get_by_role("button", name="Answer the consultation").click()
    expect(maria.page.locator(".success")).to_contain_text("Recorded")

    jose.page.get_by_role("button", name="Answer the consultation").click()
    conflict = jose.page.get_by_role("alert")
    expect(conflict).to_contain_text("Someone else acted first")
    expect(conflict).to_contain_text("version 2")
    expect(jose.page.locator(".stage-line")).to_contain_text("version 2")
    expect(jose.page.get_by_label("Comments")).to_have_value(
        "Spain's comment, typed before Portugal answered"
    )
    # Portugal opens its amendment at version 2, then Spain sends its answer again against
    # the state now shown: it is recorded (version 3).
    maria.page.goto("/cases/MA")
    maria.page.get_by_role("link", name="Answer the consultation for Portugal").click()
    maria.page.get_by_label("Not interested").check()
    jose.page.get_by_role("button", name="Answer the consultation").click()
    expect(jose.page.locator(".success")).to_contain_text("Recorded")
    answers = jose.page.get_by_role("region", name="The consultation's answers")
    expect(answers).to_contain_text("Spain's comment")
    expect(answers).to_contain_text("Portugal")

    # With JavaScript, htmx sends the version seen as If-Match: it too meets the conflict.
    with maria.page.expect_request(lambda sent: sent.method == "POST") as posted:
        maria.page.get_by_role("button", name="Answer the consultation").click()
    assert posted.value.headers.get("if-match") == '"2"'
    expect(maria.page.get_by_role("alert")).to_contain_text("Someone else acted first")
    expect(maria.page.locator(".stage-line")).to_contain_text("version 3")
    expect(maria.page.get_by_label("Not interested")).to_be_checked()


def test_someone_without_a_step_or_a_binding_sees_no_action(people: Any, stack: Stack) -> None:
    propose(people("commission:alice"), "SN")
    olga = people("operator:olga")
    page = olga.page
    expect(page.get_by_text("Nothing awaits you")).to_be_visible()
    page.goto("/cases/SN")
    expect(page.get_by_text("You have no step to take on this partnership now.")).to_be_visible()
    page.goto("/cases/SN/act/close_consultation")
    expect(page.get_by_text("You may not take this step now.")).to_be_visible()
    expect(page.get_by_role("button", name="Close the consultation")).to_have_count(0)

    luca = people("member_state:IT:luca")
    luca.page.goto("/cases/SN")
    expect(luca.page.get_by_role("link", name="Answer the consultation for Italy")).to_be_visible()
    directory = DirectoryStore(stack.engine)
    issuer = DevIssuer(stack.settings).issuer
    for binding in directory.bindings_of(issuer, "luca", datetime.now(UTC).date()):
        directory.revoke(RevokeRole(binding_id=binding.binding_id, revoked_by="administrator"))
    luca.page.goto("/cases/SN")
    expect(luca.page.get_by_text("You have no role here")).to_be_visible()
    expect(luca.page.get_by_role("link", name="Answer the consultation for Italy")).to_have_count(0)


@pytest.fixture
def without_temporal(tmp_path: Path, stack: Stack) -> Iterator[Stack]:
    """The console on a store of its own, its Temporal address one where nothing listens."""
    url = f"sqlite:///{tmp_path / 'partnerships.db'}"
    runner.upgrade(url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    nothing = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    nothing.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    settings = stack.settings.model_copy(
        update={
            "database_url": url,
            "data_dir": str(tmp_path),
            "dev_issuer_url": f"{base}/dev/",
            "temporal_address": f"127.0.0.1:{nothing.getsockname()[1]}",
        }
    )
    engine = create_engine_from_url(url)
    try:
        with ServedApp(create_app(settings), sock):
            yield Stack(url=base, settings=settings, engine=engine)
    finally:
        engine.dispose()
        nothing.close()


def test_a_page_that_temporal_cannot_answer_says_so_and_the_inbox_still_reads(
    without_temporal: Stack, browser: Any
) -> None:
    without_temporal.grant("commission:carla")
    carla = Person(without_temporal, browser, "commission:carla").sign_in()
    try:
        expect(carla.page.get_by_text("Nothing awaits you")).to_be_visible()
        response = carla.page.goto("/cases/CV")
        assert response is not None
        assert response.status == 503
        expect(carla.page.get_by_role("heading", level=1)).to_have_text("The service is busy")
        expect(carla.page.get_by_role("alert")).to_contain_text("nothing was read or recorded")
        expect(carla.page.get_by_role("link", name="Try again")).to_be_visible()
    finally:
        carla.close()


def test_a_representative_cannot_answer_for_another_member_state(people: Any) -> None:
    propose(people("commission:alice"), "EG")
    maria = people("member_state:PT:maria")
    page = maria.page
    response = page.goto("/cases/EG/act/respond_to_consultation?for=ES")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_text("You may not take this step now.")).to_be_visible()
    expect(page.get_by_role("button", name="Answer the consultation")).to_have_count(0)
    # Sent anyway (a crafted request with the session's CSRF token), the domain refuses it.
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    sent = page.request.post(
        "/cases/EG/act/respond_to_consultation?for=ES",
        form={
            "csrf_token": token or "",
            "member_state": "ES",
            "position": "interested",
        },
    )
    assert sent.status == 403
    assert "The step was refused" in sent.text()
    assert "maria (member_state, PT) may answer only for PT, not for ES" in sent.text()
