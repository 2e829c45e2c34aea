"""The admin's main flow by keyboard alone (Tab, Shift+Tab, arrows, Space, Enter and typing): log
in, create a round of the self-assessment and the staff survey, open it, invite one more unit,
make access codes, and reopen a submitted answer with a reason after first forgetting it.

After each step the test asserts where focus is; on every Tab that the focused element lies in
the viewport and under no position:sticky or position:fixed element (bounding boxes); and on
each form that focus can leave it forwards to the footer and come back (no keyboard trap)."""

from __future__ import annotations

import csv
import io

import pytest

from app.config import PROJECT_ROOT
from app.services.questionnaires import load_folder
from tests.conftest import PASSWORD, login, post
from tests.rounds_factory import full_answers

pytestmark = pytest.mark.browser

ROUND = "keyboard-2026"
PAGE = f"/granskning/{ROUND}/sdn-norr/sjalvskattning"

# The focused element's box against every visible sticky or fixed element that does not contain it.
OBSCURED = """() => {
  const focused = document.activeElement;
  if (!focused || focused === document.body) return {focused: null};
  const box = focused.getBoundingClientRect();
  const covering = [];
  for (const element of document.querySelectorAll("body *")) {
    const style = getComputedStyle(element);
    if (!["sticky", "fixed"].includes(style.position) || element.contains(focused)) continue;
    if (style.display === "none" || style.visibility === "hidden") continue;
    const other = element.getBoundingClientRect();
    if (other.width && other.height && box.left < other.right && other.left < box.right
        && box.top < other.bottom && other.top < box.bottom) covering.push(element.outerHTML.slice(0, 80));
  }
  const inView = box.bottom > 0 && box.top < innerHeight && box.right > 0 && box.left < innerWidth;
  return {focused: focused.outerHTML.slice(0, 120), covering, inView};
}"""


def check_visible(page) -> None:  # type: ignore[no-untyped-def]
    seen = page.evaluate(OBSCURED)
    if seen["focused"] is not None:
        assert seen["inView"], f"focus is off screen: {seen['focused']}"
        assert not seen["covering"], f"{seen['focused']} is under {seen['covering']}"


def has_focus(target) -> bool:  # type: ignore[no-untyped-def]
    return bool(target.evaluate("element => element === document.activeElement"))


def tab_to(page, target, *, back: bool = False, limit: int = 80) -> None:  # type: ignore[no-untyped-def]
    """Press Tab (or Shift+Tab) until `target` (a locator) has focus."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        check_visible(page)
        if has_focus(target):
            return
    raise AssertionError(f"{target} not reached in {limit} presses of {'Shift+Tab' if back else 'Tab'}")


def assert_not_trapped(page, here) -> None:  # type: ignore[no-untyped-def]
    """From `here`, Tab reaches the footer's last link and Shift+Tab comes back to `here`."""
    tab_to(page, page.get_by_role("link", name="Tillgänglighetsredogörelse"), limit=150)
    tab_to(page, here, back=True, limit=150)


def press_and_wait(page, key: str = "Enter") -> None:  # type: ignore[no-untyped-def]
    with page.expect_navigation():
        page.keyboard.press(key)


@pytest.fixture
def questionnaires(live_app):  # type: ignore[no-untyped-def]
    with live_app.app_context():
        assert load_folder([PROJECT_ROOT / "questionnaires" / "sjalvskattning.yaml",
                            PROJECT_ROOT / "questionnaires" / "medarbetarenkat.yaml"]).ok
    return live_app


def test_the_admin_runs_a_round_by_keyboard_alone(page, questionnaires):
    # Log in: the first Tab reaches the skip link, then the fields in order.
    page.goto("/login")
    page.keyboard.press("Tab")
    assert has_focus(page.get_by_role("link", name="Hoppa till innehållet"))
    tab_to(page, page.get_by_label("E-postadress"))
    page.keyboard.type("admin@test.se")
    page.keyboard.press("Tab")
    assert has_focus(page.get_by_label("Lösenord"))
    page.keyboard.type(PASSWORD)
    press_and_wait(page)
    assert page.get_by_role("heading", level=1).inner_text() == "Översikt"

    # To a new round through the menu.
    tab_to(page, page.get_by_role("link", name="Omgångar", exact=True))
    press_and_wait(page)
    tab_to(page, page.get_by_role("link", name="Ny omgång"))
    press_and_wait(page)
    name = page.get_by_label("Namn", exact=True)
    tab_to(page, name)
    assert_not_trapped(page, name)
    page.keyboard.type("Granskning med tangentbord")
    page.keyboard.press("Tab")
    assert has_focus(page.get_by_label("Nyckel", exact=True))
    page.keyboard.type(ROUND)
    page.keyboard.press("Tab")
    year = page.get_by_label("År", exact=True)
    assert has_focus(year)
    this_year = int(year.input_value())
    page.keyboard.press("ArrowUp")
    assert int(year.input_value()) == this_year + 1
    page.keyboard.press("ArrowDown")
    assert int(year.input_value()) == this_year
    for label in ("Gemensam granskning – otillåten påverkan: självskattning",
                  "Enkät till medarbetare om otillåten påverkan",
                  "Norra stadsdelsnämnden"):
        box = page.get_by_role("checkbox", name=label).first
        tab_to(page, box)
        page.keyboard.press("Space")
        assert box.is_checked()
    tab_to(page, page.get_by_role("button", name="Skapa omgången"))
    press_and_wait(page)
    assert page.get_by_role("heading", level=1).inner_text() == "Granskning med tangentbord"

    # Open it: after the reload focus starts at the top again, and the button is reachable.
    tab_to(page, page.get_by_role("button", name="Öppna omgången"))
    press_and_wait(page)
    assert "Öppen" in page.locator(".round-status").inner_text()

    # Invite one more unit.
    south = page.get_by_role("checkbox", name="Södra stadsdelsnämnden")
    tab_to(page, south)
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert has_focus(page.get_by_role("button", name="Bjud in"))
    press_and_wait(page)
    assert page.locator("tr[data-unit='sdn-syd']").count() == 1

    # Make three codes for Norra on the survey's page.
    tab_to(page, page.get_by_role("link", name="Medarbetarenkät", exact=True))
    press_and_wait(page)
    count = page.locator("#count-sdn-norr")
    tab_to(page, count)
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    button = page.locator("tr", has=count).get_by_role("button", name="Hämta CSV")
    page.keyboard.press("Tab")
    assert has_focus(button)
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    codes = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert len([row for row in codes[1:] if row]) == 3
    assert has_focus(button)  # a download leaves focus where it was
    assert_not_trapped(page, button)

    # Norra submits its self-assessment (not part of the admin's flow).
    editor = questionnaires.test_client()
    assert login(editor, "editor@test.se").status_code == 302
    assert post(editor, PAGE, {**full_answers(), "base_version": "0", "action": "submit"}).status_code == 302

    # Reopen it with a reason, forgetting the reason first.
    tab_to(page, page.get_by_role("link", name="Omgångar", exact=True), back=True)
    press_and_wait(page)
    tab_to(page, page.get_by_role("link", name="Granskning med tangentbord"))
    press_and_wait(page)
    assert "Norra stadsdelsnämnden" in page.locator("tr[data-unit='sdn-norr']").inner_text()  # the self-assessment
    tab_to(page, page.get_by_role("link", name="Öppna igen Norra stadsdelsnämnden"))
    press_and_wait(page)
    reason = page.get_by_label("Skäl")
    tab_to(page, reason)
    assert_not_trapped(page, reason)
    page.keyboard.press("Tab")
    assert has_focus(page.get_by_role("button", name="Öppna igen"))
    press_and_wait(page)
    assert reason.get_attribute("aria-invalid") == "true"
    tab_to(page, page.get_by_role("link", name="Skäl: ", exact=False))  # the error summary's link
    page.keyboard.press("Enter")
    assert has_focus(reason)
    page.keyboard.type("Motiveringen till påstående 3 saknar underlag.")
    page.keyboard.press("Tab")
    assert has_focus(page.get_by_role("button", name="Öppna igen"))
    press_and_wait(page)
    assert "öppnade igen" in page.locator(".flashes").inner_text()
    assert page.locator("tr[data-unit='sdn-norr']").get_by_text("Öppnad igen").count() == 1

