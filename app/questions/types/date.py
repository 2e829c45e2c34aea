"""A calendar date, in a range."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.fields.core import UnboundField

from app.definitions.schema import (
    DateQuestion,
    Definition,
)
from app.questions.answers import field_name
from app.questions.summary import (
    DateSummary,
    summarise_dates,
)
from app.questions.types.base import (
    FILL_IN,
    ORDER_FIGURES_FACTOR,
    Checked,
    FormData,
    QuestionType,
    SampleContext,
    StoredCell,
    _error,
    parse_date,
)


class DateType(QuestionType):
    """A calendar date, stored as 'YYYY-MM-DD', within an optional range. The page offers the
    browser's date picker (`<input type="date">`); where it has none, the same text is typed."""

    input_macro = "date_question"
    answer_macro = "text_answer"
    summarised_values = True

    def fields(self, question: DateQuestion, definition: Definition, language: str) -> dict[str, UnboundField]:
        attributes: dict[str, str] = {"type": "date", "autocomplete": "off", "pattern": r"\d{4}-\d{2}-\d{2}"}
        if question.min is not None:
            attributes["min"] = question.min.isoformat()
        if question.max is not None:
            attributes["max"] = question.max.isoformat()
        hint = question.help.get(language) if question.help else ""
        return {field_name(question.key): StringField(question.text.get(language), description=hint,
                                                      render_kw=attributes)}

    def read(self, question: DateQuestion, formdata: FormData) -> str | None:
        raw = formdata.get(field_name(question.key), "").strip()
        return raw or None

    def to_formdata(self, question: DateQuestion, answer: Any) -> list[tuple[str, str]]:
        return [(field_name(question.key), str(answer))]

    def validate(self, question: DateQuestion, answer: Any | None, definition: Definition,
                 partial: bool = False) -> Checked:
        if answer is None or answer == "":
            missing = question.required and not partial
            return Checked(None, [_error(question, "required", FILL_IN)] if missing else [])
        day = parse_date(answer) if isinstance(answer, str) else None
        if day is None:
            return Checked(None, [_error(question, "not_date", _l(
                "Ange ett datum som ÅÅÅÅ-MM-DD, till exempel 2026-03-01."))])
        low, high = question.min, question.max
        if (low is not None and day < low) or (high is not None and day > high):
            if low is not None and high is not None:
                message = _l("Ange ett datum från %(min)s till %(max)s.", min=low.isoformat(), max=high.isoformat())
            elif low is not None:
                message = _l("Ange ett datum som är %(min)s eller senare.", min=low.isoformat())
            else:
                message = _l("Ange ett datum som är %(max)s eller tidigare.", max=high.isoformat())  # type: ignore[union-attr]
            return Checked(None, [_error(question, "range", message)])
        return Checked(day.isoformat(), [])

    def storage_cells(self, question: DateQuestion, answer: Any) -> list[StoredCell]:
        # As a day number, not a value: a date is not counted per value (one date can name a person).
        day = parse_date(answer) if isinstance(answer, str) else None
        return [StoredCell(number=float(day.toordinal()))] if day is not None else []

    def summarise_values(self, question: DateQuestion, cells: Sequence[StoredCell]) -> DateSummary | None:
        return summarise_dates([date.fromordinal(int(c.number)) for c in cells if c.number is not None])

    def summary_lines(self, question: DateQuestion, summary: DateSummary, language: str,
                      threshold: int) -> list[tuple[str, str]]:
        # The earliest and latest answers are someone's own dates: shown as their month, and only
        # among enough answers.
        lines = [(str(_l("Antal svar")), str(summary.n))]
        if summary.n >= ORDER_FIGURES_FACTOR * threshold:
            lines += [(str(_l("Tidigast")), summary.earliest.strftime("%Y-%m")),
                      (str(_l("Senast")), summary.latest.strftime("%Y-%m"))]
        return lines

    def sample(self, question: DateQuestion, definition: Definition, context: SampleContext) -> Any | None:
        low = question.min or date(2026, 1, 1)
        high = question.max or low + timedelta(days=364)
        return (low + timedelta(days=context.rng.randint(0, max(0, (high - low).days)))).isoformat()

    def hints(self, question: DateQuestion, language: str) -> list[str]:
        hints = [str(_l("Skriv datumet som ÅÅÅÅ-MM-DD."))]
        if question.min is not None and question.max is not None:
            hints.append(str(_l("Från %(min)s till %(max)s.", min=question.min.isoformat(),
                                max=question.max.isoformat())))
        elif question.min is not None:
            hints.append(str(_l("Tidigast %(min)s.", min=question.min.isoformat())))
        elif question.max is not None:
            hints.append(str(_l("Senast %(max)s.", max=question.max.isoformat())))
        return hints
