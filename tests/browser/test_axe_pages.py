"""WCAG 2.1 A and AA (axe-core) on every page type the other browser tests do not already check:
the city pages, the risk pages, the unit report, the survey's admin and start pages, the
questionnaire list and the histories — each on real data."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.config import PROJECT_ROOT
from app.extensions import db
from app.models import RoundUnit, Unit
from app.services import transaction
from app.services.questionnaires import load_folder
from app.services.rounds import change_status, get_round
from tests.browser.conftest import axe_violations, log_in
from tests.conftest import make_user
from tests.risks_factory import seed_access_rounds
from tests.test_access import _survey_round_with_one_free_text
from tests.test_city import open_round, respond
from tests.test_unit_report import NORR_2025, NORR_2026, answer

pytestmark = pytest.mark.browser

CITY = "/lagesbild/granskning-2026"
RISKS = "/risker/risker-2026/sdn-norr"
SURVEY_ADMIN = "/admin/enkat/enkat-2026"
OPEN_LINK_TOKEN = "oppen-lank-norr"

ADMIN_PAGES = [
    f"{CITY}?kind=district_board&sort=weak",
    f"{CITY}/over-tid",
    f"{CITY}/enkat",
    f"{CITY}/rapport",
    "/rapporter/granskning-2026/enheter/sdn-norr",
    "/risker/",
    "/risker/risker-2026",
    SURVEY_ADMIN,
    f"{SURVEY_ADMIN}/resultat",
    f"{SURVEY_ADMIN}/fritext",
    "/admin/formular",
    "/admin/anvandare/1",
    "/admin/omgangar/granskning-2026/sdn-norr/sjalvskattning/oppna-igen",
]
EDITOR_PAGES = [
    RISKS,
    f"{RISKS}/ny",
    f"{RISKS}/risk/risk_access1",
    f"{RISKS}/katalog",
    f"{RISKS}/historik",
    "/granskning/granskning-2026/sdn-norr/sjalvskattning/historik",
]


@pytest.fixture
def city_data(live_app):  # type: ignore[no-untyped-def]
    """Two years of self-assessments (2025 closed), a 2026 staff survey with five answers from
    Norra, the risk rounds of the access walk, and the survey round with one free text."""
    with live_app.app_context():
        assert load_folder([PROJECT_ROOT / "questionnaires" / "sjalvskattning.yaml",
                            PROJECT_ROOT / "questionnaires" / "medarbetarenkat.yaml"]).ok
        make_user("other@test.se", "unit_editor", ("sdn-syd",))
        open_round("granskning-2025", 2025, ("sjalvskattning",))
        answer("granskning-2025", "sdn-norr", "editor@test.se", NORR_2025, 2025)
        with transaction() as session:
            change_status(session, get_round(session, "granskning-2025"), "close")
        open_round("granskning-2026", 2026, ("sjalvskattning", "medarbetarenkat"))
        answer("granskning-2026", "sdn-norr", "editor@test.se", NORR_2026, 2026)
        answer("granskning-2026", "sdn-syd", "other@test.se", ("delvis",) * 9, 2026)
        for stod in ("ja", "ja", "ja", "nej", "nej"):
            respond(live_app, "granskning-2026", "sdn-norr", stod)
        seed_access_rounds()
        db.session.remove()
    _survey_round_with_one_free_text(live_app)
    with live_app.app_context(), transaction() as session:
        # A known open-link token, so the survey's start page has an address in the table above.
        invitation = session.scalar(select(RoundUnit).join(Unit).where(
            RoundUnit.round_id == get_round(session, "enkat-2026").id, Unit.key == "sdn-norr"))
        invitation.open_link_token = OPEN_LINK_TOKEN
    return live_app


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_staff_pages_have_no_wcag_violations(city_data, page, path):
    log_in(page, "admin@test.se")
    response = page.goto(path)
    assert response.status == 200, path
    assert axe_violations(page) == [], path


@pytest.mark.parametrize("path", EDITOR_PAGES)
def test_unit_editor_pages_have_no_wcag_violations(city_data, page, path):
    log_in(page, "editor@test.se")
    response = page.goto(path)
    assert response.status == 200, path
    assert axe_violations(page) == [], path


def test_survey_start_resume_code_and_decline_pages_have_no_wcag_violations(city_data, phone_page):
    page = phone_page
    page.goto(f"/enkat/l/{OPEN_LINK_TOKEN}")
    assert axe_violations(page) == [], "start page"
    page.get_by_role("button", name="Börja svara").click()
    page.wait_for_load_state()
    assert axe_violations(page) == [], "resume code page"
    page.get_by_role("link", name="Till första sidan").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Jag vill inte delta").click()
    page.wait_for_load_state()
    assert axe_violations(page) == [], "decline page"
    page.get_by_role("button", name="Jag vill inte delta").click()
    page.wait_for_load_state()
    assert page.url.endswith("/enkat/avboj")
    assert axe_violations(page) == [], "declined receipt"
