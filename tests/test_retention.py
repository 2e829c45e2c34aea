"""Retention (gallring) of a round's answers, and the survey tables' row order on disk.

A round's retention date is set when the round is created (or with `lagesbild rounds retain`);
`lagesbild rounds purge` deletes the answers of closed rounds whose date has passed, in one
transaction, audited with counts only. Closing a survey round (and `lagesbild survey reshuffle`)
leaves the anonymous tables in random-id order, also on PostgreSQL where the heap would
otherwise keep the order of answering.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from app.config import PROJECT_ROOT
from app.extensions import db
from app.models import AuditEvent, ResponseEvent, Round, UnitResponse
from app.models.survey import (
    AccessCode,
    SurveyAnswer,
    SurveyDraft,
    SurveyPending,
    SurveyResponse,
    SurveyTally,
    SurveyText,
)
from app.services import transaction
from app.services.questionnaires import load_folder
from app.services.rounds import RoundSpec, change_status, create_round, get_round
from app.services.survey_storage import reshuffle_survey_tables
from tests.conftest import login, post
from tests.rounds_factory import ROUND_KEY, full_answers, load_self_assessment, make_round
from tests.test_survey import ROUND_KEY as SURVEY_KEY
from tests.test_survey import UNITS, admin_client, new_codes, respond_with_code

YESTERDAY = date.today() - timedelta(days=1)
FREE_TEXT = "Chefen Kalle sa att vi inte skulle anmäla."


def cli(app: Flask, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=list(args))


@pytest.fixture
def answered(city: Flask) -> Flask:
    """Both kinds of answers: sdn-norr's submitted self-assessment (a save and a submission in
    its history) and a staff survey with two responses (one with a free text), one declined,
    one unfinished draft and one unused code."""
    with city.app_context():
        make_round()
        assert load_folder([PROJECT_ROOT / "questionnaires" / "medarbetarenkat.yaml"]).ok
        with transaction() as session:
            created = create_round(session, RoundSpec(key=SURVEY_KEY, name="Medarbetarenkät 2026", year=2026,
                                                      questionnaire_keys=("medarbetarenkat",), unit_keys=UNITS))
            change_status(session, created, "open")
    editor = city.test_client()
    assert login(editor, "editor@test.se").status_code == 302
    url = f"/granskning/{ROUND_KEY}/sdn-norr/sjalvskattning"
    assert post(editor, url, {**full_answers(), "base_version": "0", "action": "save"}).status_code == 302
    assert post(editor, url, {**full_answers(), "base_version": "1", "action": "submit"}).status_code == 302

    codes = new_codes(admin_client(city), "sdn-norr", 5)
    respond_with_code(city, codes[0], {"avslutning": {"q-kommentarer": FREE_TEXT}})
    respond_with_code(city, codes[1])
    declining = city.test_client()
    assert post(declining, "/enkat", {"code": codes[2]}).status_code == 302
    assert post(declining, "/enkat/avboj", {}).status_code == 200
    unfinished = city.test_client()
    assert post(unfinished, "/enkat", {"code": codes[3]}).status_code == 302
    return city


def close(app: Flask, key: str, retain_until: date | None = YESTERDAY) -> None:
    """Close the round as its page does: the status (which releases waiting survey responses),
    then the survey tables rewritten once that is committed."""
    with app.app_context():
        with transaction() as session:
            round_ = get_round(session, key)
            change_status(session, round_, "close")
            round_.retain_until = retain_until
        reshuffle_survey_tables()


def count(model, **where) -> int:  # type: ignore[no-untyped-def]
    statement = select(func.count()).select_from(model)
    for column, value in where.items():
        statement = statement.where(getattr(model, column) == value)
    return int(db.session.scalar(statement) or 0)


def round_id(key: str) -> int:
    return db.session.scalar(select(Round.id).where(Round.key == key))  # type: ignore[return-value]


# --- setting the retention date ------------------------------------------------------------------


def test_an_admin_sets_the_retention_date_when_creating_a_round(as_role):
    admin = as_role("admin")
    with admin.application.app_context():
        load_self_assessment()
    response = post(admin, "/admin/omgangar/ny", {
        "name": "Granskning 2027", "key": "granskning-2027", "year": "2027", "questionnaires": "sjalvskattning",
        "units": "sdn-norr", "due_on": "2027-03-31", "retain_until": "2032-12-31"})
    assert response.status_code == 302, response.get_data(as_text=True)
    with admin.application.app_context():
        assert get_round(db.session, "granskning-2027").retain_until == date(2032, 12, 31)


def test_a_retention_date_before_the_due_date_is_refused(as_role):
    admin = as_role("admin")
    with admin.application.app_context():
        load_self_assessment()
    response = post(admin, "/admin/omgangar/ny", {
        "name": "Granskning 2027", "key": "granskning-2027", "year": "2027", "questionnaires": "sjalvskattning",
        "units": "sdn-norr", "due_on": "2027-03-31", "retain_until": "2027-01-01"})
    assert response.status_code == 400
    assert "gallringsdatumet kan inte vara före omgångens datum" in response.get_data(as_text=True)


def test_the_retention_date_can_be_set_and_cleared_from_the_command_line(city):
    with city.app_context():
        make_round()
    result = cli(city, "rounds", "retain", ROUND_KEY, "2031-06-30")
    assert result.exit_code == 0, result.output
    with city.app_context():
        assert get_round(db.session, ROUND_KEY).retain_until == date(2031, 6, 30)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "round.retention"))
        assert event is not None and event.detail["after"] == "2031-06-30"
    assert cli(city, "rounds", "retain", ROUND_KEY, "--clear").exit_code == 0
    assert cli(city, "rounds", "retain", ROUND_KEY, "30/6").exit_code == 1
    with city.app_context():
        assert get_round(db.session, ROUND_KEY).retain_until is None


# --- purging ---------------------------------------------------------------------------------------


def test_purge_deletes_every_answer_of_an_expired_closed_round_in_one_audited_step(answered):
    close(answered, SURVEY_KEY)
    close(answered, ROUND_KEY, retain_until=date.today() + timedelta(days=365))  # not yet due
    result = cli(answered, "rounds", "purge")

    assert result.exit_code == 0, result.output
    assert f"{SURVEY_KEY}\tdeleted" in result.output
    assert ROUND_KEY not in result.output
    with answered.app_context():
        survey_id, review_id = round_id(SURVEY_KEY), round_id(ROUND_KEY)
        for model in (SurveyResponse, SurveyText, SurveyDraft, SurveyPending, AccessCode, SurveyTally):
            assert count(model, round_id=survey_id) == 0, model
        assert count(SurveyAnswer) == 0
        # The round itself is kept, and so is the round not yet due.
        assert get_round(db.session, SURVEY_KEY).status == "closed"
        assert count(UnitResponse, round_id=review_id) == 1
        assert count(ResponseEvent) == 2

        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "round.purge"))
        assert event is not None and event.target == SURVEY_KEY
        assert event.detail["survey_responses"] == 2
        assert event.detail["survey_drafts"] == 1
        assert event.detail["access_codes"] == 5
        assert event.detail["declined_tallies"] == 1
        # The comment of the first respondent, and both respondents' "Om ja, ange på vilket sätt".
        assert event.detail["survey_texts"] == 3
        assert event.detail["unit_responses"] == 0
        assert FREE_TEXT not in str(event.detail)


def test_purge_deletes_a_units_responses_and_their_history(answered):
    close(answered, ROUND_KEY)
    result = cli(answered, "rounds", "purge")
    assert result.exit_code == 0, result.output
    assert "unit_responses 1, response_events 2" in result.output
    with answered.app_context():
        assert count(UnitResponse) == 0 and count(ResponseEvent) == 0
        # The survey round is still open: its two responses wait for others of their unit.
        assert count(SurveyResponse) + count(SurveyPending) == 2


def test_purge_dry_run_prints_the_counts_and_deletes_nothing(answered):
    close(answered, SURVEY_KEY)
    result = cli(answered, "rounds", "purge", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would delete" in result.output and "survey_responses 2" in result.output
    with answered.app_context():
        assert count(SurveyResponse) == 2 and count(AccessCode) == 5
        assert count(AuditEvent, action="round.purge") == 0


def test_purge_refuses_a_round_still_open_after_its_retention_date(answered):
    with answered.app_context(), transaction() as session:
        get_round(session, SURVEY_KEY).retain_until = YESTERDAY
    result = cli(answered, "rounds", "purge")
    assert result.exit_code == 1
    assert "refused" in result.output
    with answered.app_context():
        assert count(SurveyResponse) + count(SurveyPending) == 2 and count(SurveyDraft) == 1
        assert count(AuditEvent, action="round.purge") == 0


def test_purge_with_nothing_due_says_so(city):
    result = cli(city, "rounds", "purge")
    assert result.exit_code == 0
    assert "No round has passed its retention date." in result.output


# --- row order of the anonymous tables -------------------------------------------------------------

ORDERED_TABLES = {
    "survey_responses": "id",
    "survey_answers": "response_id, question_key, row_key, value",
    "survey_counts": "round_id, unit_id, question_key, row_key, value",
    "survey_split_counts": "round_id, unit_id, by_question, by_value, question_key, row_key, value",
    "survey_texts": "id",
    "survey_access_codes": "id",
}


def physical_order(table: str, key: str) -> list[tuple]:
    """The rows' keys in the order they lie on disk (the heap on PostgreSQL, the table's
    B-tree on SQLite, which a full scan of a WITHOUT ROWID table follows). Table and key
    names come from ORDERED_TABLES only."""
    if db.engine.dialect.name == "postgresql":
        return [tuple(r) for r in db.session.execute(text(f"SELECT {key} FROM {table} ORDER BY ctid"))]  # noqa: S608
    # Every column, so that no smaller index covers the query and the table itself is scanned.
    scan = text(f"SELECT * FROM {table}")  # noqa: S608
    plan = " ".join(str(row[-1]) for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {scan}")))
    assert plan == f"SCAN {table}", plan
    columns = [c.strip() for c in key.split(",")]
    return [tuple(row[c] for c in columns) for row in db.session.execute(scan).mappings()]


def key_order(table: str, key: str) -> list[tuple]:
    return [tuple(r) for r in db.session.execute(text(f"SELECT {key} FROM {table} ORDER BY {key}"))]  # noqa: S608


def test_closing_a_survey_round_leaves_the_anonymous_tables_in_random_id_order(answered):
    close(answered, SURVEY_KEY, retain_until=None)
    with answered.app_context():
        for table, key in ORDERED_TABLES.items():
            rows = physical_order(table, key)
            assert rows, table
            assert rows == key_order(table, key), table


def test_reshuffle_command_rewrites_the_tables_in_random_id_order(answered):
    result = cli(answered, "survey", "reshuffle")
    assert result.exit_code == 0, result.output
    with answered.app_context():
        if db.engine.dialect.name == "postgresql":
            assert "survey_responses" in result.output
        else:
            assert "nothing to do" in result.output
            # SQLite: WITHOUT ROWID tables, so there is no insertion order to hide.
            for table in ORDERED_TABLES:
                sql = db.session.scalar(text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table})
                assert "WITHOUT ROWID" in sql
        for table, key in ORDERED_TABLES.items():
            assert physical_order(table, key) == key_order(table, key), table
