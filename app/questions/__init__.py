"""Question types and answers: what each type is (`types`), the answers' shapes (`answers`),
conditions and the one check of answers (`conditions`), and summaries (`summary`). Forms,
services and reports read questions through this package; `app.forms` only builds WTForms."""

from app.questions.answers import AnswerError, Answers, Validated, field_name
from app.questions.conditions import (
    AnswerGroup,
    answer_groups,
    condition_holds,
    follows,
    is_shown,
    missing_required,
    shown_questions,
    validate_answers,
    visible_sections,
)
from app.questions.types import (
    QUESTION_TYPES,
    QuestionType,
    counted_questions,
    question_type,
    rated_questions,
    summarised_questions,
)

__all__ = [
    "QUESTION_TYPES",
    "AnswerError",
    "AnswerGroup",
    "Answers",
    "QuestionType",
    "Validated",
    "answer_groups",
    "condition_holds",
    "counted_questions",
    "field_name",
    "follows",
    "is_shown",
    "missing_required",
    "question_type",
    "rated_questions",
    "shown_questions",
    "summarised_questions",
    "validate_answers",
    "visible_sections",
]
