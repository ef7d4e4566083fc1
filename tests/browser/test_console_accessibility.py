"""axe-core finds no serious or critical violation on the console's pages (issue 11; the
deliveries page, issue 12), and the pages can be worked with the keyboard alone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from playwright.sync_api import expect

from activities.delivery_log import Attempt, DeliveryLog
from activities.delivery_messages import DeliveryState, delivery_id
from tests.browser.conftest import Stack, axe_violations


def test_the_inbox_the_board_a_partnership_a_form_with_errors_and_the_deliveries_pass_axe(
    people: Any, stack: Stack
) -> None:
    alice = people("commission:alice")
    page = alice.page
    page.goto("/cases/new")
    page.get_by_label("Third country").fill("GE")
    page.get_by_label("Rationale").fill("Test the concept with Georgia")
    page.get_by_label("Terms of reference").fill("Council conclusions of June 2007, point 11")
    page.get_by_role("button", name="Propose a partnership").click()
    expect(page.locator(".success")).to_be_visible()
    assert axe_violations(page) == [], "the partnership's page"

    page.goto("/")
    expect(page.get_by_role("link", name="Close the consultation on Georgia")).to_be_visible()
    assert axe_violations(page) == [], "the inbox"

    page.goto("/board")
    expect(page.get_by_role("link", name="Georgia")).to_be_visible()
    assert axe_violations(page) == [], "the board"

    page.goto("/cases/new")
    page.get_by_label("Third country").fill("XX")
    page.get_by_role("button", name="Propose a partnership").click()
    expect(page.get_by_role("alert")).to_contain_text("This field is required")
    assert axe_violations(page) == [], "a form with errors"

    failed_delivery(stack)
    olga = people("operator:olga").page
    olga.goto("/delivery-log?state=failed")
    expect(olga.get_by_role("button", name="Send again").first).to_be_visible()
    assert axe_violations(olga) == [], "the deliveries"


def failed_delivery(stack: Stack) -> None:
    """A delivery that failed, written by the real delivery log (no subscriber is reached)."""
    at = datetime.now(UTC)
    key = delivery_id("partnership-GE/1", 9, "launch", f"s-{uuid.uuid4().hex[:8]}")
    log = DeliveryLog(stack.engine)
    log.open(
        delivery_id=key,
        stream_id="partnership-GE/1",
        version=9,
        kind="launch",
        subscription_id=key.rpartition(":")[2],
        subscriber="Council Secretariat",
        destination="https://council.example.eu/hooks",
        now=at,
    )
    log.record_attempt(key, Attempt(1, at, "retried", 30, 503, error="HTTP 503"))
    log.finish(key, DeliveryState.FAILED, at)


def test_a_step_can_be_taken_with_the_keyboard_alone(people: Any) -> None:
    alice = people("commission:alice")
    page = alice.page
    page.goto("/cases/new")
    page.keyboard.press("Tab")  # the skip link comes first
    expect(page.get_by_role("link", name="Skip to the content")).to_be_focused()
    page.get_by_label("Third country").focus()
    page.keyboard.type("AM")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Rationale")).to_be_focused()
    page.keyboard.type("Test the concept with Armenia")
    page.keyboard.press("Tab")
    page.keyboard.type("Council conclusions of June 2007, point 11")
    page.get_by_role("button", name="Propose a partnership").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".success")).to_contain_text("Recorded: Propose a partnership")


def test_the_accessibility_check_finds_a_field_without_a_label(browser: Any) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content(
            '<!doctype html><html lang="en"><head><title>t</title></head>'
            '<body><main><form><input type="text" name="x"></form></main></body></html>'
        )
        assert "label" in {violation["id"] for violation in axe_violations(page)}
    finally:
        context.close()
