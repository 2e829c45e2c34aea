"""Stored XSS and spreadsheet formula injection: script and markup typed into every text field a
person can fill, and written into a questionnaire's YAML texts, come out as text everywhere:
on every page that shows them (escaped, never live markup), in the PDFs (literally) and in the
CSV and XLSX exports (cells that could start a formula neutralised, headers included)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from app.config import PROJECT_ROOT
from app.extensions import db
from app.models import Round
from app.models.survey import SurveyText
from app.reports.tabular import FORMULA_PREFIXES, csv_lines, xlsx_bytes
from app.services import transaction
from app.services.questionnaires import load_folder
from tests.conftest import PASSWORD, login, post
from tests.test_survey import PAGES, current_section

PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}}",
    "</textarea><script>alert(2)</script>",
)
PAYLOAD = " ".join(PAYLOADS)
ROUND_KEY = "xss-2026"
UNIT_KEY = "xss-enhet"
EDITOR = "xss-editor@test.se"


# --- checking pages --------------------------------------------------------------------------------


class _Page(HTMLParser):
    """The live markup of a page: elements with their attributes, script contents, and the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.text).append(data)


def assert_inert(html: str, *, shows: str | None = PAYLOAD, where: str = "") -> None:
    """No payload is live markup in `html`; with `shows`, that text appears (as text or as a
    form value) on the page."""
    page = _Page()
    page.feed(html)
    assert "<script>alert" not in html, where
    for tag, attrs in page.tags:
        for name, value in attrs:
            assert not name.startswith("on"), f"{where}: <{tag} {name}=…>"
            if name in ("href", "src", "action", "formaction"):
                assert not (value or "").strip().lower().startswith("javascript:"), f"{where}: {name}={value}"
        assert tag != "img" or dict(attrs).get("src") != "x", f"{where}: an injected <img>"
    assert not any("alert(" in script for script in page.scripts), where
    if shows is not None:
        seen = " ".join(page.text) + " " + " ".join(v or "" for _tag, attrs in page.tags for _n, v in attrs)
        assert _squeeze(shows) in _squeeze(seen), f"{where}: the text is not shown"


def _squeeze(text: str) -> str:
    return "".join(text.split())


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def assert_pdf_shows(data: bytes, text: str, where: str) -> None:
    assert data.startswith(b"%PDF"), where
    assert _squeeze(text) in _squeeze(pdf_text(data)), where


# --- the data: payloads in every field ------------------------------------------------------------


def poisoned_questionnaire(source: Path, folder: Path, poisoned: Callable[[str], str] = lambda t: f"{t} {PAYLOAD}",
                           ) -> Path:
    """A copy of a shipped questionnaire with every Swedish text (title, intro, section titles,
    question texts and help, option and row labels, scale labels) changed by `poisoned`: by
    default the payloads added at the end."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))

    def poison(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("title", "intro", "text", "help", "label") and isinstance(value, dict) and "sv" in value:
                    value["sv"] = poisoned(value["sv"])
                else:
                    poison(value)
        elif isinstance(node, list):
            for item in node:
                poison(item)

    poison(data)
    target = folder / source.name
    target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def admin_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert login(client, "admin@test.se").status_code == 302
    return client


def ok(response, status: int = 302):  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    return response


def survey_codes(admin: FlaskClient, count: int, unit: str = UNIT_KEY) -> list[str]:
    response = ok(post(admin, f"/admin/enkat/{ROUND_KEY}/koder", {"unit": unit, "count": str(count),
                                                                  "format": "csv"}), 200)
    return re.findall(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", response.get_data(as_text=True))


SURVEY_OVERRIDES = {
    "utsatthet": {"q-utsatt": "ja", "q-utsatt_hur": PAYLOAD},
    "senaste_handelsen": {"q-typ": ["hot_vald", "annan"], "q-typ-other": PAYLOAD},
    "avslutning": {"q-kommentarer": PAYLOAD},
}


def answer_survey(app: Flask, code: str, shows: str | None = None) -> FlaskClient:
    client = app.test_client()
    ok(post(client, "/enkat", {"code": code}))
    page = client.get("/enkat/sida")
    for _ in range(10):
        html = ok(page, 200).get_data(as_text=True)
        assert_inert(html, shows=shows, where="survey page")
        section = current_section(html)
        data = {**PAGES[section], **SURVEY_OVERRIDES.get(section, {}), "section": section,
                "action": "complete" if 'value="complete"' in html else "next"}
        page = post(client, "/enkat/sida", data)  # the next page, or a redirect to the receipt
        if page.status_code == 302 and page.headers["Location"].endswith("/enkat/tack"):
            return client
    raise AssertionError("never reached the receipt")


def lowest_thresholds(app: Flask) -> None:
    """The round's anonymity and free-text thresholds at the minimum (3), to need few responses."""
    with app.app_context(), transaction() as session:
        round_ = session.scalar(select(Round).where(Round.key == ROUND_KEY))
        round_.anonymity_threshold = round_.free_text_threshold = 3  # type: ignore[union-attr]


def self_assessment_form(base_version: int, action: str) -> dict[str, str]:
    from tests.rounds_factory import DESCRIPTIONS, RATINGS

    data = {"base_version": str(base_version), "action": action}
    for key in RATINGS:
        data[f"q-{key}"] = "delvis"
        data[f"q-{key}-motivation"] = PAYLOAD
    for key in DESCRIPTIONS:
        data[f"q-{key}"] = PAYLOAD
    return data


@pytest.fixture
def poisoned(city: Flask, tmp_path: Path) -> Flask:
    """Payloads in: a unit's name (admin form) and another's (CSV import), a user's name, the
    questionnaires' YAML texts, a round's name and instructions, a self-assessment's motivations
    and descriptions, a reopening's reason, and staff survey free texts and "other" texts
    (three responses, with the round's thresholds at the minimum of 3, texts approved)."""
    admin = admin_client(city)
    ok(post(admin, "/admin/enheter/ny", {"key": UNIT_KEY, "name": PAYLOAD, "kind": "board", "parent": "stad",
                                         "active": "y"}))
    quoted = PAYLOAD.replace('"', '""')
    csv_file = f'key,name,kind,parent\nxss-import,"{quoted}",company,stad\n'
    ok(post(admin, "/admin/enheter/import", {"file": (io.BytesIO(csv_file.encode()), "enheter.csv")},
            content_type="multipart/form-data"))
    ok(post(admin, "/admin/anvandare/ny", {"email": EDITOR, "name": PAYLOAD, "role": "unit_editor",
                                           "units": UNIT_KEY, "password": PASSWORD}))
    with city.app_context():
        folder = tmp_path / "questionnaires"
        folder.mkdir()
        report = load_folder([poisoned_questionnaire(PROJECT_ROOT / "questionnaires" / name, folder)
                              for name in ("sjalvskattning.yaml", "medarbetarenkat.yaml")])
        assert report.ok, report.errors
    ok(post(admin, "/admin/omgangar/ny", {
        "name": PAYLOAD, "key": ROUND_KEY, "year": "2026", "instructions": PAYLOAD,
        "questionnaires": ["sjalvskattning", "medarbetarenkat"], "units": [UNIT_KEY, "sdn-norr"]}))
    ok(post(admin, f"/admin/omgangar/{ROUND_KEY}/status", {"action": "open"}))
    lowest_thresholds(city)

    editor = city.test_client()
    ok(login(editor, EDITOR))
    url = f"/granskning/{ROUND_KEY}/{UNIT_KEY}/sjalvskattning"
    ok(post(editor, url, self_assessment_form(0, "save")))
    ok(post(editor, url, self_assessment_form(1, "submit")))
    ok(post(admin, f"/admin/omgangar/{ROUND_KEY}/{UNIT_KEY}/sjalvskattning/oppna-igen", {"reason": PAYLOAD}))

    for code in survey_codes(admin, 3):
        answer_survey(city, code, shows=PAYLOAD)  # the YAML's texts on every page
    with city.app_context():
        text_ids = list(db.session.scalars(select(SurveyText.id)))
    # Three respondents, four texts each: the three payloads and "Om ja, ange på vilket sätt".
    assert len(text_ids) == 12
    for text_id in text_ids:
        ok(post(admin, f"/admin/enkat/{ROUND_KEY}/fritext/{text_id}", {"action": "approve"}))
    return city


# --- pages ---------------------------------------------------------------------------------------------


def test_payloads_are_shown_as_text_on_every_page(poisoned):
    admin = admin_client(poisoned)
    editor = poisoned.test_client()
    ok(login(editor, EDITOR))
    unit_page = f"/granskning/{ROUND_KEY}/{UNIT_KEY}/sjalvskattning"
    pages = {
        "unit list": (admin, "/admin/enheter"),
        "unit form": (admin, f"/admin/enheter/{UNIT_KEY}"),
        "user list": (admin, "/admin/anvandare"),
        "round list": (admin, "/admin/omgangar"),
        "round page": (admin, f"/admin/omgangar/{ROUND_KEY}"),
        "reopen page": (admin, f"/admin/omgangar/{ROUND_KEY}/{UNIT_KEY}/sjalvskattning/oppna-igen"),
        "audit log": (admin, "/admin/logg"),
        "questionnaire list": (admin, "/admin/formular"),
        "preview": (admin, "/admin/formular/medarbetarenkat/1"),
        "self-assessment preview": (admin, "/admin/formular/sjalvskattning/1"),
        "unit's rounds": (editor, "/granskning/"),
        "answering page": (editor, unit_page),
        "history": (editor, f"{unit_page}/historik"),
        "unit report": (admin, f"/rapporter/{ROUND_KEY}/enheter/{UNIT_KEY}"),
        "survey admin": (admin, f"/admin/enkat/{ROUND_KEY}"),
        "free-text review": (admin, f"/admin/enkat/{ROUND_KEY}/fritext?status=approved"),
        "survey results": (admin, f"/admin/enkat/{ROUND_KEY}/resultat"),
    }
    for where, (client, url) in pages.items():
        response = client.get(url)
        assert response.status_code == 200, f"{where}: {response.status_code}"
        # The audit log names objects by key; it has no names or texts to show.
        assert_inert(response.get_data(as_text=True), where=where, shows=None if where == "audit log" else PAYLOAD)


def test_the_payload_typed_into_the_answering_page_comes_back_escaped_in_the_textarea(poisoned):
    editor = poisoned.test_client()
    ok(login(editor, EDITOR))
    html = editor.get(f"/granskning/{ROUND_KEY}/{UNIT_KEY}/sjalvskattning").get_data(as_text=True)
    assert "&lt;/textarea&gt;&lt;script&gt;alert(2)&lt;/script&gt;</textarea>" in html
    assert "{{7*7}}" in html


def test_payloads_in_free_texts_appear_in_the_survey_results_as_text(poisoned):
    html = admin_client(poisoned).get(f"/admin/enkat/{ROUND_KEY}/resultat").get_data(as_text=True)
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3
    assert_inert(html, where="survey results")


def test_payloads_carried_after_an_ended_survey_session_stay_inert(poisoned):
    stranger = poisoned.test_client()
    response = stranger.post("/enkat/sida", data={"section": "avslutning", "q-kommentarer": PAYLOAD,
                                                  "action": "complete", "csrf_token": "old"})
    assert response.status_code == 401
    assert_inert(response.get_data(as_text=True), where="code page with carried answers")


# --- PDFs ------------------------------------------------------------------------------------------------


def test_payloads_appear_literally_in_the_pdfs(poisoned):
    admin = admin_client(poisoned)
    report = admin.get(f"/rapporter/{ROUND_KEY}/enheter/{UNIT_KEY}.pdf")
    assert report.status_code == 200
    assert_pdf_shows(report.data, PAYLOAD, "unit report PDF")

    results = admin.get(f"/admin/enkat/{ROUND_KEY}/resultat.pdf")
    assert results.status_code == 200
    assert_pdf_shows(results.data, PAYLOAD, "survey results PDF")

    slips = post(admin, f"/admin/enkat/{ROUND_KEY}/koder", {"unit": UNIT_KEY, "count": "2", "format": "pdf"})
    assert slips.status_code == 200
    assert_pdf_shows(slips.data, PAYLOAD, "code slips (unit name and survey title)")


# --- CSV and XLSX -----------------------------------------------------------------------------------

FORMULAS = ("=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1")


def _neutralised(cell: object) -> bool:
    return not isinstance(cell, str) or not cell.startswith(FORMULA_PREFIXES)


def test_formula_cells_are_neutralised_in_csv_and_xlsx_headers_included():
    header = list(FORMULAS)
    rows = [list(FORMULAS), ["ok", 3, -4.5, None]]
    lines = "".join(csv_lines(header, rows)).lstrip("\ufeff")
    parsed = list(csv.reader(io.StringIO(lines, newline=""), delimiter=";"))
    # (Python's csv reader may give a quoted carriage return back as a newline.)
    quoted = ["'" + f.replace("\r", "\n") for f in FORMULAS]
    assert [cell.replace("\r", "\n") for cell in parsed[0]] == quoted
    assert [cell.replace("\r", "\n") for cell in parsed[1]] == quoted
    assert parsed[2] == ["ok", "3", "-4.5", ""]  # numbers stay numbers

    sheet = load_workbook(io.BytesIO(xlsx_bytes([("Blad", header, rows)]))).active
    values = [[cell.value.replace("\r", "\n") if isinstance(cell.value, str) else cell.value for cell in row]
              for row in sheet.iter_rows()]
    assert values[0] == quoted
    assert values[1] == quoted
    assert values[2][:3] == ["ok", 3, -4.5]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


@pytest.fixture
def formula_names(city: Flask, tmp_path: Path) -> Flask:
    """Units whose names, and a survey whose question texts and option labels, begin with
    formula characters; three responses from the first unit so that results are shown."""
    admin = admin_client(city)
    for number, formula in enumerate(FORMULAS[:4]):
        ok(post(admin, "/admin/enheter/ny", {"key": f"f{number}", "name": formula, "kind": "board",
                                             "parent": "stad", "active": "y"}))
    with city.app_context():
        survey = poisoned_questionnaire(PROJECT_ROOT / "questionnaires" / "medarbetarenkat.yaml", tmp_path,
                                        lambda t: f"{FORMULAS[3]} {t}")
        assert load_folder([PROJECT_ROOT / "questionnaires" / "sjalvskattning.yaml", survey]).ok
    ok(post(admin, "/admin/omgangar/ny", {
        "name": "=cmd|' /C calc'!A0", "key": ROUND_KEY, "year": "2026",
        "questionnaires": ["sjalvskattning", "medarbetarenkat"], "units": ["f0", "f1", "f2", "f3"]}))
    ok(post(admin, f"/admin/omgangar/{ROUND_KEY}/status", {"action": "open"}))
    lowest_thresholds(city)
    for code in survey_codes(admin, 3, "f0"):
        answer_survey(city, code)
    return city


def download(client: FlaskClient, url: str) -> bytes:
    """The whole body of a (streamed) download, its response closed before the next request."""
    response = client.get(url)
    try:
        assert response.status_code == 200, url
        return response.get_data()
    finally:
        response.close()


def test_exports_neutralise_names_that_begin_with_formula_characters(formula_names):
    admin = admin_client(formula_names)
    exports = {
        "not submitted": f"/admin/omgangar/{ROUND_KEY}/ej-inskickade.csv",
        "audit log": "/admin/logg.csv",
        "survey results": f"/admin/enkat/{ROUND_KEY}/resultat.csv",
    }
    seen = set()
    for where, url in exports.items():
        text = download(admin, url).decode("utf-8").lstrip("\ufeff")
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=";"):
            for cell in row:
                assert _neutralised(cell), f"{where}: {cell!r}"
                seen.add(cell)
    # The units' names are there, quoted.
    assert {"'" + f for f in FORMULAS[:4]} <= seen

    workbook = load_workbook(io.BytesIO(download(admin, f"/admin/enkat/{ROUND_KEY}/resultat.xlsx")))
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" and _neutralised(cell.value) for cell in cells)
    # The question texts and option labels are there, quoted.
    assert any(str(cell.value).startswith(f"'{FORMULAS[3]} ") for cell in cells)
    assert any(cell.startswith(f"'{FORMULAS[3]} ") for cell in seen)
