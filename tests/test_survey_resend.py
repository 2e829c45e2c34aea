"""A survey page posted again is not saved again: the page post is answered with the next page
(no redirect), so a browser's reload of that answer sends the same form once more, as does a
double click, and the back button brings back a page whose form was already sent. Each carries
the page token it was shown with; what would change nothing is not written a second time."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models.survey import SurveyDraft
from tests.test_survey import current_section
from tests.test_survey_statements import counted, page_form, started, to_last_page

SECTIONS = ("bakgrund", "risk_och_arbetssatt", "utsatthet", "avslutning")  # q-utsatt = nej: 4 pages


def verbs(statements: list[str]) -> list[str]:
    return [s.lstrip().split(None, 1)[0].upper() for s in statements]


def stored(app: Flask) -> SurveyDraft:
    with app.app_context():
        draft = db.session.scalars(select(SurveyDraft)).one()
        db.session.expunge(draft)
        return draft


def send(client: FlaskClient, form: dict[str, object]) -> str:
    response = client.post("/enkat/sida", data=form)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_a_reload_of_the_answer_to_a_page_post_saves_nothing_again_and_shows_the_next_page(survey):
    client = started(survey)[0]
    first, _action = page_form(client)
    assert first["page_token"] == "0"
    assert current_section(send(client, first)) == "risk_och_arbetssatt"
    assert stored(survey).pages_saved == 1
    with counted(survey) as sent:
        again = send(client, first)  # the reload sends the same form, with the same page token
    assert current_section(again) == "risk_och_arbetssatt" and "Sida 2 av 4" in again
    assert 'name="page_token" value="1"' in again
    assert verbs(sent.statements) == ["SELECT"]  # read, and nothing written
    draft = stored(survey)
    assert (draft.pages_saved, draft.page) == (1, 1)
    # The page shown goes on as usual: its own token is the draft's.
    second, _action = page_form(client, again)
    assert current_section(send(client, second)) == "utsatthet"
    assert (stored(survey).pages_saved, stored(survey).page) == (2, 2)


def test_a_double_click_moves_on_one_page_and_saves_once(survey):
    client = started(survey)[0]
    html = send(client, page_form(client)[0])
    form, _action = page_form(client, html)  # page 2 of 4, token 1
    answers = [send(client, form), send(client, form)]
    assert [current_section(a) for a in answers] == ["utsatthet", "utsatthet"]
    draft = stored(survey)
    assert (draft.pages_saved, draft.page) == (2, 2)  # not page 4: nothing skipped


def test_a_reload_of_a_page_shown_with_its_errors_writes_nothing_again(survey):
    client = started(survey)[0]
    form, _action = page_form(client)
    form["q-kon"] = "inte-ett-alternativ"
    first = client.post("/enkat/sida", data=form)
    assert first.status_code == 400 and current_section(first.get_data(as_text=True)) == "bakgrund"
    with counted(survey) as sent:
        again = client.post("/enkat/sida", data=form)
    assert again.status_code == 400
    html = again.get_data(as_text=True)
    assert current_section(html) == "bakgrund" and 'id="q-kon-error"' in html
    assert verbs(sent.statements) == ["SELECT"]
    assert (stored(survey).pages_saved, stored(survey).page) == (1, 0)


def test_back_then_forward_with_the_browser_saves_nothing_twice_and_keeps_what_was_changed(survey):
    client = started(survey)[0]
    page_1, _action = page_form(client)
    page_2, _action = page_form(client, send(client, page_1))
    page_3, _action = page_form(client, send(client, page_2))  # on page 3, pages 1 and 2 saved
    assert page_3["section"] == "utsatthet"
    # Back twice with the browser: page 1's form as it was shown (token 0). Sent unchanged, it
    # saves the same answers and moves the draft on to page 2, as its first post did.
    html = send(client, page_1)
    assert current_section(html) == "risk_och_arbetssatt"
    draft = stored(survey)
    assert (draft.pages_saved, draft.page, draft.answers["kon"]["value"]) == (3, 1, "kvinna")
    # Forward twice with the browser: page 3 as it was shown (token 2), answered and sent.
    assert current_section(send(client, page_3)) == "avslutning"
    draft = stored(survey)
    # avslutning, section 4 (3 not shown)
    assert (draft.pages_saved, draft.page, draft.answers["utsatt"]["value"]) == (4, 4, "nej")
    # Back to page 1 once more, and an answer changed there: saved, and on to page 2.
    assert current_section(send(client, {**page_1, "q-kon": "man"})) == "risk_och_arbetssatt"
    draft = stored(survey)
    assert (draft.pages_saved, draft.page, draft.answers["kon"]["value"]) == (5, 1, "man")


def test_the_previous_button_then_next_walks_the_pages_in_order(survey):
    client = started(survey)[0]
    page_1, _action = page_form(client)
    page_2, _action = page_form(client, send(client, page_1))
    html = send(client, {**page_2, "action": "back"})
    assert current_section(html) == "bakgrund" and "Sida 1 av 4" in html
    assert re.search(r'value="kvinna"[^>]*checked|checked[^>]*value="kvinna"', html)  # as it was saved
    again, _action = page_form(client, html)
    assert current_section(send(client, again)) == "risk_och_arbetssatt"
    assert stored(survey).page == 1


def test_the_receipt_is_a_page_of_its_own_so_a_reload_sends_no_answer_again(survey):
    """The completing post redirects to the receipt: a reload (also after the session has ended,
    on a computer the next respondent uses) fetches the receipt again and posts nothing, so no
    answer of the last page can be carried into someone else's draft."""
    client = started(survey)[0]
    last = to_last_page(client)
    response = client.post("/enkat/sida", data=last)
    assert response.status_code == 302 and response.headers["Location"].endswith("/enkat/tack")
    with client.session_transaction() as cookie:
        cookie.clear()  # the session has ended
    again = client.get("/enkat/tack")
    assert again.status_code == 200 and "Tack! Ditt svar är sparat." in again.get_data(as_text=True)
    assert 'name="q-' not in again.get_data(as_text=True)
