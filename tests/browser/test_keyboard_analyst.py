"""The analyst's main flow by keyboard alone: log in, find the round's comparison, filter it and
open the table behind its chart, pressing only Tab, Shift+Tab, arrows, Space and Enter and typing.

After every key the test asks where focus is, that the focused element is in view and not under
a fixed or sticky element (bounding boxes, and what the browser hit-tests at its centre), and
that focus moved (never trapped), with the helpers of tests/browser/keyboard.py. Screen reader
names are read from the accessibility tree.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.definitions.schema import RatingQuestion
from app.definitions.validate import check_file
from app.extensions import db
from tests.browser.keyboard import has_focus, press, tab_to
from tests.conftest import PASSWORD, make_user
from tests.rounds_factory import make_round
from tests.test_unit_report import answer

pytestmark = pytest.mark.browser

SHIPPED = Path(__file__).resolve().parents[2] / "questionnaires"
ROUND_NAME = "Gemensam granskning 2026"
COMPARISON = "/lagesbild/granskning-2026"
SUMMARY = "Siffrorna i diagrammet som tabell"

def link(page, text: str):  # type: ignore[no-untyped-def]
    return page.get_by_role("link", name=text, exact=True)


def open_page(page, key: str = "Enter") -> None:  # type: ignore[no-untyped-def]
    """Press a key that navigates, and wait for the new page."""
    with page.expect_navigation():
        page.keyboard.press(key)
    page.wait_for_load_state()


def statement_texts() -> list[str]:
    definition = check_file(SHIPPED / "sjalvskattning.yaml").definition
    assert definition is not None
    return [q.text.sv for q in definition.questions() if isinstance(q, RatingQuestion)]


@pytest.fixture
def analyst_round(live_app):  # type: ignore[no-untyped-def]
    """A round for two district boards and the housing company; Södra and the company submitted."""
    with live_app.app_context():
        make_user("analytiker@test.se", "analyst")
        make_user("syd@test.se", "unit_editor", ("sdn-syd",))
        make_user("bolaget@test.se", "unit_editor", ("bolag",))
        make_round(units=("sdn-norr", "sdn-syd", "bolag"))
        answer("granskning-2026", "sdn-syd", "syd@test.se", ("delvis",) * 9, 2026)
        answer("granskning-2026", "bolag", "bolaget@test.se", ("nej",) + ("ja",) * 8, 2026)
        db.session.remove()
    return live_app


def test_an_analyst_filters_the_comparison_and_reads_a_charts_table_by_keyboard_alone(analyst_round, page):
    statements = statement_texts()
    assert len(statements) == 9

    # Log in: the e-mail field is the first thing after the header, the password the next.
    page.goto("/login")
    tab_to(page, page.locator("input[name='email']"), max_presses=6)
    page.keyboard.type("analytiker@test.se")
    press(page, "Tab", expect=page.locator("input[name='password']"))
    page.keyboard.type(PASSWORD)
    open_page(page)
    assert page.url.endswith("/admin/")

    # From the main menu to the rounds, the round, and its comparison.
    tab_to(page, link(page, "Omgångar"), max_presses=12)
    open_page(page)
    tab_to(page, link(page, ROUND_NAME), max_presses=25)
    open_page(page)
    tab_to(page, link(page, "Lägesbilden: jämförelse mellan enheterna"), max_presses=25)
    open_page(page)
    assert page.url.endswith(COMPARISON)

    # The skip link, then straight into the filters: no link list in between.
    kind = page.locator("select[name='kind']")
    press(page, "Tab", expect=link(page, "Hoppa till innehållet"))
    press(page, "Enter", expect=page.locator("#main"))
    press(page, "Tab", expect=kind)

    # The statements are the matrix's column names for a screen reader, not bare numbers.
    for number, text in enumerate(statements, start=1):
        assert page.get_by_role("columnheader", name=f"{number}. {text}", exact=True).count() == 1

    # Choose "Bolag" with the arrow keys: nothing is sent until the button.
    for _ in range(3):
        press(page, "ArrowDown", expect=kind)
    assert kind.input_value() == "company"
    assert "kind=" not in page.url
    press(page, "Tab", expect=page.locator("select[name='part']"))
    press(page, "Tab", expect=page.locator("select[name='sort']"))
    press(page, "Tab", expect=page.get_by_role("button", name="Visa", exact=True))
    open_page(page)
    assert "kind=company" in page.url
    rows = page.locator("table.city-matrix tbody th")
    assert rows.all_inner_texts() == ["Stadens Bostäder AB"]

    # The new page starts the keyboard at the content: the next Tab is back in the filters,
    # which keep the choice; then on to the chart's table.
    assert page.url.endswith("#main")
    press(page, "Tab", expect=kind)
    assert kind.input_value() == "company"
    nav = page.locator("nav.city-nav a")
    nav_links = nav.count()
    summary = page.locator("details.chart-figures summary", has_text=SUMMARY).first
    # part, sort, Visa, every link of the page's navigation, then the chart's disclosure
    assert tab_to(page, summary, max_presses=3 + nav_links + 1) == 3 + nav_links + 1
    details = page.locator("details.chart-figures").first
    table = details.locator("table")
    assert not table.is_visible()
    assert page.get_by_role("columnheader", name=f"1. {statements[0]}", exact=True).count() == 1

    press(page, "Enter", expect=summary)  # opens; focus stays on the summary
    assert details.evaluate("d => d.open")
    assert table.is_visible()
    # The filtered unit, then the index row: the statements' indexes and the shown units' mean.
    assert table.locator("tbody th").all_inner_texts() == ["Stadens Bostäder AB", "Medelvärde för de visade enheterna"]
    assert table.locator("tbody td").first.inner_text() == "✗ Nej"
    # Now both tables name their columns by the statements.
    assert page.get_by_role("columnheader", name=f"1. {statements[0]}", exact=True).count() == 2
    press(page, "Space", expect=summary)  # Space closes it again ...
    assert not details.evaluate("d => d.open")
    press(page, "Space", expect=summary)  # ... and opens it
    assert details.evaluate("d => d.open")

    # Shift+Tab goes back to the last navigation link and Tab returns: focus is never held.
    press(page, "Shift+Tab", expect=nav.last)
    press(page, "Tab", expect=summary)

    # The rest of the page is reachable, to the footer, and focus then leaves the page.
    skip = link(page, "Hoppa till innehållet")
    accessibility = link(page, "Tillgänglighetsredogörelse")
    last_was_statement = False
    for _ in range(200):
        if press(page, "Tab") is None or has_focus(skip):
            break
        last_was_statement = has_focus(accessibility)
    else:
        raise AssertionError("Tab never left the page: focus is trapped")
    assert last_was_statement

    # Back to the footer's last link: the accessibility statement says what was tested and how.
    press(page, "Shift+Tab", expect=accessibility)
    open_page(page)
    statement = page.locator("main").inner_text()
    for words in ("axe-core", "enbart tangentbordet", "båda vägarna", "analytikern filtrerar jämförelsen",
                  "felsammanfattningen", "Tillgänglighetsträdet", "fasta eller klistrade element"):
        assert words in statement
