"""The city-wide exports: one long-format table for BI tools (docs/bi-export.md), written as
CSV or XLSX through `tabular` (formulas neutralised) or as JSON.

Survey rows come only from cells `anonymity.suppress` shows (via `survey_results`); a hidden
unit contributes no row at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Round, Unit
from app.reports.comparison import Filters, build_comparison
from app.reports.tabular import csv_lines, xlsx_bytes
from app.reports.unit_report import ReportNotFound
from app.services import Problem, ServiceError
from app.services.anonymity import TOTAL
from app.services.survey_results import survey_results

WHATS: tuple[str, ...] = ("selfassessment", "survey", "risks")
FORMATS: tuple[str, ...] = ("csv", "xlsx", "json")
BI_HEADER: tuple[str, ...] = ("round", "year", "unit_key", "unit_kind", "indicator_key", "breakdown",
                              "value", "n")
MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


class ExportNotAvailable(ServiceError):
    """What was asked for cannot be exported (yet)."""


@dataclass(frozen=True)
class Export:
    filename: str
    mimetype: str
    data: bytes


def _round(session: Session, round_key: str) -> Round:
    found = session.scalar(select(Round).where(Round.key == round_key))
    if found is None:
        raise ReportNotFound(Problem(_l("okänd omgång '%(key)s'", key=round_key), "round"))
    return found


def selfassessment_rows(session: Session, round_: Round) -> Iterator[tuple[object, ...]]:
    """Per unit and statement the submitted level's score (n = 1), and per statement the number
    of units at each level (unit_key = the city's total, breakdown = the level)."""
    comparison = build_comparison(session, round_.key, Filters())
    for row in comparison.units:
        for cell in row.cells:
            if cell.level is not None:
                yield (round_.key, round_.year, row.key, row.kind,
                       f"{comparison.questionnaire_key}.{cell.statement_key}", "",
                       cell.level.score if cell.level.score is not None else cell.level.value, 1)
    for statement in comparison.statements:
        for item in statement.distribution:
            yield (round_.key, round_.year, "total", "total",
                   f"{comparison.questionnaire_key}.{statement.key}", f"level:{item.level.value}",
                   item.count, statement.counted)


def survey_rows(session: Session, round_: Round) -> Iterator[tuple[object, ...]]:
    """Every shown cell's share per option (percent) and index per question or matrix row."""
    results = survey_results(session, round_, "sv", subtotals=True)
    if results is None:
        raise ExportNotAvailable(Problem(_l("omgången '%(key)s' har ingen enkät", key=round_.key), "round"))
    kinds = dict(session.execute(select(Unit.key, Unit.kind)).all())
    key = results.definition.key
    for cell in results.decision.layout.rows:
        figures = results.figures(cell)
        if figures is None:
            continue
        n_cell = results.decision.n[cell]
        if cell == TOTAL:
            unit_key, kind = "total", "total"
        elif cell[0] == "pool":
            unit_key, kind = f"pool:{cell[1]}", "pool"
        elif cell[0] == "subtotal":
            unit_key, kind = cell[1], kinds.get(cell[1], "")
        else:
            unit_key, kind = cell[1], kinds.get(cell[1], "")
        scope = "subtree" if cell[0] == "subtotal" else ""
        yield (round_.key, round_.year, unit_key, kind, f"{key}.respondents", scope, n_cell, n_cell)
        for question in figures:
            for index, answered in enumerate(question.rows or ()):
                indicator = f"{key}.{question.key}"
                if question.kind == "matrix":
                    matrix = results.definition.question(question.key)
                    indicator += f".{matrix.rows[index].key}"  # type: ignore[attr-defined]
                for option in answered.options:
                    yield (round_.key, round_.year, unit_key, kind, f"{indicator}.{option.value}", scope,
                           round(option.percent, 1), answered.base)
                if answered.index is not None:
                    yield (round_.key, round_.year, unit_key, kind, f"{indicator}.index", scope,
                           answered.index, answered.base)


def bi_rows(session: Session, round_key: str, what: str) -> list[tuple[object, ...]]:
    round_ = _round(session, round_key)
    if what == "selfassessment":
        return list(selfassessment_rows(session, round_))
    if what == "survey":
        return list(survey_rows(session, round_))
    if what == "risks":
        from app.services import risks

        try:
            return risks.export_rows(session, round_, "sv")
        except risks.NotFound as error:
            raise ExportNotAvailable(error.problems) from None
    raise ExportNotAvailable(Problem(_l("okänt innehåll '%(what)s'", what=what), "what"))


def _header(what: str) -> tuple[str, ...]:
    """The long BI format for figures; the risk register keeps its own columns (one row per measure)."""
    if what == "risks":
        from app.services.risks import EXPORT_HEADER

        return EXPORT_HEADER
    return BI_HEADER


def export(session: Session, round_key: str, what: str, fmt: str) -> Export:
    """The export as bytes in `fmt` (csv | xlsx | json)."""
    if fmt not in FORMATS:
        raise ExportNotAvailable(Problem(_l("okänt format '%(format)s'", format=fmt), "format"))
    rows = bi_rows(session, round_key, what)
    header = _header(what)
    filename = f"lagesbild-{round_key}-{what}.{fmt}"
    if fmt == "csv":
        data = "".join(csv_lines(header, rows)).encode("utf-8")
    elif fmt == "xlsx":
        data = xlsx_bytes([(what, header, rows)])
    else:
        data = json.dumps([dict(zip(header, row, strict=True)) for row in rows],
                          ensure_ascii=False, indent=1).encode("utf-8")
    return Export(filename, MIMETYPES[fmt], data)
