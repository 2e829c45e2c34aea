"""WCAG 2.1 A and AA (axe-core) on the risk register's pages across rounds, on real data: the
carry-forward page (last year on a 5 × 5 template, this year on the shipped 4 × 4 one), the
register with a risk that needs a new rating, the year-over-year pages, the history saying
"carried from", and the city overview with a register submitted without risks."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import User
from app.services import transaction
from app.services.risks.register import put_risk, submit_register
from app.services.risks.values import Measure, Risk
from app.services.submissions import find_target
from tests.browser.conftest import axe_violations, log_in
from tests.conftest import make_user
from tests.risks_factory import FIVE_BY_FIVE, make_risk_round

pytestmark = pytest.mark.browser

NORR = "/risker/granskning-2026/sdn-norr"


@pytest.fixture
def two_years(live_app):  # type: ignore[no-untyped-def]
    """Norra submitted two risks in 2025 on the 5 × 5 template; in 2026 (shipped template) Södra
    submitted without risks, with its statement."""
    with live_app.app_context():
        make_user("other@test.se", "unit_editor", ("sdn-syd",))
        make_risk_round(key="granskning-2025", year=2025, units=("sdn-norr", "sdn-syd"), template=FIVE_BY_FIVE,
                        template_key="riskanalys_fem", with_self_assessment=False)
        make_risk_round(key="granskning-2026", year=2026, units=("sdn-norr", "sdn-syd"))
        with transaction() as session:
            editor = session.scalar(select(User).where(User.email == "editor@test.se"))
            target = find_target(session, "granskning-2025", "sdn-norr", "riskanalys_fem")
            for number, (activity, measures) in enumerate((
                    ("Mutförsök vid upphandling", (Measure("Jävsutbildning", "HR-chef", date(2025, 10, 1)),
                                                   Measure("Ny rutin", "Chef", date(2025, 3, 1), "done"))),
                    ("Hot vid hembesök", ()))):
                put_risk(session, target, Risk(
                    key=f"risk_old{number}", activity=activity, forms=("hot",), likelihood="5", consequence="4",
                    measures=measures), number, editor)
            submit_register(session, target, 2, editor)
            other = session.scalar(select(User).where(User.email == "other@test.se"))
            submit_register(session, find_target(session, "granskning-2026", "sdn-syd", "riskanalys"),
                                         0, other, "Enheten har ingen klientkontakt.")
        db.session.remove()
    return live_app


def test_the_pages_across_rounds_have_no_wcag_violations(two_years, page):
    log_in(page, "editor@test.se")
    page.goto(f"{NORR}/for-vidare")
    assert axe_violations(page) == [], "carry-forward page"
    page.get_by_role("button", name="För vidare de valda riskerna").click()
    page.wait_for_load_state()
    assert page.url.endswith(NORR)
    assert page.get_by_text("Behöver ny bedömning").count() == 2
    assert axe_violations(page) == [], "register with risks to rate again"
    for path in (f"{NORR}/jamforelse", f"{NORR}/historik"):
        response = page.goto(path)
        assert response.status == 200, path
        assert axe_violations(page) == [], path
    assert page.get_by_text("Förd vidare från Granskning 2025: Mutförsök vid upphandling").count() == 1


def test_the_city_pages_across_rounds_have_no_wcag_violations(two_years, page):
    log_in(page, "admin@test.se")
    for path in ("/risker/granskning-2026", "/risker/granskning-2026/jamforelse"):
        response = page.goto(path)
        assert response.status == 200, path
        assert axe_violations(page) == [], path
