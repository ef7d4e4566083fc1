"""A partnership from proposal to launch, every step taken through the console's pages in
Chromium, by the people whose steps they are (issue 11's acceptance)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from playwright.sync_api import Page, expect

from domain.presidencies import presidency_on
from tests.browser.conftest import Person


def open_step(person: Person, country: str, link: str) -> Page:
    """From the partnership's page, follow the link of one step the person is offered."""
    page = person.page
    page.goto(f"/cases/{country}")
    page.get_by_role("link", name=link, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(link.split(" for ")[0])
    return page


def submit(page: Page, button: str) -> None:
    """Send the form and insist it was recorded."""
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator(".success")).to_contain_text("Recorded")


def test_a_partnership_goes_from_proposal_to_launch_through_the_pages(people: Any) -> None:
    alice = people("commission:alice")
    page = alice.page
    page.get_by_role("link", name="Propose", exact=True).click()
    page.get_by_label("Third country").fill("CV")
    page.get_by_label("Rationale").fill("Test the concept with Cabo Verde")
    page.get_by_label("Terms of reference").fill("Council conclusions of June 2007, point 11")
    page.get_by_role("button", name="Propose a partnership").click()
    expect(page.locator(".success")).to_contain_text("Consultation of the Member States")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cabo Verde")
    # htmx made it quicker (the page was swapped in, not reloaded), and the address is the
    # partnership's, as after the plain form's redirect.
    assert page.evaluate("typeof htmx") == "object"
    expect(page).to_have_url(re.compile(r"/cases/CV\?done=propose$"))

    maria = people("member_state:PT:maria")
    inbox = maria.page
    inbox.goto("/")
    task = inbox.get_by_role("link", name="Answer the consultation on Cabo Verde for Portugal")
    expect(task).to_be_visible()
    # Each representative sees only their own country's form.
    expect(inbox.get_by_role("link", name=re.compile("for Spain"))).to_have_count(0)
    task.click()
    expect(inbox.get_by_text("Answering for: Portugal")).to_be_visible()
    inbox.get_by_label("Interested", exact=True).check()
    inbox.get_by_label("Legal migration opportunities").check()
    inbox.get_by_label("Capacity building to manage migration").check()
    submit(inbox, "Answer the consultation")

    jose = people("member_state:ES:jose")
    jose.page.goto("/cases/CV")
    offered = jose.page.get_by_role("region", name="What you may do now").get_by_role("link")
    expect(offered).to_have_count(1)
    expect(offered).to_have_text("Answer the consultation for Spain")
    page = open_step(jose, "CV", "Answer the consultation for Spain")
    page.get_by_label("Interested", exact=True).check()
    page.get_by_label("Capacity building to manage migration").check()
    submit(page, "Answer the consultation")
    # Spain amends its answer; the earlier one stays reachable.
    page = open_step(jose, "CV", "Answer the consultation for Spain")
    page.get_by_label("Interested", exact=True).check()
    page.get_by_label("Legal migration opportunities").check()
    page.get_by_label("Comments").fill("Spain adds legal migration")
    submit(page, "Answer the consultation")
    answers = page.get_by_role("region", name="The consultation's answers")
    expect(answers.get_by_role("row", name=re.compile("Spain"))).to_contain_text("1 earlier answer")
    expect(answers.get_by_role("row", name=re.compile("Portugal"))).to_contain_text(
        "Capacity building to manage migration"
    )

    page = open_step(alice, "CV", "Close the consultation")
    submit(page, "Close the consultation")
    expect(page.locator(".success")).to_contain_text("The Presidency authorises")

    # The Presidency in office today, from the Council's order (its steps are dated today).
    joao = people(f"presidency:{presidency_on(datetime.now(UTC).date())}:joao")
    page = open_step(joao, "CV", "Authorise exploratory talks")
    page.get_by_label("Note").fill("Talks with the interested Member States")
    submit(page, "Authorise exploratory talks")

    page = open_step(alice, "CV", "Record a round of talks")
    # The interested Member States are ticked by default.
    expect(page.get_by_label("Portugal (PT)")).to_be_checked()
    page.get_by_label("Summary").fill("First round in Praia")
    page.get_by_label("Location").fill("Praia")
    submit(page, "Record a round of talks")
    page = open_step(alice, "CV", "Conclude the talks")
    page.get_by_label("Yes").check()
    # A willing third country commits to both (point 10).
    page.get_by_label("Cooperation against illegal immigration").check()
    page.get_by_label("Readmission and return").check()
    submit(page, "Conclude the talks")
    page = open_step(alice, "CV", "Submit the report to the Council")
    page.get_by_label("Launch the partnership").check()
    page.get_by_label("Summary").fill("A basis for a pilot partnership")
    submit(page, "Submit the report to the Council")

    page = open_step(joao, "CV", "Record the Council's decision")
    page.get_by_label("Invite the Commission to launch").check()
    submit(page, "Record the Council's decision")

    page = open_step(alice, "CV", "Launch the partnership")
    page.get_by_label("Legal migration opportunities").check()
    page.get_by_label("Readmission and return").check()
    page.get_by_label("Joint declaration reference").fill("Joint declaration EU–Cabo Verde")
    submit(page, "Launch the partnership")

    expect(page.locator(".stage-line")).to_contain_text("Launched")
    expect(page.get_by_text("Chain verified")).to_be_visible()
    record = page.get_by_role("region", name="Timeline and record")
    expect(record.get_by_role("row")).to_have_count(12)  # the heading row and 11 events
    expect(record.get_by_role("row", name=re.compile("PartnershipLaunched"))).to_contain_text(
        "api: alice"
    )
    expect(page.get_by_text("You have no step to take on this partnership now.")).to_be_visible()
    milestones = page.get_by_role("region", name="Milestones and their reports")
    milestones.locator("summary").filter(has_text="The launch").click()
    expect(milestones.locator(".report-body").last).to_contain_text("Cabo Verde")
    milestones.get_by_role("link", name="The launch: the Council's document").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cabo Verde")
    expect(page.locator("main")).to_contain_text("Portugal")


def test_the_board_filters_by_stage_region_and_year(people: Any) -> None:
    alice = people("commission:alice")
    page = alice.page
    page.goto("/cases/new")
    page.get_by_label("Third country").fill("UA")
    page.get_by_label("Rationale").fill("Test the concept with Ukraine")
    page.get_by_label("Terms of reference").fill("Council conclusions of June 2007, point 11")
    page.get_by_role("button", name="Propose a partnership").click()
    expect(page.locator(".success")).to_be_visible()

    page.goto("/board")
    page.get_by_label("Region", exact=True).select_option(label="Eastern and South-Eastern Europe")
    page.get_by_label("Stage", exact=True).select_option(label="Consultation of the Member States")
    page.get_by_role("button", name="Filter").click()
    listed = page.get_by_role("region", name=re.compile("Partnerships"))
    expect(listed.get_by_role("link", name="Ukraine")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("programme", re.I))).to_be_visible()
    page.get_by_label("Region", exact=True).select_option(label="Central Asia")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No partnership matches these filters.")).to_be_visible()
    this_year = datetime.now(UTC).year
    page.goto(f"/board?year={this_year}")
    expect(page.get_by_role("link", name="Ukraine")).to_be_visible()
    page.goto(f"/board?year={this_year - 1}")
    expect(page.get_by_role("link", name="Ukraine")).to_have_count(0)
