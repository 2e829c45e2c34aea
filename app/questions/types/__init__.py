"""Question types: one class per type, owning the whole life of an answer: its form fields and
template macros, how it is read, prefilled and validated (the shapes of `answers.py`), what
conditions and free-text handling see, how a survey stores and counts it, how it is summarised,
shown as text, exported and sampled for the demo, and the hints a respondent sees.

Every output asks the type (`question_type(question)`); nothing else switches on a question's
type. A new type is one class in a module of this package (registered in `QUESTION_TYPES`
below), a schema class in `app.definitions.schema`, and its two macros in
templates/_macros/question_types.html.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.definitions.schema import Definition, Question, RatingQuestion, StaffView
from app.questions.types.base import (
    CHOOSE_ONE,
    FILL_IN,
    NOT_AN_OPTION,
    ORDER_FIGURES_FACTOR,
    WRONG_SHAPE,
    CheckboxesField,
    Checked,
    ExportCell,
    FormData,
    Localised,
    QuestionType,
    SampleContext,
    StoredCell,
    decimal_text,
    parse_date,
    parse_number,
)
from app.questions.types.choice import ChoiceType, MultipleChoiceType, RatingType, SingleChoiceType
from app.questions.types.date import DateType
from app.questions.types.matrix import MatrixType
from app.questions.types.number import NumberType
from app.questions.types.text import LongTextType, TextType

QUESTION_TYPES: dict[str, QuestionType] = {
    "rating": RatingType(),
    "single_choice": SingleChoiceType(),
    "multiple_choice": MultipleChoiceType(),
    "matrix": MatrixType(),
    "text": TextType(),
    "long_text": LongTextType(),
    "number": NumberType(),
    "date": DateType(),
}


def question_type(question: Question) -> QuestionType:
    """The type object of `question`."""
    return QUESTION_TYPES[question.type]


def chosen_value(question: Question, answers: Mapping[str, Any] | None) -> str | None:
    """The option value the stored `answers` chose for `question` (a rating or a single choice),
    as its type reads it; None when unanswered."""
    return question_type(question).chosen(question, (answers or {}).get(question.key))


def rated_questions(definition: Definition) -> list[Question]:
    """The statements rated on a scale (the self-assessment's ratings), in document order."""
    return [q for q in definition.questions() if question_type(q).rated]


def staff_view_of(question: Question) -> StaffView | None:
    """The staff survey question a rated statement is compared with (the board/staff gap), if any."""
    return question.staff_view if isinstance(question, RatingQuestion) else None


def counted_questions(definition: Definition) -> list[Question]:
    """The questions a survey counts per option (choices and matrices; texts are read one by one)."""
    return [q for q in definition.questions() if question_type(q).counted]


def summarised_questions(definition: Definition) -> list[Question]:
    """The questions whose values a survey summarises (numbers, dates)."""
    return [q for q in definition.questions() if question_type(q).summarised_values]


__all__ = [
    "CHOOSE_ONE",
    "CheckboxesField",
    "Checked",
    "ChoiceType",
    "DateType",
    "ExportCell",
    "FILL_IN",
    "FormData",
    "Localised",
    "LongTextType",
    "MatrixType",
    "MultipleChoiceType",
    "NOT_AN_OPTION",
    "NumberType",
    "ORDER_FIGURES_FACTOR",
    "QUESTION_TYPES",
    "QuestionType",
    "RatingType",
    "SampleContext",
    "SingleChoiceType",
    "StoredCell",
    "TextType",
    "WRONG_SHAPE",
    "chosen_value",
    "counted_questions",
    "decimal_text",
    "parse_date",
    "parse_number",
    "question_type",
    "rated_questions",
    "summarised_questions",
]
