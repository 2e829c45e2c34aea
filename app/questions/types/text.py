"""Free text, on one line or several."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.fields.core import UnboundField

from app.definitions.schema import (
    Definition,
    TextQuestion,
)
from app.questions.answers import field_name
from app.questions.types.base import (
    FILL_IN,
    WRONG_SHAPE,
    Checked,
    FormData,
    QuestionType,
    SampleContext,
    _check_length,
    _error,
    _text_of,
)


class TextType(QuestionType):
    """Free text on one line (`text`); `LongTextType` is the text area (`long_text`)."""

    field_class: type[StringField] = StringField

    def fields(self, question: TextQuestion, definition: Definition, language: str) -> dict[str, UnboundField]:
        hint = question.help.get(language) if question.help else ""
        return {field_name(question.key): self.field_class(question.text.get(language), description=hint)}

    def hints(self, question: TextQuestion, language: str) -> list[str]:
        return [_l("Högst %(max)s tecken.", max=question.max_length)]

    def sample(self, question: TextQuestion, definition: Definition, context: SampleContext) -> Any | None:
        return context.free_text(question.key)

    def read(self, question: TextQuestion, formdata: FormData) -> str | None:
        text = formdata.get(field_name(question.key), "")
        return text if text.strip() else None

    def to_formdata(self, question: TextQuestion, answer: Any) -> list[tuple[str, str]]:
        return [(field_name(question.key), str(answer))]

    def free_text_parts(self, question: Any, answer: Any) -> dict[str, str]:
        return {"text": answer} if isinstance(answer, str) and answer else {}

    def validate(self, question: TextQuestion, answer: Any | None, definition: Definition,
                 partial: bool = False) -> Checked:
        text = "" if answer is None else _text_of(answer)
        if text is None:
            return Checked(None, [_error(question, "invalid", WRONG_SHAPE)])
        if not text:
            missing = question.required and not partial
            return Checked(None, [_error(question, "required", FILL_IN)] if missing else [])
        too_long_or_short = _check_length(question, text, question.max_length, None, question.min_length)
        return Checked(None, [too_long_or_short]) if too_long_or_short else Checked(text, [])


class LongTextType(TextType):
    """Free text in a text area."""

    field_class = TextAreaField
