"""A matrix: rows rated on one scale, each row answered on its own."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import RadioField
from wtforms.fields.core import UnboundField

from app.definitions.schema import (
    Definition,
    MatrixQuestion,
)
from app.questions.answers import field_name
from app.questions.summary import (
    RowFigures,
    distribution,
)
from app.questions.types.base import (
    CHOOSE_ONE,
    NOT_AN_OPTION,
    WRONG_SHAPE,
    Checked,
    ExportCell,
    FormData,
    QuestionType,
    SampleContext,
    StoredCell,
    _error,
)


class MatrixType(QuestionType):
    """Rows sharing one scale, one answer per row; each row's field is `q-<key>-<row>`."""

    input_macro = "matrix_question"
    answer_macro = "matrix_answer"
    has_options = True
    has_rows = True
    counted = True

    def row_labels(self, question: MatrixQuestion, language: str) -> list[tuple[str, str]]:
        return [(row.key, row.label.get(language)) for row in question.rows]

    def storage_cells(self, question: MatrixQuestion, answer: Any) -> list[StoredCell]:
        rows = answer.get("rows") if isinstance(answer, dict) else None
        return [StoredCell(key, value) for key, value in sorted((rows or {}).items())]

    def summarise(self, question: MatrixQuestion, definition: Definition, counts: Mapping[str, int], base: int,
                  language: str) -> tuple[RowFigures, ...]:
        options = definition.options_of(question)
        found = []
        for row in question.rows:
            per = {o.value: counts.get(f"{row.key}:{o.value}", 0) for o in options}
            found.append(distribution(row.label.get(language), sum(per.values()), options, per, language, row.key))
        return tuple(found)

    def _row_texts(self, question: MatrixQuestion, definition: Definition, answer: Any,
                   language: str) -> list[tuple[str, str, str, str]]:
        rows = (answer.get("rows") if isinstance(answer, dict) else None) or {}
        labels = self._labels(definition, question, language)
        return [(row.key, row.label.get(language), rows.get(row.key) or "",
                 labels.get(rows.get(row.key) or "", rows.get(row.key) or "")) for row in question.rows]

    def as_text(self, question: MatrixQuestion, definition: Definition, answer: Any, language: str) -> str:
        return "; ".join(f"{label}: {text}" for _k, label, value, text in
                         self._row_texts(question, definition, answer, language) if value)

    def export_cells(self, question: MatrixQuestion, definition: Definition, answer: Any,
                     language: str) -> list[ExportCell]:
        return [ExportCell(key, label, value, text)
                for key, label, value, text in self._row_texts(question, definition, answer, language)]

    def sample(self, question: MatrixQuestion, definition: Definition, context: SampleContext) -> Any | None:
        values = [o.value for o in definition.options_of(question)]
        return {"rows": {row.key: context.choose(values, question.key) for row in question.rows}}

    def fields(self, question: MatrixQuestion, definition: Definition, language: str) -> dict[str, UnboundField]:
        choices = self._choices(definition, question, language)
        return {
            field_name(question.key, row.key): RadioField(row.label.get(language), choices=choices,
                                                          validate_choice=False)
            for row in question.rows
        }

    def read(self, question: MatrixQuestion, formdata: FormData) -> dict[str, Any] | None:
        # Every posted `q-<key>-<part>` is read, unknown rows too, so that validation names them.
        prefix = field_name(question.key, "")
        rows = {
            name[len(prefix):]: formdata.get(name, "")
            for name in formdata
            if name.startswith(prefix) and formdata.get(name)
        }
        return {"rows": rows} if rows else None

    def to_formdata(self, question: MatrixQuestion, answer: dict[str, Any]) -> list[tuple[str, str]]:
        return [(field_name(question.key, row), str(value)) for row, value in answer.get("rows", {}).items()]

    def condition_values(self, question: Any, answer: Any, row: str | None = None) -> set[str]:
        rows = answer.get("rows") if isinstance(answer, dict) else None
        if not isinstance(rows, dict):
            return set()
        values = [rows.get(row)] if row is not None else list(rows.values())
        return {value for value in values if isinstance(value, str) and value}

    def validate(self, question: MatrixQuestion, answer: Any | None, definition: Definition,
                 partial: bool = False) -> Checked:
        rows = answer.get("rows", {}) if isinstance(answer, dict) else ({} if answer is None else None)
        if not isinstance(rows, dict):
            return Checked(None, [_error(question, "invalid", WRONG_SHAPE)])
        allowed = {option.value for option in definition.options_of(question)}
        known = {row.key for row in question.rows}
        clean: dict[str, str] = {}
        # A row the question does not have has no field of its own: the error goes on the matrix.
        errors = [_error(question, "unknown", _l("Frågan har ingen rad som heter ”%(row)s”.", row=str(key)[:64]))
                  for key in rows if key not in known]
        for row in question.rows:
            value = rows.get(row.key, "")
            if not isinstance(value, str):
                errors.append(_error(question, "invalid", WRONG_SHAPE, row.key))
            elif value in allowed:
                clean[row.key] = value
            elif value:
                errors.append(_error(question, "not_allowed", NOT_AN_OPTION, row.key))
            elif question.required and not partial:
                errors.append(_error(question, "required", CHOOSE_ONE, row.key))
        return Checked({"rows": clean} if clean else None, errors)
