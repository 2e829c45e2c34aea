"""Reliability: a server killed in the middle of saves loses nothing acknowledged and leaves
nothing half-written; double clicks make one submission and one survey response; a stale CSRF
token or an ended session on a survey page keeps the page's answers.

The kill tests run the application in a real server process (werkzeug, threaded) on the test
database and SIGKILL it, either while a request body is only half sent or at random moments
during a loop of saves, then start it again and read the database.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from werkzeug.datastructures import MultiDict

from app.config import PROJECT_ROOT
from app.extensions import db
from app.models import ResponseEvent, UnitResponse
from app.models.survey import AccessCode, SurveyAnswer, SurveyDraft, SurveyPending, SurveyResponse
from tests.conftest import PASSWORD, csrf_token, post
from tests.rounds_factory import (
    ROUND_KEY,
    SURVEY_KEY,
    full_answers,
    make_assessment_and_survey_rounds,
)
from tests.test_survey import PAGES, admin_client, current_section

SA_URL = f"/granskning/{ROUND_KEY}/sdn-norr/sjalvskattning"

SERVER_SCRIPT = textwrap.dedent("""
    import sys
    from werkzeug.serving import make_server
    from app import create_app

    url, instance, port_file = sys.argv[1:4]
    app = create_app({
        "ENVIRON": {"SECRET_KEY": "test-secret-key-not-for-production", "LAGESBILD_SECURE_COOKIES": "0"},
        "INSTANCE_PATH": instance, "SQLALCHEMY_DATABASE_URI": url,
    })
    server = make_server("127.0.0.1", 0, app, threaded=True)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_port))
    import os
    os.replace(port_file + ".tmp", port_file)
    server.serve_forever()
""")


# --- a real server and a small browser ----------------------------------------------------------


class Server:
    """The application in its own process; `kill()` is SIGKILL, nothing gets to clean up."""

    def __init__(self, url: str, workdir: Path):
        self.url = url
        self.workdir = workdir
        self.script = workdir / "serve.py"
        self.script.write_text(SERVER_SCRIPT)
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    def start(self) -> None:
        port_file = self.workdir / "port"
        port_file.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, str(self.script), self.url, str(self.workdir / "instance"), str(port_file)],
            cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not port_file.exists():
            assert self.process.poll() is None, "the server did not start"
            assert time.monotonic() < deadline, "the server did not start in time"
            time.sleep(0.05)
        self.port = int(port_file.read_text())

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.kill()
        self.start()


class Browser:
    """Cookies and forms over http.client (no redirects followed)."""

    def __init__(self, server: Server):
        self.server = server
        self.cookies: dict[str, str] = {}

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        headers = {"Cookie": self.cookie_header()}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";")[0]
        connection.close()
        return response.status, data

    def token(self, path: str = "/tillganglighet") -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', self.request("GET", path)[1])
        assert match
        return match.group(1)

    def post(self, path: str, form: dict) -> tuple[int, str]:
        return self.request("POST", path, {**form, "csrf_token": self.token()})

    def login(self, email: str) -> None:
        status, _ = self.post("/login", {"email": email, "password": PASSWORD})
        assert status == 302


@pytest.fixture
def rounds(city: Flask) -> Flask:
    """The self-assessment round of `rounds_factory` and an open staff-survey round."""
    with city.app_context():
        make_assessment_and_survey_rounds()
    return city


@pytest.fixture
def server(rounds: Flask, tmp_path: Path) -> Iterator[Server]:
    running = Server(rounds.config["SQLALCHEMY_DATABASE_URI"], tmp_path)
    running.start()
    yield running
    if running.process is not None:
        running.kill()


def assert_database_intact(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []


def send_half_a_request(server: Server, browser: Browser, path: str, form: dict) -> None:
    """Headers and half the body; then the server is killed while it waits for the rest."""
    body = urlencode(form, doseq=True).encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {browser.cookie_header()}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", server.port)) as connection:
        connection.sendall(head + body[: len(body) // 2])
        time.sleep(0.3)
        server.kill()


# --- the self-assessment -------------------------------------------------------------------------


def save_form(number: int, base_version: int, action: str = "save") -> dict:
    return {**full_answers(motivation=f"Sparning nummer {number}."), "base_version": str(base_version),
            "action": action}


def self_assessment_state(app: Flask) -> tuple[int, list[int], str]:
    """The stored version, the versions of its events and the answers as text."""
    with app.app_context():
        db.session.remove()
        response = db.session.scalar(select(UnitResponse))
        if response is None:
            return 0, [], ""
        versions = list(db.session.scalars(select(ResponseEvent.version).where(
            ResponseEvent.response_id == response.id).order_by(ResponseEvent.version)))
        return response.version, versions, str(response.answers)


def test_a_self_assessment_save_killed_half_sent_leaves_the_saved_version(rounds, server):
    editor = Browser(server)
    editor.login("editor@test.se")
    for number in (1, 2):
        status, _ = editor.post(SA_URL, save_form(number, number - 1))
        assert status == 302
    send_half_a_request(server, editor, SA_URL, {**save_form(3, 2), "csrf_token": editor.token()})
    server.start()

    assert_database_intact(rounds)
    version, events, answers = self_assessment_state(rounds)
    assert (version, events) == (2, [1, 2])
    assert "Sparning nummer 2." in answers and "nummer 3." not in answers
    # The server works again on the same data.
    assert editor.post(SA_URL, save_form(3, 2))[0] == 302
    assert self_assessment_state(rounds)[:2] == (3, [1, 2, 3])


def test_self_assessment_saves_killed_at_random_moments_lose_nothing_acknowledged(rounds, server):
    rng = random.Random(2026)
    acknowledged = 0
    for _ in range(3):
        editor = Browser(server)
        editor.login("editor@test.se")
        version = self_assessment_state(rounds)[0]
        acked: list[int] = []

        def keep_saving(base: int = version, browser: Browser = editor, acked: list[int] = acked) -> None:
            try:
                while True:
                    status, _ = browser.request("POST", SA_URL, {**save_form(base + 1, base),
                                                                 "csrf_token": browser.token()})
                    assert status == 302
                    base += 1
                    acked.append(base)
            except (OSError, http.client.HTTPException):
                return  # the server is gone

        saver = threading.Thread(target=keep_saving)
        saver.start()
        # The kill comes at a random moment after the first save was acknowledged: on a busy
        # machine a fixed delay could end the server before it has answered anything.
        deadline = time.monotonic() + 60
        while not acked and saver.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 1.0))
        server.kill()
        saver.join(30)
        server.start()

        assert_database_intact(rounds)
        stored, events, answers = self_assessment_state(rounds)
        acknowledged = acked[-1] if acked else acknowledged
        # Every acknowledged save is there; at most the one in flight was also committed.
        assert acknowledged <= stored <= acknowledged + 1
        assert events == list(range(1, stored + 1))
        assert f"Sparning nummer {stored}." in answers
        acknowledged = stored
    assert acknowledged > 0, "no save was acknowledged before the kills"


def test_a_double_clicked_submit_makes_one_submission(rounds, server):
    editor = Browser(server)
    editor.login("editor@test.se")
    assert editor.post(SA_URL, save_form(1, 0))[0] == 302
    form = {**save_form(1, 1, action="submit"), "csrf_token": editor.token()}
    statuses: list[int] = []
    clicks = [threading.Thread(target=lambda: statuses.append(editor.request("POST", SA_URL, form)[0]))
              for _ in range(2)]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join(30)

    assert statuses == [302, 302]
    with rounds.app_context():
        actions = list(db.session.scalars(select(ResponseEvent.action).order_by(ResponseEvent.version)))
        assert actions == ["save", "submit"]
        assert db.session.scalar(select(UnitResponse.status)) == "submitted"


# --- the staff survey ----------------------------------------------------------------------------


def codes_for(app: Flask, count: int) -> list[str]:
    admin = admin_client(app)
    response = post(admin, f"/admin/enkat/{SURVEY_KEY}/koder", {"unit": "sdn-norr", "count": str(count),
                                                               "format": "csv"})
    assert response.status_code == 200
    return re.findall(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", response.get_data(as_text=True))


def answer_one_page(browser: Browser) -> bool:
    """Post the page shown; True when that completed the survey."""
    status, html = browser.request("GET", "/enkat/sida")
    assert status == 200, status
    section = current_section(html)
    action = "complete" if 'value="complete"' in html else "next"
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    status, _ = browser.request("POST", "/enkat/sida", {**PAGES[section], "section": section,
                                                         "action": action, "csrf_token": token})
    assert status == (302 if action == "complete" else 200)  # a page post answers with the next page
    return action == "complete"


def survey_state(app: Flask) -> dict[str, int]:
    with app.app_context():
        db.session.remove()
        count = db.session.scalar
        return {
            "responses": count(select(func.count()).select_from(SurveyResponse)) or 0,
            "answered": count(select(func.count(func.distinct(SurveyAnswer.response_id)))) or 0,
            "orphans": count(select(func.count()).select_from(SurveyAnswer).where(
                SurveyAnswer.response_id.not_in(select(SurveyResponse.id)))) or 0,
            "waiting": count(select(func.count()).select_from(SurveyPending)) or 0,
            "used": count(select(func.count()).select_from(AccessCode).where(AccessCode.used)) or 0,
            "drafts": count(select(func.count()).select_from(SurveyDraft)) or 0,
        }


def completed(state: dict[str, int]) -> int:
    """Completed surveys: released into the results, or waiting for others of their unit."""
    return state["responses"] + state["waiting"]


def assert_survey_consistent(state: dict[str, int]) -> None:
    # Every response has its answers, no answer lost its response; every code used was claimed
    # by a draft that is still there or became exactly one response, released or waiting.
    assert state["answered"] == state["responses"]
    assert state["orphans"] == 0
    assert state["used"] == state["responses"] + state["waiting"] + state["drafts"]


def test_a_survey_page_killed_half_sent_keeps_the_pages_saved_before(rounds, server):
    code = codes_for(rounds, 1)[0]
    respondent = Browser(server)
    assert respondent.post("/enkat", {"code": code})[0] == 302
    assert not answer_one_page(respondent)  # the background page is saved
    with rounds.app_context():
        before = db.session.scalar(select(SurveyDraft.answers))
    _, html = respondent.request("GET", "/enkat/sida")
    section = current_section(html)
    send_half_a_request(server, respondent, "/enkat/sida", {
        **PAGES[section], "section": section, "action": "next", "csrf_token": respondent.token()})
    server.start()

    assert_database_intact(rounds)
    with rounds.app_context():
        db.session.remove()
        assert db.session.scalar(select(SurveyDraft.answers)) == before
    assert_survey_consistent(survey_state(rounds))
    assert completed(survey_state(rounds)) == 0


def test_survey_answers_killed_at_random_moments_leave_only_whole_responses(rounds, server):
    rng = random.Random(6)
    codes = iter(codes_for(rounds, 60))
    finished = 0
    for _ in range(3):
        done: list[int] = []

        def keep_answering(done: list[int] = done) -> None:
            try:
                while True:
                    respondent = Browser(server)
                    status, _ = respondent.post("/enkat", {"code": next(codes)})
                    assert status == 302
                    while not answer_one_page(respondent):
                        pass
                    done.append(1)
            except (OSError, http.client.HTTPException, StopIteration):
                return

        worker = threading.Thread(target=keep_answering)
        worker.start()
        # A random moment after the first response was completed (see the self-assessment test).
        deadline = time.monotonic() + 60
        while not done and worker.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 2.0))
        server.kill()
        worker.join(30)
        server.start()

        assert_database_intact(rounds)
        state = survey_state(rounds)
        finished += len(done)
        assert finished <= completed(state) <= finished + 1
        assert_survey_consistent(state)
        finished = completed(state)
    assert finished > 0, "no response was completed before the kills"


def test_a_code_sent_twice_at_once_starts_one_draft(rounds, server):
    code = codes_for(rounds, 1)[0]
    outcomes: list[int] = []

    def send() -> None:
        outcomes.append(Browser(server).post("/enkat", {"code": code})[0])

    senders = [threading.Thread(target=send) for _ in range(2)]
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join(30)
    # Both go on to the survey: the second resumes the draft the first started.
    assert outcomes == [302, 302]
    state = survey_state(rounds)
    assert state["drafts"] == 1 and state["used"] == 1
    assert_survey_consistent(state)


def test_a_double_clicked_complete_makes_one_response(rounds, server):
    code = codes_for(rounds, 1)[0]
    respondent = Browser(server)
    assert respondent.post("/enkat", {"code": code})[0] == 302
    for _ in range(10):
        _, html = respondent.request("GET", "/enkat/sida")
        if 'value="complete"' in html:
            break
        answer_one_page(respondent)
    section = current_section(html)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    form = {**PAGES[section], "section": section, "action": "complete", "csrf_token": token}
    cookies = dict(respondent.cookies)
    outcomes: list[tuple[int, str]] = []

    def click() -> None:
        browser = Browser(server)
        browser.cookies = dict(cookies)
        outcomes.append(browser.request("POST", "/enkat/sida", form))

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(30)

    assert [status for status, _ in outcomes] == [302, 302]
    state = survey_state(rounds)
    assert completed(state) == 1
    assert_survey_consistent(state)


# --- a stale CSRF token or an ended session on a survey page -------------------------------------


@pytest.fixture
def respondent(rounds: Flask):
    """A test client that has entered a code and answered the first page."""
    code = codes_for(rounds, 1)[0]
    client = rounds.test_client()
    assert post(client, "/enkat", {"code": code}).status_code == 302
    data = {**PAGES["bakgrund"], "section": "bakgrund", "action": "next"}
    assert post(client, "/enkat/sida", data).status_code == 200
    return client, code


SECOND_PAGE = {**PAGES["risk_och_arbetssatt"], "q-arbetssatt_hur": "Vi går alltid två och två på hembesök.",
               "section": "risk_och_arbetssatt", "action": "next"}


def draft_answers(app: Flask) -> dict:
    with app.app_context():
        db.session.remove()
        return db.session.scalar(select(SurveyDraft.answers)) or {}


def test_a_stale_csrf_token_on_a_survey_page_shows_the_answers_again(rounds, respondent):
    client, _code = respondent
    stale = client.post("/enkat/sida", data={**SECOND_PAGE, "csrf_token": "expired-token"})

    assert stale.status_code == 400
    html = stale.get_data(as_text=True)
    assert "klicka på knappen en gång till" in html
    assert "Vi går alltid två och två på hembesök." in html
    assert re.search(r'value="hog"[^>]*checked|checked[^>]*value="hog"', html)
    assert "arbetssatt" not in draft_answers(rounds)  # nothing saved with a bad token

    again = post(client, "/enkat/sida", SECOND_PAGE)
    assert again.status_code == 200
    assert draft_answers(rounds)["arbetssatt_hur"] == "Vi går alltid två och två på hembesök."


def test_an_ended_session_on_a_survey_page_keeps_the_answers_until_the_code_is_entered(rounds, respondent):
    _client, code = respondent
    later = rounds.test_client()  # the session cookie is gone: no draft, no CSRF token
    ended = later.post("/enkat/sida", data={**SECOND_PAGE, "csrf_token": "from-the-old-session"})

    assert ended.status_code == 401
    html = ended.get_data(as_text=True)
    assert "skriva in din kod igen" in html
    assert 'name="q-arbetssatt_hur" value="Vi går alltid två och två på hembesök."' in html
    assert 'name="section" value="risk_och_arbetssatt"' in html

    form = [(name, value) for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                                                         html) if name != "csrf_token"]
    form += [("code", code), ("csrf_token", csrf_token(later))]
    resumed = later.post("/enkat", data=MultiDict(form))
    assert resumed.status_code == 302 and resumed.headers["Location"].endswith("/enkat/sida")
    answers = draft_answers(rounds)
    assert answers["arbetssatt_hur"] == "Vi går alltid två och två på hembesök."
    assert answers["kon"]["value"] == "kvinna"  # the first page is still there
    assert current_section(later.get("/enkat/sida").get_data(as_text=True)) == "risk_och_arbetssatt"
