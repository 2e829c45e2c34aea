"""A respondent answers the shipped staff survey by keyboard alone, along the "Ja" branch and
along the "Nej" branch (the paths of test_survey_branches), from the access code to the receipt.

Only keys are pressed: Tab and Shift+Tab to move, arrows to pick an option of a radio group
(Space for the first), Space to tick a box, typing into the focused field and Enter on a button.
After each step the test checks where focus is and that nothing sticky covers it; on every page
Tab from the last field leaves the form (focus is never trapped). A wrong code and a page sent
with a required answer missing move focus to the error, whose link leads to the field."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser import test_survey_branches as branches
from tests.browser.keyboard import (
    assert_focus,
    assert_not_trapped,
    focus_state,
    focused,
    has_focus,
    tab_to,
)
from tests.browser.test_survey_branches import PATHS, TITLES, Choose, Type

pytestmark = pytest.mark.browser

BRANCHES = ("ja_everywhere", "nej_everywhere")
# The open round of the shipped staff survey, served live, with its access codes (module scope).
survey_server = branches.survey_server
VIEWPORTS = {"ja_everywhere": {"width": 800, "height": 600}, "nej_everywhere": {"width": 390, "height": 700}}


@pytest.fixture(scope="module")
def keyboard_page(browser, survey_server) -> Iterator[tuple[object, Iterator[str]]]:  # type: ignore[no-untyped-def]
    """One browser page for the module (each test starts a new survey with a fresh code)."""
    server, codes = survey_server
    context = browser.new_context(base_url=server.url, locale="sv-SE", viewport={"width": 800, "height": 600})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page, codes
    context.close()


def press_button(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Tab to the button `name` (Shift+Tab when focus has gone past it) and press Enter."""
    button = page.get_by_role("button", name=name, exact=True)
    after = button.evaluate(
        "el => !!(document.activeElement && document.activeElement !== document.body"
        " && (el.compareDocumentPosition(document.activeElement) & Node.DOCUMENT_POSITION_FOLLOWING))")
    tab_to(page, button, backwards=after, max_presses=150)
    assert_focus(page, button)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()


def choose(page, action: Choose) -> None:  # type: ignore[no-untyped-def]
    """Tick `action.option` of its question (or matrix row) with the keyboard."""
    scope = page.locator(f"#question-{action.question}")
    if action.row:
        scope = scope.get_by_role("radiogroup", name=action.row, exact=True)
    target = scope.get_by_label(action.option, exact=True)
    if target.get_attribute("type") == "checkbox":
        tab_to(page, target)
        page.keyboard.press("Space")
    else:
        radios = scope.locator(f"input[type=radio][name='{target.get_attribute('name')}']")
        ids = [radio.get_attribute("id") for radio in radios.all()]
        checked = [n for n, radio in enumerate(radios.all()) if radio.is_checked()]
        start = checked[0] if checked else 0
        # Tab lands on the ticked option of a group, or on its first when none is ticked.
        if not has_focus(radios.nth(start)):
            tab_to(page, radios.nth(start))
        wanted = ids.index(target.get_attribute("id"))
        if wanted == start:
            page.keyboard.press("Space")
        for _ in range(abs(wanted - start)):
            page.keyboard.press("ArrowDown" if wanted > start else "ArrowUp")
    assert target.is_checked(), f"{action} not ticked; focus on {focused(page)}"
    assert_focus(page, target)


def write(page, action: Type) -> None:  # type: ignore[no-untyped-def]
    question = page.locator(f"#question-{action.question}")
    field = question.get_by_role("textbox", name=action.label) if action.label else question.get_by_role("textbox")
    tab_to(page, field)
    page.keyboard.type(action.text)
    assert_focus(page, field)
    assert field.input_value() == action.text


def enter_code(page, code: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/enkat")
    field = page.get_by_label("Kod")
    tab_to(page, field)
    page.keyboard.type(code)
    press_button(page, "Fortsätt")


@pytest.mark.parametrize("path", BRANCHES)
def test_a_respondent_answers_every_page_of_a_branch_by_keyboard_alone(keyboard_page, path):
    page, codes = keyboard_page
    code = next(codes)
    # The "Nej" branch on a phone-sized window, the "Ja" branch on a small desktop one.
    page.set_viewport_size(VIEWPORTS[path])
    if path == BRANCHES[0]:
        # A mistyped code: the error gets focus; the next Tab is the code field.
        enter_code(page, "ABCD-EFGH-JKMN-PQRS")
        assert page.url.endswith("/enkat")
        error = page.locator("#error-summary")
        assert_focus(page, error)
        assert "kod" in error.inner_text().lower()
    enter_code(page, code)

    steps = PATHS[path]
    for number, step in enumerate(steps, 1):
        where = f"{path}, step {number} ({step.section})"
        assert page.get_by_role("heading", level=1, name=TITLES[step.section]).is_visible(), where
        assert focus_state(page) is None, f"{where}: focus on {focused(page)} before any key"
        actions = step.actions
        if number == 1:
            # The first page sent with its last question unanswered: focus goes to the summary,
            # its link to the question, and Tab from there into the question's options.
            *actions, missing = step.actions
            for action in actions:
                choose(page, action) if isinstance(action, Choose) else write(page, action)
            press_button(page, step.button)
            summary = page.locator("#error-summary")
            assert_focus(page, summary)
            link = summary.get_by_role("link")
            assert link.count() == 1, where
            page.keyboard.press("Tab")
            assert_focus(page, link)
            page.keyboard.press("Enter")
            assert_focus(page, page.locator(f"#q-{missing.question}"))
            actions = [missing]
        for action in actions:
            choose(page, action) if isinstance(action, Choose) else write(page, action)
        # From where the answers end, Tab leaves the form: nothing holds focus inside it.
        assert_not_trapped(page, page.locator("form.survey-form"))
        assert not page.locator("form.survey-form").evaluate("form => form.contains(document.activeElement)")
        press_button(page, step.button)
    assert page.url.endswith("/enkat/tack"), page.url
    assert page.get_by_role("heading", name="Tack! Ditt svar är sparat.").is_visible()
    assert focus_state(page) is None
