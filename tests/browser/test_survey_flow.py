"""The staff survey on a phone-sized screen: an access code, page after page, a follow-up shown by
its condition, a stop and a resume in a new browser with the same code, the receipt, and WCAG 2.1
AA on the code page, a question page and the receipt."""

from __future__ import annotations

import pytest

from app.config import PROJECT_ROOT
from app.services import transaction
from app.services.questionnaires import load_folder
from app.services.rounds import RoundSpec, change_status, create_round
from tests.browser.conftest import axe_violations
from tests.test_survey import PAGES, ROUND_KEY, UNITS, admin_client, new_codes

pytestmark = pytest.mark.browser

FOLLOW_UP = "Vi går alltid två och två på hembesök."


@pytest.fixture
def access_code(live_app) -> str:  # type: ignore[no-untyped-def]
    """An open round of the shipped staff survey and one access code for sdn-norr, made by the admin."""
    with live_app.app_context():
        assert load_folder([PROJECT_ROOT / "questionnaires" / "medarbetarenkat.yaml"]).ok
        with transaction() as session:
            created = create_round(session, RoundSpec(key=ROUND_KEY, name="Medarbetarenkät 2026", year=2026,
                                                      questionnaire_keys=("medarbetarenkat",), unit_keys=UNITS))
            change_status(session, created, "open")
    return new_codes(admin_client(live_app), "sdn-norr", 1)[0]


def current_section(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator("input[name=section]").input_value()


def fill_section(page, answers: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    """Answer one page as a person would: tick the options, type the texts (skipping empty ones)."""
    for name, value in answers.items():
        if isinstance(value, list):
            for option in value:
                page.locator(f"input[name='{name}'][value='{option}']").check()
            continue
        field = page.locator(f"[name='{name}']").first
        if field.get_attribute("type") == "radio":
            page.locator(f"input[name='{name}'][value='{value}']").check()
        elif value:
            field.fill(str(value))


def enter_code(page, code: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/enkat")
    page.get_by_label("Kod").fill(code.lower().replace("-", " "))  # typed loosely, as on a phone
    page.get_by_role("button", name="Fortsätt").click()
    page.wait_for_load_state()


def test_a_respondent_answers_on_a_phone_stops_resumes_with_the_code_and_completes(
        access_code, phone_page, browser, live_server):
    page = phone_page
    page.goto("/enkat")
    assert axe_violations(page) == [], "code page"
    enter_code(page, access_code)

    assert current_section(page) == "bakgrund"
    assert axe_violations(page) == [], "question page"
    fill_section(page, PAGES["bakgrund"])
    page.get_by_role("button", name="Nästa").click()
    page.wait_for_load_state()

    assert current_section(page) == "risk_och_arbetssatt"
    follow_up = page.locator("#q-arbetssatt_hur")
    assert follow_up.is_hidden()  # shown only after "Ja"
    fill_section(page, {k: v for k, v in PAGES["risk_och_arbetssatt"].items() if k != "q-arbetssatt_hur"})
    follow_up.wait_for(state="visible")
    follow_up.fill(FOLLOW_UP)
    assert axe_violations(page) == [], "question page with the follow-up shown"
    page.get_by_role("button", name="Nästa").click()
    page.wait_for_load_state()
    assert current_section(page) == "utsatthet"
    page.context.close()  # the respondent stops here

    context = browser.new_context(base_url=live_server.url, locale="sv-SE",
                                  viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    later = context.new_page()
    later.set_default_timeout(10_000)
    enter_code(later, access_code)
    assert current_section(later) == "utsatthet"  # back where they stopped
    later.get_by_role("button", name="Föregående").click()
    later.wait_for_load_state()
    assert current_section(later) == "risk_och_arbetssatt"
    assert later.locator("input[name='q-arbetssatt'][value='ja']").is_checked()
    assert later.locator("#q-arbetssatt_hur").is_visible()
    assert later.locator("#q-arbetssatt_hur").input_value() == FOLLOW_UP
    assert later.locator("input[name='q-risk-trakasserier'][value='hog']").is_checked()
    later.get_by_role("button", name="Nästa").click()
    later.wait_for_load_state()

    for _ in range(5):
        section = current_section(later)
        fill_section(later, PAGES[section])
        finish = later.get_by_role("button", name="Skicka in")
        (finish if finish.count() else later.get_by_role("button", name="Nästa")).click()
        later.wait_for_load_state()
        if later.url.endswith("/enkat/tack"):
            break
    assert later.url.endswith("/enkat/tack")
    assert later.get_by_role("heading", name="Tack! Ditt svar är sparat.").is_visible()
    assert axe_violations(later) == [], "receipt"

    enter_code(later, access_code)  # a used code starts nothing new
    assert not later.url.endswith("/enkat/sida")
    context.close()
