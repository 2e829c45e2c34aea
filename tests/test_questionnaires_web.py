"""Questionnaires managed in the browser, through HTTP: upload, every error on its line, fix in
the page, preview, compare with the stored version, publish, download, delete; the CLI and the
web give the same errors for the same file; only admins get in."""

from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import func, select

from app.config import PROJECT_ROOT
from app.extensions import db
from app.models import AuditEvent, Questionnaire, QuestionnaireVersion, Round
from tests.conftest import login, post
from tests.rounds_factory import ROUND_KEY, make_round

STAFF_SURVEY = (PROJECT_ROOT / "questionnaires" / "medarbetarenkat.yaml").read_text(encoding="utf-8")
SELF_ASSESSMENT = (PROJECT_ROOT / "questionnaires" / "sjalvskattning.yaml").read_text(encoding="utf-8")
NEW_SURVEY = STAFF_SURVEY.replace("\nkey: medarbetarenkat\n", "\nkey: enkat_2027\n", 1)


def place_of(text: str, needle: str, offset: int = 0) -> tuple[int, int]:
    """Line and column (1-based) of `needle` in `text`, plus `offset` characters."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def page_errors(page: str) -> list[tuple[str, int, int, str, str, str | None]]:
    """(code, line, column, path, message, hint) of each error the page lists on its line."""
    found = []
    for item in re.finditer(r'<li id="error-\d+" class="source-error" (.*?)</li>', page, re.S):
        block = item.group(1)
        attrs = dict(re.findall(r'data-(code|line|column|path)="([^"]*)"', block))
        message = re.search(r'<span class="message">(.*?)</span>', block, re.S)
        hint = re.search(r'<dd class="hint-text">(.*?)</dd>', block, re.S)
        assert message is not None
        found.append((attrs["code"], int(attrs["line"]), int(attrs["column"]), html.unescape(attrs["path"]),
                      html.unescape(message.group(1)), html.unescape(hint.group(1)) if hint else None))
    return found


def textarea(page: str) -> str:
    match = re.search(r'<textarea id="source"[^>]*>(.*?)</textarea>', page, re.S)
    assert match is not None
    return html.unescape(match.group(1))


def stored_versions(app) -> list[tuple[str, int]]:
    with app.app_context():
        return [(key, number) for key, number in db.session.execute(
            select(Questionnaire.key, QuestionnaireVersion.number).join(QuestionnaireVersion.questionnaire)
            .order_by(Questionnaire.key, QuestionnaireVersion.number))]


def upload_file(client, text: str | bytes, filename: str = "enkat.yaml"):
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return post(client, "/admin/formular/kontrollera", {"file": (io.BytesIO(raw), filename)},
                content_type="multipart/form-data")


BROKEN = (NEW_SURVEY
          .replace("type: single_choice", "type: singel_choice", 1)
          .replace("    required: false\n", "    requird: false\n", 1))


def test_a_broken_file_is_shown_on_its_lines_fixed_in_the_page_previewed_published_and_used(city, as_role):
    admin = as_role("admin")
    response = upload_file(admin, BROKEN)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    type_line, type_column = place_of(BROKEN, "type: singel_choice", len("type: "))
    field_line, field_column = place_of(BROKEN, "requird: false")
    errors = page_errors(page)
    assert [(code, line, column) for code, line, column, *_ in errors] == [
        ("Q004", type_line, type_column), ("Q003", field_line, field_column)]
    assert errors[0][3] == "sections[0].questions[0].type"
    assert errors[0][5] == "did you mean 'single_choice'?"
    assert errors[1][5] == "did you mean 'required'?"
    # The summary links each error to its place; beside each, its line and two on either side.
    assert f'<a href="#error-1">Rad {type_line}, kolumn {type_column}: Q004' in page
    lines = BROKEN.split("\n")
    for number in range(type_line - 2, type_line + 3):
        assert f'<span class="lineno">{number}</span> ' in page
        assert html.escape(lines[number - 1].strip()) in page
    assert f'<mark>{lines[type_line - 1]}</mark>' in page
    assert f'{" " * (type_column - 1)}^</span>' in page
    assert f'href="#line-{type_line}"' in page and f'id="line-{type_line}"' in page
    # The text stays in the page to be fixed; nothing is stored.
    assert textarea(page) == BROKEN
    assert stored_versions(city) == []

    fixed = textarea(page).replace("singel_choice", "single_choice").replace("requird:", "required:")
    response = post(admin, "/admin/formular/kontrollera", {"source": fixed.replace("\n", "\r\n")})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="check-ok"' in page
    assert "Det finns inget lagrat formulär med nyckeln enkat_2027" in page
    assert stored_versions(city) == []

    preview = post(admin, "/admin/formular/forhandsgranska", {"source": fixed})
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "som inte är publicerat" in body
    # Every section of the survey is on the preview, with the conditions the script follows.
    for title in re.findall(r"^  - key: \w+\n    title:\n      sv: (.+)$", fixed, re.M):
        assert html.escape(title) in body
    assert 'data-show-if-question="arbetssatt"' in body
    # Answers can be tried as on a stored version: nothing answered, the required ones are named.
    tried = post(admin, "/admin/formular/forhandsgranska", {"source": fixed, "try": "1", "q-kon": "kvinna"})
    tried_page = tried.get_data(as_text=True)
    assert tried.status_code == 200 and 'id="error-summary"' in tried_page
    assert re.search(r'<input checked[^>]*name="q-kon"[^>]*value="kvinna"', tried_page)  # kept
    assert stored_versions(city) == []

    published = post(admin, "/admin/formular/publicera", {"source": fixed})
    assert published.status_code == 302
    assert stored_versions(city) == [("enkat_2027", 1)]
    listing = admin.get("/admin/formular").get_data(as_text=True)
    assert "enkat_2027" in listing and "enkat_2027 version 1 är publicerad" in listing
    with city.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "questionnaire_publish"))
        assert (event.actor, event.target, event.detail["number"]) == ("admin@test.se", "enkat_2027 v1", 1)
        version = db.session.scalar(select(QuestionnaireVersion))
        assert version.source == fixed and version.source_name == "enkat_2027.yaml"

    round_page = admin.get("/admin/omgangar/ny").get_data(as_text=True)
    assert 'value="enkat_2027"' in round_page
    created = post(admin, "/admin/omgangar/ny", {"name": "Medarbetarenkät 2027", "key": "enkat-2027",
                                                 "year": "2027", "questionnaires": ["enkat_2027"],
                                                 "units": ["sdn-norr"]})
    assert created.status_code == 302, created.get_data(as_text=True)
    with city.app_context():
        round_ = db.session.scalar(select(Round).where(Round.key == "enkat-2027"))
        assert [(v.questionnaire.key, v.number) for v in round_.questionnaire_versions] == [("enkat_2027", 1)]


def test_publishing_the_same_content_again_makes_no_new_version(city, as_role):
    admin = as_role("admin")
    assert post(admin, "/admin/formular/publicera", {"source": NEW_SURVEY}).status_code == 302
    # Other comments and layout, the same content.
    again = post(admin, "/admin/formular/kontrollera", {"source": "# En kommentar\n" + NEW_SURVEY})
    page = again.get_data(as_text=True)
    assert "Innehållet är detsamma som i version 1" in page
    assert "Publicera som ny version" not in page
    response = post(admin, "/admin/formular/publicera", {"source": "# En kommentar\n" + NEW_SURVEY},
                    follow_redirects=True)
    assert "ingen ny version har skapats" in response.get_data(as_text=True)
    assert stored_versions(city) == [("enkat_2027", 1)]
    with city.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "questionnaire_publish")) == 1


def test_the_cli_and_the_web_give_the_same_errors_for_the_same_file(city, as_role, tmp_path):
    broken = (BROKEN
              .replace("scale: utstrackning", "scale: utstrackningen", 1)  # an unknown scale
              # a field twice
              .replace("              sv: Kvinna\n", "              sv: Kvinna\n              sv: Kvinnor\n", 1)
              .replace("format: 1", "format: 1\nkey2: &ankare x", 1))  # unknown field with an anchor
    path = tmp_path / "enkat.yaml"
    path.write_text(broken, encoding="utf-8")
    result = city.test_cli_runner().invoke(args=["questionnaires", "check", str(path)])
    assert result.exit_code == 1
    cli_lines = [line for line in result.output.splitlines() if line.startswith(str(path))]

    page = upload_file(as_role("admin"), path.read_bytes()).get_data(as_text=True)
    web = page_errors(page)
    assert len(web) == len(cli_lines) >= 5
    assert {code for code, *_ in web} >= {"Q002", "Q003", "Q004", "Q016"}
    as_cli = []
    for code, line, column, where, message, hint in web:
        place = f" [{where}]" if where else ""
        as_cli.append(f"{path}:{line}:{column}: {code}{place} {message}" + (f" ({hint})" if hint else ""))
    assert as_cli == cli_lines
    assert stored_versions(city) == []


@pytest.mark.parametrize("raw, code", [
    (b"format: 1\nkey: a\n" + b"# " + b"x" * (1024 * 1024) + b"\n", "Q015"),
    ("format: 1\nkey: skräp\n".encode("latin-1"), "Q017"),
])
def test_a_file_too_large_or_not_utf8_is_refused_as_the_cli_refuses_it(city, as_role, raw, code):
    response = upload_file(as_role("admin"), raw)
    assert response.status_code == 400
    assert [error[0] for error in page_errors(response.get_data(as_text=True))] == [code]
    assert stored_versions(city) == []


def test_a_request_over_the_body_limit_is_refused(city, as_role):
    city.config["MAX_CONTENT_LENGTH"] = 4096
    response = upload_file(as_role("admin"), NEW_SURVEY)
    assert response.status_code == 413
    assert stored_versions(city) == []


def test_without_a_csrf_token_nothing_is_published(city, as_role):
    response = as_role("admin").post("/admin/formular/publicera", data={"source": NEW_SURVEY})
    assert response.status_code == 400
    assert stored_versions(city) == []


def test_every_step_checks_the_text_again(city, as_role):
    """A text changed between the check and the publish is checked again, not trusted."""
    admin = as_role("admin")
    broken = NEW_SURVEY.replace("type: single_choice", "type: singel_choice", 1)
    for step in ("forhandsgranska", "publicera"):
        response = post(admin, f"/admin/formular/{step}", {"source": broken})
        assert response.status_code == 400
        assert [error[0] for error in page_errors(response.get_data(as_text=True))] == ["Q004"]
    assert stored_versions(city) == []


def test_comparison_names_each_change_and_warns_where_years_cannot_be_compared(city, as_role):
    admin = as_role("admin")
    with city.app_context():
        make_round()  # sjalvskattning v1 in the open round granskning-2026
    editor = as_role("unit_editor")
    saved = post(editor, f"/granskning/{ROUND_KEY}/sdn-norr/sjalvskattning",
                 {"q-kannedom": "ja", "base_version": "0", "action": "save"})
    assert saved.status_code in (200, 302)
    changed = (SELF_ASSESSMENT
               .replace("      - key: kultur\n", "      - key: kultur_ny\n", 1)  # same text: renamed
               .replace("Nämnden/bolaget har god kännedom om vad otillåten påverkan är",
                        "Nämnden/bolaget känner väl till vad otillåten påverkan är", 1)  # reworded
               .replace("      - value: delvis\n", "      - value: delvis_ja\n", 1)  # a scale value
               .replace("          sv: Nej, behöver ses över omgående\n",
                        "          sv: Nej, behöver ses över snarast\n", 1))  # an option's wording
    # The question stod removed.
    start = changed.index("      - key: stod\n")
    end = changed.index("      - key: tjanstefel\n")
    changed = changed[:start] + changed[end:]
    page = post(admin, "/admin/formular/kontrollera", {"source": changed}).get_data(as_text=True)
    assert 'id="check-ok"' in page
    section = page[page.index('id="comparison-title"'):]
    assert "Jämfört med sjalvskattning version 1 (den senaste)" in section
    assert "<code>kultur</code> → <code>kultur_ny</code>" in section
    assert "Frågor med ny text</dt><dd><ul><li><code>kannedom</code>" in section
    assert "Borttagna frågor</dt><dd><ul><li><code>stod</code>" in section
    # The scale's change is told once, for the scale, naming the questions that use it.
    assert ("Skalor med andra värden</dt><dd><ul><li><code>tregradig</code>: alternativ borttagna: delvis; "
            "alternativ tillagda: delvis_ja; alternativ med ny text: nej</li>") in section
    assert section.count("alternativ borttagna: delvis") == 1
    assert "Ändrade svarsalternativ" not in section
    warning = section[section.index('id="comparison-warning"'):]
    assert "Frågan stod tas bort" in warning
    assert "Frågan kultur får nyckeln kultur_ny" in warning
    assert ("Skalan tregradig får andra värden: svar enligt den gamla och den nya skalan räknas inte lika "
            "(frågorna kannedom, kultur_ny, undersoka, forebygga, hantera, folja_upp, tjanstefel, chefer_agera)"
            ) in warning
    rounds = section[section.index("Omgångar som använder formuläret"):]
    assert "granskning-2026" in rounds and "omgången är öppen" in rounds and "har svar" in rounds

    assert post(admin, "/admin/formular/publicera", {"source": changed}).status_code == 302
    assert stored_versions(city) == [("sjalvskattning", 1), ("sjalvskattning", 2)]
    with city.app_context():
        round_ = db.session.scalar(select(Round).where(Round.key == ROUND_KEY))
        assert [v.number for v in round_.questionnaire_versions] == [1]  # the open round keeps v1


def test_new_from_a_shipped_questionnaire_prefills_its_text_with_the_new_key(city, as_role):
    admin = as_role("admin")
    page = admin.get("/admin/formular/ny?fran=medarbetarenkat&nyckel=enkat_2027").get_data(as_text=True)
    assert textarea(page) == NEW_SURVEY
    refused = admin.get("/admin/formular/ny?fran=medarbetarenkat&nyckel=Enkät 2027")
    assert refused.status_code == 400
    assert "Den nya nyckeln ska bestå av små bokstäver" in refused.get_data(as_text=True)
    assert admin.get("/admin/formular/ny?fran=finns_inte&nyckel=x").status_code == 404


def test_a_stored_version_downloads_as_its_yaml_audited(city, as_role):
    admin = as_role("admin")
    post(admin, "/admin/formular/publicera", {"source": NEW_SURVEY})
    response = as_role("analyst").get("/admin/formular/enkat_2027/1.yaml")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == NEW_SURVEY
    assert response.headers["Content-Disposition"] == 'attachment; filename="enkat_2027-v1.yaml"'
    with city.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
        assert (event.actor, event.target, event.detail["format"]) == ("analyst@test.se", "enkat_2027 v1", "yaml")


def test_only_a_version_no_round_uses_can_be_deleted(city, as_role):
    admin = as_role("admin")
    with city.app_context():
        make_round()
    post(admin, "/admin/formular/publicera", {"source": NEW_SURVEY})
    listing = admin.get("/admin/formular").get_data(as_text=True)
    assert "används av granskning-2026" in listing
    assert "Ta bort version 1 (ingen omgång använder den)" in listing
    refused = post(admin, "/admin/formular/sjalvskattning/1/ta-bort", follow_redirects=True)
    assert "sjalvskattning v1 används av omgången granskning-2026 och kan aldrig tas bort" in refused.get_data(
        as_text=True)
    deleted = post(admin, "/admin/formular/enkat_2027/1/ta-bort", follow_redirects=True)
    assert "enkat_2027 v1 är borttagen." in deleted.get_data(as_text=True)
    assert stored_versions(city) == [("sjalvskattning", 1)]
    with city.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "questionnaire_delete"))
        assert (event.actor, event.target) == ("admin@test.se", "enkat_2027 v1")
    # Published again (other content), it is version 2: a number once published never names
    # other content, even after its version is gone with the questionnaire.
    changed = NEW_SURVEY.replace("sv: Enkät till medarbetare om otillåten påverkan", "sv: Enkät 2027", 1)
    assert changed != NEW_SURVEY
    assert post(admin, "/admin/formular/publicera", {"source": changed}).status_code == 302
    assert stored_versions(city) == [("enkat_2027", 2), ("sjalvskattning", 1)]


NEW_ROUTES = [
    ("GET", "/admin/formular/ny?fran=medarbetarenkat&nyckel=enkat_2027", {}),
    ("POST", "/admin/formular/kontrollera", {"source": NEW_SURVEY}),
    ("POST", "/admin/formular/forhandsgranska", {"source": NEW_SURVEY}),
    ("POST", "/admin/formular/publicera", {"source": NEW_SURVEY}),
    ("POST", "/admin/formular/sjalvskattning/1/ta-bort", {}),
]


@pytest.mark.parametrize("role", ["anonymous", "unit_reader", "unit_editor", "other_editor", "analyst"])
@pytest.mark.parametrize("method, url, data", NEW_ROUTES)
def test_every_role_but_admin_is_refused_and_nothing_is_stored(city, as_role, role, method, url, data):
    with city.app_context():
        from tests.rounds_factory import load_self_assessment

        load_self_assessment()
    client = as_role(role)
    response = client.get(url) if method == "GET" else post(client, url, data)
    if role == "anonymous" and data.get("source"):
        assert response.status_code == 401  # the logged-out page: the text kept, nothing done
    elif role == "anonymous":
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    else:
        assert response.status_code == 403
    assert stored_versions(city) == [("sjalvskattning", 1)]


def test_the_format_reference_is_readable_in_the_application(city, as_role):
    page = as_role("analyst").get("/admin/formular/format").get_data(as_text=True)
    assert '<h1 id="the-questionnaire-format-format-1">The questionnaire format (format 1)</h1>' in page
    # The contents links lead to their headings.
    links = re.findall(r'<a href="#([^"]+)"', page[page.index("format-reference"):])
    ids = set(re.findall(r'<h[1-6] id="([^"]+)"', page))
    assert "conditions-show_if" in links and set(links) <= ids
    assert "<table>" in page and "<pre><code" in page
    upload = as_role("admin").get("/admin/formular/ny").get_data(as_text=True)
    assert 'href="/admin/formular/format"' in upload


def test_the_upload_page_speaks_english_when_asked(city, as_role):
    admin = as_role("admin")
    post(admin, "/sprak", {"language": "en", "next": "/"})
    page = upload_file(admin, BROKEN).get_data(as_text=True)
    assert "Upload a questionnaire" in page and "The errors on their lines" in page
    assert "Suggestion" in page and ">Check</button>" in page
    assert "Felen på sina rader" not in page


def test_an_option_relabelled_is_no_break_but_an_option_value_changed_is(city, as_role):
    admin = as_role("admin")
    assert post(admin, "/admin/formular/publicera", {"source": NEW_SURVEY}).status_code == 302
    relabelled = NEW_SURVEY.replace("              sv: Kvinna\n", "              sv: Kvinna eller flicka\n", 1)
    section = post(admin, "/admin/formular/kontrollera", {"source": relabelled}).get_data(as_text=True)
    section = section[section.index('id="comparison-title"'):]
    assert "<li><code>kon</code>: alternativ med ny text: kvinna</li>" in section
    assert 'id="comparison-warning"' not in section
    assert "Omgångar som använder formuläret" not in section  # no round uses it

    revalued = NEW_SURVEY.replace("          - value: kvinna\n", "          - value: kvinnor\n", 1)
    section = post(admin, "/admin/formular/kontrollera", {"source": revalued}).get_data(as_text=True)
    section = section[section.index('id="comparison-title"'):]
    assert "<li><code>kon</code>: alternativ borttagna: kvinna; alternativ tillagda: kvinnor</li>" in section
    warning = section[section.index('id="comparison-warning"'):]
    assert "Frågan kon får andra svarsalternativ" in warning


def test_a_key_cannot_change_its_kind(city, as_role):
    admin = as_role("admin")
    assert post(admin, "/admin/formular/publicera", {"source": NEW_SURVEY}).status_code == 302
    other_kind = SELF_ASSESSMENT.replace("\nkey: sjalvskattning\n", "\nkey: enkat_2027\n", 1)
    page = post(admin, "/admin/formular/kontrollera", {"source": other_kind}).get_data(as_text=True)
    assert "Formuläret är lagrat som Anonym enkät men texten säger Enhetsformulär" in page
    assert "Publicera som ny version" not in page
    refused = post(admin, "/admin/formular/publicera", {"source": other_kind})
    assert refused.status_code == 400
    assert ("en ny version kan inte göra det till unit_questionnaire"
            in html.unescape(refused.get_data(as_text=True)))
    assert stored_versions(city) == [("enkat_2027", 1)]


def test_a_long_line_is_shown_around_the_error_with_the_column_marked(city, as_role):
    """A file written in YAML's flow style is one long line: beside each error the page shows the
    part of it around the error's column, cut with "…", the caret under that column."""
    padding = ", ".join(f"{{key: q{n}, type: text, text: Fråga {n}}}" for n in range(60))
    after = ", ".join(f"{{key: e{n}, type: text, text: Efter {n}}}" for n in range(10))
    text = ("format: 1\nkey: lang_rad\nkind: survey\ntitle: Lång rad\n"
            f"sections: [{{key: a, title: A, questions: "
            f"[{padding}, {{key: sist, type: txet, text: Sist}}, {after}]}}]\n")
    line, column = place_of(text, "txet")
    assert line == 5 and column > 2000
    page = html.unescape(upload_file(as_role("admin"), text).get_data(as_text=True))
    [error] = [e for e in page_errors(page) if e[0] == "Q004"]
    assert error[1:3] == (line, column)
    marked = re.search(r'<mark>(.*?)</mark></span>\n<span class="excerpt-column" aria-hidden="true">'
                       r'<span class="lineno"> </span> ( *)\^', page, re.S)
    assert marked is not None
    shown, spaces = marked.group(1), len(marked.group(2))
    assert shown.startswith("…") and shown.endswith("…") and len(shown) == 2 + 160
    assert shown[spaces:].startswith("txet")  # the caret stands under the column the error names
    assert page.count(padding) == 1 and page.count(after) == 1  # the whole line only in the text area


def test_an_expired_token_keeps_the_text_and_does_nothing(city, as_role):
    """A page left open until its form token expired: the step is refused, nothing is stored, and
    the text comes back in the text area to be sent again."""
    admin = as_role("admin")
    for step in ("kontrollera", "forhandsgranska", "publicera"):
        response = admin.post(f"/admin/formular/{step}", data={"source": NEW_SURVEY, "csrf_token": "utgången"})
        assert response.status_code == 400
        page = html.unescape(response.get_data(as_text=True))
        assert "Sidan hade varit öppen för länge" in page
        assert textarea(page) == NEW_SURVEY
    assert stored_versions(city) == []


def test_new_from_with_a_key_that_is_not_a_key_is_refused_not_a_crash(city, as_role):
    admin = as_role("admin")
    response = admin.get("/admin/formular/ny?fran=medarbetarenkat&nyckel=a%5C1")
    assert response.status_code == 400
    assert "Den nya nyckeln ska bestå av" in html.unescape(response.get_data(as_text=True))


def test_a_step_posted_after_the_login_session_ended_keeps_the_text(city, as_role):
    """The admin's session ended while they edited (a lunch break): every step shows the text as
    it was sent, pasted or as a file, in a form that checks it again, instead of the login page.
    Logged in again (in another tab), the carried form checks the same text; nothing was stored."""
    client = as_role("anonymous")
    for step in ("kontrollera", "forhandsgranska", "publicera"):
        response = client.post(f"/admin/formular/{step}", data={"source": NEW_SURVEY, "csrf_token": "x"})
        assert response.status_code == 401
        page = html.unescape(response.get_data(as_text=True))
        assert "formulärets text finns kvar här" in page
        assert textarea(page) == NEW_SURVEY
        assert 'action="/admin/formular/kontrollera"' in page
    sent = client.post("/admin/formular/kontrollera", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(NEW_SURVEY.encode()), "enkät 2027.yaml")})
    assert sent.status_code == 401
    page = html.unescape(sent.get_data(as_text=True))
    assert textarea(page) == NEW_SURVEY
    assert 'name="filename" value="enkat_2027.yaml"' in page
    assert stored_versions(city) == []

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    assert login(client, "admin@test.se").status_code == 302
    again = client.post("/admin/formular/kontrollera",
                        data={"source": textarea(page), "filename": "enkat_2027.yaml", "csrf_token": token.group(1)})
    checked = html.unescape(again.get_data(as_text=True))
    assert textarea(checked) == NEW_SURVEY  # checked again, or refused for its old token: never lost
    if again.status_code == 400:
        assert "Sidan hade varit öppen för länge" in checked
        again = post(client, "/admin/formular/kontrollera",
                     {"source": textarea(checked), "filename": "enkat_2027.yaml"})
    assert again.status_code == 200
    assert "Publicera som ny version" in html.unescape(again.get_data(as_text=True))
