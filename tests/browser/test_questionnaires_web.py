"""An admin makes next year's staff survey in the browser: "new from" the shipped staff survey,
a question reworded and a follow-up added, a deliberate mistake seen on its line, fixed in the
page, previewed with its condition working, published, and used in a new round. axe is clean
on every new page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Round
from tests.browser.conftest import axe_violations, log_in
from tests.browser.keyboard import assert_focus

pytestmark = pytest.mark.browser

OLD_TEXT = "Har din arbetsplats arbetssätt för att förebygga och motverka otillåten påverkan?"
NEW_TEXT = "Har din arbetsplats ett arbetssätt för att förebygga och motverka otillåten påverkan?"
ANCHOR = "      - key: rapportera\n"
# The follow-up, with a misspelt question key in its condition (the deliberate mistake).
FOLLOW_UP = """      - key: rutiner_kanda
        type: single_choice
        scale: ja_nej_vet_ej
        show_if:
          question: rutiner_hot_vlad
          in: [ja]
        text:
          sv: Känner du till vad rutinerna säger?
          en: Do you know what the routines say?
"""


def test_an_admin_makes_a_new_staff_survey_from_the_shipped_one_and_uses_it(page, live_app):
    log_in(page, "admin@test.se")
    page.goto("/admin/formular")
    assert axe_violations(page) == [], "questionnaires list"
    page.get_by_role("link", name="Ladda upp formulär").click()
    page.wait_for_load_state()
    assert axe_violations(page) == [], "upload page"
    page.get_by_role("link", name="Beskrivning av formulärformatet").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="The questionnaire format (format 1)").is_visible()
    assert axe_violations(page) == [], "format reference"
    page.go_back()

    page.get_by_label("Levererat formulär", exact=True).select_option("medarbetarenkat")
    page.get_by_label("Ny nyckel", exact=True).fill("enkat_2027")
    page.get_by_role("button", name="Börja från formuläret").click()
    page.wait_for_load_state()
    source = page.get_by_label("Text (YAML)", exact=True)
    text = source.input_value()
    assert "\nkey: enkat_2027\n" in text and OLD_TEXT in text

    text = text.replace(OLD_TEXT, NEW_TEXT).replace(ANCHOR, FOLLOW_UP + ANCHOR, 1)
    mistake_line = text[: text.index("rutiner_hot_vlad")].count("\n") + 1
    source.fill(text)
    page.get_by_role("button", name="Kontrollera").click()
    page.wait_for_load_state()

    # The error summary has focus and names the line; the error is shown with its line.
    summary = page.locator("#error-summary")
    assert_focus(page, summary)
    assert f"Rad {mistake_line}, kolumn 21: Q008" in summary.inner_text()
    error = page.locator("#error-1")
    assert "rutiner_hot_vlad" in error.inner_text() and "did you mean 'rutiner_hot_vald'?" in error.inner_text()
    marked = error.locator(".excerpt-line.marked")
    assert marked.inner_text().startswith(str(mistake_line))
    assert "question: rutiner_hot_vlad" in marked.inner_text()
    assert page.locator(f"#line-{mistake_line}.has-error").count() == 1
    assert axe_violations(page) == [], "upload page with errors"
    # Following the error to its line puts the cursor there, in the kept text.
    summary.get_by_role("link").first.click()
    error.get_by_role("link", name=f"Gå till rad {mistake_line} i texten").click()
    # The text area holds the whole file (taller than the window): focus is in it, the cursor
    # on the line, and that line's number is in view.
    cursor = page.evaluate(
        "(line) => { const a = document.activeElement; const n = document.getElementById('line-' + line);"
        " const box = n.getBoundingClientRect();"
        " return [a.id, a.value.slice(0, a.selectionStart).split('\\n').length,"
        " box.top >= 0 && box.bottom <= innerHeight]; }", mistake_line)
    assert cursor == ["source", mistake_line, True]

    source.fill(source.input_value().replace("rutiner_hot_vlad", "rutiner_hot_vald"))
    page.get_by_role("button", name="Kontrollera").click()
    page.wait_for_load_state()
    assert "Inga fel: enkat_2027" in page.locator("#check-ok").inner_text()
    comparison = page.locator("section.comparison").inner_text()
    assert "Det finns inget lagrat formulär med nyckeln enkat_2027" in comparison
    assert axe_violations(page) == [], "upload page without errors"

    page.get_by_role("button", name="Förhandsgranska").click()
    page.wait_for_load_state()
    assert page.get_by_text(NEW_TEXT).is_visible()
    follow_up = page.locator("#question-rutiner_kanda")
    assert follow_up.is_hidden()  # shown only after "Ja"
    assert axe_violations(page) == [], "preview of the unstored questionnaire"
    page.locator("#question-rutiner_hot_vald input[value='ja']").check()
    follow_up.wait_for(state="visible")
    assert "Känner du till vad rutinerna säger?" in follow_up.inner_text()
    page.locator("#question-rutiner_hot_vald input[value='nej']").check()
    follow_up.wait_for(state="hidden")

    page.get_by_role("button", name="Publicera som ny version").click()
    page.wait_for_load_state()
    assert "enkat_2027 version 1 är publicerad" in page.locator(".flashes").inner_text()
    assert page.get_by_role("link", name="Ladda ned YAML för version 1").count() == 1
    assert axe_violations(page) == [], "questionnaires list after publishing"

    page.goto("/admin/omgangar/ny")
    page.get_by_label("Namn").fill("Medarbetarenkät 2027")
    page.get_by_label("Nyckel").fill("enkat-2027")
    page.get_by_label("År").fill("2027")
    page.get_by_role("checkbox", name="Enkät till medarbetare om otillåten påverkan").check()
    page.get_by_role("checkbox", name="Norra stadsdelsnämnden").check()
    page.get_by_role("button", name="Skapa omgången").click()
    page.wait_for_load_state()
    assert page.url.endswith("/admin/omgangar/enkat-2027"), page.url
    with live_app.app_context():
        round_ = db.session.scalar(select(Round).where(Round.key == "enkat-2027"))
        versions = [(v.questionnaire.key, v.number) for v in round_.questionnaire_versions]
        definition = round_.questionnaire_versions[0].parsed()
        db.session.remove()
    assert versions == [("enkat_2027", 1)]
    texts = {q.key: q.text.sv for s in definition.sections for q in s.questions}
    assert texts["arbetssatt"] == NEW_TEXT
    assert texts["rutiner_kanda"] == "Känner du till vad rutinerna säger?"
