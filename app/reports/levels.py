"""The levels of a rating scale (the self-assessment's "Ja, tillfredsställande" / "Delvis" /
"Nej"), shared by the unit report, the comparison and the board/staff gap: a submitted value's
level, and the change between two rounds' levels."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.definitions.schema import Definition, Question


def tally(answers: Iterable[Mapping[str, Any] | None], keys: Sequence[str]) -> dict[str, Counter[str]]:
    """Per question key, how many of `answers` (each a response's answers) gave each value:
    the level counts of the unit report's chart and the city's history. Unanswered is not counted."""
    counts: dict[str, Counter[str]] = {key: Counter() for key in keys}
    for one in answers:
        for key in keys:
            value = ((one or {}).get(key) or {}).get("value")
            if value is not None:
                counts[key][str(value)] += 1
    return counts


# Change since the previous round, by score (higher is better) or else by the scale's order.
CHANGES: tuple[str, ...] = ("better", "same", "worse", "not_comparable")


@dataclass(frozen=True)
class Level:
    """An option of a rating scale: its stored value, label, colour, score and place on the
    scale (0 is the first, best option)."""

    value: str
    label: str
    colour: str | None
    score: float | None
    rank: int
    symbol: str = "•"  # shown beside the colour, so that a level is never told by colour alone


@dataclass(frozen=True)
class LevelCount:
    level: Level
    count: int


# A level's symbol follows its colour: green ✓, amber ◐, red ✗ (and blue ◑, grey ○).
COLOUR_SYMBOLS: dict[str, str] = {"green": "✓", "amber": "◐", "red": "✗", "blue": "◑", "grey": "○"}


def _symbol(colour: str | None, score: float | None, rank: int, scores: Sequence[float], last: int) -> str:
    """By colour; an option without a colour by its place: the best (highest score, else the
    first option) ✓, the worst ✗, any other ◐."""
    if colour in COLOUR_SYMBOLS:
        return COLOUR_SYMBOLS[colour]
    if score is not None and scores:
        return "✓" if score == max(scores) else "✗" if score == min(scores) else "◐"
    return "✓" if rank == 0 else "✗" if rank == last else "◐"


def levels_of(definition: Definition, question: Question, language: str) -> list[Level]:
    """The question's scale in `language`, in the scale's order (the first option is the best)."""
    options = definition.options_of(question)
    scores = [option.score for option in options if option.score is not None]
    return [Level(option.value, option.label.get(language), option.colour, option.score, rank,
                  _symbol(option.colour, option.score, rank, scores, len(options) - 1))
            for rank, option in enumerate(options)]


def legend(levels: Sequence[Level]) -> str:
    """'✓ Ja, ◐ Delvis, ✗ Nej': the scale's own short labels with their symbols."""
    return ", ".join(f"{level.symbol} {short_label(level)}" for level in levels)


def level_of(levels: Sequence[Level], value: object) -> Level | None:
    """The level a stored value stands for; None when unrated or not on the scale."""
    return next((level for level in levels if level.value == value), None)


def change(then: Level | None, now: Level | None, levels: Sequence[Level]) -> str | None:
    """One of CHANGES between two ratings; None when either is missing."""
    if then is None or now is None:
        return None
    if then.score is not None and now.score is not None:
        difference = now.score - then.score
    else:
        # Without scores, compare places on today's scale (the first option is the best).
        same_then = level_of(levels, then.value)
        if same_then is None:
            return "not_comparable"
        difference = same_then.rank - now.rank
    return "better" if difference > 0 else "worse" if difference < 0 else "same"


def short_label(level: Level) -> str:
    """The level's label up to its first comma ('Ja', 'Delvis', 'Nej'), for tight columns."""
    return level.label.split(",")[0].strip() or level.label
