"""Every file the application hands out is audited and built by one helper, and no spreadsheet
cell can start a formula, whatever form its first character takes."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from app.reports.tabular import csv_lines, neutralise, xlsx_bytes
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
