"""From a unit's self-assessment to the city's picture in a real browser: filled in, saved, left,
resumed and submitted; then the comparison page and the city PDF, downloaded with the keyboard."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.browser.conftest import log_in
from tests.conftest import make_user
from tests.rounds_factory import full_answers, make_round
from tests.test_unit_report import answer

pytestmark = pytest.mark.browser

ANSWERS = "/granskning/granskning-2026/sdn-norr/sjalvskattning"
COMPARISON = "/lagesbild/granskning-2026"


@pytest.fixture
def round_with_syd_submitted(live_app):  # type: ignore[no-untyped-def]
    """An open round for Norra and Södra; Södra has submitted "Delvis" on all nine statements."""
    with live_app.app_context():
        make_user("other@test.se", "unit_editor", ("sdn-syd",))
        make_round(units=("sdn-norr", "sdn-syd"))
        answer("granskning-2026", "sdn-syd", "other@test.se", ("delvis",) * 9, 2026)
        db.session.remove()
    return live_app


def fill_in(page, data: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    for name, value in data.items():
        field = page.locator(f"[name='{name}']").first
        if field.get_attribute("type") == "radio":
            page.locator(f"input[name='{name}'][value='{value}']").check()
        else:
            field.fill(value)


def test_a_self_assessment_is_filled_in_saved_left_resumed_and_submitted(round_with_syd_submitted, page):
    data = full_answers("Vi har rutiner och utbildning.")
    first_half = dict(list(data.items())[:8])  # kannedom … hantera with their motivations
    log_in(page, "editor@test.se")
    page.goto(ANSWERS)
    fill_in(page, first_half)
    page.get_by_role("button", name="Spara utkast").click()
    page.wait_for_load_state()

    page.goto("/granskning/")  # leaves for the overview, then comes back
    page.goto(ANSWERS)
    for name, value in first_half.items():
        if name.endswith("-motivation"):
            assert page.locator(f"#{name}").input_value() == value
        else:
            assert page.locator(f"input[name='{name}'][value='{value}']").is_checked()
    fill_in(page, {k: v for k, v in data.items() if k not in first_half})
    page.get_by_role("button", name="Skicka in").click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name="Skicka in").count() == 0  # submitted: nothing left to edit
    assert page.locator("[name='q-kannedom-motivation']").count() == 0


def test_the_comparison_shows_the_submitted_units_and_the_pdf_is_downloaded_with_the_keyboard(
        round_with_syd_submitted, page):
    with round_with_syd_submitted.app_context():
        answer("granskning-2026", "sdn-norr", "editor@test.se", ("ja",) * 9, 2026)
        db.session.remove()
    log_in(page, "admin@test.se")
    page.goto(COMPARISON)
    assert "2 av 2 enheter har lämnat in" in page.locator("table.city-matrix caption").inner_text()
    rows = page.locator("table.city-matrix tbody tr")
    weak = {rows.nth(i).locator("th").inner_text(): rows.nth(i).locator("td").last.inner_text()
            for i in range(rows.count())}
    assert weak == {"Norra stadsdelsnämnden": "0", "Södra stadsdelsnämnden": "9"}

    pdf_link = page.get_by_role("link", name="Lägesbilden som PDF")
    for _ in range(80):  # Tab until the link has focus, as someone without a mouse would
        page.keyboard.press("Tab")
        if pdf_link.evaluate("link => link === document.activeElement"):
            break
    else:
        raise AssertionError("the PDF link never received focus from the keyboard")
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    path = download_info.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
