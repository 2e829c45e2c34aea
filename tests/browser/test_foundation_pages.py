"""The foundation's pages in a real browser: login, language, keyboard use and WCAG 2.1 AA."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import axe_violations, log_in

pytestmark = pytest.mark.browser


def test_login_with_the_keyboard_alone(page):
    page.goto("/login")
    # The first Tab reaches the skip link; it moves focus to the main content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Hoppa till innehållet"
    page.keyboard.press("Enter")
    page.locator("#email").focus()
    page.keyboard.type("admin@test.se")
    page.keyboard.press("Tab")
    page.keyboard.type("rätt-häftigt-lösen-2026")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/admin/"))
    assert page.get_by_role("heading", level=1).inner_text() == "Översikt"


def test_language_switch_to_english_and_back(page):
    page.goto("/login")
    assert page.locator("html").get_attribute("lang") == "sv"
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("button", name="Svenska").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "sv"


@pytest.mark.parametrize("path", ["/login", "/integritet", "/tillganglighet", "/finns-inte"])
def test_public_pages_have_no_wcag_violations(page, path):
    page.goto(path)
    assert axe_violations(page) == []


@pytest.mark.parametrize("path", ["/admin/", "/admin/enheter", "/admin/enheter/ny", "/admin/enheter/soc",
                                  "/admin/enheter/import", "/admin/anvandare", "/admin/anvandare/ny",
                                  "/admin/logg", "/konto/losenord"])
def test_admin_pages_have_no_wcag_violations(page, path):
    log_in(page, "admin@test.se")
    page.goto(path)
    assert axe_violations(page) == []


def test_form_errors_are_announced_and_tied_to_their_fields(page):
    log_in(page, "admin@test.se")
    page.goto("/admin/enheter/ny")
    page.get_by_role("button", name="Spara").click()
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    assert summary.get_attribute("role") == "alert"
    key = page.locator("#key")
    assert key.get_attribute("aria-invalid") == "true"
    assert "key-error" in (key.get_attribute("aria-describedby") or "")
    assert axe_violations(page) == []
