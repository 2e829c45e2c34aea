"""The answering page in a real browser: background saving, retrying after a failed save, the
conflict stop, and WCAG 2.1 AA on the answering, conflict and round pages."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from tests.browser.conftest import axe_violations, log_in
from tests.rounds_factory import make_round

pytestmark = pytest.mark.browser

PAGE = "/granskning/granskning-2026/sdn-norr/sjalvskattning"


@pytest.fixture
def answering(live_app, page):  # type: ignore[no-untyped-def]
    with live_app.app_context():
        make_round(units=("sdn-norr", "sdn-syd"))
        db.session.remove()
    log_in(page, "editor@test.se")
    page.goto(PAGE)
    return page


def test_typing_is_saved_in_the_background_and_survives_a_reload(answering):
    page = answering
    page.locator("#q-kannedom-motivation").fill("Skrivet utan att klicka på spara.")
    status = page.locator("#autosave-status")
    status.filter(has_text="Sparat").wait_for(timeout=15_000)
    assert page.locator("input[name=base_version]").input_value() == "1"
    page.reload()
    assert page.locator("#q-kannedom-motivation").input_value() == "Skrivet utan att klicka på spara."


def test_autosave_says_not_saved_yet_and_retries_after_a_503_or_no_answer(answering):
    """A database restarting (503) or the network gone: "not saved yet", never "logged out",
    and the next try (2 s, then 4 s later) saves without anyone touching the page."""
    from playwright.sync_api import expect

    page = answering
    failures = ["503", "abort"]
    sent = []

    def flaky(route):  # type: ignore[no-untyped-def]
        sent.append(route.request.url)
        failure = failures.pop(0) if failures else None
        if failure == "503":
            route.fulfill(status=503, headers={"Retry-After": "10"}, content_type="application/json",
                          body='{"ok": false, "error": "unavailable", '
                               '"message": "Det gick inte att spara just nu – försök igen."}')
        elif failure == "abort":
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/autosave", flaky)
    status = page.locator("#autosave-status")
    page.locator("#q-kannedom-motivation").fill("Skrivet medan databasen startade om.")
    status.filter(has_text="Inte sparat ännu").wait_for(timeout=15_000)
    assert "loggats ut" not in status.inner_text()
    status.filter(has_text=re.compile(r"^Sparat \d")).wait_for(timeout=20_000)
    assert len(sent) == 3  # the 503, the lost answer, then the save
    assert page.locator("input[name=base_version]").input_value() == "1"

    # Saving goes on after the failures: the next change is saved too.
    page.locator("#q-kannedom-motivation").fill("Och en ändring till.")
    expect(page.locator("input[name=base_version]")).to_have_value("2", timeout=15_000)
    page.reload()
    assert page.locator("#q-kannedom-motivation").input_value() == "Och en ändring till."


def test_autosave_stops_on_a_conflict_and_the_save_button_shows_both_texts(answering, live_server, browser):
    page = answering
    other = browser.new_context(base_url=live_server.url, locale="sv-SE").new_page()
    log_in(other, "editor@test.se")
    other.goto(PAGE)
    other.locator("#q-risksyn").fill("Den andra flikens text.")
    other.get_by_role("button", name="Spara utkast").click()
    other.wait_for_load_state()

    page.locator("#q-risksyn").fill("Den första flikens text.")
    page.locator("#autosave-status").filter(has_text="Någon annan").wait_for(timeout=15_000)
    page.get_by_role("button", name="Spara utkast").click()
    page.wait_for_load_state()
    assert page.locator("#conflict").is_visible()
    assert "Den andra flikens text." in page.locator(".conflict-table").inner_text()
    assert page.locator("#q-risksyn").input_value() == "Den första flikens text."
    assert axe_violations(page) == []


def test_answering_and_round_pages_have_no_wcag_violations(answering, live_app):
    page = answering
    assert axe_violations(page) == []
    page.get_by_role("button", name="Skicka in").click()
    page.wait_for_load_state()
    assert axe_violations(page) == []  # the refused submission with its error summary
    page.goto("/granskning/")
    assert axe_violations(page) == []


def test_the_round_pages_have_no_wcag_violations(live_app, page):
    with live_app.app_context():
        make_round(units=("sdn-norr", "sdn-syd"))
        db.session.remove()
    log_in(page, "admin@test.se")
    for url in ("/admin/omgangar", "/admin/omgangar/ny", "/admin/omgangar/granskning-2026", PAGE):
        page.goto(url)
        assert axe_violations(page) == [], url
