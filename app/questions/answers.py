"""The answers of one questionnaire as data: the shape every part of the application shares.

An answers dict maps question keys to values of these shapes (JSON-serialisable):

- rating:          {"value": "ja", "motivation": "..."}            (motivation "" when none)
- single_choice:   {"value": "kvinna", "other": ""}                ("other" text for an other-option)
- multiple_choice: {"values": ["hot", "annan"], "other": "..."}
- matrix:          {"rows": {"trakasserier": "hog", "hot_vald": "lag"}}
- text, long_text: "the text"
- number:          12 (int when the question says integer, else float)

A question that was not answered is absent from the dict. `validate_answers` is the one
server-side check of answers against a definition; forms, the survey, the self-assessment,
imports and the synthetic-city generator all go through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Answers = dict[str, Any]


@dataclass(frozen=True)
class AnswerError:
    """One problem with one answer: `question` is the question key, `field` the form field's
    name (see `field_name`), `message` a text in the user's language (str or lazy string)."""

    question: str
    field: str
    message: object
    code: str = "invalid"  # required | not_allowed | exclusive | too_long | too_short | range | hidden | ...


@dataclass
class Validated:
    """The outcome of `validate_answers`: the clean answers (hidden questions' answers dropped,
    texts stripped, numbers parsed) and every error found."""

    answers: Answers
    errors: list[AnswerError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def errors_by_field(self) -> dict[str, list[object]]:
        grouped: dict[str, list[object]] = {}
        for error in self.errors:
            grouped.setdefault(error.field, []).append(error.message)
        return grouped


def field_name(question_key: str, part: str | None = None) -> str:
    """The HTML form field name of a question, or of one part of it (a matrix row key,
    'motivation', 'other'): `q-<key>` or `q-<key>-<part>`. Ids are the same strings."""
    return f"q-{question_key}" if part is None else f"q-{question_key}-{part}"
