"""The index of a unit questionnaire, in one place: the arithmetic every page, PDF and export
shows, and the order of statements by it.

- A statement's index is the mean score of the answers on its scale whose option has a score
  (0–100, one decimal): within a unit the one answer's score, across units the mean over the
  submitted units' answers.
- A unit's index is the mean of its answered scored statements' scores (one decimal), e.g. five
  "Genomförd" (100), one "Delvis genomförd" (50) and one "Ej påbörjad" (0): 550 / 7 = 78.6.
- The city's mean is the mean of the shown unit indexes (those of submitted units), as shown,
  so that a reader can check it from the figures beside it.

A questionnaire whose scales have no scores has no index: every function gives None, and the
pages leave the index out instead of showing an empty column. Statements are ordered worst
first by index, ties by more answers at the lowest level, then by their number.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from app.definitions.schema import Definition
from app.formatting import format_change, format_index, one_decimal
from app.questions.types import chosen_value, rated_questions
from app.reports.levels import Level, LevelCount, level_of, levels_of


def _exact(value: float | Decimal) -> Decimal:
    """A score or a shown index as the decimal it is written as (50.0, 78.6), so that sums of
    shown figures are exact: (78.6 + 14.3) / 2 is 46.45, not 46.4499…"""
    return value if isinstance(value, Decimal) else Decimal(repr(float(value)))


def rounded(value: float | Decimal) -> float:
    """One decimal, halves away from zero (46.45 -> 46.5), as the reader rounds by hand: the
    one rounding rule (app.formatting)."""
    return float(one_decimal(_exact(value)))


def scored(levels: Iterable[Level]) -> bool:
    """Whether a scale gives an index: some option has a score."""
    return any(level.score is not None for level in levels)


def mean(values: Iterable[float | None]) -> float | None:
    """The mean of the values that exist, rounded to one decimal; None when there are none."""
    present = [_exact(value) for value in values if value is not None]
    return rounded(sum(present, Decimal(0)) / len(present)) if present else None


def unit_index(ratings: Iterable[Level | None]) -> float | None:
    """A unit's index over its ratings: the mean score of the answered, scored ones."""
    return mean(level.score for level in ratings if level is not None)


def answered(ratings: Iterable[Level | None]) -> int:
    """How many of the ratings count in the index (answered with an option that has a score)."""
    return sum(1 for level in ratings if level is not None and level.score is not None)


def statement_index(distribution: Sequence[LevelCount]) -> float | None:
    """The mean score of a statement's answers from their count per level."""
    counted = [(_exact(item.level.score), item.count) for item in distribution
               if item.level.score is not None and item.count]
    total = sum(count for _score, count in counted)
    if not total:
        return None
    return rounded(sum((score * count for score, count in counted), Decimal(0)) / total)


def change(now: float | None, then: float | None) -> float | None:
    """The change between two shown indexes (one decimal); None without both."""
    if now is None or then is None:
        return None
    return rounded(_exact(now) - _exact(then))


def severity_key(index: float | None, distribution: Sequence[LevelCount], number: int
                 ) -> tuple[object, ...]:
    """Sorts statements worst first: the lowest index, then more answers at the lowest level
    (then the next lowest, …), then the statement's number. The lowest level is the one with
    the lowest score; a scale without scores counts from its last option, the worst."""
    levels = [item for item in distribution if item.level.score is not None]
    if levels:
        worst_first = sorted(levels, key=lambda item: item.level.score or 0.0)
    else:
        worst_first = sorted(distribution, key=lambda item: -item.level.rank)
    return (index is None, index if index is not None else 0.0,
            tuple(-item.count for item in worst_first), number)


def index_text(value: float | None) -> str:
    """'78,6', '100,0' (in the page's language); '–' when there is no index."""
    return format_index(value)


def change_text(value: float | None) -> str:
    """'+35,7', '-7,1', '±0,0'; '–' without a change."""
    return format_change(value)


def answers_index(definition: Definition, answers: dict[str, Any] | None, language: str = "sv"
                  ) -> float | None:
    """A unit's index from its stored answers to `definition` (its own version's scales)."""
    ratings = [level_of(levels_of(definition, question, language),
                        chosen_value(question, answers))
               for question in rated_questions(definition)]
    return unit_index(ratings)
