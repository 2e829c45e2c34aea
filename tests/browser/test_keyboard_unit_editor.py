"""The unit editor's whole flow by keyboard alone: log in, open the self-assessment, rate with
arrows and Space, write the motivations, save a draft, submit with an answer missing, follow
the error summary to the field, fix it and submit. Only keys are pressed (Tab, Shift+Tab,
arrows, Space, Enter and typing into the focused field); after each step the test checks where
focus is and that the sticky save bar never covers it (WCAG 2.2 2.4.11)."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.browser.keyboard import assert_focus, assert_not_obscured, focus_state, focused, tab_to
from tests.rounds_factory import DESCRIPTIONS, RATINGS, make_round

pytestmark = pytest.mark.browser

PAGE = "/granskning/granskning-2026/sdn-norr/sjalvskattning"
# The key each rating is set with, and the value it gives: Space ticks the first option of a
# group nothing is ticked in, an arrow moves to (and ticks) the next or, upwards, the last one.
RATING_KEYS = {"Space": "ja", "ArrowDown": "delvis", "ArrowUp": "nej"}


@pytest.fixture
def editor_page(live_app, browser, live_server):  # type: ignore[no-untyped-def]
    with live_app.app_context():
        make_round(units=("sdn-norr", "sdn-syd"))
        db.session.remove()
    context = browser.new_context(base_url=live_server.url, locale="sv-SE", viewport={"width": 800, "height": 600})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def log_in_by_keyboard(page, email: str = "editor@test.se") -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import PASSWORD

    page.goto("/login")
    tab_to(page, page.get_by_label("E-postadress"))
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    assert_focus(page, page.get_by_label("Lösenord"))
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def submit_by_keyboard(page, button: str) -> None:  # type: ignore[no-untyped-def]
    """Tab forward to the bar's button named `button` and press Enter."""
    target = page.get_by_role("button", name=button, exact=True)
    tab_to(page, target)
    assert_focus(page, target)  # inside the bar: never covered by it
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()


def rate_and_motivate(page, skip: str) -> None:  # type: ignore[no-untyped-def]
    """From the top of the page: every rating by key and motivation, every description except `skip`."""
    keys = list(RATING_KEYS)
    for n, key in enumerate(RATINGS):
        first = page.locator(f"#q-{key}-0")
        tab_to(page, first)
        press = keys[n % len(keys)]
        page.keyboard.press(press)
        value = RATING_KEYS[press]
        checked = page.locator(f"input[name='q-{key}']:checked")
        assert checked.get_attribute("value") == value
        assert_focus(page, checked)  # focus moved with the arrow, onto the ticked option
        page.keyboard.press("Tab")
        assert_focus(page, page.locator(f"#q-{key}-motivation"))
        page.keyboard.type(f"Motivering {n + 1}.")
    for key in DESCRIPTIONS:
        if key == skip:
            continue
        tab_to(page, page.locator(f"#q-{key}"))
        page.keyboard.type(f"Beskrivning av {key}.")
        assert_not_obscured(page)


def test_a_refused_login_moves_focus_to_its_errors(editor_page):
    """No password, then a wrong one: each time the error summary gets focus and its link leads
    to the password field, which says what is wrong."""
    from tests.conftest import PASSWORD

    page = editor_page
    page.goto("/login")
    tab_to(page, page.get_by_label("E-postadress"))
    page.keyboard.type("editor@test.se")
    summary = page.locator("#error-summary")
    for password in ("", "fel-lösenord"):
        page.keyboard.type(password)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert_focus(page, summary)
        page.keyboard.press("Tab")
        assert_focus(page, summary.get_by_role("link").first)
        page.keyboard.press("Enter")
        field = page.get_by_label("Lösenord")
        assert_focus(page, field)
        assert field.get_attribute("aria-invalid") == "true"
    assert "Fel e-postadress eller lösenord" in summary.inner_text()
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert focus_state(page) is None  # logged in: no error, focus stays at the start
    assert page.get_by_role("button", name="Logga ut").count() == 1


def test_unit_editor_rates_saves_fixes_an_error_and_submits_by_keyboard_alone(editor_page):
    page = editor_page
    log_in_by_keyboard(page)
    assessment = page.locator(f"a[href$='{PAGE}']")
    tab_to(page, assessment)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(PAGE)
    assert focus_state(page) is None  # a plain page load: nothing steals focus

    rate_and_motivate(page, skip="behov")
    # The last fields sit where the sticky bar is: each is scrolled clear of it on focus.
    tab_to(page, page.locator("#q-ovrigt"))
    assert_focus(page, page.locator("#q-ovrigt"))

    submit_by_keyboard(page, "Spara utkast")
    assert "Utkastet är sparat" in page.locator(".flashes").inner_text()
    assert focus_state(page) is None, focused(page)  # saved: no error summary to move to
    assert page.locator("#q-kannedom-motivation").input_value() == "Motivering 1."

    # Submitting with "behov" empty: the page comes back with the summary focused.
    submit_by_keyboard(page, "Skicka in")
    summary = page.locator("#error-summary")
    assert_focus(page, summary)
    links = summary.get_by_role("link")
    assert links.count() == 1
    page.keyboard.press("Tab")
    assert_focus(page, links.first)
    page.keyboard.press("Enter")
    field = page.locator("#q-behov")
    assert_focus(page, field)
    page.keyboard.type("Gemensamt metodstöd.")
    page.keyboard.press("Tab")
    assert_focus(page, page.locator("#q-ovrigt"))

    submit_by_keyboard(page, "Skicka in")
    assert "Svaren är inskickade" in page.locator(".flashes").inner_text()
    assert page.locator("#error-summary").count() == 0
    assert focus_state(page) is None
    assert "Gemensamt metodstöd." in page.locator("main").inner_text()


@pytest.mark.parametrize("width,height", [(1280, 720), (800, 600), (390, 700), (700, 400)])
def test_no_tab_stop_of_the_answering_page_is_under_the_save_bar(editor_page, width, height):
    """Tab through the whole form and back (Shift+Tab) at desktop, small, phone and short sizes."""
    page = editor_page
    log_in_by_keyboard(page)
    page.set_viewport_size({"width": width, "height": height})
    page.goto(PAGE)
    last = page.get_by_role("button", name="Skicka in", exact=True)
    forward = tab_to(page, last, max_presses=120)  # every stop on the way is checked
    assert forward > len(RATINGS) * 2 + len(DESCRIPTIONS)
    tab_to(page, page.locator("#q-kannedom-0"), backwards=True, max_presses=120)
