"""The risk form's new parts in a browser: who influences, the internal control plan and a
measure's follow-ups, with and without errors, have no WCAG 2.1 AA violations; a follow-up
typed in the page is saved and shown on the register."""

from __future__ import annotations

import pytest

from tests.browser.conftest import axe_violations, log_in
from tests.risks_factory import seed_access_rounds

pytestmark = pytest.mark.browser

FORM = "/risker/risker-2026/sdn-norr/risk/risk_access1"


@pytest.fixture
def risk_rounds(live_app):  # type: ignore[no-untyped-def]
    with live_app.app_context():
        seed_access_rounds()
    return live_app


def test_the_risk_form_with_influence_plan_and_follow_ups_is_accessible_and_saves(page, risk_rounds, tmp_path):
    log_in(page, "editor@test.se")
    page.goto(FORM)
    assert axe_violations(page) == []
    page.get_by_label("Reaktiv").check()
    page.get_by_label("Anhörig").check()
    page.get_by_label("Risken ingår i internkontrollplanen").check()
    page.get_by_label("Beslutsdatum").fill("2026-02-10")
    # The new follow-up lacks its comment: refused, named in the summary, the typed date kept.
    page.get_by_label("Datum", exact=True).fill("2026-03-01")
    page.get_by_label("Vem följde upp", exact=True).fill("Anna Berg")
    page.get_by_role("button", name="Spara risken").click()
    page.wait_for_load_state()
    summary = page.locator("#error-summary").inner_text()
    assert "Åtgärd 1, uppföljning 1: skriv vad uppföljningen visade" in summary
    assert page.get_by_label("Vem följde upp", exact=True).first.input_value() == "Anna Berg"
    assert axe_violations(page) == []
    page.screenshot(path=str(tmp_path / "risk-form-errors.png"), full_page=True)
    page.get_by_label("Kommentar", exact=True).first.fill("Rutinen används.")
    page.get_by_label("Ny status", exact=True).first.select_option("in_progress")
    page.get_by_role("button", name="Spara risken").click()
    page.wait_for_load_state()
    row = page.locator("table.risk-register tbody tr").first.inner_text()
    assert "Reaktiv: Anhörig" in row
    assert "Uppföljd 2026-03-01 av Anna Berg: Rutinen används. (ny status: Pågår)" in row
    assert axe_violations(page) == []
    page.screenshot(path=str(tmp_path / "register.png"), full_page=True)
