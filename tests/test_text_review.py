"""The admin's free-text review: texts by question, a unit named only when it has at least the
round's free-text threshold of completed responses, the others without a unit in random-id order."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from app.extensions import db
from app.models.survey import SurveyText
from app.services import transaction
from app.services.rounds import Thresholds, get_round, set_thresholds
from app.services.survey import texts_to_review
from tests.test_survey import (
    ROUND_KEY,
    admin_client,
    close_round,
    new_codes,
    respond_with_code,
)

REVIEW = f"/admin/enkat/{ROUND_KEY}/fritext"
ALL_STATUSES = ("unread", "approved", "redacted", "hidden")


def _thresholds(app, anonymity: int, free_text: int) -> None:
    with app.app_context(), transaction() as session:
        set_thresholds(session, get_round(session, ROUND_KEY), Thresholds(anonymity, free_text))


def _answer(app, admin, unit: str, comments: list[str]) -> None:
    """One completed response per comment, each also describing its way of working (a second text)."""
    for code, comment in zip(new_codes(admin, unit, len(comments)), comments, strict=True):
        respond_with_code(app, code, {"avslutning": {"q-kommentarer": comment}})


def _sections(page: str) -> dict[str, list[tuple[str, str | None, str]]]:
    """{question: [(text id, unit shown or None, text)]} in the page's order."""
    found = {}
    for question, body in re.findall(r'<section class="review-question" data-question="([^"]+)">(.*?)</section>',
                                     page, re.S):
        found[question] = [
            (text_id, unit, html.unescape(text))
            for text_id, unit, text in re.findall(
                r'<article class="review-text" id="text-([0-9a-f]+)">\s*<p class="hint">'
                r'(?:<span class="review-unit">([^<]*)</span> · )?.*?<textarea[^>]*>([^<]*)</textarea>', body, re.S)
        ]
        found[question] = [(i, u or None, t) for i, u, t in found[question]]
    return found


def test_texts_are_listed_by_question_and_a_two_person_unit_is_never_named(survey):
    _thresholds(survey, 3, 3)
    admin = admin_client(survey)
    _answer(survey, admin, "bolag", ["Bolag ett", "Bolag två", "Bolag tre"])
    _answer(survey, admin, "sdn-syd", ["Syd ett", "Syd två"])
    close_round(survey)  # Södra's two wait for others of their unit until the round closes

    page = admin.get(REVIEW).get_data(as_text=True)
    # The two-person unit's name is nowhere on the page, beside a text or elsewhere.
    assert "Södra stadsdelsnämnden" not in html.unescape(page)
    sections = _sections(page)
    # In the questionnaire's order: the way of working (page 2) before the comments (page 5).
    assert list(sections) == ["arbetssatt_hur", "kommentarer"]
    comments = sections["kommentarer"]
    with survey.app_context():
        stored = {t.id: t.text for t in db.session.scalars(
            select(SurveyText).where(SurveyText.question_key == "kommentarer"))}
    # All five comments, in random-id order whatever the unit.
    assert [text_id for text_id, _unit, _text in comments] == sorted(stored)
    assert {text_id: text for text_id, _unit, text in comments} == stored
    named = {text: unit for _id, unit, text in comments}
    assert named == {"Bolag ett": "Stadens Bostäder AB", "Bolag två": "Stadens Bostäder AB",
                     "Bolag tre": "Stadens Bostäder AB", "Syd ett": None, "Syd två": None}
    # Every response also described its way of working: 3 named, 2 not.
    units = [unit for _id, unit, _text in sections["arbetssatt_hur"]]
    assert sorted(units, key=str) == [None, None, "Stadens Bostäder AB", "Stadens Bostäder AB",
                                      "Stadens Bostäder AB"]


def test_a_unit_is_named_from_the_free_text_threshold_not_the_anonymity_threshold(survey):
    # Anonymity 3, free text 4: three responses show figures but do not name the unit's texts.
    _thresholds(survey, 3, 4)
    admin = admin_client(survey)
    _answer(survey, admin, "bolag", ["Ett", "Två", "Tre"])
    with survey.app_context():
        groups = texts_to_review(db.session, get_round(db.session, ROUND_KEY), ALL_STATUSES)
        assert [(g.question_key, g.part) for g in groups] == [("arbetssatt_hur", ""), ("kommentarer", "")]
        assert {item.unit_name for g in groups for item in g.texts} == {None}
    assert "Stadens Bostäder AB" not in html.unescape(admin.get(REVIEW).get_data(as_text=True))
    # Responses are released in groups of the anonymity threshold: three more make six.
    _answer(survey, admin, "bolag", ["Fyra", "Fem", "Sex"])
    with survey.app_context():
        groups = texts_to_review(db.session, get_round(db.session, ROUND_KEY), ALL_STATUSES)
        assert [len(g.texts) for g in groups] == [6, 6]
        assert {item.unit_name for g in groups for item in g.texts} == {"Stadens Bostäder AB"}


def test_the_default_threshold_of_ten_keeps_a_small_unit_unnamed(survey):
    admin = admin_client(survey)
    _answer(survey, admin, "sdn-syd", ["Syd ett", "Syd två"])
    close_round(survey)
    page = html.unescape(admin.get(REVIEW).get_data(as_text=True))
    assert "Syd ett" in page and "Syd två" in page
    assert "Södra stadsdelsnämnden" not in page
    assert "minst 10 svar" in page


def test_reviewing_a_text_still_works_from_the_question_list(survey):
    admin = admin_client(survey)
    _answer(survey, admin, "sdn-syd", ["Chefen Kalle hotade mig."])
    close_round(survey)
    page = admin.get(REVIEW).get_data(as_text=True)
    text_id = next(i for i, _u, t in _sections(page)["kommentarer"] if t == "Chefen Kalle hotade mig.")
    from tests.conftest import post

    response = post(admin, f"{REVIEW}/{text_id}", {"action": "redact", "text": "Chefen [namn] hotade mig."})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#text-{text_id}")
    comments = _sections(admin.get(REVIEW).get_data(as_text=True))["kommentarer"]
    assert comments == [(text_id, None, "Chefen [namn] hotade mig.")]
