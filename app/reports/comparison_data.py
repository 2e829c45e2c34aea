"""The city-wide comparison's content (app.reports.comparison): the filters, one unit's row of
ratings and their changes, one statement's column of counts, and the whole table with its
indexes. Plain dataclasses that the pages, the city PDF and the exports show alike."""

from __future__ import annotations

from dataclasses import dataclass

from app.reports import index as idx
from app.reports.levels import Level, LevelCount


@dataclass(frozen=True)
class Filters:
    kind: str | None = None  # one of comparison.KIND_FILTERS
    part: str | None = None  # a unit key: it and its descendants
    sort: str = "name"  # one of comparison.SORTS


@dataclass(frozen=True)
class Cell:
    """One unit's rating of one statement, and the change since its previous round."""

    statement_key: str
    level: Level | None  # None: not submitted or not rated
    previous: Level | None
    change: str | None  # one of levels.CHANGES; None without two ratings


@dataclass(frozen=True)
class UnitRow:
    key: str
    name: str
    kind: str
    status: str  # submitted | draft | reopened | not_started
    previous_year: int | None
    cells: tuple[Cell, ...]  # in the order of Comparison.statements
    index: float | None = None  # the submitted ratings' index; None when not submitted or unscored
    previous_index: float | None = None  # its index in its previous round of the questionnaire
    previous_round: str | None = None  # that round's key

    @property
    def answered(self) -> int:
        """Statements that count in the index."""
        return idx.answered(cell.level for cell in self.cells)

    @property
    def index_change(self) -> float | None:
        return idx.change(self.index, self.previous_index)

    @property
    def weak(self) -> int:
        """Statements at a level below the top one ('Delvis' or 'Nej')."""
        return sum(1 for cell in self.cells if cell.level is not None and cell.level.rank > 0)


@dataclass(frozen=True)
class StatementColumn:
    number: int  # the statement's number in the questionnaire
    key: str
    text: str
    distribution: tuple[LevelCount, ...]  # the shown units' submitted ratings per level
    changes: tuple[tuple[str, int], ...]  # (better|same|worse|not_comparable, units)
    index: float | None = None  # the mean score of those ratings; None without scores or ratings

    @property
    def weak(self) -> int:
        return sum(item.count for item in self.distribution if item.level.rank > 0)

    @property
    def counted(self) -> int:
        return sum(item.count for item in self.distribution)


@dataclass(frozen=True)
class Comparison:
    round_key: str
    round_name: str
    year: int
    questionnaire_key: str
    questionnaire_title: str
    levels: tuple[Level, ...]
    statements: tuple[StatementColumn, ...]  # worst first (`index.severity_key`)
    units: tuple[UnitRow, ...]
    filters: Filters
    invited: int  # invited units that pass the filters
    submitted: int  # of those, units that have submitted

    @property
    def scored(self) -> bool:
        """Whether the questionnaire's scale has scores, and so an index."""
        return idx.scored(self.levels)

    @property
    def city_index(self) -> float | None:
        """The mean of the shown units' indexes (submitted units only)."""
        return idx.mean(row.index for row in self.units)

    @property
    def indexed_units(self) -> int:
        return sum(1 for row in self.units if row.index is not None)
