"""Review rounds through HTTP: an admin creates and opens a round, units answer, the city office
follows who has answered on the round page, in the CSV for reminders and on the command line."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.extensions import db
from app.models import AuditEvent, Round
from tests.conftest import make_user, post
from tests.rounds_factory import full_answers, load_self_assessment, page_base_version

ROUND = "/admin/omgangar/granskning-2026"


def answers_url(unit: str) -> str:
    return f"/granskning/granskning-2026/{unit}/sjalvskattning"


@pytest.fixture
def loaded(city):
    with city.app_context():
        load_self_assessment()
        make_user("bolag@test.se", "unit_editor", ("bolag",))
    return city


def create_and_open_round(admin) -> None:
    response = post(admin, "/admin/omgangar/ny", {
        "name": "Gemensam granskning 2026", "key": "granskning-2026", "year": "2026",
        "questionnaires": ["sjalvskattning"], "units": ["sdn-norr", "sdn-syd", "bolag"],
        "opens_on": "2026-03-01", "due_on": "2026-04-30",
        "instructions": "Svara senast sista april.",
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == ROUND
    assert post(admin, f"{ROUND}/status", {"action": "open"}).status_code == 302


def status_rows(page: str) -> dict[str, str]:
    """{unit key: status class} from the round page's status table."""
    rows = re.findall(r'<tr data-unit="([^"]+)">.*?class="status status-([a-z_]+)"', page, re.S)
    return dict(rows)


def status_counts(page: str) -> dict[str, int]:
    found = re.findall(r'data-status="([a-z_]+)">.*?<strong>(\d+)</strong>', page, re.S)
    return {name: int(n) for name, n in found}


def test_a_round_follows_submitted_draft_and_not_started_units(loaded, as_role):
    admin = as_role("admin")
    create_and_open_round(admin)

    norr = as_role("unit_editor")  # sdn-norr: submits
    base = page_base_version(norr.get(answers_url("sdn-norr")))
    assert post(norr, answers_url("sdn-norr"), {**full_answers("Norr motiverar."), "base_version": base,
                                                 "action": "submit"}).status_code == 302
    syd = as_role("other_editor")  # sdn-syd: a draft
    assert post(syd, answers_url("sdn-syd"), {"q-kannedom": "delvis", "q-kannedom-motivation": "Påbörjat.",
                                              "base_version": "0", "action": "save"}).status_code == 302
    # bolag does nothing.

    page = admin.get(ROUND).get_data(as_text=True)
    assert status_rows(page) == {"sdn-norr": "submitted", "sdn-syd": "draft", "bolag": "not_started"}
    assert status_counts(page) == {"not_started": 1, "draft": 1, "submitted": 1, "reopened": 0}
    assert "editor@test.se" in page and "other@test.se" in page

    csv = admin.get(f"{ROUND}/ej-inskickade.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).lstrip("\ufeff").strip().splitlines()
    assert lines[0] == "enhet;namn;status;senast_andrad;senast_andrad_av"
    units = {line.split(";")[0]: line.split(";")[2] for line in lines[1:]}
    assert units == {"sdn-syd": "draft", "bolag": "not_started"}
    by_unit_csv = {line.split(";")[0]: line.split(";") for line in lines[1:]}
    with loaded.app_context():
        round_created = db.session.scalar(db.select(Round).where(Round.key == "granskning-2026")).created_at
    # The time a spreadsheet or script reads: Stockholm time with its offset, never a bare UTC time.
    changed = datetime.fromisoformat(by_unit_csv["sdn-syd"][3])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00", by_unit_csv["sdn-syd"][3])
    assert changed.utcoffset() == changed.astimezone(ZoneInfo("Europe/Stockholm")).utcoffset()
    assert changed >= round_created.replace(tzinfo=UTC, microsecond=0)
    assert by_unit_csv["bolag"][3] == ""
    log = admin.get("/admin/logg.csv").get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert log[0] == "tid;vem;handling;objekt;detaljer"
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00;", line) for line in log[1:])
    with loaded.app_context():
        assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "export",
                                                             AuditEvent.target == "granskning-2026/not_submitted"))

    result = loaded.test_cli_runner().invoke(args=["rounds", "status", "granskning-2026", "--json"])
    assert result.exit_code == 0, result.output
    statuses = {row["unit"]: row["status"] for row in json.loads(result.output)}
    assert statuses == {"sdn-norr": "submitted", "sdn-syd": "draft", "bolag": "not_started"}
    by_unit = {row["unit"]: row for row in json.loads(result.output)}
    assert by_unit["sdn-norr"]["last_change_by"] == "editor@test.se"
    assert by_unit["bolag"]["last_change_at"] is None


def test_rounds_list_on_the_command_line(loaded, as_role):
    create_and_open_round(as_role("admin"))
    result = loaded.test_cli_runner().invoke(args=["rounds", "list", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [(r["key"], r["name"], r["status"], r["year"]) for r in listed] == [
        ("granskning-2026", "Gemensam granskning 2026", "open", 2026)]


def test_unknown_round_is_a_one_line_error(loaded):
    result = loaded.test_cli_runner().invoke(args=["rounds", "status", "finns-inte"])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: unknown round 'finns-inte'"


def test_a_new_round_is_a_draft_that_units_do_not_see_until_opened(loaded, as_role):
    admin = as_role("admin")
    post(admin, "/admin/omgangar/ny", {"name": "Utkastomgången", "key": "g", "year": "2026",
                                       "questionnaires": ["sjalvskattning"], "units": ["sdn-norr"]})
    editor = as_role("unit_editor")
    assert "Utkastomgången" not in editor.get("/granskning/").get_data(as_text=True)
    assert editor.get("/granskning/g/sdn-norr/sjalvskattning").status_code == 404
    assert post(editor, "/granskning/g/sdn-norr/sjalvskattning",
                {"q-kannedom": "ja", "base_version": "0", "action": "save"}).status_code == 404
    post(admin, "/admin/omgangar/g/status", {"action": "open"})
    start = editor.get("/granskning/").get_data(as_text=True)
    assert "Utkastomgången" in start and "/granskning/g/sdn-norr/sjalvskattning" in start


def test_creating_a_round_reports_every_problem(loaded, as_role):
    admin = as_role("admin")
    response = post(admin, "/admin/omgangar/ny", {"name": "", "key": "Ogiltig nyckel!", "year": "2026",
                                                  "opens_on": "2026-05-01", "due_on": "2026-04-01"})
    assert response.status_code == 400
    with loaded.app_context():
        assert db.session.scalar(db.select(Round)) is None


def test_round_lifecycle_open_close_archive_and_adding_units(loaded, as_role):
    admin = as_role("admin")
    create_and_open_round(admin)
    assert post(admin, f"{ROUND}/enheter", {"units": ["soc"]}).status_code == 302
    assert "soc" in status_rows(admin.get(ROUND).get_data(as_text=True))
    post(admin, f"{ROUND}/status", {"action": "close"})
    # A closed round takes no more units and cannot be archived twice.
    post(admin, f"{ROUND}/enheter", {"units": ["stad"]})
    assert "stad" not in status_rows(admin.get(ROUND).get_data(as_text=True))
    post(admin, f"{ROUND}/status", {"action": "archive"})
    post(admin, f"{ROUND}/status", {"action": "open"})  # refused: archived is final
    with loaded.app_context():
        assert db.session.scalar(db.select(Round.status)) == "archived"
        actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.action.like("round.%"))
                                     .order_by(AuditEvent.id)).all()
    assert actions == ["round.create", "round.open", "round.add_units", "round.close", "round.archive"]


def test_analyst_follows_rounds_but_cannot_change_them(loaded, as_role):
    create_and_open_round(as_role("admin"))
    analyst = as_role("analyst")
    assert analyst.get(ROUND).status_code == 200
    assert post(analyst, f"{ROUND}/status", {"action": "close"}).status_code == 403
