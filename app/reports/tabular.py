"""CSV and XLSX output with formula injection neutralised in every cell, headers included."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

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


def xlsx_bytes(sheets: Iterable[tuple[str, Sequence[Any], Iterable[Sequence[Any]]]]) -> bytes:
    """An XLSX workbook, one sheet per (title, header, rows), written in openpyxl's streaming mode."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append([neutralise(h) for h in header])

        def cell(value: Any) -> Any:
            if isinstance(value, Decimal):
                # A number the spreadsheet can compute with, shown with its one decimal.
                written = WriteOnlyCell(sheet, value=float(value))  # noqa: B023
                written.number_format = XLSX_ONE_DECIMAL
                return written
            return neutralise(value)

        for row in rows:
            sheet.append([cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
