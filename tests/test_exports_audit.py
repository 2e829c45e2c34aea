"""Every file the application hands out is audited and built by one helper, and no spreadsheet
cell can start a formula, whatever form its first character takes."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from app.config import PROJECT_ROOT
from app.extensions import db
from app.models import AuditEvent
from app.reports.tabular import csv_lines, neutralise, xlsx_bytes
from tests.conftest import csrf_token
from tests.test_access import ROUND_ROUTES, ROUTES, review_round  # noqa: F401  (fixture)
from tests.test_risks import NORR, ROUND, add_risk, risk_round  # noqa: F401  (fixture)

# --- the formula guard ------------------------------------------------------------------------------

# Each begins a formula once a spreadsheet program has normalised (NFKC) its first character or
# trimmed what comes before it.
DISGUISED = (
    "＝HYPERLINK(\"http://x\")",  # full-width equals sign
    "＋1+1",  # full-width plus
    "－2+3",  # full-width hyphen-minus
    "＠SUM(A1)",  # full-width commercial at
    "﹦1+1",  # small equals sign
    "⁼1+1",  # superscript equals sign
    " =1+1",  # a space first
    "\u3000＝1+1",  # an ideographic space, then a full-width equals sign
    "\u200b=1+1",  # a zero-width space first
    "\ufeff+1",  # a byte-order mark first
    "\n=1+1",  # a line break first
)
HARMLESS = ("Hembesök", "1 = 1", "e-post", "＜ 5 %", "  text", "", "Åtgärd – uppföljning")


def test_the_guard_quotes_formula_starters_in_any_form_and_nothing_else():
    for text in DISGUISED:
        assert neutralise(text) == "'" + text, repr(text)
    for text in HARMLESS:
        assert neutralise(text) == text, repr(text)
    assert neutralise(-4.5) == -4.5  # numbers stay numbers


def test_disguised_formulas_are_neutralised_in_csv_and_xlsx_headers_included():
    quoted = ["'" + text for text in DISGUISED]
    text = "".join(csv_lines(list(DISGUISED), [list(DISGUISED)])).lstrip("\ufeff")
    parsed = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert parsed == [quoted, quoted]
    sheet = load_workbook(io.BytesIO(xlsx_bytes([("Blad", list(DISGUISED), [list(DISGUISED)])]))).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [quoted, quoted]


def test_a_unit_editors_full_width_formula_is_quoted_in_the_register_exports(risk_round, as_role):  # noqa: F811
    norr = as_role("unit_editor")
    typed = ("＝HYPERLINK(\"http://x\";\"Klicka\")", "＋1+1", "＠SUM(A1)")
    for activity in typed:
        add_risk(norr, NORR, activity=activity, likelihood="1", consequence="1")
    admin = as_role("admin")
    response = admin.get(f"/risker/{ROUND}/export/riskregister.csv")
    cells = {cell for row in csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"), newline=""),
                                        delimiter=";") for cell in row}
    response.close()
    assert {"'" + activity for activity in typed} <= cells
    workbook = load_workbook(io.BytesIO(admin.get(f"/risker/{ROUND}/export/riskregister.xlsx").data))
    values = {cell.value for row in workbook.active.iter_rows() for cell in row}
    assert {"'" + activity for activity in typed} <= values


# --- every download audited ---------------------------------------------------------------------------

# Every route that answers with a file, the format the walk below asks for, and the round and unit
# its audit record names. A route that starts answering with a file without being listed here
# fails `test_every_download_is_audited_and_every_file_is_a_listed_download`.
DOWNLOADS = {
    "admin.audit_log_csv": ("csv", None, None),
    "rounds.not_submitted_csv": ("csv", "granskning-2026", None),
    "reports.unit_pdf": ("pdf", "granskning-2026", "sdn-norr"),
    "city.report_pdf": ("pdf", "granskning-2026", None),
    "city.export_file": ("xlsx", "granskning-2026", None),
    "risks.export_csv": ("csv", "risker-2026", None),
    "risks.export_xlsx": ("xlsx", "risker-2026", None),
    "risks.plan_xlsx": ("xlsx", "risker-2026", "sdn-norr"),
    "risks.plan_csv": ("csv", "risker-2026", "sdn-norr"),
    "survey_admin.results_csv": ("csv", "enkat-2026", None),
    "survey_admin.results_xlsx": ("xlsx", "enkat-2026", None),
    "survey_admin.results_pdf": ("pdf", "enkat-2026", None),
    "survey_admin.codes": ("csv", "enkat-2026", "sdn-norr"),
    "questionnaires.download_yaml": ("yaml", None, None),
}


def _export_events(app) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")
                                         .order_by(AuditEvent.id)))
        db.session.expunge_all()
        return events


def test_every_download_is_audited_and_every_file_is_a_listed_download(city, review_round, as_role):  # noqa: F811
    """Walk every route of the access table as an admin (who may open every download): each
    answer carrying a file is a listed download and wrote exactly one audit record naming the
    admin, what, the round, the unit and the format; no other answer wrote one."""
    client = as_role("admin")
    token = csrf_token(client)
    files: set[str] = set()
    for endpoint, route in {**ROUTES, **ROUND_ROUTES}.items():
        before = len(_export_events(city))
        if route.method == "GET":
            response = client.get(route.path)
        else:
            response = client.post(route.path, data={"csrf_token": token, **route.data})
        response.get_data()  # a streamed CSV to its end
        response.close()
        if endpoint == "auth.logout":
            client = as_role("admin")
            token = csrf_token(client)
            continue
        new = _export_events(city)[before:]
        disposition = response.headers.get("Content-Disposition")
        if disposition is None:
            assert new == [], f"{endpoint} wrote an export record without a file"
            continue
        files.add(endpoint)
        assert endpoint in DOWNLOADS, f"{endpoint} answers with a file but is not a listed download"
        fmt, round_key, unit_key = DOWNLOADS[endpoint]
        assert response.status_code == 200, endpoint
        assert re.fullmatch(rf'(attachment|inline); filename="[^"/]+\.{fmt}"', disposition), (endpoint, disposition)
        assert response.headers["Cache-Control"] == "no-store", endpoint
        assert len(new) == 1, f"{endpoint}: {len(new)} export records"
        event = new[0]
        assert event.actor == "admin@test.se", endpoint
        assert event.detail["format"] == fmt, endpoint
        assert event.detail.get("round") == round_key, endpoint
        assert event.detail.get("unit") == unit_key, endpoint
        assert event.detail["what"], endpoint
    assert files == set(DOWNLOADS)


def test_the_survey_results_exports_name_who_what_round_and_format(city, review_round, as_role):  # noqa: F811
    analyst = as_role("analyst")
    before = len(_export_events(city))  # the fixture downloaded a code
    for fmt in ("csv", "xlsx", "pdf"):
        response = analyst.get(f"/admin/enkat/enkat-2026/resultat.{fmt}")
        assert response.status_code == 200
        response.close()
    events = _export_events(city)[before:]
    assert [(e.actor, e.target, e.detail["what"], e.detail["round"], e.detail["format"]) for e in events] == [
        ("analyst@test.se", "enkat-2026/survey_results", "survey_results", "enkat-2026", fmt)
        for fmt in ("csv", "xlsx", "pdf")]


def test_a_unit_readers_own_report_pdf_is_audited_with_the_unit(city, review_round, as_role):  # noqa: F811
    before = len(_export_events(city))
    response = as_role("unit_reader").get("/rapporter/granskning-2026/enheter/sdn-norr.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"] == 'inline; filename="granskning-2026-sdn-norr.pdf"'
    [event] = _export_events(city)[before:]
    assert (event.actor, event.detail["round"], event.detail["unit"], event.detail["format"]) == (
        "reader@test.se", "granskning-2026", "sdn-norr", "pdf")


def test_an_export_that_cannot_be_made_is_a_404_and_not_audited(city, review_round, as_role):  # noqa: F811
    admin = as_role("admin")
    before = _export_events(city)
    for url in ("/lagesbild/enkat-2026/export/risks.csv",  # a round without a risk register
                "/lagesbild/granskning-2026/export/survey.csv",  # a round without a survey
                "/lagesbild/finns-inte/export/survey.csv",
                "/admin/enkat/finns-inte/resultat.csv",
                "/risker/finns-inte/export/riskregister.csv",
                "/rapporter/granskning-2026/enheter/soc.pdf"):  # a unit not invited
        response = admin.get(url)
        assert response.status_code == 404, url
        response.close()
    assert [e.id for e in _export_events(city)] == [e.id for e in before]


def test_the_streamed_csv_export_still_streams(city, review_round, as_role):  # noqa: F811
    response = as_role("admin").get("/lagesbild/granskning-2026/export/selfassessment.csv")
    assert response.status_code == 200 and response.is_streamed
    assert response.get_data(as_text=True).startswith("\ufeffround;year;unit_key")
    response.close()


def test_only_the_download_helper_builds_a_file_response():
    """The helper is the only way to answer with a file, so a new download is audited by
    construction."""
    app_dir = PROJECT_ROOT / "app"
    builders = sorted(str(path.relative_to(app_dir)) for path in Path(app_dir).rglob("*.py")
                      if re.search(r"Content-Disposition|send_file|as_attachment|send_from_directory",
                                   path.read_text(encoding="utf-8")))
    assert builders == ["views/downloads.py"]
