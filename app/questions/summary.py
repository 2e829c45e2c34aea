"""What a question type's `summarise` gives: a distribution over options (with percentages and,
where the options have scores, an index 0-100) or a summary of values (numbers, dates)."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.definitions.schema import Option
from app.formatting import mean


@dataclass(frozen=True)
class OptionFigure:
    value: str
    label: str
    count: int
    percent: float
    colour: str | None = None
    score: float | None = None  # the option's score 0-100 on a scored scale


@dataclass(frozen=True)
class RowFigures:
    """One answered row of a question (the question itself for a choice; a matrix row)."""

    label: str
    base: int
    options: tuple[OptionFigure, ...]
    index: Decimal | None  # 0-100 from the options' scores, one decimal; None without scores
    key: str = ""  # the matrix row's key; "" for the question itself


def distribution(label: str, base: int, options: Sequence[Option], per: Mapping[str, int], language: str,
                 key: str = "") -> RowFigures:
    """Counts per option value as shares of `base`, and the mean score of the scored answers."""
    figures = tuple(
        OptionFigure(o.value, o.label.get(language), per.get(o.value, 0),
                     100.0 * per.get(o.value, 0) / base if base else 0.0, o.colour, o.score)
        for o in options
    )
    scored = [(o.score, per.get(o.value, 0)) for o in options if o.score is not None]
    weight = sum(n for _score, n in scored)
    index = mean(sum(score * n for score, n in scored), weight) if scored else None
    return RowFigures(label, base, figures, index, key)


@dataclass(frozen=True)
class NumberSummary:
    """n, mean, median and quartiles (inclusive method: Excel's QUARTILE.INC) of numbers."""

    n: int
    mean: float
    median: float
    lower_quartile: float
    upper_quartile: float
    lowest: float
    highest: float


def summarise_numbers(values: Sequence[float]) -> NumberSummary | None:
    if not values:
        return None
    ordered = sorted(float(v) for v in values)
    if len(ordered) == 1:
        low = high = ordered[0]
    else:
        low, _median, high = statistics.quantiles(ordered, n=4, method="inclusive")
    return NumberSummary(len(ordered), statistics.fmean(ordered), statistics.median(ordered), low, high,
                         ordered[0], ordered[-1])


@dataclass(frozen=True)
class DateSummary:
    n: int
    earliest: date
    latest: date


def summarise_dates(values: Sequence[date]) -> DateSummary | None:
    return DateSummary(len(values), min(values), max(values)) if values else None
