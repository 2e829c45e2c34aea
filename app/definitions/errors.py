"""The one catalogue of questionnaire definition errors, and the error value itself.

Every problem found in a YAML file is a `DefinitionError` with a code from `CODES`, a place
(file, line, column, path inside the document) and a message saying what was found and expected.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorCode:
    code: str
    name: str
    summary: str


_CATALOGUE: tuple[ErrorCode, ...] = (
    ErrorCode("Q001", "yaml-syntax", "The file is not valid YAML."),
    ErrorCode("Q002", "duplicate-mapping-key", "The same field is written twice in one mapping."),
    ErrorCode("Q003", "unknown-field", "A field that this object does not have (often a typo)."),
    ErrorCode("Q004", "unknown-question-type", "A question `type` that does not exist."),
    ErrorCode("Q005", "duplicate-key", "A key or option value used twice where it must be unique."),
    ErrorCode("Q006", "unknown-scale", "A `scale` that is not defined under `scales`."),
    ErrorCode("Q007", "empty-list", "A list that must have at least one entry is empty."),
    ErrorCode("Q008", "condition-unknown-question", "`show_if` names a question that does not exist."),
    ErrorCode("Q009", "condition-later-question", "`show_if` names a question that is not earlier."),
    ErrorCode("Q010", "condition-bad-value", "`show_if.in` or `show_if.not_in` has a value that is "
              "not an option of the question."),
    ErrorCode("Q011", "missing-swedish-text", "A text without Swedish (`sv`) wording."),
    ErrorCode("Q012", "missing-field", "A required field is not there."),
    ErrorCode("Q013", "wrong-type", "A value of the wrong kind (text, number, list, mapping ...)."),
    ErrorCode("Q014", "invalid-value", "A value of the right kind that is not allowed here."),
    ErrorCode("Q015", "file-too-large", "The file is larger than a questionnaire may be."),
    ErrorCode("Q016", "unsupported-yaml", "Anchors, aliases and tags are not allowed (the rest of "
              "the file is still checked)."),
    ErrorCode("Q017", "unreadable-file", "The file cannot be read as UTF-8 text."),
    ErrorCode("Q018", "condition-unknown-row", "`show_if.row` is not a row of the matrix question."),
    ErrorCode("Q019", "condition-without-options", "`show_if` names a question without options."),
    ErrorCode("Q020", "option-flag-not-allowed", "`exclusive` or `other` where it has no meaning."),
    ErrorCode("Q021", "bad-range", "A minimum larger than its maximum."),
    ErrorCode("Q022", "choice-source", "A single choice needs exactly one of `scale` and `options`."),
    ErrorCode("Q023", "risk-kind-mismatch", "`risk` missing from a risk_template, or given elsewhere."),
    ErrorCode("Q024", "risk-levels", "Risk levels that do not ascend or do not cover the top value."),
    ErrorCode("Q025", "risk-scale-values", "Likelihood/consequence values that are not 1, 2, 3 ..."),
    ErrorCode("Q026", "unknown-risk-form", "A catalogue item names a form of influence not in `forms`."),
    ErrorCode("Q027", "staff-view-mismatch", "`staff_view` names a survey question, row or value "
              "that the survey (checked in the same run) does not have."),
    ErrorCode("Q028", "too-deep", "Lists and mappings nested deeper than a questionnaire may be."),
    ErrorCode("Q029", "condition-in-or-not-in", "`show_if` needs exactly one of `in` and `not_in`."),
    ErrorCode("Q030", "too-many-errors", "More errors than one file reports: the first 200 are "
              "shown, then this one saying how many more there are."),
)

CODES: dict[str, ErrorCode] = {entry.code: entry for entry in _CATALOGUE}

YAML_SYNTAX = "Q001"
DUPLICATE_MAPPING_KEY = "Q002"
UNKNOWN_FIELD = "Q003"
UNKNOWN_QUESTION_TYPE = "Q004"
DUPLICATE_KEY = "Q005"
UNKNOWN_SCALE = "Q006"
EMPTY_LIST = "Q007"
CONDITION_UNKNOWN_QUESTION = "Q008"
CONDITION_LATER_QUESTION = "Q009"
CONDITION_BAD_VALUE = "Q010"
MISSING_SWEDISH_TEXT = "Q011"
MISSING_FIELD = "Q012"
WRONG_TYPE = "Q013"
INVALID_VALUE = "Q014"
FILE_TOO_LARGE = "Q015"
UNSUPPORTED_YAML = "Q016"
UNREADABLE_FILE = "Q017"
CONDITION_UNKNOWN_ROW = "Q018"
CONDITION_WITHOUT_OPTIONS = "Q019"
OPTION_FLAG_NOT_ALLOWED = "Q020"
BAD_RANGE = "Q021"
CHOICE_SOURCE = "Q022"
RISK_KIND_MISMATCH = "Q023"
RISK_LEVELS = "Q024"
RISK_SCALE_VALUES = "Q025"
UNKNOWN_RISK_FORM = "Q026"
STAFF_VIEW_MISMATCH = "Q027"
TOO_DEEP = "Q028"
CONDITION_IN_OR_NOT_IN = "Q029"
TOO_MANY_ERRORS = "Q030"


@dataclass(frozen=True)
class DefinitionError:
    """One problem in one questionnaire file; line and column are 1-based (0 when unknown)."""

    code: str
    file: str
    line: int
    column: int
    path: str
    message: str
    hint: str | None = None

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown error code {self.code!r}")

    @property
    def name(self) -> str:
        return CODES[self.code].name

    def format(self) -> str:
        """`file:line:column: CODE [path] message (hint)`, the form editors and CI understand."""
        place = f" [{self.path}]" if self.path else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.file}:{self.line}:{self.column}: {self.code}{place} {self.message}{hint}"

    def __str__(self) -> str:
        return self.format()


def did_you_mean(word: object, choices: Iterable[str]) -> str | None:
    """A hint naming the choice closest to `word`, or None when nothing is close."""
    if not isinstance(word, str):
        return None
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None
