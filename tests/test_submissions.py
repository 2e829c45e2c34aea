"""The submission workflow through HTTP: drafts, submission, reopening, history, two editors at
once, double submits, expired CSRF tokens and sessions, and who may do what."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, ResponseEvent, UnitResponse
from tests.conftest import login, make_user, post
from tests.rounds_factory import full_answers, make_round, page_base_version

PAGE = "/granskning/granskning-2026/sdn-norr/sjalvskattning"
SYD_PAGE = "/granskning/granskning-2026/sdn-syd/sjalvskattning"
REOPEN = "/admin/omgangar/granskning-2026/sdn-norr/sjalvskattning/oppna-igen"


@pytest.fixture
def round_open(city):
    """An open round of the self-assessment for sdn-norr, sdn-syd and bolag, and a second
    editor of sdn-norr (editor2@)."""
    with city.app_context():
        make_round()
        make_user("editor2@test.se", "unit_editor", ("sdn-norr",))
    return city


def stored(app, unit: str = "sdn-norr") -> UnitResponse | None:
    with app.app_context():
        from app.models import Unit

        response = db.session.scalar(select(UnitResponse).join(Unit, Unit.id == UnitResponse.unit_id)
                                     .where(Unit.key == unit))
        if response is not None:
            db.session.expunge(response)
        return response


def events(app, action: str | None = None) -> list[tuple[str, int, dict]]:
    with app.app_context():
        query = select(ResponseEvent.action, ResponseEvent.version, ResponseEvent.changes).order_by(ResponseEvent.id)
        if action:
            query = query.where(ResponseEvent.action == action)
        return [tuple(row) for row in db.session.execute(query).all()]


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(response.get_data(as_text=True))


def save(client, data: dict, base: str, url: str = PAGE, action: str = "save"):  # type: ignore[no-untyped-def]
    return post(client, url, {**data, "base_version": base, "action": action})


def test_a_draft_is_saved_and_shown_again_with_its_base_version(round_open, as_role):
    editor = as_role("unit_editor")
    assert page_base_version(editor.get(PAGE)) == "0"
    response = save(editor, {"q-kannedom": "delvis", "q-kannedom-motivation": "Vi behöver utbildning."}, "0")
    assert response.status_code == 302 and response.headers["Location"] == PAGE
    page = editor.get(PAGE)
    assert page_base_version(page) == "1"
    assert "Vi behöver utbildning." in text_of(page)
    assert stored(round_open).answers == {"kannedom": {"value": "delvis", "motivation": "Vi behöver utbildning."}}
    assert events(round_open) == [("save", 1, {"kannedom": [None, {"value": "delvis",
                                                                   "motivation": "Vi behöver utbildning."}]})]


def test_the_page_lists_what_is_missing_before_submission_with_links(round_open, as_role):
    editor = as_role("unit_editor")
    save(editor, {"q-kannedom": "ja", "q-kannedom-motivation": "Bra.", "q-kultur": "delvis"}, "0")
    page = editor.get(PAGE).get_data(as_text=True)
    summary = page[page.index('id="missing-summary"'):page.index("</div>", page.index('id="missing-summary"'))]
    assert 'href="#q-kultur-motivation"' in summary and 'href="#q-undersoka"' in summary
    assert 'href="#q-risksyn"' in summary
    assert 'href="#q-kannedom"' not in summary and "#q-ovrigt" not in summary  # answered; optional


def test_submitting_with_missing_answers_is_refused_and_keeps_the_text(round_open, as_role):
    editor = as_role("unit_editor")
    response = save(editor, {"q-kannedom": "ja", "q-kannedom-motivation": "Text som inte får försvinna."},
                    "0", action="submit")
    assert response.status_code == 400
    assert "Text som inte får försvinna." in text_of(response)
    assert 'href="#q-kultur"' in response.get_data(as_text=True)
    assert stored(round_open) is None


def test_submission_records_who_and_when_and_makes_the_answers_read_only(round_open, as_role):
    editor = as_role("unit_editor")
    response = save(editor, full_answers("Inskickad motivering."), "0", action="submit")
    assert response.status_code == 302
    kept = stored(round_open)
    assert kept.status == "submitted" and kept.submitted_at is not None
    page = text_of(editor.get(PAGE))
    assert 'name="action"' not in page and "Inskickad motivering." in page
    assert "editor@test.se" in page


def test_a_submitted_answer_cannot_be_changed_by_a_post(round_open, as_role):
    editor = as_role("unit_editor")
    save(editor, full_answers("Det inskickade."), "0", action="submit")
    before = stored(round_open)
    for action in ("save", "submit"):
        response = save(editor, {**full_answers("Ett försök att ändra."), "q-kultur": "nej"},
                        str(before.version), action=action)
        assert response.status_code == 409
        assert "Ett försök att ändra." in text_of(response)  # shown back, not stored
    autosave = post(editor, f"{PAGE}/autosave", {**full_answers("Autosparat."), "base_version": str(before.version)})
    assert autosave.status_code == 409 and autosave.json["error"] == "locked"
    after = stored(round_open)
    assert after.answers == before.answers and after.version == before.version
    assert [e[0] for e in events(round_open)] == ["submit"]


def test_double_submit_creates_one_submission(round_open, as_role):
    editor = as_role("unit_editor")
    data = full_answers("Skickas två gånger.")
    first = save(editor, data, "0", action="submit")
    second = save(editor, data, "0", action="submit")  # a double click or a retry: same page, same base
    assert first.status_code == 302 and second.status_code == 302
    assert "redan inskickade" in text_of(editor.get(PAGE))
    other_tab = as_role("unit_editor")
    assert save(other_tab, data, "0", action="submit").status_code == 302
    assert [e[0] for e in events(round_open)] == ["submit"]
    with round_open.app_context():
        assert db.session.scalar(select(func.count()).select_from(UnitResponse)) == 1


def test_a_second_tab_submitting_other_answers_is_shown_its_text(round_open, as_role):
    editor = as_role("unit_editor")
    save(editor, full_answers("Första fliken."), "0", action="submit")
    response = save(as_role("unit_editor"), full_answers("Andra fliken."), "0", action="submit")
    assert response.status_code == 409
    assert "Andra fliken." in text_of(response)
    assert stored(round_open).answers["kannedom"]["motivation"] == "Första fliken."


def test_two_stale_concurrent_saves_second_is_refused_and_both_texts_survive(round_open, as_role):
    anna = as_role("unit_editor")
    save(anna, {"q-kannedom": "delvis", "q-kannedom-motivation": "Utgångsläget."}, "0")
    bertil = anna.application.test_client()
    login(bertil, "editor2@test.se")
    base_anna = page_base_version(anna.get(PAGE))
    base_bertil = page_base_version(bertil.get(PAGE))
    assert base_anna == base_bertil == "1"

    assert save(anna, {"q-kannedom": "ja", "q-kannedom-motivation": "Annas text."}, base_anna).status_code == 302
    refused = save(bertil, {"q-kannedom": "nej", "q-kannedom-motivation": "Bertils text."}, base_bertil)

    assert refused.status_code == 409
    page = text_of(refused)
    assert "Annas text." in page and "Bertils text." in page  # both versions side by side
    assert "editor@test.se" in page  # who saved in between
    form = page[page.index('id="answer-form"'):]
    assert re.search(r'<textarea[^>]*name="q-kannedom-motivation"[^>]*>\s*Bertils text\.</textarea>', form)
    assert page_base_version(refused) == "2"
    assert stored(round_open).answers["kannedom"] == {"value": "ja", "motivation": "Annas text."}

    merged = save(bertil, {"q-kannedom": "delvis", "q-kannedom-motivation": "Annas text. Bertils text."}, "2")
    assert merged.status_code == 302
    assert stored(round_open).answers["kannedom"]["motivation"] == "Annas text. Bertils text."
    assert [e[0] for e in events(round_open)] == ["save", "save", "save"]


def test_autosave_answers_json_and_stops_on_a_conflict(round_open, as_role):
    editor = as_role("unit_editor")
    first = post(editor, f"{PAGE}/autosave", {"q-kannedom-motivation": "Skrivet i bakgrunden.", "base_version": "0"})
    assert first.status_code == 200
    assert first.json["ok"] is True and first.json["version"] == 1
    assert re.fullmatch(r"Sparat \d\d:\d\d", first.json["message"])
    stale = post(editor, f"{PAGE}/autosave", {"q-kannedom-motivation": "Från en gammal flik.", "base_version": "0"})
    assert stale.status_code == 409 and stale.json["error"] == "conflict"
    assert stored(round_open).answers["kannedom"]["motivation"] == "Skrivet i bakgrunden."


def test_a_save_with_an_expired_csrf_token_returns_the_form_with_the_text(round_open, as_role):
    editor = as_role("unit_editor")
    response = editor.post(PAGE, data={"csrf_token": "utgången", "base_version": "0", "action": "save",
                                       "q-kannedom": "delvis", "q-kannedom-motivation": "En lång motivering."})
    assert response.status_code == 400
    page = text_of(response)
    assert re.search(r'<textarea[^>]*name="q-kannedom-motivation"[^>]*>\s*En lång motivering\.</textarea>', page)
    assert "klicka på knappen en gång till" in page
    assert stored(round_open) is None
    # One more click, with the fresh token the page carries, saves it.
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"',
                      response.get_data(as_text=True))
    fresh = token.group(1) or token.group(2)
    again = editor.post(PAGE, data={"csrf_token": fresh, "base_version": "0", "action": "save",
                                    "q-kannedom": "delvis", "q-kannedom-motivation": "En lång motivering."})
    assert again.status_code == 302
    assert stored(round_open).answers["kannedom"]["motivation"] == "En lång motivering."


def test_a_post_after_the_session_ended_shows_the_typed_text(round_open, city):
    logged_out = city.test_client()
    response = logged_out.post(PAGE, data={"csrf_token": "gammal", "base_version": "3", "action": "save",
                                           "q-risksyn": "Text skriven före utloggningen."})
    assert response.status_code == 401
    page = text_of(response)
    assert "Text skriven före utloggningen." in page
    assert 'href="/login"' in page
    assert stored(round_open) is None


def test_after_logging_in_again_the_shown_text_is_saved_with_one_more_click(round_open, city):
    client = city.test_client()
    data = {"base_version": "0", "action": "save", "q-risksyn": "Text som överlever utloggningen."}
    shown = client.post(PAGE, data={**data, "csrf_token": "gammal"})
    assert shown.status_code == 401
    stale_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', shown.get_data(as_text=True))
    login(client, "editor@test.se")  # in another tab; the login starts a new session
    again = client.post(PAGE, data={**data, "csrf_token": stale_token.group(1)})
    assert again.status_code == 400 and "Text som överlever utloggningen." in text_of(again)
    fresh = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', again.get_data(as_text=True))
    assert client.post(PAGE, data={**data, "csrf_token": fresh.group(1)}).status_code == 302
    assert stored(round_open).answers["risksyn"] == "Text som överlever utloggningen."


def test_answers_are_escaped_on_every_page_that_shows_them(round_open, as_role):
    editor = as_role("unit_editor")
    payload = '<script>alert("x")</script>'
    save(editor, {"q-kannedom": "ja", "q-kannedom-motivation": payload}, "0")
    refused = save(as_role("unit_editor"), {"q-kannedom": "nej", "q-kannedom-motivation": payload + "2"}, "0")
    pages = [editor.get(PAGE), editor.get(f"{PAGE}/historik"), as_role("admin").get(PAGE), refused]
    for page in pages:
        body = page.get_data(as_text=True)
        assert payload not in body and "&lt;script&gt;" in body


def test_a_closed_round_refuses_saves(round_open, as_role):
    editor = as_role("unit_editor")
    save(editor, {"q-kannedom": "ja", "q-kannedom-motivation": "Före stängning."}, "0")
    post(as_role("admin"), "/admin/omgangar/granskning-2026/status", {"action": "close"})
    response = save(editor, {"q-kannedom": "nej", "q-kannedom-motivation": "Efter stängning."}, "1")
    assert response.status_code == 409
    assert "Efter stängning." in text_of(response)
    assert stored(round_open).answers["kannedom"]["motivation"] == "Före stängning."
    assert 'name="action"' not in editor.get(PAGE).get_data(as_text=True)


def test_reopening_requires_a_reason_and_appears_in_the_history(round_open, as_role):
    editor = as_role("unit_editor")
    save(editor, full_answers("Första inskickningen."), "0", action="submit")
    admin = as_role("admin")
    assert admin.get(REOPEN).status_code == 200
    assert post(admin, REOPEN, {"reason": "   "}).status_code == 400
    assert stored(round_open).status == "submitted"

    assert post(admin, REOPEN, {"reason": "Motiveringen till påstående 3 saknar underlag."}).status_code == 302
    reopened = stored(round_open)
    assert reopened.status == "reopened"
    with round_open.app_context():
        audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "response.reopen"))
        assert audit.target == "granskning-2026/sdn-norr/sjalvskattning"
        assert audit.detail["reason"] == "Motiveringen till påstående 3 saknar underlag."

    for client in (editor, admin, as_role("unit_reader")):
        history = text_of(client.get(f"{PAGE}/historik"))
        assert "Motiveringen till påstående 3 saknar underlag." in history
        assert "Öppnade igen" in history and "admin@test.se" in history

    # The unit changes one answer and submits again; the history shows old -> new.
    changed = {**full_answers("Första inskickningen."), "q-undersoka-motivation": "Nu med underlag."}
    assert save(editor, changed, str(reopened.version), action="submit").status_code == 302
    assert stored(round_open).status == "submitted"
    history = text_of(editor.get(f"{PAGE}/historik"))
    assert "Nu med underlag." in history
    assert [e[0] for e in events(round_open)] == ["submit", "reopen", "submit"]
    assert events(round_open, "submit")[-1][2] == {"undersoka": [
        {"value": "ja", "motivation": "Första inskickningen."}, {"value": "ja", "motivation": "Nu med underlag."}]}


def test_a_unit_editor_cannot_see_or_change_another_units_answers(round_open, as_role):
    other = as_role("other_editor")  # editor of sdn-syd
    save(as_role("unit_editor"), {"q-kannedom": "ja", "q-kannedom-motivation": "Norrs hemlighet."}, "0")
    for url in (PAGE, f"{PAGE}/historik"):
        response = other.get(url)
        assert response.status_code == 403 and "Norrs hemlighet." not in text_of(response)
    assert save(other, {"q-kannedom": "nej", "q-kannedom-motivation": "Syds ändring."}, "1").status_code == 403
    assert post(other, f"{PAGE}/autosave", {"q-kannedom": "nej", "base_version": "1"}).status_code == 403
    assert save(other, full_answers(), "1", action="submit").status_code == 403
    # Changing ids in the URL: another unit, a unit that does not exist, look the same.
    assert other.get("/granskning/granskning-2026/bolag/sjalvskattning").status_code == 403
    assert other.get("/granskning/granskning-2026/finns-inte/sjalvskattning").status_code == 403
    assert stored(round_open).answers["kannedom"]["motivation"] == "Norrs hemlighet."
    # Their own unit works.
    assert other.get(SYD_PAGE).status_code == 200


def test_a_unit_reader_reads_but_cannot_change(round_open, as_role):
    save(as_role("unit_editor"), {"q-kannedom": "ja", "q-kannedom-motivation": "Läsbar text."}, "0")
    reader = as_role("unit_reader")
    page = reader.get(PAGE)
    assert page.status_code == 200
    assert "Läsbar text." in text_of(page) and 'name="action"' not in page.get_data(as_text=True)
    assert save(reader, {"q-kannedom": "nej"}, "1").status_code == 403
    assert stored(round_open).answers["kannedom"]["motivation"] == "Läsbar text."


def test_the_start_page_lists_the_units_rounds_and_statuses(round_open, as_role):
    editor = as_role("unit_editor")
    save(editor, {"q-kannedom": "ja"}, "0")
    page = text_of(editor.get("/granskning/"))
    assert "Gemensam granskning 2026" in page and "Norra stadsdelsnämnden" in page
    assert "Utkast" in page
    assert "Södra stadsdelsnämnden" not in page


# --- races inside the service (two requests between their read and their write) ----------------

def _target_and_user(email: str = "editor@test.se"):  # type: ignore[no-untyped-def]
    from app.models import User
    from app.services.submissions import find_target

    user = db.session.scalar(select(User).where(User.email == email))
    return find_target(db.session, "granskning-2026", "sdn-norr", "sjalvskattning"), user


def test_a_first_row_inserted_by_another_request_meanwhile_is_a_conflict(round_open, monkeypatch):
    from app.services import submissions, transaction

    with round_open.app_context():
        target, user = _target_and_user()
        with transaction() as session:
            submissions.save(session, target, {"kannedom": {"value": "ja", "motivation": "Först."}}, 0, user)
        # The second request read "no row yet" just before the first one's insert was committed.
        real = submissions.get_response
        calls = iter([None])
        monkeypatch.setattr(submissions, "get_response", lambda s, t: next(calls, real(s, t)))
        with pytest.raises(submissions.Conflict) as raised, transaction() as session:
            submissions.save(session, target, {"kannedom": {"value": "nej", "motivation": "Sen."}}, 0, user)
        assert raised.value.current_answers["kannedom"]["motivation"] == "Först."
        assert raised.value.attempted["kannedom"]["motivation"] == "Sen."
    assert stored(round_open).answers["kannedom"]["motivation"] == "Först."


def test_an_update_racing_another_writer_is_a_conflict(round_open):
    from sqlalchemy import text

    from app.services import submissions, transaction

    with round_open.app_context():
        target, user = _target_and_user()
        with transaction() as session:
            submissions.save(session, target, {"kannedom": {"value": "ja", "motivation": "v1"}}, 0, user)
        with pytest.raises(submissions.Conflict) as raised, transaction() as session:
            submissions.get_response(session, target)  # read version 1 into the session
            # Another writer commits version 2 between this request's read and its write.
            session.execute(text("UPDATE unit_responses SET version = 2, answers = :a"),
                            {"a": '{"kannedom": {"value": "delvis", "motivation": "v2"}}'})
            submissions.save(session, target, {"kannedom": {"value": "nej", "motivation": "v1 ändrad"}}, 1, user)
        assert raised.value.current_version == 2
        assert raised.value.attempted["kannedom"]["motivation"] == "v1 ändrad"


def test_two_submits_racing_to_create_the_first_row_make_one_submission(round_open, monkeypatch):
    from app.services import submissions, transaction

    answers = {"kannedom": {"value": "ja", "motivation": "Samma svar."}}
    # Only the self-assessment's first statement counts here: the check accepts these answers.
    check = lambda definition, given, partial: submissions.Validated(dict(given))  # noqa: E731
    with round_open.app_context():
        target, user = _target_and_user()
        with transaction() as session:
            first = submissions.submit(session, target, answers, 0, user, check=check)
        real = submissions.get_response
        calls = iter([None])
        monkeypatch.setattr(submissions, "get_response", lambda s, t: next(calls, real(s, t)))
        with transaction() as session:
            second = submissions.submit(session, target, answers, 0, user, check=check)
        assert second.repeated and second.event is None and second.response.id == first.response.id
    assert [e[0] for e in events(round_open)] == ["submit"]
