"""A number, whole or decimal, in a range, with its unit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.fields.core import UnboundField

from app.definitions.schema import (
    Definition,
    NumberQuestion,
)
from app.formatting import format_decimal
from app.questions.answers import AnswerError, field_name
from app.questions.summary import (
    NumberSummary,
    summarise_numbers,
)
from app.questions.types.base import (
    FILL_IN,
    ORDER_FIGURES_FACTOR,
    Checked,
    ExportCell,
    FormData,
    QuestionType,
    SampleContext,
    StoredCell,
    _error,
    _number_of,
    _show,
    decimal_text,
    parse_number,
)


class NumberType(QuestionType):
    """A number, whole unless the question says otherwise, within an optional range."""

    input_macro = "number_question"
    answer_macro = "number_answer"
    summarised_values = True

    def storage_cells(self, question: NumberQuestion, answer: Any) -> list[StoredCell]:
        number = _number_of(answer)
        return [StoredCell(number=number)] if number is not None else []

    def summarise_values(self, question: NumberQuestion, cells: Sequence[StoredCell]) -> NumberSummary | None:
        return summarise_numbers([c.number for c in cells if c.number is not None])

    def summary_lines(self, question: NumberQuestion, summary: NumberSummary, language: str,
                      threshold: int) -> list[tuple[str, str]]:
        unit = f" {question.unit.get(language)}" if question.unit else ""
        lines = [(str(_l("Antal svar")), str(summary.n)),
                 (str(_l("Medelvärde")), format_decimal(summary.mean, language) + unit)]
        if summary.n >= ORDER_FIGURES_FACTOR * threshold:
            lines += [(str(_l("Median")), format_decimal(summary.median, language) + unit),
                      (str(_l("Kvartiler")), f"{format_decimal(summary.lower_quartile, language)}–"
                                            f"{format_decimal(summary.upper_quartile, language)}{unit}")]
        return lines

    def as_text(self, question: NumberQuestion, definition: Definition, answer: Any, language: str) -> str:
        number = _number_of(answer)
        if number is None:
            return "" if answer is None or answer == "" else str(answer)
        return decimal_text(number, language) + (f" {question.unit.get(language)}" if question.unit else "")

    def export_cells(self, question: NumberQuestion, definition: Definition, answer: Any,
                     language: str) -> list[ExportCell]:
        value = answer if isinstance(answer, int | float) and not isinstance(answer, bool) else ""
        return [ExportCell("", "", value, self.as_text(question, definition, answer, language))]

    def sample(self, question: NumberQuestion, definition: Definition, context: SampleContext) -> Any | None:
        low = question.min if question.min is not None else 0
        high = question.max if question.max is not None else max(low, 0) + 100
        number = context.rng.uniform(low, min(high, low + 100))
        return round(number) if question.integer else round(number, 1)

    def hints(self, question: NumberQuestion, language: str) -> list[str]:
        unit = f" {question.unit.get(language)}" if question.unit else ""
        low, high = question.min, question.max
        if low is not None and high is not None:
            return [f"{_show(low)}–{_show(high)}{unit}"]
        if low is not None:
            return [str(_l("Minst %(min)s", min=_show(low))) + unit]
        if high is not None:
            return [str(_l("Högst %(max)s", max=_show(high))) + unit]
        return []

    def fields(self, question: NumberQuestion, definition: Definition, language: str) -> dict[str, UnboundField]:
        hint = question.help.get(language) if question.help else ""
        mode = "numeric" if question.integer else "decimal"
        # A text input, not type=number: browsers empty a number input they cannot parse,
        # and the person must see what they typed next to the error.
        return {field_name(question.key): StringField(
            question.text.get(language), description=hint,
            render_kw={"inputmode": mode, "autocomplete": "off"},
        )}

    def read(self, question: NumberQuestion, formdata: FormData) -> int | float | str | None:
        raw = formdata.get(field_name(question.key), "").strip()
        if not raw:
            return None
        number = parse_number(raw)
        if number is None:
            return raw
        return int(number) if question.integer and number.is_integer() else number

    def to_formdata(self, question: NumberQuestion, answer: Any) -> list[tuple[str, str]]:
        return [(field_name(question.key), str(answer))]

    def validate(self, question: NumberQuestion, answer: Any | None, definition: Definition,
                 partial: bool = False) -> Checked:
        if answer is None or answer == "":
            missing = question.required and not partial
            return Checked(None, [_error(question, "required", FILL_IN)] if missing else [])
        number = _number_of(answer)
        if number is None:
            return Checked(None, [_error(question, "not_number", _l("Ange ett tal, till exempel 12."))])
        if question.integer and not number.is_integer():
            return Checked(None, [_error(question, "not_integer", _l("Ange ett heltal."))])
        range_error = self._check_range(question, number)
        if range_error:
            return Checked(None, [range_error])
        return Checked(int(number) if question.integer else number, [])

    def _check_range(self, question: NumberQuestion, number: float) -> AnswerError | None:
        low, high = question.min, question.max
        if (low is None or number >= low) and (high is None or number <= high):
            return None
        if low is not None and high is not None:
            message = _l("Ange ett tal från %(min)s till %(max)s.", min=_show(low), max=_show(high))
        elif low is not None:
            message = _l("Ange ett tal som är minst %(min)s.", min=_show(low))
        else:
            message = _l("Ange ett tal som är högst %(max)s.", max=_show(high))
        return _error(question, "range", message)
