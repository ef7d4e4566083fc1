"""Signing in and out of the console in Chromium, through the development issuer's real
authorization code flow with PKCE: a new user names their role at the issuer, the session
cookie stays out of JavaScript's reach, and signing out ends the session."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Stack, axe_violations


def test_a_new_user_names_their_role_at_the_issuer_and_lands_signed_in(
    stack: Stack, browser: Any
) -> None:
    context = browser.new_context(base_url=stack.url)
    try:
        page = context.new_page()
        page.goto("/")
        expect(page).to_have_url(re.compile(r"/sign-in\?next=%2F$|/sign-in$"))
        page.get_by_label(re.compile("Or a new user")).fill("member_state:PT:rita")
        page.get_by_role("button", name="Sign in as this user").click()
        # At the development issuer: the role is carried over, and asked for once more.
        expect(page.get_by_role("heading", name="Development issuer")).to_be_visible()
        expect(page.get_by_label(re.compile("Role, Member State and user"))).to_have_value(
            "member_state:PT:rita"
        )
        page.get_by_role("button", name="Sign in as this user").click()
        page.wait_for_url(re.compile(r"/(\?.*)?$"))
        expect(page.get_by_text("Signed in as rita")).to_be_visible()
        # The next time, rita is one of the users listed on the sign-in page.
        other = context.new_page()
        other.goto("/sign-in")
        expect(other.get_by_role("button", name="Sign in as rita", exact=True)).to_be_visible()
    finally:
        context.close()


def test_the_session_cookie_is_out_of_reach_of_scripts_and_sign_out_ends_it(
    stack: Stack, browser: Any
) -> None:
    stack.grant("commission:celia")
    context = browser.new_context(base_url=stack.url)
    try:
        page = context.new_page()
        page.goto("/sign-in")
        page.get_by_role("button", name="Sign in as celia", exact=True).click()
        page.wait_for_url(re.compile(r"/(\?.*)?$"))
        expect(page.get_by_text("Signed in as celia")).to_be_visible()
        (cookie,) = [c for c in context.cookies() if c["name"] == "partnerships_console"]
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Lax"
        assert "partnerships_console" not in page.evaluate("document.cookie")
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_text("You have signed out.")).to_be_visible()
        page.goto("/board")
        expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Fboard$"))
    finally:
        context.close()


def test_the_sign_in_pages_have_no_serious_accessibility_violation(
    stack: Stack, browser: Any
) -> None:
    stack.grant("presidency:PT:paulo")
    context = browser.new_context(base_url=stack.url)
    try:
        page = context.new_page()
        page.goto("/sign-in")
        expect(page.get_by_role("button", name="Sign in as paulo", exact=True)).to_be_visible()
        assert axe_violations(page) == []
        # Without a name, the development issuer shows its own page of users.
        page.get_by_role("button", name="Sign in as this user").click()
        expect(page.get_by_role("heading", name="Development issuer")).to_be_visible()
        expect(page.get_by_role("button", name="paulo", exact=True)).to_be_visible()
        assert axe_violations(page) == []
    finally:
        context.close()
