"""How many SQL statements the respondent's requests send, counted through HTTP (a count is
deterministic where a time is not).

Counted: every statement SQLAlchemy hands to the driver (`before_cursor_execute`), apart from
transaction control (BEGIN, COMMIT, ROLLBACK: app/__init__.py sends SQLite's BEGIN itself, and
psycopg sends PostgreSQL's on its own); the transactions are counted apart (the engine's `begin`
events). Each transaction adds two round trips: its BEGIN and its COMMIT or ROLLBACK.
Not counted: SQLite's WAL checkpoint after a completion (`forget_deleted`), which goes to the
driver directly and reads no table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import Flask, before_render_template
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from app.extensions import db
from app.models.survey import SurveyDraft, SurveyPending, SurveyResponse
from tests.conftest import post
from tests.test_survey import PAGES, admin_client, current_section, new_codes

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK")


@dataclass
class Sent:
    """What the database was sent while a block ran."""

    statements: list[str] = field(default_factory=list)
    transactions: int = 0


@contextmanager
def counted(app: Flask) -> Iterator[Sent]:
    sent = Sent()
    with app.app_context():
        engine = db.engine

    def statement(_conn, _cursor, text, _parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if not text.lstrip().upper().startswith(TRANSACTION_CONTROL):
            sent.statements.append(text)

    def begin(_conn) -> None:  # type: ignore[no-untyped-def]
        sent.transactions += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "begin", begin)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "begin", begin)


def started(app: Flask, unit: str = "sdn-norr", count: int = 1) -> list[FlaskClient]:
    """Respondents who entered a code each and were shown their first page once (which also
    parses the survey's definition into this process's cache, as any earlier page would)."""
    clients = []
    for code in new_codes(admin_client(app), unit, count):
        client = app.test_client()
        assert post(client, "/enkat", {"code": code}).status_code == 302
        assert client.get("/enkat/sida").status_code == 200
        clients.append(client)
    return clients


def hidden(html: str, name: str) -> str:
    """The value of the page's hidden field `name`, as the browser sends it back."""
    match = re.search(rf'name="{name}" (?:type="hidden" )?value="([^"]*)"', html)
    assert match, (name, html[:2000])
    return match.group(1)


def page_form(client: FlaskClient, html: str | None = None) -> tuple[dict[str, object], str]:
    """The form of a page (`html`, else the draft's page read anew) filled in with PAGES, as the
    browser sends it: with the page's CSRF token and page token."""
    if html is None:
        html = client.get("/enkat/sida").get_data(as_text=True)
    section = current_section(html)
    action = "complete" if 'value="complete"' in html else "next"
    return {**PAGES[section], "section": section, "action": action, "csrf_token": hidden(html, "csrf_token"),
            "page_token": hidden(html, "page_token")}, action


def to_last_page(client: FlaskClient) -> dict[str, object]:
    """Answer every page but the last, each from the answer to the post before; the last page's form."""
    html = client.get("/enkat/sida").get_data(as_text=True)
    while True:
        form, action = page_form(client, html)
        if action == "complete":
            return form
        response = client.post("/enkat/sida", data=form)
        assert response.status_code == 200
        html = response.get_data(as_text=True)


def test_a_page_get_reads_the_draft_its_round_and_definition_in_one_statement(survey):
    client = started(survey)[0]
    with counted(survey) as sent:
        assert client.get("/enkat/sida").status_code == 200
    assert len(sent.statements) == 1, sent.statements
    assert sent.transactions == 1  # BEGIN, the SELECT, ROLLBACK before rendering: 3 round trips


def test_a_page_post_saves_in_one_transaction_and_answers_with_the_next_page_without_another_statement(survey):
    client = started(survey)[0]
    form, action = page_form(client)
    assert (form["section"], action) == ("bakgrund", "next")
    with counted(survey) as sent:
        response = client.post("/enkat/sida", data=form)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert current_section(html) == "risk_och_arbetssatt" and "Sida 2 av 4" in html
    # The draft with its round and definition, then its UPDATE: BEGIN, 2 statements, COMMIT; the
    # next page is rendered from what was read.
    verbs = [s.lstrip().split(None, 1)[0].upper() for s in sent.statements]
    assert verbs == ["SELECT", "UPDATE"], sent.statements
    assert sent.transactions == 1


def test_completing_saves_nothing_twice_and_writes_set_based_in_one_transaction(survey):
    client = started(survey)[0]
    last = to_last_page(client)
    with counted(survey) as sent:
        response = client.post("/enkat/sida", data=last)
    assert response.headers["Location"].endswith("/enkat/tack")
    # The draft (and its round, locked shared), the unit's invitation locked, the draft deleted,
    # the unit's waiting responses taken (DELETE … RETURNING) and written again with this one
    # in random order (one INSERT): 5 statements in one transaction. Then, in a transaction of its
    # own (an address's keyed hash never shares one with a response), the throttle's expired
    # counters are forgotten.
    verbs = [s.lstrip().split(None, 1)[0].upper() for s in sent.statements]
    assert verbs == ["SELECT", "SELECT", "DELETE", "DELETE", "INSERT", "DELETE"], sent.statements
    assert sent.statements[-1].lstrip().startswith("DELETE FROM throttle_counters")
    assert sent.transactions == 2
    with survey.app_context():
        assert db.session.scalar(select(func.count()).select_from(SurveyPending)) == 1
        assert db.session.scalar(select(func.count()).select_from(SurveyDraft)) == 0


def test_the_completion_that_releases_a_units_responses_writes_each_table_once(survey):
    threshold = 5  # the round's anonymity threshold: the fifth completion releases all five
    clients = started(survey, "sdn-syd", threshold)
    for client in clients[:-1]:
        assert client.post("/enkat/sida", data=to_last_page(client)).headers["Location"].endswith("/enkat/tack")
    last = to_last_page(clients[-1])
    with counted(survey) as sent:
        assert clients[-1].post("/enkat/sida", data=last).headers["Location"].endswith("/enkat/tack")
    # The five statements above less the pending INSERT, then one INSERT each for the responses,
    # their answers and their free texts, one upsert of the counts per cell and one of the split
    # counts per cell (the breakdowns').
    verbs = [s.lstrip().split(None, 1)[0].upper() for s in sent.statements]
    assert verbs == ["SELECT", "SELECT", "DELETE", "DELETE", "INSERT", "INSERT", "INSERT", "INSERT", "INSERT",
                     "DELETE"], sent.statements
    assert sent.statements[-2].lstrip().startswith("INSERT INTO survey_split_counts")
    assert sent.transactions == 2
    with survey.app_context():
        assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == threshold
        assert db.session.scalar(select(func.count()).select_from(SurveyPending)) == 0


def test_a_unit_with_a_head_count_adds_one_statement_to_its_completions(survey):
    admin = admin_client(survey)
    assert post(admin, "/admin/enkat/enkat-2026/antal", {"head-sdn-norr": "50"}).status_code == 302
    client = started(survey)[0]
    last = to_last_page(client)
    with counted(survey) as sent:
        assert client.post("/enkat/sida", data=last).headers["Location"].endswith("/enkat/tack")
    # The completed responses of the unit, released and waiting, counted in one SELECT.
    verbs = [s.lstrip().split(None, 1)[0].upper() for s in sent.statements]
    assert verbs == ["SELECT", "SELECT", "SELECT", "DELETE", "DELETE", "INSERT", "DELETE"], sent.statements
    assert sent.transactions == 2


def test_no_transaction_is_open_while_a_survey_page_is_rendered(survey):
    client = started(survey)[0]
    form, _action = page_form(client)
    form["q-kon"] = "inte-ett-alternativ"  # the page comes back with its error, after the save
    open_while_rendering: list[bool] = []

    def rendering(_app, template, **_extra) -> None:  # type: ignore[no-untyped-def]
        if template.name == "survey/page.html":
            open_while_rendering.append(db.session().in_transaction())

    with template_rendered_hook(survey, rendering):
        assert client.get("/enkat/sida").status_code == 200
        assert client.post("/enkat/sida", data=form).status_code == 400
        form["q-kon"] = "kvinna"  # now saved, and answered with the next page
        assert client.post("/enkat/sida", data=form).status_code == 200
    assert open_while_rendering == [False, False, False]


@contextmanager
def template_rendered_hook(app: Flask, receiver) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """`receiver` called as each template starts rendering (Flask's before_render_template)."""
    before_render_template.connect(receiver, app)
    try:
        yield
    finally:
        before_render_template.disconnect(receiver, app)


def test_a_whole_survey_from_the_code_to_the_receipt_sends_at_most_20_statements(survey):
    """Every request of one respondent, from the page asking for the code to the receipt, counted
    together: 60–72 before issue 18. Of the 20, two are the throttle forgetting expired counters
    (the code's post and the completion do it, each in a transaction of the throttle's own, so
    that nothing derived from an address outlives its window), and two look the code up under
    the unit's lock (the code and the draft it may have started, each time in one statement: a
    double-clicked code resumes the draft its first click started instead of claiming twice)."""
    code = new_codes(admin_client(survey), "sdn-norr", 1)[0]
    client = survey.test_client()
    with counted(survey) as sent:
        page = client.get("/enkat").get_data(as_text=True)
        assert client.post("/enkat", data={"code": code, "csrf_token": hidden(page, "csrf_token")}).status_code == 302
        last = to_last_page(client)
        assert client.post("/enkat/sida", data=last).headers["Location"].endswith("/enkat/tack")
        assert client.get("/enkat/tack").status_code == 200
    verbs = [s.lstrip().split(None, 1)[0].upper() for s in sent.statements]
    assert len(verbs) <= 20, "\n".join(s[:150].replace("\n", " ") for s in sent.statements)
    forgetting = [s for s in sent.statements if s.lstrip().startswith("DELETE FROM throttle_counters")]
    assert len(forgetting) == 2  # the code, the completion


def test_completing_from_a_page_the_survey_does_not_have_is_refused_and_keeps_the_draft(survey):
    """A forged or garbled last post: nothing saved, no receipt, the session keeps its draft."""
    client = started(survey)[0]
    last = to_last_page(client)
    response = client.post("/enkat/sida", data={**last, "section": "finns_inte"})
    assert response.status_code == 400
    assert "/enkat/tack" not in response.headers.get("Location", "")
    with survey.app_context():
        assert db.session.scalar(select(func.count()).select_from(SurveyDraft)) == 1
        assert db.session.scalar(select(func.count()).select_from(SurveyPending)) == 0
    assert client.post("/enkat/sida", data=last).headers["Location"].endswith("/enkat/tack")


def test_completing_without_a_draft_in_the_session_asks_for_the_code_and_carries_the_answers(survey):
    """The draft id left the session (declined in another tab): a thank-you would be a lie."""
    client = started(survey)[0]
    last = to_last_page(client)
    with client.session_transaction() as cookie:
        cookie.pop("survey_draft", None)
    response = client.post("/enkat/sida", data=last)
    assert response.status_code == 401
    assert "/enkat/tack" not in response.headers.get("Location", "")
