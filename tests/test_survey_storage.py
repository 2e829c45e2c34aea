"""The anonymous survey's storage as a database administrator sees it: system columns
(PostgreSQL's `xmin` and `ctid`), the bytes of SQLite's files, and open links that stop at the
unit's head count. Everything is answered through HTTP, as respondents do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import RoundUnit, Unit
from app.models.survey import AccessCode, SurveyDraft, SurveyPending, SurveyResponse
from app.services import transaction
from app.services.survey import code_hash, normalise_code
from tests.conftest import post
from tests.test_survey import (
    PAGES,
    ROUND_KEY,
    admin_client,
    answer_all,
    close_round,
    current_section,
    new_codes,
    open_link,
    respond_with_code,
)

# The anonymous tables of answers, each with its primary key (a random id or a key of values).
ANSWERS = {
    "survey_responses": "id",
    "survey_answers": "response_id, question_key, row_key, value",
    "survey_texts": "id",
    "survey_counts": "round_id, unit_id, question_key, row_key, value",
    "survey_split_counts": "round_id, unit_id, by_question, by_value, question_key, row_key, value",
}



def on_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def postgres_only(app) -> None:
    with app.app_context():
        if not on_postgres():
            pytest.skip("system columns xmin and ctid are PostgreSQL's")


def sql(query: str) -> list[tuple]:
    db.session.remove()
    return [tuple(row) for row in db.session.execute(text(query))]


def fill(app, unit: str, count: int, comment: str = "") -> list[str]:
    codes = new_codes(admin_client(app), unit, count)
    for number, code in enumerate(codes, 1):
        respond_with_code(app, code, {"avslutning": {"q-kommentarer": f"{comment} {number}".strip()}})
    return codes


# --- PostgreSQL: transaction ids and row order ---------------------------------------------------

# The query of an outside review: responses that share a transaction with a used code.
LINKED = ("SELECT count(*) FROM {table} r WHERE EXISTS (SELECT 1 FROM survey_access_codes c "
          "WHERE c.used AND c.xmin = r.xmin)")


def test_no_response_shares_a_transaction_with_its_access_code(survey):
    postgres_only(survey)
    fill(survey, "bolag", 7, "Kommentar")  # 5 released, 2 waiting
    fill(survey, "sdn-norr", 2)  # both waiting
    with survey.app_context():
        assert sql("SELECT count(*) FROM survey_responses") == [(5,)]
        assert sql("SELECT count(*) FROM survey_pending") == [(4,)]
        for table in ("survey_responses", "survey_answers", "survey_texts", "survey_pending", "survey_counts",
                      "survey_split_counts"):
            assert sql(LINKED.format(table=table)) == [(0,)], table
        # Nor with a draft that is still open.
        assert sql("SELECT count(*) FROM survey_responses r JOIN survey_drafts d ON d.xmin = r.xmin") == [(0,)]


def test_the_used_codes_of_a_unit_tell_nothing_of_when_each_was_used(survey):
    postgres_only(survey)
    codes = fill(survey, "bolag", 3)
    admin = admin_client(survey)
    with survey.app_context():
        # Every claim rewrites all the unit's codes: one transaction id for all, used or not.
        assert sql("SELECT count(DISTINCT xmin::text) FROM survey_access_codes") == [(1,)]
        assert sql("SELECT count(*) FROM survey_access_codes WHERE used") == [(3,)]
    later = new_codes(admin, "bolag", 2)  # generated after the three were used
    respond_with_code(survey, later[0])
    with survey.app_context():
        assert sql("SELECT count(DISTINCT xmin::text) FROM survey_access_codes") == [(1,)]
        assert sql("SELECT count(*) FROM survey_access_codes WHERE used") == [(4,)]
    assert len(codes) == 3


def test_waiting_responses_are_rewritten_together_and_released_in_groups_of_the_threshold(survey):
    postgres_only(survey)
    fill(survey, "bolag", 3, "Väntar")
    with survey.app_context():
        # The three waiting responses were all written again by the last completion.
        assert sql("SELECT count(*), count(DISTINCT xmin::text) FROM survey_pending") == [(3, 1)]
    fill(survey, "bolag", 9, "Släppt")  # 12 in all: released 5 + 5, 2 waiting
    with survey.app_context():
        groups = sql("SELECT xmin::text, count(*) FROM survey_responses GROUP BY xmin::text")
        assert sorted(n for _xmin, n in groups) == [5, 5]
        # A release writes the answers, texts and counts of its group in its one transaction.
        released = {xmin for xmin, _n in groups}
        for table in ("survey_answers", "survey_texts"):
            assert {x for (x,) in sql(f"SELECT DISTINCT xmin::text FROM {table}")} == released, table  # noqa: S608
        # The kept counts and split counts were written by the releases only (a row the second
        # release added to carries its transaction), never by a completion that left one waiting.
        for table in ("survey_counts", "survey_split_counts"):
            assert {x for (x,) in sql(f"SELECT DISTINCT xmin::text FROM {table}")} <= released, table  # noqa: S608
        assert sql("SELECT count(*), count(DISTINCT xmin::text) FROM survey_pending") == [(2, 1)]


def test_closing_and_reshuffling_leave_one_transaction_and_random_row_order(survey):
    postgres_only(survey)
    fill(survey, "bolag", 6, "Ett")
    fill(survey, "sdn-syd", 3, "Två")
    close_round(survey)
    with survey.app_context():
        assert sql("SELECT count(*) FROM survey_pending") == [(0,)]
        assert sql("SELECT count(*) FROM survey_responses") == [(9,)]
    for step in ("closed", "reshuffled"):
        if step == "reshuffled":
            result = survey.test_cli_runner().invoke(args=["survey", "reshuffle"])
            assert result.exit_code == 0 and "survey_responses" in result.output, result.output
        with survey.app_context():
            stamps = set()
            for table, key in {**ANSWERS, "survey_access_codes": "id"}.items():
                if table != "survey_access_codes":
                    stamps |= {x for (x,) in sql(f"SELECT DISTINCT xmin::text FROM {table}")}  # noqa: S608
                physical = sql(f"SELECT {key} FROM {table} ORDER BY ctid")  # noqa: S608
                assert physical and physical == sql(f"SELECT {key} FROM {table} ORDER BY {key}"), (step, table)  # noqa: S608
            # Every row of every table of answers carries the same transaction id, and the
            # codes all carry one of their own.
            assert len(stamps) == 1, step
            assert sql("SELECT count(DISTINCT xmin::text) FROM survey_access_codes") == [(1,)]
            for table in ("survey_responses", "survey_answers", "survey_texts"):
                assert sql(LINKED.format(table=table)) == [(0,)]


# --- SQLite: the bytes of the files ----------------------------------------------------------------


def database_bytes(app) -> bytes:
    path = Path(db.engine.url.database)
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def test_sqlite_files_keep_no_byte_of_a_completed_draft(survey):
    with survey.app_context():
        if on_postgres():
            pytest.skip("SQLite's database and write-ahead log files")
    code = new_codes(admin_client(survey), "bolag", 1)[0]
    client = survey.test_client()
    assert post(client, "/enkat", {"code": code}).status_code == 302
    secret = survey.config["SECRET_KEY"]
    with survey.app_context():
        draft_id, key_hash = db.session.execute(select(SurveyDraft.id, SurveyDraft.key_hash)).one()
    assert key_hash == code_hash(secret, "draft", normalise_code(code))
    # A text typed on the last page, saved, then replaced before completing: only the draft
    # ever held it.
    answer_until_last_page(client)
    draft_text = "Utkastets-hemliga-rad-7731"
    post(client, "/enkat/sida", {"section": "avslutning", "q-kommentarer": draft_text, "action": "stay"})
    with survey.app_context():
        assert draft_text.encode() in database_bytes(survey)  # the draft holds it now
    response = post(client, "/enkat/sida", {"section": "avslutning", "q-kommentarer": "Slutlig text.",
                                            "action": "complete"})
    assert response.headers["Location"].endswith("/enkat/tack")
    with survey.app_context():
        db.session.remove()
        stored = database_bytes(survey)
        for secret_bytes in (draft_text, draft_id, key_hash):
            assert secret_bytes.encode() not in stored, secret_bytes
        assert b"Slutlig text." in stored  # the waiting response itself is there


def answer_until_last_page(client) -> None:
    for _ in range(10):
        html = client.get("/enkat/sida").get_data(as_text=True)
        section = current_section(html)
        if section == "avslutning":
            return
        assert post(client, "/enkat/sida", {**PAGES[section], "section": section, "action": "next"}).status_code == 200
    raise AssertionError("never reached the last page")


# --- claiming codes ----------------------------------------------------------------------------------


def test_a_code_is_used_as_its_draft_starts_and_resumes_until_completed(survey):
    code = new_codes(admin_client(survey), "sdn-syd", 1)[0]
    first = survey.test_client()
    assert post(first, "/enkat", {"code": code}).status_code == 302
    with survey.app_context():
        assert db.session.scalar(select(AccessCode.used)) is True
        assert {c.name for c in SurveyDraft.__table__.columns}.isdisjoint({"access_code_id", "code_id"})
    again = survey.test_client()
    assert post(again, "/enkat", {"code": code}).status_code == 302  # resumed, not refused
    answer_all(again)
    refused = post(survey.test_client(), "/enkat", {"code": code})
    assert refused.status_code == 400 and "redan använts" in refused.get_data(as_text=True)


# --- open links --------------------------------------------------------------------------------------


def set_head_count(app, unit: str, count: int) -> None:
    admin = admin_client(app)
    assert post(admin, f"/admin/enkat/{ROUND_KEY}/antal", {f"head-{unit}": str(count)}).status_code == 302


def start_by_link(app, link: str, address: str = "10.1.1.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client, post(client, link)


def test_an_open_link_stops_at_the_units_head_count(survey):
    link = open_link(admin_client(survey), "bolag")
    set_head_count(survey, "bolag", 2)
    starters = [start_by_link(survey, link, f"10.1.1.{n}") for n in range(3)]
    assert all(response.status_code == 200 for _client, response in starters)
    for client, _response in starters[:2]:
        answer_all(client)
    # The third started before the unit was full; completing now is refused, and said so.
    client, _ = starters[2]
    for _ in range(10):
        html = client.get("/enkat/sida").get_data(as_text=True)
        section = current_section(html)
        action = "complete" if 'value="complete"' in html else "next"
        response = post(client, "/enkat/sida", {**PAGES[section], "section": section, "action": action})
        if action == "complete":
            break
    assert response.status_code == 409
    assert "Enkäten är full" in response.get_data(as_text=True)
    # A new respondent is told so before answering anything.
    _client, late = start_by_link(survey, link, "10.1.1.9")
    assert late.status_code == 409 and "Enkäten är full" in late.get_data(as_text=True)
    with survey.app_context():
        unit_id = db.session.scalar(select(Unit.id).where(Unit.key == "bolag"))
        completed = sum(db.session.scalar(select(func.count()).select_from(model).where(model.unit_id == unit_id))
                        for model in (SurveyResponse, SurveyPending))
        assert completed == 2
    # The admin sees the unit full, at 100 %, never more.
    html = admin_client(survey).get(f"/admin/enkat/{ROUND_KEY}").get_data(as_text=True)
    row = re.search(r"Stadens Bostäder AB</th>(.*?)</tr>", html, re.S).group(1)
    cells = re.findall(r"<td>([^<]*)", row)
    assert cells[0].strip() == "2" and cells[1].strip() == "2" and cells[2] == "100,0 %"
    assert "fullt" in row


def test_the_head_count_caps_code_respondents_too(survey):
    codes = new_codes(admin_client(survey), "sdn-syd", 3)
    set_head_count(survey, "sdn-syd", 2)
    respond_with_code(survey, codes[0])
    respond_with_code(survey, codes[1])
    client = survey.test_client()
    assert post(client, "/enkat", {"code": codes[2]}).status_code == 302
    answer_until_last_page(client)
    response = post(client, "/enkat/sida", {**PAGES["avslutning"], "section": "avslutning", "action": "complete"})
    assert response.status_code == 409
    with survey.app_context(), transaction() as session:
        # Raising the head count lets the respondent finish with the same code.
        session.scalar(select(RoundUnit).join(Unit).where(Unit.key == "sdn-syd")).head_count = 3
    response = post(client, "/enkat/sida", {**PAGES["avslutning"], "section": "avslutning", "action": "complete"})
    assert response.headers["Location"].endswith("/enkat/tack")


def test_starts_through_an_open_link_are_throttled_per_address(survey):
    link = open_link(admin_client(survey), "bolag")
    limit = survey.config["SURVEY_STARTS_PER_MINUTE"]
    statuses = [start_by_link(survey, link, "10.2.2.2")[1].status_code for _ in range(limit + 1)]
    assert statuses[:limit] == [200] * limit and statuses[limit] == 429
    assert start_by_link(survey, link, "10.2.2.3")[1].status_code == 200  # another address goes on
    with survey.app_context():
        assert db.session.scalar(select(func.count()).select_from(SurveyDraft)) == limit + 1


def test_an_open_link_start_shares_no_transaction_with_the_address_it_counted(survey):
    postgres_only(survey)
    link = open_link(admin_client(survey), "bolag")
    assert start_by_link(survey, link, "10.3.3.3")[1].status_code == 200
    with survey.app_context():
        assert sql("SELECT count(*) FROM survey_drafts") == [(1,)]
        assert sql("SELECT count(*) FROM throttle_counters") == [(1,)]
        assert sql("SELECT count(*) FROM survey_drafts d JOIN throttle_counters t ON t.xmin = d.xmin") == [(0,)]
