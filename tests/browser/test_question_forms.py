"""Questionnaire forms in a real browser: conditions and exclusive options live, and WCAG 2.1 AA
on the preview of every shipped questionnaire, with and without errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.extensions import db
from app.services.questionnaires import load_folder
from tests.browser.conftest import axe_violations, log_in

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def preview(live_app, page):  # type: ignore[no-untyped-def]
    """A logged-in admin's page; `preview('key')` opens that questionnaire's preview."""
    with live_app.app_context():
        valid = ROOT / "tests" / "data" / "valid"
        report = load_folder([ROOT / "questionnaires", valid / "all_types.yaml", valid / "uppfoljning.yaml",
                              valid / "handelser.yaml"])
        assert report.ok, report.errors
        db.session.remove()
    log_in(page, "admin@test.se")

    def _open(key: str):  # type: ignore[no-untyped-def]
        page.goto(f"/admin/formular/{key}/1")
        return page

    return _open


@pytest.mark.parametrize("key", ["all_types", "sjalvskattning", "medarbetarenkat", "riskanalys", "uppfoljning",
                                 "handelser"])
def test_previews_have_no_wcag_violations(preview, key):
    assert axe_violations(preview(key)) == []


def test_a_refused_test_post_has_no_wcag_violations_and_links_to_the_fields(preview):
    page = preview("all_types")
    page.get_by_role("button", name="Testa formuläret").first.click()
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    assert summary.get_attribute("role") == "alert"
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "q-kon"
    assert axe_violations(page) == []


def test_a_conditional_section_appears_with_its_answer_and_its_inputs_are_sent_only_then(preview):
    page = preview("all_types")
    section = page.locator("#section-uppfoljning")
    motivation = page.locator("#q-chefen_stod-motivation")
    assert section.is_hidden() and motivation.is_disabled()
    page.get_by_label("Delvis, förbättringsområde").first.check()
    assert section.is_visible() and motivation.is_enabled()
    page.get_by_label("Nej, behöver ses över omgående").first.check()
    assert section.is_hidden() and motivation.is_disabled()


def test_a_not_in_condition_shows_the_follow_up_for_any_answer_but_the_named_one(preview):
    """uppfoljning: each recommendation's follow-up text has `not_in: [genomford]`: hidden while
    the recommendation is unanswered or Genomförd, shown (and sent) for the other answers."""
    page = preview("uppfoljning")
    question = page.locator("#question-stod_uppfoljning")
    text = page.locator("#q-stod_uppfoljning")
    rating = page.locator("#question-stod")
    assert question.is_hidden() and text.is_disabled()
    rating.get_by_label("Delvis genomförd").check()
    assert question.is_visible() and text.is_enabled()
    rating.get_by_label("Genomförd", exact=True).check()
    assert question.is_hidden() and text.is_disabled()
    rating.get_by_label("Ej påbörjad").check()
    assert question.is_visible() and text.is_enabled()
    assert page.locator("#question-rutiner_uppfoljning").is_hidden()  # its recommendation unanswered


def test_a_matrix_row_condition_shows_its_question(preview):
    page = preview("all_types")
    question = page.locator("#question-beskrivning")
    assert question.is_hidden()
    page.locator("#q-risk_per_kategori-hot_vald").get_by_label("Hög risk").check()
    assert question.is_visible()
    page.locator("#q-risk_per_kategori-trakasserier").get_by_label("Hög risk").check()
    page.locator("#q-risk_per_kategori-hot_vald").get_by_label("Låg risk").check()
    assert question.is_hidden()


def test_an_exclusive_option_unticks_the_others_and_the_other_text_follows_its_option(preview):
    page = preview("all_types")
    page.get_by_label("Ja, tillfredsställande").first.check()
    other_text = page.locator("#q-typ_av_paverkan-other")
    assert other_text.is_hidden()
    page.get_by_label("Obehagliga samtal").check()
    page.get_by_label("Annat, nämligen", exact=True).check()
    assert other_text.is_visible()
    page.get_by_label("Nej, inte alls").check()
    assert not page.get_by_label("Obehagliga samtal").is_checked()
    assert not page.get_by_label("Annat, nämligen", exact=True).is_checked()
    assert other_text.is_hidden()
    page.get_by_label("Obehagliga samtal").check()
    assert not page.get_by_label("Nej, inte alls").is_checked()


def test_a_date_question_is_the_browsers_date_input_and_a_wrong_date_is_refused_accessibly(preview):
    page = preview("handelser")
    field = page.locator("#q-senaste")
    assert field.get_attribute("type") == "date"
    assert (field.get_attribute("min"), field.get_attribute("max")) == ("2020-01-01", "2026-12-31")
    field.fill("2019-12-31")
    page.get_by_role("button", name="Testa formuläret").first.click()
    page.wait_for_load_state()
    assert "Ange ett datum från 2020-01-01 till 2026-12-31." in page.locator("#error-summary").inner_text()
    assert page.locator("#q-senaste").input_value() == "2019-12-31"
    assert axe_violations(page) == []
