"""The city-wide exports (docs/bi-export.md): one long-format table of figures for BI tools,
the risk registers, and the units' raw answers, written as CSV or XLSX through `tabular`
(formulas neutralised) or as JSON.

Survey rows come only from cells the round's one release shows (`survey_release`, via
`survey_results`); a hidden unit contributes no row at all. The raw answers are the units' own
(boards answer in their own name, not anonymously); the anonymous survey is never among them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.definitions.schema import (
    Definition,
    Question,
)
from app.formatting import json_number, one_decimal
from app.models import Round, Unit, UnitResponse
from app.questions.conditions import answer_groups, shown_questions
from app.questions.types import question_type
from app.reports import index as idx
from app.reports.comparison import Filters, build_comparison, previous_round
from app.reports.tabular import csv_lines, xlsx_bytes
from app.reports.unit_report import _local_date, _person, report_round
from app.services import Problem, ServiceError
from app.services.anonymity import TOTAL
from app.services.survey_results import survey_results
from app.sorting import name_key

WHATS: tuple[str, ...] = ("selfassessment", "survey", "risks", "answers")
FORMATS: tuple[str, ...] = ("csv", "xlsx", "json")
BI_HEADER: tuple[str, ...] = ("round", "year", "unit_key", "unit_kind", "indicator_key", "breakdown",
                              "value", "n")
ANSWERS_HEADER: tuple[str, ...] = (
    "round", "year", "unit_key", "unit_name", "unit_kind", "questionnaire", "version", "section_key",
    "question_key", "row_key", "question_text", "row_text", "answer_value", "answer_text", "motivation",
    "status", "updated_at", "submitted_at", "submitted_by",
)
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


def selfassessment_rows(session: Session, round_: Round) -> Iterator[tuple[object, ...]]:
    """Per unit and statement the submitted level's score (n = 1), and per statement the number
    of units at each level (unit_key = the city's total, breakdown = the level). Where the scale
    has scores: per unit `<questionnaire>.index` (n = its scored statements) and the city's mean
    of those (n = units), per statement `<questionnaire>.<statement>.index` for the city; each
    with `….previous` and `….change` (breakdown `round:<key>`) against the previous round of
    the same questionnaire key, matched by unit and statement key."""
    round_key, year = round_.key, round_.year  # rows stream on after the request's session is closed
    comparison = build_comparison(session, round_key, Filters())
    before = previous_round(session, round_key) if comparison.scored else None
    before_key = before.key if before is not None else None  # read now, as the rest
    earlier = build_comparison(session, before_key, Filters()) if before_key is not None else None
    key = comparison.questionnaire_key
    for row in comparison.units:
        for cell in row.cells:
            if cell.level is not None:
                yield (round_key, year, row.key, row.kind,
                       f"{key}.{cell.statement_key}", "",
                       cell.level.score if cell.level.score is not None else cell.level.value, 1)
        if row.index is not None:
            yield (round_key, year, row.key, row.kind, f"{key}.index", "", row.index, row.answered)
            if row.previous_index is not None:
                scope = f"round:{row.previous_round}"
                yield (round_key, year, row.key, row.kind, f"{key}.index.previous", scope,
                       row.previous_index, None)
                yield (round_key, year, row.key, row.kind, f"{key}.index.change", scope,
                       row.index_change, None)
    for statement in comparison.statements:
        for item in statement.distribution:
            yield (round_key, year, "total", "total",
                   f"{key}.{statement.key}", f"level:{item.level.value}",
                   item.count, statement.counted)
    if not comparison.scored:
        return
    then = {s.key: s for s in earlier.statements} if earlier is not None else {}
    for statement in comparison.statements:
        if statement.index is None:
            continue
        n = sum(item.count for item in statement.distribution if item.level.score is not None)
        yield (round_key, year, "total", "total", f"{key}.{statement.key}.index", "", statement.index, n)
        old = then.get(statement.key)
        if old is not None and old.index is not None:
            yield (round_key, year, "total", "total", f"{key}.{statement.key}.index.previous",
                   f"round:{before_key}", old.index, None)
            yield (round_key, year, "total", "total", f"{key}.{statement.key}.index.change",
                   f"round:{before_key}", idx.change(statement.index, old.index), None)
    if comparison.city_index is None:
        return
    yield (round_key, year, "total", "total", f"{key}.index", "", comparison.city_index,
           comparison.indexed_units)
    if earlier is not None and earlier.city_index is not None:
        yield (round_key, year, "total", "total", f"{key}.index.previous", f"round:{before_key}",
               earlier.city_index, None)
        yield (round_key, year, "total", "total", f"{key}.index.change", f"round:{before_key}",
               idx.change(comparison.city_index, earlier.city_index), None)


def survey_rows(session: Session, round_: Round) -> Iterator[tuple[object, ...]]:
    """Every shown cell's share per option (percent) and index per question or matrix row."""
    results = survey_results(session, round_, "sv")
    if results is None:
        raise ExportNotAvailable(Problem(_l("omgången '%(key)s' har ingen enkät", key=round_.key), "round"))
    kinds = dict(session.execute(select(Unit.key, Unit.kind)).tuples().all())
    key = results.definition.key
    round_key, year = round_.key, round_.year  # rows stream on after the request's session is closed
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
        yield (round_key, year, unit_key, kind, f"{key}.respondents", scope, n_cell, n_cell)
        for question in figures:
            for answered in question.rows or ():
                indicator = f"{key}.{question.key}" + (f".{answered.key}" if answered.key else "")
                for option in answered.options:
                    yield (round_key, year, unit_key, kind, f"{indicator}.{option.value}", scope,
                           one_decimal(option.percent), answered.base)
                if answered.index is not None:
                    yield (round_key, year, unit_key, kind, f"{indicator}.index", scope,
                           answered.index, answered.base)


def answer_rows(session: Session, round_: Round) -> Iterator[tuple[object, ...]]:
    """One row per unit response x question of the round's unit questionnaire (a matrix: one per
    row), drafts and reopened answers too, with their status; texts in Swedish. Units that have
    not started have no response and so no rows."""
    version = round_.version_of_kind("unit_questionnaire")
    if version is None:
        raise ExportNotAvailable(Problem(_l("omgången '%(key)s' har ingen självskattning", key=round_.key),
                                         "round"))
    definition = version.parsed()
    responses = session.execute(
        select(UnitResponse, Unit)
        .join(Unit, Unit.id == UnitResponse.unit_id)
        .where(UnitResponse.round_id == round_.id, UnitResponse.questionnaire_version_id == version.id)
        .options(selectinload(UnitResponse.submitted_by))
    ).all()
    responses = sorted(responses, key=lambda row: (name_key(row[1].name), row[1].key))
    # Read into plain values first: the rows stream on after the request's session is closed.
    read = []
    for response, unit in responses:
        submitted = response.status == "submitted"
        submitted_on = _local_date(response.submitted_at) if submitted else None
        updated_on = _local_date(response.updated_at)
        about = (round_.key, round_.year, unit.key, unit.name, unit.kind, definition.key, version.number)
        by_whom = (response.status, updated_on.isoformat() if updated_on else "",
                   submitted_on.isoformat() if submitted_on else "",
                   _person(response.submitted_by) if submitted else "")
        read.append((about, by_whom, response.answers or {}))
    for about, by_whom, answers in read:
        shown = shown_questions(definition, answers)
        for section in definition.sections:
            # A follow-up comes right after the question it follows; a hidden question is left out.
            for group in answer_groups(definition, section, answers, shown):
                for question in (group.question, *group.follow_ups):
                    for answered in _answer_cells(definition, question, answers.get(question.key)):
                        yield (*about, section.key, *answered, *by_whom)


def _answer_cells(definition: Definition, question: Question, value: Any
                  ) -> Iterator[tuple[object, ...]]:
    """(question_key, row_key, question_text, row_text, answer_value, answer_text, motivation)
    for one question: one tuple, or one per matrix row. Unanswered questions give empty cells."""
    text = question.text.get("sv")
    for cell in question_type(question).export_cells(question, definition, value, "sv"):
        yield (question.key, cell.row_key, text, cell.row_text, cell.value, cell.text, cell.motivation)


def bi_rows(session: Session, round_key: str, what: str) -> Iterator[tuple[object, ...]]:
    """The export's rows, produced as they are read. What cannot be exported (an unknown round,
    a round without that questionnaire) raises here, before the first row."""
    round_ = report_round(session, round_key)
    if what == "risks":
        from app.reports import risk_export
        from app.services.submissions import NotFound

        try:
            return iter(risk_export.export_rows(session, round_, "sv"))
        except NotFound as error:
            raise ExportNotAvailable(error.problems) from None
    makers = {"selfassessment": selfassessment_rows, "survey": survey_rows, "answers": answer_rows}
    if what not in makers:
        raise ExportNotAvailable(Problem(_l("okänt innehåll '%(what)s'", what=what), "what"))
    rows = makers[what](session, round_)
    first = next(rows, None)  # runs the generator to its first row: its checks raise now
    return rows if first is None else chain((first,), rows)


def export_header(what: str) -> tuple[str, ...]:
    """The long BI format for figures; the risk register (one row per measure) and the raw
    answers (one row per unit and question) keep their own columns."""
    if what == "answers":
        return ANSWERS_HEADER
    if what == "risks":
        from app.reports.risk_export import EXPORT_HEADER

        return EXPORT_HEADER
    return BI_HEADER


def export_filename(round_key: str, what: str, fmt: str) -> str:
    return f"lagesbild-{round_key}-{what}.{fmt}"


def export(session: Session, round_key: str, what: str, fmt: str) -> Export:
    """The export as one document in `fmt` (csv | xlsx | json). The web streams its CSV instead,
    from `bi_rows` and `export_header`."""
    if fmt not in FORMATS:
        raise ExportNotAvailable(Problem(_l("okänt format '%(format)s'", format=fmt), "format"))
    return document(bi_rows(session, round_key, what), round_key, what, fmt)


def document(rows: Iterator[tuple[object, ...]], round_key: str, what: str, fmt: str) -> Export:
    """The rows of `bi_rows` written as one CSV, XLSX or JSON document."""
    header = export_header(what)
    if fmt == "csv":
        data = "".join(csv_lines(header, rows)).encode("utf-8")
    elif fmt == "xlsx":
        data = xlsx_bytes([(what, header, rows)])
    else:
        data = json.dumps([dict(zip(header, row, strict=True)) for row in rows],
                          ensure_ascii=False, indent=1, default=json_number).encode("utf-8")
    return Export(export_filename(round_key, what, fmt), MIMETYPES[fmt], data)
