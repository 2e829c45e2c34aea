"""Database faults through HTTP: a database that refuses writes (a commit that fails as in a
restart, or a real read-only database) or answers nothing at all gets a 503 page in the user's
language, rendered without the database, with Retry-After; survey pages and unit answers are
shown again with what was posted; `/halsa` says unhealthy; nothing is lost once the database
is back.

Faults are injected per test: `commit` makes every commit raise OperationalError; `read_only`
makes every new connection read-only (PostgreSQL: SET SESSION CHARACTERISTICS AS TRANSACTION
READ ONLY; SQLite: PRAGMA query_only, which also refuses SQLite's BEGIN IMMEDIATE, so there even
reading fails); `down` makes every statement fail as a stopped server would.

Two `db upgrade` started at once on a fresh PostgreSQL database both succeed (the advisory lock
of migrations/env.py).
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import create_engine, event, inspect, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from app.config import PROJECT_ROOT
from app.extensions import db
from app.models import UnitResponse
from app.models.survey import SurveyDraft
from tests.conftest import csrf_token, login, new_postgres_schema, post
from tests.rounds_factory import (
    ROUND_KEY,
    SURVEY_KEY,
    full_answers,
    make_assessment_and_survey_rounds,
    page_base_version,
)

SA_URL = f"/granskning/{ROUND_KEY}/sdn-norr/sjalvskattning"
UNAVAILABLE_SV = "Tjänsten är tillfälligt otillgänglig"
NOT_SAVED_SV = "Det gick inte att spara just nu – försök igen"
TYPED = "Vi går alltid två och två på hembesök."
SECOND_PAGE = {
    "q-risk-trakasserier": "hog", "q-risk-hot_vald": "lag", "q-risk-skadegorelse": "inte_alls",
    "q-risk-mutor": "inte_alls", "q-utbildning": "ja_senaste_aret", "q-riktlinjer_gavor": "nej",
    "q-pratar": ["hot_vald", "mutor"], "q-arbetssatt": "ja", "q-arbetssatt_hur": TYPED,
    "q-rutiner_hot_vald": "vet_ej", "q-rapportera-trakasserier": "ja", "q-rapportera-hot_vald": "ja",
    "q-rapportera-skadegorelse": "nej", "q-rapportera-mutor": "nej",
    "section": "risk_och_arbetssatt", "action": "next",
}
FIRST_PAGE = {"q-kon": "kvinna", "q-stadsdel": "skarholmen", "q-verksamhetsomrade": "ekonomiskt_bistand",
              "section": "bakgrund", "action": "next"}


class Fault:
    """A database fault switched on and off within a test."""

    def __init__(self, app: Flask, kind: str, monkeypatch: pytest.MonkeyPatch):
        self.kind = kind
        self.active = False
        with app.app_context():
            self.engine = db.engine
        if kind == "commit":
            original = Session.commit

            def commit(session: Session) -> None:
                if self.active:
                    raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))
                original(session)

            monkeypatch.setattr(Session, "commit", commit)

    def _read_only(self, dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        if self.engine.dialect.name == "postgresql":
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            dbapi_connection.commit()
        else:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    def _down(self, _conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        raise OperationalError(statement, parameters, Exception("connection refused"))

    def on(self) -> None:
        self.active = True
        if self.kind == "read_only":
            event.listen(self.engine, "connect", self._read_only)
        elif self.kind == "down":
            event.listen(self.engine, "before_cursor_execute", self._down)
        self.engine.dispose()

    def off(self) -> None:
        if self.active and self.kind == "read_only":
            event.remove(self.engine, "connect", self._read_only)
        elif self.active and self.kind == "down":
            event.remove(self.engine, "before_cursor_execute", self._down)
        self.active = False
        self.engine.dispose()


@pytest.fixture
def rounds(city: Flask) -> Flask:
    """The self-assessment round of `rounds_factory` and an open staff-survey round."""
    with city.app_context():
        make_assessment_and_survey_rounds()
    return city


def _fault(app: Flask, kind: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fault]:
    fault = Fault(app, kind, monkeypatch)
    yield fault
    fault.off()


@pytest.fixture(params=["commit", "read_only"])
def refusing(request, rounds: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fault]:
    """A database that refuses writes, both ways."""
    yield from _fault(rounds, request.param, monkeypatch)


@pytest.fixture
def down(rounds: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fault]:
    yield from _fault(rounds, "down", monkeypatch)


@pytest.fixture
def respondent(rounds: Flask):
    """A test client that has entered a code and answered the first page of the survey."""
    admin = rounds.test_client()
    assert login(admin, "admin@test.se").status_code == 302
    codes = post(admin, f"/admin/enkat/{SURVEY_KEY}/koder", {"unit": "sdn-norr", "count": "1", "format": "csv"})
    code = re.findall(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", codes.get_data(as_text=True))[0]
    client = rounds.test_client()
    assert post(client, "/enkat", {"code": code}).status_code == 302
    assert post(client, "/enkat/sida", FIRST_PAGE).status_code == 200  # answered with page 2
    return client


def _draft_answers(app: Flask) -> dict:
    with app.app_context():
        db.session.remove()
        return db.session.scalar(select(SurveyDraft.answers)) or {}


def _saved_self_assessment(app: Flask) -> dict:
    with app.app_context():
        db.session.remove()
        return db.session.scalar(select(UnitResponse.answers)) or {}


def _hidden_fields(html: str) -> MultiDict:
    return MultiDict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def _assert_unavailable(response, status: int = 503) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert int(response.headers["Retry-After"]) > 0
    html = response.get_data(as_text=True)
    assert "Internal Server Error" not in html
    return html


def test_a_survey_page_the_database_refuses_is_shown_again_with_its_answers(rounds, respondent, refusing):
    token = csrf_token(respondent)
    refusing.on()
    refused = respondent.post("/enkat/sida", data={**SECOND_PAGE, "csrf_token": token})

    html = _assert_unavailable(refused)
    assert TYPED in html  # in the form again, or carried in the 503 page to send again
    assert "försök igen" in html.lower()
    if refusing.kind == "commit" or rounds.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # The page itself could be read: it is shown again with its notice and what was posted.
        assert NOT_SAVED_SV in html
        assert re.search(rf'name="q-arbetssatt_hur">\s*{TYPED}</textarea>', html)
        assert re.search(r'value="hog"[^>]*checked|checked[^>]*value="hog"', html)
    refusing.off()
    assert "arbetssatt" not in _draft_answers(rounds)

    again = post(respondent, "/enkat/sida", SECOND_PAGE)
    assert again.status_code == 200
    answers = _draft_answers(rounds)
    assert answers["arbetssatt_hur"] == TYPED
    assert answers["kon"]["value"] == "kvinna"


def test_a_survey_page_posted_while_the_database_is_down_comes_back_to_send_again(rounds, respondent, down):
    token = csrf_token(respondent)
    down.on()
    refused = respondent.post("/enkat/sida", data={**SECOND_PAGE, "csrf_token": token})

    html = _assert_unavailable(refused)
    assert UNAVAILABLE_SV in html
    carried = _hidden_fields(html)
    assert carried.get("q-arbetssatt_hur") == TYPED
    assert sorted(carried.getlist("q-pratar")) == ["hot_vald", "mutor"]
    assert carried.get("section") == "risk_och_arbetssatt"
    assert 'action="/enkat/sida"' in html
    down.off()

    resent = respondent.post("/enkat/sida", data=carried)  # the page's button: a fresh token included
    assert resent.status_code == 200
    assert _draft_answers(rounds)["arbetssatt_hur"] == TYPED


def test_unit_answers_the_database_refuses_are_shown_again(rounds, refusing):
    editor = rounds.test_client()
    assert login(editor, "editor@test.se").status_code == 302
    base_version = page_base_version(editor.get(SA_URL))
    answers = full_answers(motivation="Motiveringen som inte får försvinna.")
    token = csrf_token(editor)
    refusing.on()
    refused = editor.post(SA_URL, data={**answers, "base_version": base_version, "action": "save",
                                        "csrf_token": token})

    html = _assert_unavailable(refused)
    assert "Motiveringen som inte får försvinna." in html
    assert "försök igen" in html.lower()
    if refusing.kind == "commit" or rounds.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert NOT_SAVED_SV in html
        assert 'id="answer-form"' in html  # the form itself, ready to send again
        assert page_base_version(refused) == base_version
    refusing.off()
    assert _saved_self_assessment(rounds) == {}

    again = post(editor, SA_URL, {**answers, "base_version": base_version, "action": "save"})
    assert again.status_code == 302
    assert _saved_self_assessment(rounds)["kannedom"]["motivation"] == "Motiveringen som inte får försvinna."


def test_an_autosave_the_database_refuses_answers_503_in_json(rounds, refusing):
    editor = rounds.test_client()
    assert login(editor, "editor@test.se").status_code == 302
    token = csrf_token(editor)
    refusing.on()
    refused = editor.post(f"{SA_URL}/autosave", data={"q-risksyn": "Text.", "base_version": "0",
                                                      "csrf_token": token},
                          headers={"Accept": "application/json"})

    _assert_unavailable(refused)
    assert refused.get_json()["ok"] is False
    assert refused.get_json()["error"] == "unavailable"


def test_a_login_the_database_refuses_answers_the_503_page(rounds, refusing):
    client = rounds.test_client()
    token = csrf_token(client)
    refusing.on()
    refused = client.post("/login", data={"email": "editor@test.se", "password": "fel-lösenord-här",
                                          "csrf_token": token})

    html = _assert_unavailable(refused)
    assert UNAVAILABLE_SV in html
    assert "editor@test.se" not in html and "fel-lösenord-här" not in html  # a login form is never carried


@pytest.mark.parametrize("language, heading", [("sv", UNAVAILABLE_SV),
                                               ("en", "The service is temporarily unavailable")])
def test_a_signed_in_user_gets_the_503_page_in_their_language_while_the_database_is_down(
        rounds, down, language, heading):
    editor = rounds.test_client()
    assert login(editor, "editor@test.se").status_code == 302
    assert post(editor, "/sprak", {"language": language}).status_code == 302
    token = csrf_token(editor)
    down.on()

    for url in ("/", "/granskning/", SA_URL):
        html = _assert_unavailable(editor.get(url))
        assert heading in html, url
        assert f'<html lang="{language}">' in html
        assert "editor@test.se" not in html  # the signed-in menu needs the database: not drawn
    for url in ("/finns-inte", "/tillganglighet"):  # a 404 and a page that reads nothing but the user
        assert heading in _assert_unavailable(editor.get(url)), url
    # A view that needs no database: the response's headers look at the user and fail after it
    # (Flask hands such an error to the handlers only outside testing).
    rounds.config["PROPAGATE_EXCEPTIONS"] = False
    assert heading in _assert_unavailable(editor.post("/sprak", data={"language": language, "csrf_token": token}))
    down.off()
    assert editor.get("/granskning/").status_code == 200  # still signed in once it is back


@pytest.mark.parametrize("kind", ["read_only", "down"])
def test_halsa_says_unhealthy_when_the_database_cannot_be_written(rounds, monkeypatch, kind):
    client = rounds.test_client()
    assert client.get("/halsa").status_code == 200
    fault = Fault(rounds, kind, monkeypatch)
    fault.on()
    try:
        unhealthy = client.get("/halsa")
        assert unhealthy.status_code == 503
        assert unhealthy.get_json() == {"status": "unavailable"}
        assert int(unhealthy.headers["Retry-After"]) > 0
    finally:
        fault.off()
    healthy = client.get("/halsa")
    assert healthy.status_code == 200 and healthy.get_json() == {"status": "ok"}


def test_a_fault_of_the_code_or_the_deployment_is_a_500_not_a_503(rounds):
    """A real driver error that no retry cures (here a missing table, as after a forgotten
    `db upgrade`) is logged and answered 500, not shown as "try again later"."""
    with rounds.app_context():
        engine = db.engine

    def missing_table(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        return statement.replace("INSERT INTO user_sessions", "INSERT INTO user_sessions_missing"), parameters

    event.listen(engine, "before_cursor_execute", missing_table, retval=True)
    try:
        client = rounds.test_client()
        rounds.config["PROPAGATE_EXCEPTIONS"] = False
        response = login(client, "editor@test.se")
        assert response.status_code == 500
        assert "Retry-After" not in response.headers
    finally:
        event.remove(engine, "before_cursor_execute", missing_table)
    assert login(rounds.test_client(), "editor@test.se").status_code == 302


# --- two `db upgrade` at once ----------------------------------------------------------------

UPGRADE_SCRIPT = textwrap.dedent("""
    import os, sys, time
    from flask_migrate import upgrade
    from app import create_app
    from app.extensions import db

    url, instance, ready, go = sys.argv[1:5]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance,
                      "ENVIRON": {"SECRET_KEY": "x", "LAGESBILD_SECURE_COOKIES": "0"}})
    with app.app_context():
        with db.engine.connect():
            pass  # connected and imported before the start signal, so that both start together
        open(ready, "w").close()
        while not os.path.exists(go):
            time.sleep(0.005)
        upgrade()
""")


@pytest.fixture
def empty_postgres_schema(tmp_path) -> Iterator[str]:
    with new_postgres_schema("lagesbild_lock") as url:
        yield url


def test_two_upgrades_at_once_on_a_fresh_postgresql_database_both_succeed(empty_postgres_schema, tmp_path):
    go = tmp_path / "go"
    runs = []
    for n in range(2):
        ready = tmp_path / f"ready-{n}"
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", UPGRADE_SCRIPT, empty_postgres_schema, str(tmp_path / f"instance-{n}"),
             str(ready), str(go)],
            cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        runs.append((process, ready))
    for process, ready in runs:
        while not ready.exists():
            assert process.poll() is None, process.communicate()[0]
            time.sleep(0.01)
    go.touch()
    outputs = [process.communicate(timeout=300)[0] for process, _ready in runs]

    assert [process.returncode for process, _ready in runs] == [0, 0], "\n".join(outputs)
    engine = create_engine(empty_postgres_schema)
    try:
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert len(versions) == 1
    assert set(db.metadata.tables) <= tables


def _pooled_backends(app: Flask) -> list[int]:
    """The PostgreSQL backends of every connection the app's pool holds now."""
    with app.app_context():
        pool = db.engine.pool
        held = [pool.connect() for _ in range(pool.checkedin())]
        try:
            pids = []
            for connection in held:
                cursor = connection.cursor()
                cursor.execute("SELECT pg_backend_pid()")
                pids.append(int(cursor.fetchone()[0]))
                cursor.close()
            return pids
        finally:
            for connection in held:
                connection.close()


def test_a_connection_the_database_dropped_is_replaced_within_the_request(rounds, respondent, caplog):
    with rounds.app_context():
        url = db.engine.url
    if url.get_backend_name() != "postgresql":
        pytest.skip("terminating a server's backend is PostgreSQL's (SQLite has no connection to drop)")
    backends = _pooled_backends(rounds)
    assert backends  # the pages answered so far left their connections in the pool
    killer = create_engine(url)
    try:
        with killer.connect() as connection:
            # As a database restart or an operator would: only this app's connections.
            ended = connection.execute(text("SELECT pg_terminate_backend(pid) FROM unnest(:pids) AS pid"),
                                       {"pids": backends}).scalars().all()
    finally:
        killer.dispose()
    assert ended and all(ended)

    # No ping before use: the page's first statement finds its connection dead, and the
    # request runs again on a new one, so the respondent sees their page.
    page = respondent.get("/enkat/sida")
    assert page.status_code == 200
    assert 'name="section" value="risk_och_arbetssatt"' in page.get_data(as_text=True)
    assert "Database connection dropped on GET /enkat/sida" in caplog.text
    # And the next page is saved as usual.
    assert respondent.post("/enkat/sida", data={**SECOND_PAGE, "csrf_token": csrf_token(respondent)}).status_code == 200
    assert TYPED in str(_draft_answers(rounds))
