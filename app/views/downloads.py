"""Every file the application hands out (PDF, CSV, XLSX, JSON) leaves through `download`: it writes
the audit record (who, what, which round and unit, the format) and builds the response (the
filename, the content type, never cached). A view checks first that the file can be made and
answers 404 when it cannot; such a request reaches no download and is not audited.

A CSV is streamed row by row as it is made, after the audit record is committed: its rows must
raise before the first one if they raise at all (see `city_export.bi_rows`), and must hold plain
values, not database objects (the commit expires those, and the rows are read after the
request's session is done).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response, stream_with_context
from flask_login import current_user

from app.reports.tabular import csv_lines
from app.services import audit, transaction

MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "pdf": "application/pdf",
    "yaml": "application/yaml",
}


def download(body: bytes | Iterable[str], filename: str, /, *, what: str, round_key: str | None = None,
             unit_key: str | None = None, target: str | None = None, inline: bool = False,
             **detail: Any) -> Response:
    """`body` (bytes, or text chunks to stream) as the file `filename`, whose extension names the
    format, after recording in the audit log (as `audit.EXPORT_ACTION`, the one action name of
    every export) that the current user downloaded it. `target` defaults to round/unit/what;
    `detail` adds to the record."""
    fmt = filename.rsplit(".", 1)[-1]
    where = {key: value for key, value in (("round", round_key), ("unit", unit_key)) if value is not None}
    with transaction() as session:
        audit.record(session, audit.EXPORT_ACTION, actor=current_user._get_current_object(),
                     target=target or "/".join(part for part in (round_key, unit_key, what) if part),
                     what=what, format=fmt, **where, **detail)
    data = body if isinstance(body, bytes) else stream_with_context(iter(body))
    response = Response(data, mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def csv_download(filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]], /,
                 **about: Any) -> Response:
    """A CSV (formulas neutralised, UTF-8 with BOM), streamed as its rows are read; `about` as for
    `download`."""
    return download(csv_lines(header, rows), filename, **about)
