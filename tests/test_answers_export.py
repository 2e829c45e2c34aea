"""The units' raw answers as an export (issue 7): one row per unit response and question (a
matrix: one per row), drafts and reopened answers told apart by their status, cells that could
start a formula neutralised in CSV and XLSX, over HTTP and from the command line."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, User
from app.services import transaction
from app.services.questionnaires import load_folder
from app.services.rounds import RoundSpec, change_status, create_round
from app.services.submissions import find_target, reopen, save, submit
from app.services.users import NewUser, create_user
from tests.conftest import PASSWORD
from tests.test_unit_report import (
    DESCRIPTION,
    KEYS,
    LABELS,
    NORR_2026,
    QUESTIONNAIRE,
    STATEMENTS,
    motivation,
    open_round,
    today,
)

BASE = "/lagesbild/granskning-2026/export/answers"
FORMULA = '=HYPERLINK("http://example.invalid";"Klicka")'
DESCRIPTION_KEYS = ("risksyn", "exponerade_verksamheter", "larande", "behov", "ovrigt")
DESCRIPTION_TEXTS = (
    "Hur ser nämnden/styrelsen på risker för otillåten påverkan?",
    "Finns det verksamheter som är särskilt exponerade för risk? Vilka, och på vilket sätt?",
    "Finns det risk att organisationen går miste om lärande när incidenter förekommit, lärande som "
    "kan vara till nytta i det förebyggande arbetet?",
    "Vilket stöd behöver nämnden/styrelsen för att utveckla arbetet, till exempel gemensamt metodstöd?",
    "Övrigt som nämnden/styrelsen vill lyfta",
)

# A unit questionnaire with every shape that is not in the shipped self-assessment.
FOLLOW_UP = """\
format: 1
key: uppfoljning
kind: unit_questionnaire
title: Uppföljning av arbetet
scales:
  - key: jn
    options:
      - {value: ja, label: "Ja, helt"}
      - {value: nej, label: "Nej"}
sections:
  - key: arbete
    title: Arbetet
    questions:
      - key: rutiner
        type: matrix
        scale: jn
        text: Finns det rutiner för
        rows:
          - {key: hot, label: "Hot och våld"}
          - {key: mutor, label: "Mutor och gåvor"}
      - key: kanaler
        type: multiple_choice
        text: Hur rapporteras incidenter?
        options:
          - {value: ia, label: "I IA-systemet"}
          - {value: chef, label: "Till chefen"}
          - {value: annat, label: "Annat", other: true}
      - key: ansvar
        type: single_choice
        text: Vem äger frågan?
        options:
          - {value: hr, label: "HR"}
          - {value: annan, label: "Någon annan", other: true}
      - key: incidenter
        type: number
        text: Antal incidenter i fjol
      - key: stod
        type: rating
        scale: jn
        motivation: optional
        text: Medarbetarna får stöd
"""


def self_assessment(unit: str, ratings: tuple[str, ...]) -> dict[str, object]:
    answers: dict[str, object] = {
        key: {"value": value, "motivation": motivation(unit, 2026, key)}
        for key, value in zip(KEYS, ratings, strict=True)
    }
    answers.update(DESCRIPTION)
    return answers


def store(round_key: str, questionnaire: str, unit: str, email: str, answers: dict[str, object],
          *, draft: bool = False) -> None:
    with transaction() as session:
        user = session.scalar(select(User).where(User.email == email))
        target = find_target(session, round_key, unit, questionnaire)
        (save if draft else submit)(session, target, answers, 0, user)


@pytest.fixture
def answered(city):
    """granskning-2026: Norra submitted by Anna Öberg (with a formula as its first motivation),
    Södra submitted and reopened, the company's draft; Socialnämnden has not started."""
    with city.app_context():
        assert load_folder([QUESTIONNAIRE]).ok
        with transaction() as session:
            create_user(session, NewUser("anna@test.se", "unit_editor", PASSWORD, "Anna Öberg", ("sdn-norr",)))
            create_user(session, NewUser("bolag@test.se", "unit_editor", PASSWORD, "", ("bolag",)))
        open_round("granskning-2026", 2026)
        norr = self_assessment("sdn-norr", NORR_2026)
        norr["kannedom"] = {"value": "ja", "motivation": FORMULA}
        norr["behov"] = "@SUMMA(A1:A9) och -1 i budget"
        store("granskning-2026", "sjalvskattning", "sdn-norr", "anna@test.se", norr)
        store("granskning-2026", "sjalvskattning", "sdn-syd", "other@test.se",
              self_assessment("sdn-syd", ("delvis",) * 9))
        with transaction() as session:
            admin = session.scalar(select(User).where(User.email == "admin@test.se"))
            reopen(session, find_target(session, "granskning-2026", "sdn-syd", "sjalvskattning"),
                   "Fel omdöme på stöd", admin)
        store("granskning-2026", "sjalvskattning", "bolag", "bolag@test.se",
              {"kannedom": {"value": "nej", "motivation": ""}}, draft=True)
    return city


def rows_of(data: bytes) -> list[dict[str, object]]:
    return json.loads(data.decode("utf-8"))


def expected_norr() -> list[dict[str, object]]:
    """Norra's rows worked out by hand: nine ratings with their labels and motivations, then the
    five description questions (the last one unanswered)."""
    about = {"round": "granskning-2026", "year": 2026, "unit_key": "sdn-norr",
             "unit_name": "Norra stadsdelsnämnden", "unit_kind": "district_board",
             "questionnaire": "sjalvskattning", "version": 1}
    done = {"status": "submitted", "updated_at": today(), "submitted_at": today(), "submitted_by": "Anna Öberg"}
    rows = []
    for key, text, value in zip(KEYS, STATEMENTS, NORR_2026, strict=True):
        rows.append({**about, "section_key": "sjalvskattning", "question_key": key, "row_key": "",
                     "question_text": text, "row_text": "", "answer_value": value, "answer_text": LABELS[value],
                     "motivation": FORMULA if key == "kannedom" else motivation("sdn-norr", 2026, key), **done})
    described = {**DESCRIPTION, "behov": "@SUMMA(A1:A9) och -1 i budget", "ovrigt": ""}
    for key, text in zip(DESCRIPTION_KEYS, DESCRIPTION_TEXTS, strict=True):
        rows.append({**about, "section_key": "beskrivning", "question_key": key, "row_key": "",
                     "question_text": text, "row_text": "", "answer_value": "", "answer_text": described[key],
                     "motivation": "", **done})
    return rows


def test_answers_are_one_row_per_unit_and_question_with_their_status(answered, as_role):
    response = as_role("analyst").get(BASE + ".json")
    assert response.status_code == 200
    rows = rows_of(response.data)
    assert [row for row in rows if row["unit_key"] == "sdn-norr"] == expected_norr()
    # Units in name order; Socialnämnden has not started and has no rows.
    assert [row["unit_key"] for row in rows[::14]] == ["sdn-norr", "bolag", "sdn-syd"]
    assert len(rows) == 3 * 14
    draft = {row["question_key"]: row for row in rows if row["unit_key"] == "bolag"}
    assert (draft["kannedom"]["answer_value"], draft["kannedom"]["answer_text"]) == ("nej", LABELS["nej"])
    assert draft["kultur"]["answer_value"] == "" and draft["kultur"]["answer_text"] == ""
    assert {(row["status"], row["submitted_at"], row["submitted_by"]) for row in draft.values()} == {("draft", "", "")}
    reopened = {row["question_key"]: row for row in rows if row["unit_key"] == "sdn-syd"}
    assert reopened["stod"]["answer_text"] == LABELS["delvis"]
    assert reopened["stod"]["motivation"] == motivation("sdn-syd", 2026, "stod")
    assert {(row["status"], row["submitted_at"]) for row in reopened.values()} == {("reopened", "")}


def test_a_cell_that_could_start_a_formula_is_neutralised_in_csv_and_xlsx(answered, as_role):
    client = as_role("admin")
    response = client.get(BASE + ".csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="lagesbild-granskning-2026-answers.csv"'
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    header = table[0]
    assert header == ["round", "year", "unit_key", "unit_name", "unit_kind", "questionnaire", "version",
                      "section_key", "question_key", "row_key", "question_text", "row_text", "answer_value",
                      "answer_text", "motivation", "status", "updated_at", "submitted_at", "submitted_by"]
    norr = {row[8]: dict(zip(header, row, strict=True)) for row in table[1:] if row[2] == "sdn-norr"}
    assert norr["kannedom"]["motivation"] == "'" + FORMULA
    assert norr["behov"]["answer_text"] == "'@SUMMA(A1:A9) och -1 i budget"
    assert norr["kultur"]["motivation"] == motivation("sdn-norr", 2026, "kultur")

    book = load_workbook(io.BytesIO(client.get(BASE + ".xlsx").data))
    sheet = book.active
    assert sheet.title == "answers"
    cells = {(row[2].value, row[8].value): row for row in sheet.iter_rows(min_row=2)}
    motivation_cell = cells[("sdn-norr", "kannedom")][14]
    assert motivation_cell.value == "'" + FORMULA and motivation_cell.data_type == "s"
    assert cells[("sdn-norr", "behov")][13].value == "'@SUMMA(A1:A9) och -1 i budget"
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


def test_a_matrix_gives_one_row_per_matrix_row_and_choices_their_labels(city, tmp_path):
    source = tmp_path / "uppfoljning.yaml"
    source.write_text(FOLLOW_UP, encoding="utf-8")
    with city.app_context():
        assert load_folder([source]).ok
        with transaction() as session:
            change_status(session, create_round(session, RoundSpec(
                "uppfoljning-2026", "Uppföljning 2026", 2026, ("uppfoljning",), ("sdn-norr",))), "open")
        store("uppfoljning-2026", "uppfoljning", "sdn-norr", "editor@test.se", {
            "rutiner": {"rows": {"hot": "ja", "mutor": "nej"}},
            "kanaler": {"values": ["ia", "annat"], "other": "Via skyddsombudet"},
            "ansvar": {"value": "annan", "other": "Säkerhetschefen"},
            "incidenter": 12,
            "stod": {"value": "nej", "motivation": ""},
        })
    result = city.test_cli_runner().invoke(args=["export", "uppfoljning-2026", "--what", "answers",
                                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    cells = [(r["section_key"], r["question_key"], r["row_key"], r["question_text"], r["row_text"],
              r["answer_value"], r["answer_text"], r["motivation"]) for r in json.loads(result.output)]
    assert cells == [
        ("arbete", "rutiner", "hot", "Finns det rutiner för", "Hot och våld", "ja", "Ja, helt", ""),
        ("arbete", "rutiner", "mutor", "Finns det rutiner för", "Mutor och gåvor", "nej", "Nej", ""),
        ("arbete", "kanaler", "", "Hur rapporteras incidenter?", "", "ia; annat",
         "I IA-systemet, Annat: Via skyddsombudet", ""),
        ("arbete", "ansvar", "", "Vem äger frågan?", "", "annan", "Någon annan: Säkerhetschefen", ""),
        ("arbete", "incidenter", "", "Antal incidenter i fjol", "", 12, "12", ""),
        ("arbete", "stod", "", "Medarbetarna får stöd", "", "nej", "Nej", ""),
    ]
    assert {r["submitted_by"] for r in json.loads(result.output)} == {"editor@test.se"}


def test_export_command_writes_the_answers_and_audits_it(answered, tmp_path):
    output = tmp_path / "svar.xlsx"
    result = answered.test_cli_runner().invoke(args=["export", "granskning-2026", "--what", "answers",
                                                     "--format", "xlsx", "-o", str(output)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(output).active
    assert sheet.max_row == 1 + 3 * 14
    assert sheet.cell(row=2, column=15).value == "'" + FORMULA
    with answered.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
        assert (event.actor, event.target, event.detail) == ("cli", "lagesbild:granskning-2026:answers",
                                                             {"format": "xlsx"})


def test_answers_of_an_unknown_round_are_a_one_line_error(answered):
    result = answered.test_cli_runner().invoke(args=["export", "finns-inte", "--what", "answers"])
    assert result.exit_code == 1
    assert "okänd omgång 'finns-inte'" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_http_export_is_audited_with_the_user(answered, as_role):
    assert as_role("analyst").get(BASE + ".csv").status_code == 200
    with answered.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
        assert (event.actor, event.target) == ("analyst@test.se", "lagesbild:granskning-2026:answers")


@pytest.mark.parametrize("role", ["unit_reader", "unit_editor", "other_editor"])
def test_unit_roles_may_not_export_the_answers(answered, as_role, role):
    assert as_role(role).get(BASE + ".csv").status_code == 403


def test_anonymous_is_sent_to_the_login_page(answered, as_role):
    response = as_role("anonymous").get(BASE + ".xlsx")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_the_comparison_page_links_to_the_answers(answered, as_role):
    page = as_role("analyst").get("/lagesbild/granskning-2026").get_data(as_text=True)
    assert f'href="{BASE}.csv"' in page and f'href="{BASE}.xlsx"' in page


def test_a_round_without_a_unit_questionnaire_has_no_answers_to_export(city, as_role):
    from app.config import PROJECT_ROOT

    with city.app_context():
        assert load_folder([PROJECT_ROOT / "questionnaires" / "medarbetarenkat.yaml"]).ok
        with transaction() as session:
            create_round(session, RoundSpec("enkat-2026", "Enkät 2026", 2026, ("medarbetarenkat",), ("sdn-norr",)))
    result = city.test_cli_runner().invoke(args=["export", "enkat-2026", "--what", "answers"])
    assert result.exit_code == 1 and "omgången 'enkat-2026' har ingen självskattning" in result.output
    assert as_role("admin").get("/lagesbild/enkat-2026/export/answers.csv").status_code == 404
