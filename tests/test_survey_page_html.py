"""A survey page's questions rendered once and reused (app/forms/page_html.py): the same bytes as
rendering them again, for every page, both languages, and every decision that earlier pages'
answers make about the page's conditions; never for a page with answers or errors."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.forms.builder import build_form
from app.forms.page_html import SectionHtmlCache, section_cache, section_html
from tests.conftest import post
from tests.test_forms import CHAIN_YAML, _answers, definition_of
from tests.test_survey import PAGES, admin_client, current_section, new_codes

CSRF = re.compile(r'(name="csrf_token"[^>]* value=")[^"]+(")')


def without_csrf(html: str) -> str:
    """The page with its CSRF tokens blanked (one per session; everything else must be equal)."""
    assert CSRF.search(html), html[:500]
    return CSRF.sub(r"\1\2", html)


def fresh_cache(app: Flask) -> SectionHtmlCache:
    cache = SectionHtmlCache()
    app.extensions["lagesbild_section_html"] = cache
    return cache


def respondent(app: Flask, language: str) -> FlaskClient:
    client = app.test_client()
    if language == "en":
        assert post(client, "/sprak", {"language": language}).status_code == 302
    code = new_codes(admin_client(app), "sdn-norr", 1)[0]
    assert post(client, "/enkat", {"code": code}).status_code == 302
    return client


def walk(client: FlaskClient) -> list[str]:
    """Every page of the survey as shown, each the answer to the post of the page before."""
    html = client.get("/enkat/sida").get_data(as_text=True)
    shown = [html]
    while 'value="complete"' not in html:
        section = current_section(html)
        response = post(client, "/enkat/sida", {**PAGES[section], "section": section, "action": "next"})
        assert response.status_code == 200, response.get_data(as_text=True)[:1000]
        html = response.get_data(as_text=True)
        shown.append(html)
    return shown


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_page_reused_is_the_same_bytes_as_rendered_anew(survey, language):
    cache = fresh_cache(survey)
    first = walk(respondent(survey, language))  # rendered, and kept
    kept = len(cache)
    assert kept == len(first) == 4  # one entry per page: nobody had answered any of them
    reused = walk(respondent(survey, language))  # every page from the cache
    assert len(cache) == kept
    fresh_cache(survey)
    anew = walk(respondent(survey, language))  # rendered again, nothing kept before
    assert [without_csrf(page) for page in reused] == [without_csrf(page) for page in first]
    assert [without_csrf(page) for page in reused] == [without_csrf(page) for page in anew]
    assert f'<html lang="{language}">' in reused[0]


def test_a_page_showing_answers_or_errors_is_rendered_anew_and_never_kept(survey):
    cache = fresh_cache(survey)
    client = respondent(survey, "sv")
    walk(client)
    kept = len(cache)
    # Back to the first page: it shows what was answered there, not the blank page kept.
    back = post(client, "/enkat/sida", {**PAGES["avslutning"], "section": "avslutning", "action": "back"})
    assert back.status_code == 200
    while current_section(html := back.get_data(as_text=True)) != "bakgrund":
        section = current_section(html)
        back = post(client, "/enkat/sida", {**PAGES[section], "section": section, "action": "back"})
    assert re.search(r'value="kvinna"[^>]* checked|checked[^>]* value="kvinna"', html), html
    # A page posted with an error comes back with it and what was typed.
    wrong = post(client, "/enkat/sida", {"section": "bakgrund", "action": "next", "q-kon": "inte-ett-svar"})
    assert wrong.status_code == 400 and 'id="q-kon-error"' in wrong.get_data(as_text=True)
    assert len(cache) == kept
    # The next respondent's first page is blank again.
    blank = respondent(survey, "sv").get("/enkat/sida").get_data(as_text=True)
    assert "checked" not in blank and "q-kon-error" not in blank


def test_the_html_kept_follows_what_earlier_pages_decide(app, tmp_path):
    """Page 3 of the chain: c depends on b (page 2), d on row r2 of the matrix m (page 1). Each
    decision gives its own HTML (shown or hidden, required or not), kept apart, and each is
    what rendering it anew gives."""
    path = tmp_path / "kedja.yaml"
    path.write_text(CHAIN_YAML, encoding="utf-8")
    chain = definition_of(path)
    page3 = chain.sections[2]
    decisions: dict[tuple[str, str], dict[str, Any]] = {
        ("holds", "holds"): _answers(a="ja", b="ja", m2="nej"),
        ("holds", "fails"): _answers(a="ja", b="ja", m2="ja"),
        ("fails", "holds"): _answers(a="ja", b="nej", m2="nej"),
        ("fails", "fails"): _answers(a="nej", b="ja", m2="ja"),  # b counts as none: page 2 hidden
    }
    with app.test_request_context():
        cache = section_cache()
        kept = {key: section_html(chain, page3, "sv", answers=answers) for key, answers in decisions.items()}
        assert len(cache) == 4
        for (c, d), answers in decisions.items():
            html = kept[(c, d)]
            assert 'id="question-c" data-question="c" data-show-if-question="b"' in html
            assert re.search(rf'id="question-c"[^>]*data-show-if-earlier="{c}"', html)
            assert re.search(rf'id="question-d"[^>]*data-show-if-earlier="{d}"', html)
            # d is required only where it is shown: its radio group says so.
            assert ('aria-required="true"' in html) is (d == "holds"), html
            assert section_html(chain, page3, "sv", answers=answers) is html  # reused
            form = build_form(chain, language="sv", sections=["sida3"], answers=answers)
            rendered = app.jinja_env.from_string(
                '{% from "_macros/questions.html" import section %}'
                '{{ section(form, definition.sections[2], definition, "sv", {}, heading=1) }}'
            ).render(form=form, definition=chain)
            assert str(html) == rendered
        # Another language is another entry; answers on the page itself are never kept.
        section_html(chain, page3, "en", answers=decisions[("holds", "holds")])
        assert len(cache) == 5
        typed = {**decisions[("holds", "holds")], "c": "redan skrivet"}
        assert "redan skrivet" in section_html(chain, page3, "sv", answers=typed)
        assert len(cache) == 5


def test_the_kept_html_is_dropped_least_recently_used_first(app, tmp_path):
    path = tmp_path / "kedja.yaml"
    path.write_text(CHAIN_YAML, encoding="utf-8")
    chain = definition_of(path)
    with app.test_request_context():
        cache = fresh_cache(app)
        cache.limit = 2
        first = section_html(chain, chain.sections[0], "sv", answers={})
        section_html(chain, chain.sections[2], "sv", answers={})
        assert section_html(chain, chain.sections[0], "sv", answers={}) is first  # used again: kept
        section_html(chain, chain.sections[2], "en", answers={})
        assert len(cache) == 2
        assert section_html(chain, chain.sections[0], "sv", answers={}) is first
        # A definition parsed anew (another object) never meets HTML kept for the old one.
        again = definition_of(path)
        assert section_html(again, again.sections[0], "sv", answers={}) is not first
