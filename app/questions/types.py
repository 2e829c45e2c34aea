"""Question types: one class per type, owning the whole life of an answer: its form fields and
template macros, how it is read, prefilled and validated (the shapes of `answers.py`), what
conditions and free-text handling see, how a survey stores and counts it, how it is summarised,
shown as text, exported and sampled for the demo, and the hints a respondent sees.

Every output asks the type (`question_type(question)`); nothing else switches on a question's
type. A new type is one class here (registered in `QUESTION_TYPES`), a schema class in
`app.definitions.schema`, and its two macros in templates/_macros/question_types.html.
"""

from __future__ import annotations

import math
import random
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.core import UnboundField
from wtforms.widgets import CheckboxInput, ListWidget

from app.definitions.schema import (
    DateQuestion,
    Definition,
    MatrixQuestion,
    MultipleChoiceQuestion,
    NumberQuestion,
    Option,
    Question,
    RatingQuestion,
    SingleChoiceQuestion,
    Text,
    TextQuestion,
)
from app.formatting import format_decimal
from app.i18n import current_language
from app.questions.answers import AnswerError, field_name
from app.questions.summary import (
    DateSummary,
    NumberSummary,
    RowFigures,
    distribution,
    summarise_dates,
    summarise_numbers,
)

# A figure that is one respondent's own answer (a median, a quartile, the earliest date) is shown
# only where at least this many times the round's anonymity threshold answered.
ORDER_FIGURES_FACTOR = 2
FormData = MultiDict[str, str]

CHOOSE_ONE = _l("Välj ett alternativ.")
NOT_AN_OPTION = _l("Välj ett av de alternativ som finns.")
WRONG_SHAPE = _l("Svaret har fel form.")
FILL_IN = _l("Fyll i ett svar.")


@dataclass(frozen=True)
class StoredCell:
    """What a survey stores of one answer: one row per chosen value (a matrix: per row), or a
    number (`number`); rows with a `value` are counted per option, the others only as answered."""

    row_key: str = ""
    value: str = ""
    number: float | None = None


@dataclass(frozen=True)
class ExportCell:
    """One exported line of an answer: a matrix gives one per row, any other question one."""

    row_key: str
    row_text: str
    value: object  # the stored value (an option value, values joined by '; ', a number, a date)
    text: str  # as a reader sees it
    motivation: str = ""


class SampleContext(Protocol):
    """What the demo knows when it makes up an answer (app.services.demo)."""

    rng: random.Random
    district: str

    def choose(self, values: list[str], question_key: str) -> str: ...

    def free_text(self, question_key: str) -> str | None: ...

    def other_text(self) -> str: ...


@dataclass
class Checked:
    """One question's answer after validation: the clean answer (None: nothing to keep) and errors."""

    clean: Any | None
    errors: list[AnswerError] = field(default_factory=list)


class CheckboxesField(SelectMultipleField):
    """A multiple choice rendered as check boxes; the answer validation lives in the type."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class Localised:
    """A questionnaire text shown in the language of the page it ends up on (for messages)."""

    def __init__(self, text: Text) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text.get(current_language())


def _error(question: Question, code: str, message: object, part: str | None = None) -> AnswerError:
    return AnswerError(question.key, field_name(question.key, part), message, code)


def _text_of(value: object) -> str | None:
    """A posted or given text as a stripped str; None when it is not a string at all."""
    return value.strip() if isinstance(value, str) else None


def _check_length(question: Question, text: str, max_length: int, part: str | None,
                  min_length: int = 0) -> AnswerError | None:
    if len(text) > max_length:
        return _error(question, "too_long", _l(
            "Texten får vara högst %(max)s tecken lång (nu %(count)s).", max=max_length, count=len(text)
        ), part)
    if text and len(text) < min_length:
        return _error(question, "too_short", _l(
            "Texten behöver vara minst %(min)s tecken lång.", min=min_length
        ), part)
    return None


def _check_other(question: SingleChoiceQuestion | MultipleChoiceQuestion, options: list[Option],
                 chosen: Iterable[str], other: object, partial: bool) -> tuple[str, list[AnswerError]]:
    """The 'other, specify' text: required when the other-option is chosen, forbidden otherwise."""
    text = _text_of(other if other is not None else "")
    if text is None:
        return "", [_error(question, "invalid", WRONG_SHAPE, "other")]
    other_options = [option for option in options if option.other]
    chosen_other = [option for option in other_options if option.value in set(chosen)]
    if not chosen_other:
        if text and other_options:
            return "", [_error(question, "not_allowed", _l(
                "Fyll bara i det här fältet om du väljer ”%(label)s”.", label=Localised(other_options[0].label)
            ), "other")]
        if text:
            return "", [_error(question, "not_allowed", _l("Frågan har inget fritextfält."), "other")]
        return "", []
    if not text and not partial:
        return "", [_error(question, "required", _l("Beskriv ditt svar."), "other")]
    too_long = _check_length(question, text, question.other_max_length, "other")
    return ("", [too_long]) if too_long else (text, [])


class QuestionType(ABC):
    """What every question type provides; the registry maps type names to one instance each."""

    @abstractmethod
    def fields(self, question: Any, definition: Definition, language: str) -> dict[str, UnboundField]:
        """The WTForms fields of `question` by field name, labelled in `language`."""

    @abstractmethod
    def read(self, question: Any, formdata: FormData) -> Any | None:
        """The answer as posted, invalid values kept so that a refused save can show them again;
        None when nothing was filled in."""

    @abstractmethod
    def to_formdata(self, question: Any, answer: Any) -> list[tuple[str, str]]:
        """The form fields (name, value) that show `answer` again."""

    @abstractmethod
    def validate(self, question: Any, answer: Any | None, definition: Definition,
                 partial: bool = False) -> Checked:
        """Check `answer` (None: unanswered); `partial` skips what only a finished answer needs."""

    def condition_values(self, question: Any, answer: Any, row: str | None = None) -> set[str]:
        """The values a condition on this question tests."""
        return set()

    def free_text_parts(self, question: Any, answer: Any) -> dict[str, str]:
        """The free-text parts of `answer` by part name (motivation, other, text), non-empty only."""
        return {}

    # --- what the type is ---------------------------------------------------------------------

    input_macro = "text_question"  # its macro in templates/_macros/question_types.html
    answer_macro = "text_answer"  # how a read-only answer shows there
    has_options = False  # answered by choosing among options (a scale or a list)
    has_rows = False  # answered once per row (a matrix)
    rated = False  # a statement rated on a scale: the self-assessment's ratings
    counted = False  # a survey counts its answers per option (`summarise`)
    summarised_values = False  # a survey summarises its values (`summarise_values`)

    def scored(self, question: Any, definition: Definition) -> bool:
        """A rating on a scale whose options carry scores (an index 0-100 can be computed)."""
        return self.rated and any(o.score is not None for o in definition.options_of(question))

    def chosen(self, question: Any, answer: Any) -> str | None:
        """The one option value `answer` chose (a single choice or a rating); None otherwise."""
        return None

    def row_labels(self, question: Any, language: str) -> list[tuple[str, str]]:
        """(row key, label) of each row answered on its own; none for a question without rows."""
        return []

    # --- storage and counts ---------------------------------------------------------------------

    def storage_cells(self, question: Any, answer: Any) -> list[StoredCell]:
        """What a survey stores of `answer` (free text is kept apart: `free_text_parts`)."""
        return []

    def count_cells(self, question: Any, answer: Any) -> list[tuple[str, str]]:
        """(row key, value) of each count `answer` adds to; the question's base is added apart."""
        return [(cell.row_key, cell.value) for cell in self.storage_cells(question, answer) if cell.value]

    def summarise(self, question: Any, definition: Definition, counts: Mapping[str, int], base: int,
                  language: str) -> tuple[RowFigures, ...]:
        """The distribution over the options (per row for a matrix) from counts by `option_key`."""
        return ()

    def summarise_values(self, question: Any, cells: Sequence[StoredCell]) -> Any | None:
        """A summary of stored values (n, mean, ... for numbers; earliest/latest for dates)."""
        return None

    def summary_lines(self, question: Any, summary: Any, language: str, threshold: int) -> list[tuple[str, str]]:
        """`summarise_values`' result as (label, value) lines for pages and PDFs, for a group of at
        least `threshold` (the round's anonymity threshold). A figure that is one respondent's own
        answer (a median, a quartile, the earliest date) is shown only where at least
        `ORDER_FIGURES_FACTOR` times the threshold answered, so that it stands among enough others."""
        return []

    # --- as text, export, demo, hints -------------------------------------------------------------

    def as_text(self, question: Any, definition: Definition, answer: Any, language: str) -> str:
        """The answer as a reader sees it (labels, not stored values); "" when unanswered."""
        if answer is None or answer == "":
            return ""
        return str(answer)

    def export_cells(self, question: Any, definition: Definition, answer: Any, language: str) -> list[ExportCell]:
        """The answer's lines in an export: (row, stored value, text, motivation)."""
        return [ExportCell("", "", "", self.as_text(question, definition, answer, language))]

    def sample(self, question: Any, definition: Definition, context: SampleContext) -> Any | None:
        """A plausible answer for the demo (None: left unanswered)."""
        return None

    def hints(self, question: Any, language: str) -> list[str]:
        """What the respondent is told about the answer besides the question's help (limits)."""
        return []

    @staticmethod
    def _labels(definition: Definition, question: Question, language: str) -> dict[str, str]:
        return {o.value: o.label.get(language) for o in definition.options_of(question)}

    @staticmethod
    def _choices(definition: Definition, question: Question, language: str) -> list[tuple[str, str]]:
        return [(option.value, option.label.get(language)) for option in definition.options_of(question)]


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
            return "", [_error(question, "not_allowed", _l("Frågan har ingen motivering."), "motivation")] if text else []
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

    def fields(self, question: MultipleChoiceQuestion, definition: Definition, language: str) -> dict[str, UnboundField]:
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


def parse_date(raw: str) -> date | None:
    """A date written YYYY-MM-DD (what a date input sends, and its text fallback); None otherwise."""
    text = raw.strip()
    if len(text) != 10 or text[4] != "-" or text[7] != "-" or not (text[:4] + text[5:7] + text[8:]).isdigit():
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_number(raw: str) -> float | None:
    """A finite number from what a person typed ('12', '2,5', '2.5', '1 000'); None otherwise."""
    cleaned = raw.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        number = float(cleaned)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _number_of(answer: Any) -> float | None:
    if isinstance(answer, bool):
        return None
    if isinstance(answer, int | float):
        return float(answer) if math.isfinite(answer) else None
    return parse_number(answer) if isinstance(answer, str) else None


def _show(number: float | None) -> str:
    return "" if number is None else (str(int(number)) if float(number).is_integer() else str(number))


def decimal_text(number: float, language: str | None = None) -> str:
    """A number as it was answered, in the page's language: every digit, no trailing zeros, a
    decimal comma in Swedish (2,5; 1234567,5) and a point in English."""
    text = format(Decimal(repr(float(number))).normalize(), "f")
    return text.replace(".", ",") if (language or current_language()) == "sv" else text


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


def counted_questions(definition: Definition) -> list[Question]:
    """The questions a survey counts per option (choices and matrices; texts are read one by one)."""
    return [q for q in definition.questions() if question_type(q).counted]


def summarised_questions(definition: Definition) -> list[Question]:
    """The questions whose values a survey summarises (numbers, dates)."""
    return [q for q in definition.questions() if question_type(q).summarised_values]
