"""Choices: one value from the options (a rating on a scale, a single choice) or several (a
multiple choice), with an 'other, specify' or a motivation text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.core import UnboundField

from app.definitions.schema import (
    Definition,
    MultipleChoiceQuestion,
    RatingQuestion,
    SingleChoiceQuestion,
)
from app.questions.answers import AnswerError, field_name
from app.questions.summary import (
    RowFigures,
    distribution,
)
from app.questions.types.base import (
    CHOOSE_ONE,
    NOT_AN_OPTION,
    WRONG_SHAPE,
    CheckboxesField,
    Checked,
    ExportCell,
    FormData,
    Localised,
    QuestionType,
    SampleContext,
    StoredCell,
    _check_length,
    _check_other,
    _error,
    _text_of,
)


class ChoiceType(QuestionType):
    """Shared by single choice and rating: one value from the options, plus one text part."""

    text_part = "other"
    input_macro = "choice_question"
    answer_macro = "choice_answer"
    has_options = True

    def chosen(self, question: Any, answer: Any) -> str | None:
        value = answer.get("value") if isinstance(answer, dict) else None
        return value if isinstance(value, str) and value else None

    def storage_cells(self, question: Any, answer: Any) -> list[StoredCell]:
        value = self.chosen(question, answer)
        return [StoredCell(value=value)] if value else []

    def summarise(self, question: Any, definition: Definition, counts: Mapping[str, int], base: int,
                  language: str) -> tuple[RowFigures, ...]:
        return (distribution("", base, definition.options_of(question), counts, language),)

    def as_text(self, question: Any, definition: Definition, answer: Any, language: str) -> str:
        if not isinstance(answer, dict):
            return ""
        value = answer.get("value") or ""
        text = self._labels(definition, question, language).get(value, value)
        other = answer.get("other") if self.text_part == "other" else None
        return f"{text}: {other}" if other else text

    def export_cells(self, question: Any, definition: Definition, answer: Any, language: str) -> list[ExportCell]:
        value = (answer.get("value") if isinstance(answer, dict) else "") or ""
        motivation = (answer.get(self.text_part) if isinstance(answer, dict) and self.text_part != "other"
                      else "") or ""
        return [ExportCell("", "", value, self.as_text(question, definition, answer, language), motivation)]

    def read(self, question: Any, formdata: FormData) -> dict[str, str] | None:
        value = formdata.get(field_name(question.key), "")
        text = formdata.get(field_name(question.key, self.text_part), "")
        return {"value": value, self.text_part: text} if value or text.strip() else None

    def to_formdata(self, question: Any, answer: dict[str, str]) -> list[tuple[str, str]]:
        pairs = [(field_name(question.key), str(answer.get("value", "")))]
        if answer.get(self.text_part):
            pairs.append((field_name(question.key, self.text_part), str(answer[self.text_part])))
        return pairs

    def condition_values(self, question: Any, answer: Any, row: str | None = None) -> set[str]:
        value = answer.get("value") if isinstance(answer, dict) else None
        return {value} if isinstance(value, str) and value else set()

    def free_text_parts(self, question: Any, answer: Any) -> dict[str, str]:
        text = answer.get(self.text_part) if isinstance(answer, dict) else None
        return {self.text_part: text} if isinstance(text, str) and text else {}

    def _check_value(self, question: Any, answer: Any, definition: Definition,
                     partial: bool) -> tuple[str, list[AnswerError]]:
        """The chosen value ('' when none) and its errors."""
        if answer is None or not isinstance(answer, dict) or not isinstance(answer.get("value", ""), str):
            if answer is None:
                missing = question.required and not partial
                return "", [_error(question, "required", CHOOSE_ONE)] if missing else []
            return "", [_error(question, "invalid", WRONG_SHAPE)]
        value = answer.get("value", "")
        if not value:
            return "", [] if partial else [_error(question, "required", CHOOSE_ONE)]
        if value not in {option.value for option in definition.options_of(question)}:
            return "", [_error(question, "not_allowed", NOT_AN_OPTION)]
        return value, []


class RatingType(ChoiceType):
    """A statement rated on a scale, with a written motivation that may be required."""

    text_part = "motivation"
    input_macro = "rating_question"
    answer_macro = "rating_answer"
    rated = True

    def sample(self, question: RatingQuestion, definition: Definition, context: SampleContext) -> Any | None:
        values = [o.value for o in definition.options_of(question)]
        return {"value": context.choose(values, question.key), "motivation": ""}

    def fields(self, question: RatingQuestion, definition: Definition, language: str) -> dict[str, UnboundField]:
        fields = {field_name(question.key): RadioField(
            question.text.get(language), choices=self._choices(definition, question, language),
            validate_choice=False, description=question.help.get(language) if question.help else "",
        )}
        if question.motivation != "none":
            fields[field_name(question.key, "motivation")] = TextAreaField(
                _l("Motivering"),
                description=_l("Högst %(max)s tecken.", max=question.motivation_max_length),
            )
        return fields

    def read(self, question: RatingQuestion, formdata: FormData) -> dict[str, str] | None:
        if question.motivation == "none":  # the form has no motivation field to read
            value = formdata.get(field_name(question.key), "")
            return {"value": value, "motivation": ""} if value else None
        return super().read(question, formdata)

    def validate(self, question: RatingQuestion, answer: Any | None, definition: Definition,
                 partial: bool = False) -> Checked:
        value, errors = self._check_value(question, answer, definition, partial)
        if answer is None or (errors and errors[0].code == "invalid"):
            return Checked(None, errors)
        motivation, motivation_errors = self._check_motivation(question, answer, bool(value), partial)
        errors += motivation_errors
        if not value and not (partial and motivation):
            return Checked(None, errors)
        return Checked({"value": value, "motivation": motivation}, errors)

    def _check_motivation(self, question: RatingQuestion, answer: dict[str, Any], rated: bool,
                          partial: bool) -> tuple[str, list[AnswerError]]:
        text = _text_of(answer.get("motivation", ""))
        if text is None:
            return "", [_error(question, "invalid", WRONG_SHAPE, "motivation")]
        if question.motivation == "none":
            not_allowed = _error(question, "not_allowed", _l("Frågan har ingen motivering."), "motivation")
            return "", [not_allowed] if text else []
        if not text and rated and question.motivation == "required" and not partial:
            return "", [_error(question, "required", _l("Skriv en motivering."), "motivation")]
        too_long = _check_length(question, text, question.motivation_max_length, "motivation")
        return ("", [too_long]) if too_long else (text, [])


class SingleChoiceType(ChoiceType):
    """One option from a list or a scale, and an 'other, specify' text for an other-option."""

    counted = True

    def sample(self, question: SingleChoiceQuestion, definition: Definition, context: SampleContext) -> Any | None:
        values = [o.value for o in definition.options_of(question)]
        if question.breakdown and context.district in values:
            return {"value": context.district, "other": ""}
        return {"value": context.choose(values, question.key), "other": ""}

    def fields(self, question: SingleChoiceQuestion, definition: Definition, language: str) -> dict[str, UnboundField]:
        fields = {field_name(question.key): RadioField(
            question.text.get(language), choices=self._choices(definition, question, language),
            validate_choice=False, description=question.help.get(language) if question.help else "",
        )}
        if any(option.other for option in definition.options_of(question)):
            fields[field_name(question.key, "other")] = StringField(_l("Ange vad"))
        return fields

    def validate(self, question: SingleChoiceQuestion, answer: Any | None, definition: Definition,
                 partial: bool = False) -> Checked:
        value, errors = self._check_value(question, answer, definition, partial)
        if answer is None or (errors and errors[0].code == "invalid"):
            return Checked(None, errors)
        other, other_errors = _check_other(
            question, definition.options_of(question), [value], answer.get("other", ""), partial
        )
        errors += other_errors
        return Checked({"value": value, "other": other} if value else None, errors)


class MultipleChoiceType(QuestionType):
    """Several options; an exclusive option stands alone; an other-option asks for a text."""

    input_macro = "checkbox_question"
    answer_macro = "checkbox_answer"
    has_options = True
    counted = True

    def storage_cells(self, question: MultipleChoiceQuestion, answer: Any) -> list[StoredCell]:
        values = answer.get("values") if isinstance(answer, dict) else None
        return [StoredCell(value=v) for v in sorted(set(values or ()))]

    def summarise(self, question: MultipleChoiceQuestion, definition: Definition, counts: Mapping[str, int],
                  base: int, language: str) -> tuple[RowFigures, ...]:
        return (distribution("", base, definition.options_of(question), counts, language),)

    def as_text(self, question: MultipleChoiceQuestion, definition: Definition, answer: Any, language: str) -> str:
        if not isinstance(answer, dict):
            return ""
        labels = self._labels(definition, question, language)
        text = ", ".join(labels.get(v, v) for v in answer.get("values", []))
        return f"{text}: {answer['other']}" if answer.get("other") else text

    def export_cells(self, question: MultipleChoiceQuestion, definition: Definition, answer: Any,
                     language: str) -> list[ExportCell]:
        values = (answer.get("values") if isinstance(answer, dict) else None) or ()
        return [ExportCell("", "", "; ".join(values), self.as_text(question, definition, answer, language))]

    def sample(self, question: MultipleChoiceQuestion, definition: Definition, context: SampleContext) -> Any | None:
        rng = context.rng
        options = definition.options_of(question)
        exclusive = [o.value for o in options if o.exclusive]
        if exclusive and rng.random() < 0.35:
            return {"values": exclusive[:1], "other": ""}
        plain = [o.value for o in options if not o.exclusive and not o.other]
        chosen = rng.sample(plain, k=min(len(plain), rng.choice((1, 1, 2, 3))))
        others = [o.value for o in options if o.other]
        if others and rng.random() < 0.1:
            return {"values": chosen + others[:1], "other": context.other_text()}
        return {"values": chosen, "other": ""}

    def fields(self, question: MultipleChoiceQuestion, definition: Definition,
               language: str) -> dict[str, UnboundField]:
        fields = {field_name(question.key): CheckboxesField(
            question.text.get(language), choices=self._choices(definition, question, language),
            validate_choice=False, description=question.help.get(language) if question.help else "",
        )}
        if any(option.other for option in question.options):
            fields[field_name(question.key, "other")] = StringField(_l("Ange vad"))
        return fields

    def read(self, question: MultipleChoiceQuestion, formdata: FormData) -> dict[str, Any] | None:
        values = list(dict.fromkeys(v for v in formdata.getlist(field_name(question.key)) if v))
        other = formdata.get(field_name(question.key, "other"), "")
        return {"values": values, "other": other} if values or other.strip() else None

    def to_formdata(self, question: MultipleChoiceQuestion, answer: dict[str, Any]) -> list[tuple[str, str]]:
        pairs = [(field_name(question.key), str(value)) for value in answer.get("values", [])]
        if answer.get("other"):
            pairs.append((field_name(question.key, "other"), str(answer["other"])))
        return pairs

    def condition_values(self, question: Any, answer: Any, row: str | None = None) -> set[str]:
        values = answer.get("values") if isinstance(answer, dict) else None
        return {v for v in values if isinstance(v, str)} if isinstance(values, list) else set()

    def free_text_parts(self, question: Any, answer: Any) -> dict[str, str]:
        text = answer.get("other") if isinstance(answer, dict) else None
        return {"other": text} if isinstance(text, str) and text else {}

    def validate(self, question: MultipleChoiceQuestion, answer: Any | None, definition: Definition,
                 partial: bool = False) -> Checked:
        if answer is None:
            missing = question.required and not partial
            return Checked(None, [_error(question, "required", _l("Välj minst ett alternativ."))] if missing else [])
        values = answer.get("values", []) if isinstance(answer, dict) else None
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            return Checked(None, [_error(question, "invalid", WRONG_SHAPE)])
        values = list(dict.fromkeys(values))
        errors = self._check_values(question, values, partial)
        other, other_errors = _check_other(question, question.options, values, answer.get("other", ""), partial)
        errors += other_errors
        if errors and errors[0].field == field_name(question.key):
            return Checked(None, errors)
        return Checked({"values": values, "other": other} if values else None, errors)

    def _check_values(self, question: MultipleChoiceQuestion, values: list[str], partial: bool) -> list[AnswerError]:
        options = {option.value: option for option in question.options}
        if not values:
            missing = question.required and not partial
            return [_error(question, "required", _l("Välj minst ett alternativ."))] if missing else []
        if any(value not in options for value in values):
            return [_error(question, "not_allowed", NOT_AN_OPTION)]
        exclusive = [options[value] for value in values if options[value].exclusive]
        if exclusive and len(values) > 1:
            return [_error(question, "exclusive", _l(
                "”%(label)s” kan inte väljas tillsammans med andra alternativ.", label=Localised(exclusive[0].label)
            ))]
        if exclusive:
            return []
        if question.min_choices and len(values) < question.min_choices and not partial:
            return [_error(question, "too_few", _l("Välj minst %(count)s alternativ.", count=question.min_choices))]
        if question.max_choices and len(values) > question.max_choices:
            return [_error(question, "too_many", _l("Välj högst %(count)s alternativ.", count=question.max_choices))]
        return []
