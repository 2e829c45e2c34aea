"""What every question type provides (`QuestionType`), the cells a type stores and exports, and
the checks and value readers the types share."""

from __future__ import annotations

import math
import random
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import SelectMultipleField
from wtforms.fields.core import UnboundField
from wtforms.widgets import CheckboxInput, ListWidget

from app.definitions.schema import (
    Definition,
    MultipleChoiceQuestion,
    Option,
    Question,
    SingleChoiceQuestion,
    Text,
)
from app.i18n import current_language
from app.questions.answers import AnswerError, field_name
from app.questions.summary import RowFigures

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
    """What the demo knows when it makes up an answer (app.demo.answers)."""

    rng: random.Random

    @property
    def district(self) -> str: ...

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
