"""CSV and XLSX output with formula injection neutralised in every cell, headers included."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from itertools import chain
from math import isinf, isnan
from typing import Any
from xml.sax.saxutils import escape as _xml_escape

from app.formatting import XLSX_ONE_DECIMAL

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMULA_STARTERS = frozenset("=+-@")
# Skipped before the first character that counts, as a program that trims a cell would: spaces
# (any kind), line breaks, control and invisible format characters (zero-width space, BOM).
_SKIPPED_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})


def starts_formula(text: str) -> bool:
    """Whether a spreadsheet program could read `text` as a formula: its first character that is
    not a space, line break, control or invisible character is one of = + - @ once normalised
    (NFKC: a full-width ＝ or a small ﹢ counts as = or +), or it starts with a tab or a carriage
    return."""
    if text.startswith(FORMULA_PREFIXES):
        return True
    for char in text:
        if unicodedata.category(char) in _SKIPPED_CATEGORIES:
            continue
        return unicodedata.normalize("NFKC", char)[:1] in FORMULA_STARTERS
    return False


def neutralise(value: Any) -> Any:
    """A cell value safe to open in a spreadsheet: text that could start a formula gets a quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, (int, float, Decimal)):
        return value  # a Decimal is a rounded figure (`formatting.one_decimal`): "33.3" in a CSV
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value)
    if starts_formula(text):
        return "'" + text
    return text


def csv_lines(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV text line by line (UTF-8 with BOM so Excel reads å, ä and ö), for streaming."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    yield "\ufeff" + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([neutralise(v) for v in row])
        yield buffer.getvalue()


# The XLSX package around the sheets: written here rather than through openpyxl, whose cell by
# cell XML serialisation took nine tenths of a city's export (a quarter of a million cells).
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_ROOT_RELS = (f'{_XML}<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}"><Relationship Id="rId1" '
              f'Type="{_RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
# Style 0 is the default; style 1 shows a number with one decimal (XLSX_ONE_DECIMAL).
_STYLES = (
    f'{_XML}<styleSheet xmlns="{_MAIN}"><numFmts count="1"><numFmt numFmtId="164" '
    f'formatCode="{XLSX_ONE_DECIMAL}"/></numFmts><fonts count="1"><font><sz val="11"/><name val="Calibri"/>'
    '<family val="2"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill>'
    '<patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/>'
    '<bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
    'borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
    'xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>'
)
# What a cell can hold (Excel's limit) and the characters XML cannot carry (as openpyxl refuses them).
_MAX_TEXT = 32767
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")


def _column(index: int) -> str:
    """'A' for 0, 'Z' for 25, 'AA' for 26."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _text_cell(text: str) -> str:
    text = text[:_MAX_TEXT]
    if not text:
        return ' t="inlineStr"/>'  # an empty cell, as openpyxl writes it
    if _ILLEGAL.search(text):
        raise ValueError(f"{text!r} holds a control character a spreadsheet cannot store")
    return f' t="inlineStr"><is><t xml:space="preserve">{_xml_escape(text)}</t></is></c>'


def _number(value: float | int) -> str:
    """A number as openpyxl writes it: 16 significant digits, nothing for NaN or infinity."""
    return "" if isnan(value) or isinf(value) else f"{value:.16g}"


def _cell_xml(value: Any) -> str:
    """A cell's XML after its reference: a Decimal (a rounded figure, `formatting.one_decimal`)
    as a number shown with one decimal, other numbers as numbers, everything else as
    neutralised text."""
    if isinstance(value, Decimal):
        return f' s="1"><v>{_number(float(value))}</v></c>'
    value = neutralise(value)
    if isinstance(value, (int, float)):
        return f"><v>{_number(value)}</v></c>"
    return _text_cell(value)


def _sheet_xml(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    yield f'{_XML}<worksheet xmlns="{_MAIN}"><sheetData>'
    columns: list[str] = []
    # Each text's XML once: a long table repeats its round, units and indicator keys.
    texts: dict[str, str] = {}
    for number, row in enumerate(chain((header,), rows), start=1):
        while len(columns) < len(row):
            columns.append(_column(len(columns)))
        cells = []
        for column, value in zip(columns, row, strict=False):
            if type(value) is str:
                xml = texts.get(value)
                if xml is None:
                    xml = texts[value] = _cell_xml(value)
            else:
                xml = _cell_xml(value)
            cells.append(f'<c r="{column}{number}"{xml}')
        yield f'<row r="{number}">{"".join(cells)}</row>'
    yield "</sheetData></worksheet>"


def xlsx_bytes(sheets: Iterable[tuple[str, Sequence[Any], Iterable[Sequence[Any]]]]) -> bytes:
    """An XLSX workbook, one sheet per (title, header, rows), the rows written as they are read:
    text as inline strings (formula starters neutralised, so no cell is ever a formula), numbers
    as numbers, a Decimal with one decimal shown."""
    buffer = io.BytesIO()
    titles: list[str] = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for number, (title, header, rows) in enumerate(sheets, start=1):
            titles.append(title[:31])
            with package.open(f"xl/worksheets/sheet{number}.xml", "w") as sheet, \
                    io.TextIOWrapper(sheet, encoding="utf-8") as text:
                for chunk in _sheet_xml(header, rows):
                    text.write(chunk)
        numbers = range(1, len(titles) + 1)
        worksheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
        package.writestr("[Content_Types].xml", (
            f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{worksheet}"/>' for n in numbers)
            + "</Types>"))
        package.writestr("_rels/.rels", _ROOT_RELS)
        package.writestr("xl/workbook.xml", (
            f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}"><sheets>'
            + "".join(f'<sheet name="{_xml_escape(t, {chr(34): "&quot;"})}" sheetId="{n}" r:id="rId{n}"/>'
                      for n, t in zip(numbers, titles, strict=True))
            + "</sheets></workbook>"))
        package.writestr("xl/_rels/workbook.xml.rels", (
            f'{_XML}<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
            + "".join(f'<Relationship Id="rId{n}" Type="{_RELATIONSHIPS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                      for n in numbers)
            + f'<Relationship Id="rId{len(titles) + 1}" Type="{_RELATIONSHIPS}/styles" Target="styles.xml"/>'
            + "</Relationships>"))
        package.writestr("xl/styles.xml", _STYLES)
    return buffer.getvalue()
