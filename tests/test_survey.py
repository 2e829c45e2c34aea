"""The anonymous staff survey through HTTP: codes and open links, pages, anonymity of what is
stored and logged, resume, decline, conditions, free-text review, results and response rates."""

from __future__ import annotations

import io
import logging
import re
from datetime import date

import pytest
from sqlalchemy import DateTime, func, select, text

from app.config import PROJECT_ROOT
from app.extensions import db
from app.models import AuditEvent, Round, RoundUnit, Unit
from app.models.survey import (
    SurveyAnswer,
    SurveyCount,
    SurveyDraft,
    SurveyPending,
    SurveyResponse,
    SurveyTally,
    SurveyText,
)
from app.services import transaction
from app.services.questionnaires import load_folder
from app.services.rounds import RoundSpec, change_status, create_round
from app.services.survey import code_hash, counts_from_answers, normalise_code
from tests.conftest import login, post

ROUND_KEY = "enkat-2026"
UNITS = ("sdn-norr", "sdn-syd", "bolag", "soc")

PAGES: dict[str, dict[str, object]] = {
    "bakgrund": {"q-kon": "kvinna", "q-stadsdel": "skarholmen", "q-verksamhetsomrade": "ekonomiskt_bistand"},
    "risk_och_arbetssatt": {
        "q-risk-trakasserier": "hog", "q-risk-hot_vald": "lag", "q-risk-skadegorelse": "inte_alls",
        "q-risk-mutor": "inte_alls", "q-utbildning": "ja_senaste_aret", "q-riktlinjer_gavor": "nej",
        "q-pratar": ["hot_vald", "mutor"], "q-arbetssatt": "ja", "q-arbetssatt_hur": "Vi går två och två.",
        "q-rutiner_hot_vald": "vet_ej", "q-rapportera-trakasserier": "ja", "q-rapportera-hot_vald": "ja",
        "q-rapportera-skadegorelse": "nej", "q-rapportera-mutor": "nej",
    },
    "utsatthet": {"q-utsatt": "nej"},
    "senaste_handelsen": {
        "q-typ": ["hot_vald"], "q-av_vem": ["kund_brukare"], "q-anmaldes-chef": "ja",
        "q-anmaldes-polis": "nej", "q-anmaldes-ia": "ja", "q-stod": "ja",
    },
    "avslutning": {"q-kommentarer": ""},
}


def open_survey_round(app):
    """An open round of the shipped staff survey inviting four units."""
    with app.app_context():
        report = load_folder([PROJECT_ROOT / "questionnaires" / "medarbetarenkat.yaml"])
        assert report.ok, report.errors
        with transaction() as session:
            created = create_round(session, RoundSpec(key=ROUND_KEY, name="Medarbetarenkät 2026", year=2026,
                                                      questionnaire_keys=("medarbetarenkat",), unit_keys=UNITS))
            change_status(session, created, "open")
    return app



def admin_client(app):
    client = app.test_client()
    assert login(client, "admin@test.se").status_code == 302
    return client


def new_codes(admin, unit: str, count: int) -> list[str]:
    response = post(admin, f"/admin/enkat/{ROUND_KEY}/koder", {"unit": unit, "count": str(count), "format": "csv"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return re.findall(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", response.get_data(as_text=True))


def open_link(admin, unit: str) -> str:
    assert post(admin, f"/admin/enkat/{ROUND_KEY}/lank", {"unit": unit}).status_code == 302
    page = admin.get(f"/admin/enkat/{ROUND_KEY}").get_data(as_text=True)
    links = re.findall(r"http://localhost(/enkat/l/[A-Za-z0-9_-]+)", page)
    assert links
    return links[0]


def current_section(page_html: str) -> str:
    match = re.search(r'name="section" value="([a-z_]+)"', page_html)
    assert match, page_html[:2000]
    return match.group(1)


def answer_all(client, overrides: dict[str, dict[str, object]] | None = None) -> None:
    """Answer page after page until the receipt, with PAGES changed by `overrides`: each page
    post is answered with the next page, the last one with the receipt (redirected to)."""
    overrides = overrides or {}
    page = client.get("/enkat/sida")
    for _ in range(10):
        assert page.status_code == 200, page.get_data(as_text=True)[:3000]
        html = page.get_data(as_text=True)
        section = current_section(html)
        data = {**PAGES[section], **overrides.get(section, {}), "section": section}
        data["action"] = "complete" if 'value="complete"' in html else "next"
        page = post(client, "/enkat/sida", data)
        if page.status_code == 302:
            assert page.headers["Location"].endswith("/enkat/tack")
            return
    raise AssertionError("never reached the receipt")


def close_round(app) -> None:
    """Close the survey round as an admin does: every waiting response is released."""
    response = post(admin_client(app), f"/admin/omgangar/{ROUND_KEY}/status", {"action": "close"})
    assert response.status_code == 302, response.status_code


def respond_with_code(app, code: str, overrides=None) -> None:
    client = app.test_client()
    assert post(client, "/enkat", {"code": code}).status_code == 302
    answer_all(client, overrides)


# --- anonymity of what is stored and logged ------------------------------------------------------


def test_completed_responses_hold_nothing_that_links_them_to_a_code_user_address_or_time(survey, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("werkzeug", "sqlalchemy.engine", "app", "flask"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    admin = admin_client(survey)
    codes = new_codes(admin, "sdn-norr", 3)
    assert len(codes) == 3
    secret_words = "Hemligt-ord-Zeta"
    respond_with_code(survey, codes[0], {"avslutning": {"q-kommentarer": f"{secret_words} 1"}})
    respond_with_code(survey, codes[1], {"utsatthet": {"q-utsatt": "ja", "q-utsatt_hur": f"{secret_words} 2"}})
    link = open_link(admin, "sdn-norr")
    anonymous = survey.test_client()
    anonymous.environ_base["REMOTE_ADDR"] = "10.9.8.7"
    page = post(anonymous, link)
    resume = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", page.get_data(as_text=True)).group(0)
    answer_all(anonymous, {"avslutning": {"q-kommentarer": f"{secret_words} 3"}})

    with survey.app_context():
        # Three of sdn-norr's staff answered, fewer than the threshold of 5: their responses
        # wait for others, holding only their answers, and the drafts are gone.
        assert db.session.scalar(select(func.count()).select_from(SurveyPending)) == 3
        assert not db.session.scalars(select(SurveyResponse)).all()
        assert not db.session.scalars(select(SurveyDraft)).all()
        assert {c.name for c in SurveyPending.__table__.columns} == {"id", "round_id", "unit_id", "answered_on",
                                                                      "answers"}
    _assert_nothing_links(survey, codes, resume)
    close_round(survey)  # releases them
    _assert_nothing_links(survey, codes, resume)
    with survey.app_context():
        responses = db.session.scalars(select(SurveyResponse)).all()
        assert len(responses) == 3
        assert {r.answered_on for r in responses} == {date.today()}
        assert not db.session.scalars(select(SurveyPending)).all()

    logged = caplog.text
    assert caplog.records  # something was logged, and none of it is a code or an answer
    for value in [*_forbidden(survey, codes, resume), secret_words, "Vi går två och två"]:
        assert value not in logged


def _forbidden(app, codes: list[str], resume: str) -> set[str]:
    secret = app.config["SECRET_KEY"]
    forbidden = set()
    for code in [*codes, resume]:
        plain = normalise_code(code)
        forbidden |= {code, plain, code_hash(secret, "access", plain), code_hash(secret, "draft", plain)}
    return forbidden


def _assert_nothing_links(survey, codes: list[str], resume: str) -> None:
    secret = survey.config["SECRET_KEY"]
    forbidden = _forbidden(survey, codes, resume)
    access_hashes = {code_hash(secret, "access", normalise_code(c)) for c in codes}
    # In the survey's own tables, also nothing of a person, an address or a browser.
    personal = {"127.0.0.1", "10.9.8.7", "werkzeug", "admin@test.se"}

    with survey.app_context():
        db.session.remove()
        responses = db.session.scalars(select(SurveyResponse)).all()
        assert {c.name for c in SurveyResponse.__table__.columns} == {"id", "round_id", "unit_id", "answered_on"}
        response_ids = {r.id for r in responses}
        assert not db.session.scalars(select(SurveyDraft)).all()  # the link is gone
        for table in db.metadata.sorted_tables:
            survey_table = table.name.startswith("survey_")
            if survey_table:
                assert not any(isinstance(c.type, DateTime) for c in table.columns), table.name
                assert not any(fk.column.table.name == "users" for fk in table.foreign_keys), table.name
            for row in db.session.execute(table.select()).mappings():
                for column, value in row.items():
                    shown = str(value)
                    if (table.name, column) == ("survey_access_codes", "code_hash"):
                        # The one place a code's hash lives: in a table no response points to.
                        assert shown in access_hashes
                        continue
                    assert not any(f in shown for f in forbidden), f"{table.name}.{column}"
                    if survey_table:
                        assert not any(p in shown for p in personal), f"{table.name}.{column}"
                    if table.name not in ("survey_responses", "survey_answers", "survey_texts"):
                        assert not any(rid in shown for rid in response_ids), f"{table.name}.{column}"
        used = db.session.execute(text("SELECT used FROM survey_access_codes")).scalars().all()
        assert sorted(used) == [False, True, True]


def test_a_round_without_dates_stores_no_date(survey):
    with survey.app_context(), transaction() as session:
        session.scalar(select(Round)).store_response_date = False
    respond_with_code(survey, new_codes(admin_client(survey), "bolag", 1)[0])
    with survey.app_context():
        assert db.session.scalar(select(SurveyResponse.answered_on)) is None


# --- codes --------------------------------------------------------------------------------------


def test_resume_with_a_code_returns_the_answers(survey):
    code = new_codes(admin_client(survey), "sdn-syd", 1)[0]
    first = survey.test_client()
    post(first, "/enkat", {"code": code})
    post(first, "/enkat/sida", {**PAGES["bakgrund"], "q-kon": "man", "section": "bakgrund", "action": "next"})
    later = survey.test_client()  # another browser, the same code typed in lower case
    assert post(later, "/enkat", {"code": code.lower().replace("-", " ")}).status_code == 302
    html = later.get("/enkat/sida").get_data(as_text=True)
    assert "Sida 2 av 4" in html and current_section(html) == "risk_och_arbetssatt"
    post(later, "/enkat/sida", {"section": "risk_och_arbetssatt", "action": "back"})
    back = later.get("/enkat/sida").get_data(as_text=True)
    assert re.search(r'value="man"[^>]*checked|checked[^>]*value="man"', back)


def test_a_used_code_is_refused(survey):
    code = new_codes(admin_client(survey), "bolag", 1)[0]
    respond_with_code(survey, code)
    again = post(survey.test_client(), "/enkat", {"code": code})
    assert again.status_code == 400
    assert "Koden har redan använts" in again.get_data(as_text=True)


def test_code_guessing_is_throttled_after_the_limit(survey):
    client = survey.test_client()
    limit = survey.config["CODE_ATTEMPTS_PER_MINUTE"]
    for _ in range(limit):
        wrong = post(client, "/enkat", {"code": "AAAA-BBBB-CCCC-DDDD"})
        assert wrong.status_code == 400
        assert "Koden finns inte" in wrong.get_data(as_text=True)
    code = new_codes(admin_client(survey), "bolag", 1)[0]
    blocked = post(client, "/enkat", {"code": code})
    assert blocked.status_code == 429
    assert "För många försök" in blocked.get_data(as_text=True)


def test_codes_never_appear_in_urls(survey):
    code = new_codes(admin_client(survey), "bolag", 1)[0]
    client = survey.test_client()
    response = post(client, "/enkat", {"code": code})
    assert normalise_code(code) not in response.headers["Location"] and code not in response.headers["Location"]


def test_printable_code_slips_carry_the_codes_and_swedish_characters(survey):
    from pypdf import PdfReader

    admin = admin_client(survey)
    response = post(admin, f"/admin/enkat/{ROUND_KEY}/koder", {"unit": "sdn-syd", "count": "3", "format": "pdf"})
    assert response.mimetype == "application/pdf"
    pdf_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert len(re.findall(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", pdf_text)) == 3
    assert "Södra stadsdelsnämnden" in pdf_text and "påverkan" in pdf_text


# --- answering -----------------------------------------------------------------------------------


def test_declining_is_counted_and_uses_up_the_code(survey):
    code = new_codes(admin_client(survey), "bolag", 1)[0]
    client = survey.test_client()
    post(client, "/enkat", {"code": code})
    page = client.get("/enkat/sida").get_data(as_text=True)
    assert "Jag vill inte delta" in page
    assert post(client, "/enkat/sida", {"section": "bakgrund", "action": "decline"}).status_code == 302
    done = post(client, "/enkat/avboj")
    assert "inte vill delta" in done.get_data(as_text=True)
    with survey.app_context():
        assert db.session.scalar(select(SurveyTally.declined)) == 1
        assert not db.session.scalars(select(SurveyDraft)).all()
        assert not db.session.scalars(select(SurveyResponse)).all()
    assert post(survey.test_client(), "/enkat", {"code": code}).status_code == 400


def test_a_follow_up_is_discarded_when_its_condition_no_longer_holds(survey):
    code = new_codes(admin_client(survey), "bolag", 1)[0]
    client = survey.test_client()
    post(client, "/enkat", {"code": code})

    def send(section: str, action: str, **changes: object) -> None:
        """A page post, answered with the next page (the last one's with the receipt)."""
        data = {**PAGES[section], **changes, "section": section, "action": action}
        assert post(client, "/enkat/sida", data).status_code == (302 if action == "complete" else 200)

    send("bakgrund", "next")
    send("risk_och_arbetssatt", "next")
    send("utsatthet", "next", **{"q-utsatt": "ja", "q-utsatt_hur": "Hotad i telefon."})
    assert "Sida 4 av 5" in client.get("/enkat/sida").get_data(as_text=True)
    send("senaste_handelsen", "next")
    send("avslutning", "back")
    send("senaste_handelsen", "back")
    send("utsatthet", "next", **{"q-utsatt": "nej", "q-utsatt_hur": "Hotad i telefon."})
    html = client.get("/enkat/sida").get_data(as_text=True)
    assert current_section(html) == "avslutning" and "Sida 4 av 4" in html
    send("avslutning", "complete")
    close_round(survey)
    with survey.app_context():
        keys = set(db.session.scalars(select(SurveyAnswer.question_key)))
        assert "utsatt" in keys and not keys & {"typ", "av_vem", "anmaldes", "stod"}
        assert not db.session.scalars(select(SurveyText).where(SurveyText.question_key == "utsatt_hur")).all()


def test_a_page_with_a_required_answer_missing_stays_with_an_error(survey):
    code = new_codes(admin_client(survey), "bolag", 1)[0]
    client = survey.test_client()
    post(client, "/enkat", {"code": code})
    response = post(client, "/enkat/sida", {"section": "bakgrund", "action": "next", "q-kon": "man"})
    assert response.status_code == 400
    assert "Sida 1 av" in response.get_data(as_text=True)


# --- free texts ----------------------------------------------------------------------------------


def test_redacting_a_free_text_replaces_the_original(survey):
    admin = admin_client(survey)
    code = new_codes(admin, "bolag", 1)[0]
    respond_with_code(survey, code, {"avslutning": {"q-kommentarer": "Chefen Kalle Anka hotade mig."}})
    close_round(survey)  # the one response is released with the round's closing
    with survey.app_context():
        text_id = db.session.scalar(select(SurveyText.id).where(SurveyText.question_key == "kommentarer"))
    queue = admin.get(f"/admin/enkat/{ROUND_KEY}/fritext").get_data(as_text=True)
    assert "Kalle Anka" in queue
    response = post(admin, f"/admin/enkat/{ROUND_KEY}/fritext/{text_id}",
                    {"action": "redact", "text": "Chefen [namn borttaget] hotade mig."})
    assert response.status_code == 302
    with survey.app_context():
        stored = db.session.get(SurveyText, text_id)
        assert stored.status == "redacted" and stored.text == "Chefen [namn borttaget] hotade mig."
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(table.select()):
                assert "Kalle Anka" not in str(tuple(row)), table.name


# --- results and the threshold -------------------------------------------------------------------


def _fill(app, unit: str, count: int, overrides=None) -> None:
    for code in new_codes(admin_client(app), unit, count):
        respond_with_code(app, code, overrides)


def test_a_unit_with_four_responses_appears_nowhere_and_subtraction_reveals_nothing(survey):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    marker = {"bakgrund": {"q-verksamhetsomrade": "aldreomsorg"}}
    _fill(survey, "sdn-norr", 4, marker)
    _fill(survey, "sdn-syd", 6)
    _fill(survey, "bolag", 7)
    close_round(survey)  # the responses still waiting for others of their unit are released
    admin = admin_client(survey)
    base = f"/admin/enkat/{ROUND_KEY}/resultat"

    page = admin.get(base).get_data(as_text=True)
    rows = dict(re.findall(r'<th scope="row">(?:<a [^>]*>)?([^<]+)(?:</a>)?</th>\s*<td>([^<]+)</td>', page))
    assert rows["Norra stadsdelsnämnden"] == "För få svar för att visa resultat"
    # Total 17 minus bolag 7 would leave sdn-norr's 4: sdn-syd (6) is hidden as well.
    assert rows["Södra stadsdelsnämnden"] == "För få svar för att visa resultat"
    assert rows["Stadens Bostäder AB"] == "7" and rows["Totalt"] == "17"
    assert admin.get(f"{base}?cell=sdn-norr").get_data(as_text=True).count("För få svar för att visa resultat") >= 2

    published = [int(n) for n in rows.values() if n.isdigit()]
    from itertools import combinations

    for size in range(1, len(published)):
        for subset in combinations(published, size):
            for whole in published:
                assert whole - sum(subset) != 4

    csv_text = admin.get(f"{base}.csv").get_data(as_text=True)
    assert "Norra stadsdelsnämnden" not in csv_text and "Södra stadsdelsnämnden" not in csv_text
    workbook = load_workbook(io.BytesIO(admin.get(f"{base}.xlsx").data))
    cells = [str(c) for row in workbook.active.iter_rows(values_only=True) for c in row]
    assert "Norra stadsdelsnämnden" not in cells
    # Äldreomsorg: 4 answers, all from sdn-norr, published only inside the total of 17.
    total_rows = [line for line in csv_text.splitlines() if line.startswith("Totalt;17;verksamhetsomrade")]
    assert any("Äldreomsorg;4;" in line for line in total_rows)
    assert not any("Äldreomsorg;4" in line for line in csv_text.splitlines() if not line.startswith("Totalt"))

    pdf = PdfReader(io.BytesIO(admin.get(f"{base}.pdf").data))
    pdf_text = "\n".join(p.extract_text() for p in pdf.pages)
    after_norr = pdf_text.split("Norra stadsdelsnämnden", 1)[1][:80]
    assert "För få svar" in after_norr
    assert "Stadens Bostäder AB" in pdf_text and "Äldreomsorg" in pdf_text


def test_results_show_shares_counts_and_the_index_for_a_large_enough_unit(survey):
    overrides = {"risk_och_arbetssatt": {"q-risk-hot_vald": "hog"}}
    _fill(survey, "bolag", 5, overrides)
    admin = admin_client(survey)
    html = admin.get(f"/admin/enkat/{ROUND_KEY}/resultat?cell=bolag").get_data(as_text=True)
    assert "Antal svarande: 5" in html
    assert "100,0 %" in html  # everyone answered "Kvinna" (one decimal, as everywhere)
    assert "Index 33,0 av 100" in html  # Hög utsträckning scores 33
    assert 'src="data:image/svg+xml;base64,' in html


def test_free_texts_are_shown_only_reviewed_and_only_for_groups_of_the_free_text_threshold(survey):
    _fill(survey, "bolag", 10, {"avslutning": {"q-kommentarer": "Bra enkät."}})
    admin = admin_client(survey)
    url = f"/admin/enkat/{ROUND_KEY}/resultat?cell=bolag"
    assert "Bra enkät." not in admin.get(url).get_data(as_text=True)  # unread
    with survey.app_context(), transaction() as session:
        for stored in session.scalars(select(SurveyText)):
            stored.status = "approved"
    assert "Bra enkät." in admin.get(url).get_data(as_text=True)
    with survey.app_context(), transaction() as session:
        session.scalar(select(Round)).free_text_enabled = False
    assert "Bra enkät." not in admin.get(url).get_data(as_text=True)


def test_counts_kept_per_cell_are_the_answers_grouped(survey):
    """Each release adds its answers to `survey_counts` in its transaction; results read those
    rows. Three sdn-norr staff answer: two women and a man, one of them exposed (which
    shows the follow-up page, where q-typ is answered)."""
    admin = admin_client(survey)
    codes = new_codes(admin, "sdn-norr", 3)
    respond_with_code(survey, codes[0])
    respond_with_code(survey, codes[1], {"bakgrund": {"q-kon": "man"}})
    respond_with_code(survey, codes[2], {"utsatthet": {"q-utsatt": "ja", "q-utsatt_hur": "Hot i receptionen."},
                                         "senaste_handelsen": {"q-typ": ["hot_vald", "skadegorelse"]}})
    close_round(survey)
    with survey.app_context():
        round_id = db.session.scalar(select(Round.id))
        unit_id = db.session.scalar(select(Unit.id).where(Unit.key == "sdn-norr"))
        kept = {(q, row, value): n for q, row, value, n in db.session.execute(
            select(SurveyCount.question_key, SurveyCount.row_key, SurveyCount.value, SurveyCount.respondents)
            .where(SurveyCount.round_id == round_id, SurveyCount.unit_id == unit_id))}
        assert kept[("kon", "", "")] == 3  # the base: answered at all
        assert (kept[("kon", "", "kvinna")], kept[("kon", "", "man")]) == (2, 1)
        assert (kept[("pratar", "", "")], kept[("pratar", "", "hot_vald")], kept[("pratar", "", "mutor")]) == (3, 3, 3)
        assert (kept[("rapportera", "", "")], kept[("rapportera", "trakasserier", "ja")],
                kept[("rapportera", "mutor", "nej")]) == (3, 3, 3)
        assert (kept[("utsatt", "", "ja")], kept[("utsatt", "", "nej")]) == (1, 2)
        # Only the exposed respondent saw the follow-up; free texts are not counted.
        assert (kept[("typ", "", "")], kept[("typ", "", "hot_vald")], kept[("typ", "", "skadegorelse")]) == (1, 1, 1)
        assert not any(q == "utsatt_hur" for q, _row, _value in kept)
        assert kept == {(q, row, value): n for (unit, q, row, value), n
                        in counts_from_answers(db.session, round_id).items() if unit == unit_id}


# --- response rates ------------------------------------------------------------------------------


def test_the_audits_response_rate_case_shows_its_percentages(survey):
    with survey.app_context(), transaction() as session:
        round_ = session.scalar(select(Round))
        unit = session.scalar(select(Unit).where(Unit.key == "soc"))
        invitation = session.scalar(select(RoundUnit).where(RoundUnit.unit_id == unit.id))
        invitation.head_count = 316
        session.add_all(SurveyResponse(round_id=round_.id, unit_id=unit.id, answered_on=date.today())
                        for _ in range(166))
        session.add_all(SurveyDraft(round_id=round_.id, unit_id=unit.id, key_hash=f"k{i}", answers={},
                                    pages_saved=1, updated_on=date.today()) for i in range(24))
        session.add_all(SurveyDraft(round_id=round_.id, unit_id=unit.id, key_hash=f"opened{i}", answers={},
                                    pages_saved=0, updated_on=date.today()) for i in range(5))
        session.add(SurveyTally(round_id=round_.id, unit_id=unit.id, declined=32))
    html = admin_client(survey).get(f"/admin/enkat/{ROUND_KEY}").get_data(as_text=True)
    row = re.search(r"Socialnämnden</th>(.*?)</tr>", html, re.S).group(1)
    cells = re.findall(r"<td>([^<]*)", row)
    assert cells[:7] == ["316", "166", "52,5 %", "24", "7,6 %", "32", "10,1 %"]


def test_head_counts_are_entered_per_unit(survey):
    admin = admin_client(survey)
    assert post(admin, f"/admin/enkat/{ROUND_KEY}/antal", {"head-bolag": "40", "head-soc": ""}).status_code == 302
    with survey.app_context():
        counts = dict(db.session.execute(select(Unit.key, RoundUnit.head_count).join(Unit)).all())
    assert counts["bolag"] == 40 and counts["soc"] is None


def test_without_a_head_count_the_codes_generated_are_the_invited(survey):
    admin = admin_client(survey)
    new_codes(admin, "bolag", 8)
    html = admin.get(f"/admin/enkat/{ROUND_KEY}").get_data(as_text=True)
    row = re.search(r"Stadens Bostäder AB</th>(.*?)</tr>", html, re.S).group(1)
    assert re.findall(r"<td>([^<]*)", row)[0].strip() == "8"



def test_recount_finds_counts_that_differ_from_the_answers_and_rewrites_them(survey):
    codes = new_codes(admin_client(survey), "sdn-norr", 2)
    respond_with_code(survey, codes[0])
    respond_with_code(survey, codes[1], {"bakgrund": {"q-kon": "man"}})
    close_round(survey)
    runner = survey.test_cli_runner()
    checked = runner.invoke(args=["survey", "recount"])
    assert checked.exit_code == 0 and f"{ROUND_KEY}: the counts equal the answers" in checked.output
    with survey.app_context(), transaction() as session:
        # A hand edit (or a partial restore): one count too high, one missing.
        session.execute(text("UPDATE survey_counts SET respondents = respondents + 1 "
                             "WHERE question_key = 'kon' AND value = 'kvinna'"))
        session.execute(text("DELETE FROM survey_counts WHERE question_key = 'kon' AND value = 'man'"))
    checked = runner.invoke(args=["survey", "recount", ROUND_KEY])
    assert checked.exit_code == 1
    assert f"{ROUND_KEY}: 2 counts differ from the answers" in checked.output
    repaired = runner.invoke(args=["survey", "recount", "--repair"])
    assert repaired.exit_code == 0 and "2 counts differ from the answers; rewritten" in repaired.output
    with survey.app_context():
        round_id = db.session.scalar(select(Round.id))
        kept = {(u, q, r, v): n for u, q, r, v, n in db.session.execute(
            select(SurveyCount.unit_id, SurveyCount.question_key, SurveyCount.row_key, SurveyCount.value,
                   SurveyCount.respondents))}
        assert kept == counts_from_answers(db.session, round_id)
        assert {(q, v): n for (_u, q, _r, v), n in kept.items() if q == "kon"} == {
            ("kon", ""): 2, ("kon", "kvinna"): 1, ("kon", "man"): 1}
        assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "survey.recount")) == {
            "differing": 2}
    assert runner.invoke(args=["survey", "recount"]).exit_code == 0
    missing = runner.invoke(args=["survey", "recount", "finns-inte"])
    assert missing.exit_code == 1 and "no survey round 'finns-inte'" in missing.output


# --- conditions: a hidden question is never required ---------------------------------------------

ALL_TYPES = PROJECT_ROOT / "tests" / "data" / "valid" / "all_types.yaml"


@pytest.fixture
def all_types_survey(city):
    """An open round of a survey with a required question shown by an answer on its own page
    (typ_av_paverkan on utsatt) and a section shown by an answer on an earlier page (uppfoljning,
    with the required chefen_stod, on utsatt)."""
    with city.app_context():
        report = load_folder([ALL_TYPES])
        assert report.ok, report.errors
        with transaction() as session:
            created = create_round(session, RoundSpec(key=ROUND_KEY, name="Alla frågetyper", year=2026,
                                                      questionnaire_keys=("all_types",), unit_keys=UNITS))
            change_status(session, created, "open")
    return city


ALL_TYPES_RISK = {f"q-risk_per_kategori-{row}": "lag" for row in ("trakasserier", "hot_vald", "skadegorelse",
                                                                  "korruption")}


def test_a_question_whose_condition_fails_is_never_required_on_its_page_or_a_later_one(all_types_survey):
    client = all_types_survey.test_client()
    assert post(client, "/enkat", {"code": new_codes(admin_client(all_types_survey), "bolag", 1)[0]}).status_code == 302

    def send(section: str, action: str, **answers: object):  # noqa: ANN202
        return post(client, "/enkat/sida", {**answers, "section": section, "action": action})

    assert send("bakgrund", "next", **{"q-kon": "kvinna", "q-verksamhet": "ekonomiskt_bistand"}).status_code == 200
    # Shown (utsatt = ja on the same page) it is required ...
    shown = send("paverkan", "next", **ALL_TYPES_RISK, **{"q-utsatt": "ja"})
    assert shown.status_code == 400
    assert 'id="q-typ_av_paverkan-error"' in shown.get_data(as_text=True)
    # ... and answered, it opens the next page, whose condition is on this page's utsatt.
    assert send("paverkan", "next", **ALL_TYPES_RISK, **{"q-utsatt": "ja", "q-typ_av_paverkan": "samtal"}
                ).status_code == 200
    html = client.get("/enkat/sida").get_data(as_text=True)
    assert current_section(html) == "uppfoljning" and "Sida 3 av 3" in html
    assert 'data-show-if-question="utsatt"' in html and 'data-show-if-earlier="holds"' in html
    assert send("uppfoljning", "back").status_code == 200
    # Hidden (utsatt = nej): neither the question on the page nor the section after it is asked
    # for, and an answer sent anyway (as without JavaScript, here even an invalid one) is dropped.
    not_exposed = {**ALL_TYPES_RISK, "q-utsatt": "nej", "q-typ_av_paverkan": ["nej_inte_alls", "samtal"]}
    assert send("paverkan", "next", **not_exposed).status_code == 200
    html = client.get("/enkat/sida").get_data(as_text=True)
    assert current_section(html) == "paverkan" and "Sida 2 av 2" in html and 'value="complete"' in html
    # A page of the hidden section posted from a tab left open asks for nothing either.
    assert send("uppfoljning", "next").status_code == 200
    response = send("paverkan", "complete", **not_exposed)
    assert response.status_code == 302 and response.headers["Location"].endswith("/enkat/tack")
