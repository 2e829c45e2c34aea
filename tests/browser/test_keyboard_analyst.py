"""The analyst's main flow by keyboard alone: log in, find the round's comparison, filter it and
open the table behind its chart, pressing only Tab, Shift+Tab, arrows, Space and Enter and typing.

After every key the test asks where focus is, that the focused element is in view and not under
a fixed or sticky element (bounding boxes, and what the browser hit-tests at its centre), and
that focus moved (never trapped). Screen reader names are read from the accessibility tree.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.definitions.schema import RatingQuestion
from app.definitions.validate import check_file
from app.extensions import db
from tests.conftest import PASSWORD, make_user
from tests.rounds_factory import make_round
from tests.test_unit_report import answer

pytestmark = pytest.mark.browser

SHIPPED = Path(__file__).resolve().parents[2] / "questionnaires"
ROUND_NAME = "Gemensam granskning 2026"
COMPARISON = "/lagesbild/granskning-2026"
SUMMARY = "Siffrorna i diagrammet som tabell"

# Where focus is: a description a person would recognise, and a path that tells elements apart.
FOCUSED = """() => {
  const el = document.activeElement;
  const path = [];
  for (let node = el; node && node.parentElement; node = node.parentElement) {
    path.unshift(node.tagName + ':' + Array.prototype.indexOf.call(node.parentElement.children, node));
  }
  return {
    tag: el.tagName.toLowerCase(), id: el.id || '', name: el.getAttribute('name') || '',
    text: (el.innerText || el.value || '').trim().slice(0, 80), path: path.join('/'),
  };
}"""

# Problems with how the focused element is shown: outside the viewport, overlapped by an element
# that is position: fixed or sticky, or hidden under anything else at its centre.
OBSCURED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return [];
  const problems = [];
  const box = el.getBoundingClientRect();
  const seen = {top: Math.max(box.top, 0), bottom: Math.min(box.bottom, innerHeight),
                left: Math.max(box.left, 0), right: Math.min(box.right, innerWidth)};
  if (box.width === 0 || box.height === 0) problems.push('the focused element has no size');
  const tall = box.height > innerHeight;  // e.g. <main tabindex=-1>: only its top must show
  if (tall ? (box.top < 0 || box.top >= innerHeight)
           : (box.top < 0 || box.bottom > innerHeight || box.left < 0 || box.right > innerWidth)) {
    problems.push(`not fully in view: ${JSON.stringify(box)}`);
  }
  for (const other of document.querySelectorAll('body *')) {
    const position = getComputedStyle(other).position;
    if (position !== 'fixed' && position !== 'sticky') continue;
    if (other === el || other.contains(el) || el.contains(other)) continue;
    const r = other.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || getComputedStyle(other).visibility === 'hidden') continue;
    const overlap = Math.min(seen.bottom, r.bottom) - Math.max(seen.top, r.top) > 0
      && Math.min(seen.right, r.right) - Math.max(seen.left, r.left) > 0;
    if (overlap) problems.push(`covered by ${position} ${other.tagName}.${other.className}`);
  }
  const hit = document.elementFromPoint((seen.left + seen.right) / 2, (seen.top + seen.bottom) / 2);
  if (hit && !(el === hit || el.contains(hit) || (el.labels && [...el.labels].some(l => l.contains(hit))))) {
    problems.push(`under ${hit.tagName}.${hit.className} at its centre`);
  }
  return problems;
}"""


def focused(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return page.evaluate(FOCUSED)


def press(page, key: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Press `key`; focus must be visible and unobscured afterwards. Returns where focus is."""
    before = focused(page)
    page.keyboard.press(key)
    now = focused(page)
    if key in ("Tab", "Shift+Tab"):
        assert now["path"] != before["path"], f"{key} left focus on {before} (trapped)"
    problems = page.evaluate(OBSCURED)
    assert problems == [], f"after {key} focus on {now} is obscured: {problems}"
    return now


def tab_to(page, wanted, limit: int) -> int:  # type: ignore[no-untyped-def]
    """Tab until `wanted(focus)` holds, at most `limit` times; the number of Tabs it took."""
    for count in range(1, limit + 1):
        if wanted(press(page, "Tab")):
            return count
    raise AssertionError(f"not reached in {limit} Tabs; focus is on {focused(page)}")


def link(text: str):  # type: ignore[no-untyped-def]
    return lambda focus: focus["tag"] == "a" and focus["text"] == text


def open_page(page, action) -> None:  # type: ignore[no-untyped-def]
    """Press a key that navigates, and wait for the new page."""
    with page.expect_navigation():
        action()
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
    tab_to(page, lambda f: f["name"] == "email", limit=6)
    page.keyboard.type("analytiker@test.se")
    assert press(page, "Tab")["name"] == "password"
    page.keyboard.type(PASSWORD)
    open_page(page, lambda: page.keyboard.press("Enter"))
    assert page.url.endswith("/admin/")

    # From the main menu to the rounds, the round, and its comparison.
    tab_to(page, link("Omgångar"), limit=12)
    open_page(page, lambda: page.keyboard.press("Enter"))
    tab_to(page, link(ROUND_NAME), limit=25)
    open_page(page, lambda: page.keyboard.press("Enter"))
    tab_to(page, link("Lägesbilden: jämförelse mellan enheterna"), limit=25)
    open_page(page, lambda: page.keyboard.press("Enter"))
    assert page.url.endswith(COMPARISON)

    # The skip link, then straight into the filters: no link list in between.
    assert press(page, "Tab")["text"] == "Hoppa till innehållet"
    assert press(page, "Enter")["id"] == "main"
    assert press(page, "Tab")["name"] == "kind"

    # The statements are the matrix's column names for a screen reader, not bare numbers.
    for number, text in enumerate(statements, start=1):
        assert page.get_by_role("columnheader", name=f"{number}. {text}", exact=True).count() == 1

    # Choose "Bolag" with the arrow keys: nothing is sent until the button.
    kind = page.locator("select[name='kind']")
    for _ in range(3):
        assert press(page, "ArrowDown")["name"] == "kind"
    assert kind.input_value() == "company"
    assert "kind=" not in page.url
    assert press(page, "Tab")["name"] == "part"
    assert press(page, "Tab")["name"] == "sort"
    button = press(page, "Tab")
    assert (button["tag"], button["text"]) == ("button", "Visa")
    open_page(page, lambda: page.keyboard.press("Enter"))
    assert "kind=company" in page.url
    rows = page.locator("table.city-matrix tbody th")
    assert rows.all_inner_texts() == ["Stadens Bostäder AB"]

    # The new page starts the keyboard at the content: the next Tab is back in the filters,
    # which keep the choice; then on to the chart's table.
    assert page.url.endswith("#main")
    assert press(page, "Tab")["name"] == "kind"
    assert kind.input_value() == "company"
    nav_links = page.locator("nav.city-nav a").count()
    # part, sort, Visa, every link of the page's navigation, then the chart's disclosure
    taken = tab_to(page, lambda f: f["tag"] == "summary" and f["text"] == SUMMARY, limit=3 + nav_links + 1)
    assert taken == 3 + nav_links + 1
    details = page.locator("details.chart-figures").first
    table = details.locator("table")
    assert not table.is_visible()
    assert page.get_by_role("columnheader", name=f"1. {statements[0]}", exact=True).count() == 1

    assert press(page, "Enter")["text"] == SUMMARY  # opens; focus stays on the summary
    assert details.evaluate("d => d.open")
    assert table.is_visible()
    assert table.locator("tbody th").all_inner_texts() == ["Stadens Bostäder AB"]
    assert table.locator("tbody td").first.inner_text() == "✗ Nej"
    # Now both tables name their columns by the statements.
    assert page.get_by_role("columnheader", name=f"1. {statements[0]}", exact=True).count() == 2
    assert press(page, "Space")["text"] == SUMMARY  # Space closes it again ...
    assert not details.evaluate("d => d.open")
    press(page, "Space")  # ... and opens it
    assert details.evaluate("d => d.open")

    # Shift+Tab goes back to the last navigation link and Tab returns: focus is never held.
    assert press(page, "Shift+Tab")["tag"] == "a"
    assert press(page, "Tab")["text"] == SUMMARY

    # The rest of the page is reachable, to the footer, and focus then leaves the page.
    reached: list[dict[str, str]] = []
    for _ in range(200):
        page.keyboard.press("Tab")
        now = focused(page)
        if now["tag"] == "body" or now["text"] == "Hoppa till innehållet":
            break
        assert page.evaluate(OBSCURED) == [], f"focus on {now} is obscured"
        assert not reached or now["path"] != reached[-1]["path"], f"focus stuck on {now}"
        reached.append(now)
    else:
        raise AssertionError("Tab never left the page: focus is trapped")
    assert reached[-1]["text"] == "Tillgänglighetsredogörelse"

    # Back to the footer's last link: the accessibility statement says what was tested and how.
    assert press(page, "Shift+Tab")["text"] == "Tillgänglighetsredogörelse"
    open_page(page, lambda: page.keyboard.press("Enter"))
    statement = page.locator("main").inner_text()
    for words in ("axe-core", "enbart tangentbordet", "båda vägarna", "analytikern filtrerar jämförelsen",
                  "felsammanfattningen", "Tillgänglighetsträdet", "fasta eller klistrade element"):
        assert words in statement
