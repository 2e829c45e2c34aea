"""The city-wide self-assessment comparison of a round: units × statements with each unit's
level, the counts per level under each statement, the change since each unit's previous round,
and the city's distribution per statement round by round.

`build_comparison` and `build_history` compute the content once (one query per table, never one
per unit); the pages (views/city.py), the city PDF and the exports show the same dataclasses
(app.reports.comparison_data).
The change since the previous round is the unit report's own comparison (`levels.change`).
Where the scale has scores, each unit has an index and each statement too (`app.reports.index`),
statements are ordered worst first by index, and the city's mean is that of the shown units.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from reportlab.graphics.shapes import Drawing
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.definitions.schema import Question
from app.models import QuestionnaireVersion, Round, RoundUnit, Unit, UnitResponse
from app.questions.types import question_type, rated_questions
from app.reports import index as idx
from app.reports.charts import ChartTable, Segment, StackedRow, stacked_bars, stacked_bars_table
from app.reports.comparison_data import Cell, Comparison, Filters, StatementColumn, UnitRow
from app.reports.heat_grid import (
    HeatCell,
    HeatGrid,
    heat_grid_pages,
    heat_grid_table,
    heat_grid_uri,
)
from app.reports.levels import (
    Level,
    LevelCount,
    change,
    legend,
    level_of,
    levels_of,
    short_label,
    tally,
)
from app.reports.pdf import CONTENT_WIDTH
from app.reports.unit_report import ReportNotFound, report_round
from app.services import Problem, history
from app.services.rounds import main_version
from app.services.units import descendant_ids
from app.sorting import name_key

# The unit kinds the comparison can be filtered by (the kinds that answer the self-assessment).
KIND_FILTERS: tuple[str, ...] = ("board", "district_board", "company")
SORTS: tuple[str, ...] = ("name", "weak", "index")
CHANGE_SYMBOLS: dict[str, str] = {"better": "↑", "same": "=", "worse": "↓", "not_comparable": "?"}
# Every invited unit, by name: the comparison unfiltered.
ALL_UNITS = Filters()


def _rating_questions(version: QuestionnaireVersion) -> list[Question]:
    return rated_questions(version.parsed())


def build_comparison(session: Session, round_key: str, filters: Filters = ALL_UNITS,
                     language: str = "sv") -> Comparison:
    """The comparison of the round's self-assessment over the invited units that pass `filters`."""
    round_ = report_round(session, round_key)
    version = main_version(round_)
    if version is None:
        raise ReportNotFound(Problem(_l("omgången '%(key)s' har ingen självskattning", key=round_key), "round"))
    definition = version.parsed()
    questions = _rating_questions(version)
    levels = tuple(levels_of(definition, questions[0], language)) if questions else ()
    allowed = (descendant_ids(session, set(session.scalars(select(Unit.id).where(Unit.key == filters.part))))
               if filters.part else None)

    invited = session.execute(
        select(Unit.id, Unit.key, Unit.name, Unit.kind)
        .join(RoundUnit, RoundUnit.unit_id == Unit.id)
        .where(RoundUnit.round_id == round_.id)
    ).all()
    invited = [row for row in invited
               if (filters.kind is None or row.kind == filters.kind)
               and (allowed is None or row.id in allowed)]
    responses = {unit_id: (status, answers) for unit_id, status, answers in session.execute(
        select(UnitResponse.unit_id, UnitResponse.status, UnitResponse.answers).where(
            UnitResponse.round_id == round_.id, UnitResponse.questionnaire_version_id == version.id))}
    previous = history.previous_answers(session, round_, [row.id for row in invited],
                                        questionnaire_key=version.questionnaire.key)

    rows: list[UnitRow] = []
    for uid, key, name, kind in invited:
        status, answers = responses.get(uid, ("not_started", {}))
        submitted = answers if status == "submitted" else {}
        before = previous.get(uid)
        cells = []
        for question in questions:
            level = level_of(levels, _value(submitted, question.key))
            then = None
            if before is not None:
                then = _previous_level(before[1], question.key, language)
            cells.append(Cell(question.key, level, then, change(then, level, levels)))
        rows.append(UnitRow(
            key, name, kind, status, before[0].year if before else None, tuple(cells),
            index=idx.unit_index(cell.level for cell in cells),
            previous_index=_response_index(before[1], language) if before is not None else None,
            previous_round=before[0].key if before is not None else None,
        ))

    columns = []
    for index, (number, question) in enumerate(enumerate(questions, start=1)):
        counts = Counter(level.value for row in rows if (level := row.cells[index].level) is not None)
        changes = Counter(row.cells[index].change for row in rows if row.cells[index].change is not None)
        distribution = tuple(LevelCount(level, counts[level.value]) for level in levels)
        columns.append(StatementColumn(
            number, question.key, question.text.get(language), distribution,
            tuple((change, changes[change]) for change in ("better", "same", "worse", "not_comparable")
                  if changes[change]),
            idx.statement_index(distribution),
        ))
    order = sorted(range(len(columns)),
                   key=lambda i: idx.severity_key(columns[i].index, columns[i].distribution, columns[i].number))
    ordered_rows = tuple(replace(r, cells=tuple(r.cells[i] for i in order)) for r in rows)
    if filters.sort == "weak":
        ordered_rows = tuple(sorted(ordered_rows, key=lambda r: (-r.weak, name_key(r.name))))
    elif filters.sort == "index":  # the lowest index first; units without one last
        ordered_rows = tuple(sorted(ordered_rows, key=lambda r: (
            r.index is None, r.index if r.index is not None else 0.0, name_key(r.name))))
    else:
        ordered_rows = tuple(sorted(ordered_rows, key=lambda r: name_key(r.name)))
    return Comparison(
        round_key=round_.key, round_name=round_.name, year=round_.year,
        questionnaire_key=version.questionnaire.key,
        questionnaire_title=definition.title.get(language),
        levels=levels, statements=tuple(columns[i] for i in order), units=ordered_rows,
        filters=filters, invited=len(rows),
        submitted=sum(1 for r in rows if r.status == "submitted"),
    )


def _value(answers: dict[str, Any] | None, key: str) -> object:
    return ((answers or {}).get(key) or {}).get("value")


def _response_index(response: UnitResponse, language: str) -> float | None:
    """A unit's index in an earlier round, by its own version's scales."""
    return idx.answers_index(response.questionnaire_version.parsed(), response.answers, language)


def _previous_level(response: UnitResponse, key: str, language: str) -> Level | None:
    definition = response.questionnaire_version.parsed()
    try:
        question = definition.question(key)
    except KeyError:
        return None
    if not question_type(question).rated:
        return None
    return level_of(levels_of(definition, question, language), _value(response.answers, key))


def previous_round(session: Session, round_key: str) -> Round | None:
    """The latest earlier round in which some unit submitted the same questionnaire key as this
    round's (the rule of `app.services.history`); None when there is none."""
    round_ = report_round(session, round_key)
    version = main_version(round_)
    if version is None:
        return None
    return history.previous_round(session, round_, version.questionnaire.key)


# --- over the years --------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundDistribution:
    round_key: str
    label: str  # "Granskning 2025 (2025)"
    year: int
    distribution: tuple[LevelCount, ...]

    @property
    def index(self) -> float | None:
        return idx.statement_index(self.distribution)


@dataclass(frozen=True)
class StatementHistory:
    number: int
    key: str
    text: str
    rounds: tuple[RoundDistribution, ...]  # oldest first, up to the round itself


def build_history(session: Session, round_key: str, language: str = "sv") -> tuple[StatementHistory, ...]:
    """Per statement the city's distribution of submitted ratings in every round of the same
    questionnaire key up to this round: one query over all those rounds."""
    round_ = report_round(session, round_key)
    version = main_version(round_)
    if version is None:
        return ()
    definition = version.parsed()
    questions = _rating_questions(version)
    levels = tuple(levels_of(definition, questions[0], language)) if questions else ()
    answers: dict[int, list[dict[str, Any] | None]] = {}
    rounds: dict[int, Round] = {}
    for earlier, response in history.submitted_up_to(session, round_, version.questionnaire.key):
        rounds[earlier.id] = earlier
        answers.setdefault(earlier.id, []).append(response.answers)
    counts = {round_id: tally(given, [q.key for q in questions]) for round_id, given in answers.items()}
    order = sorted(rounds.values(), key=lambda r: (r.year, r.id))
    return tuple(
        StatementHistory(number, question.key, question.text.get(language), tuple(
            RoundDistribution(r.key, f"{r.name} ({r.year})", r.year, tuple(
                LevelCount(level, counts[r.id][question.key][level.value]) for level in levels))
            for r in order))
        for number, question in enumerate(questions, start=1)
    )


# --- wording and charts shared by the pages, the PDF and the exports --------------------------


index_text = idx.index_text  # '78,6' for the templates


def level_symbol(level: Level | None) -> str:
    return level.symbol if level is not None else "–"


def weak_label(comparison: Comparison) -> str:
    """'Delvis/Nej': the levels below the top one, by the scale's own short labels."""
    return "/".join(short_label(level) for level in comparison.levels[1:])


def matrix_legend(comparison: Comparison) -> str:
    """'✓ Ja, ◐ Delvis, ✗ Nej. ↑ bättre, …' from the scale's labels."""
    return _("%(levels)s. ↑ bättre, = samma, ↓ sämre än enhetens förra omgång.",
             levels=legend(comparison.levels))


def index_note(comparison: Comparison) -> str:
    """How the index is made, said wherever it is shown."""
    return _("Index 0–100: medelvärdet av poängen för de bedömningar som har poäng (%(scores)s). "
             "Enhetens index är medelvärdet över dess bedömda påståenden, påståendets index "
             "medelvärdet över de enheter som lämnat in, och medelvärdet för staden medelvärdet "
             "av de visade enheternas index. Bara inlämnade svar räknas.",
             scores=", ".join(f"{short_label(level)} {idx.index_text(level.score)}"
                              for level in comparison.levels if level.score is not None))


def unit_index_text(row: UnitRow) -> str:
    """'78,6 (+35,7)': the index and, where the unit has an earlier round, the change."""
    text = idx.index_text(row.index)
    if row.index is not None and row.index_change is not None:
        text += f" ({idx.change_text(row.index_change)})"
    return text


def cell_text(cell: Cell) -> str:
    """'✓ Ja', '◐ Delvis ↑', '–' (the symbol and the short label say what the colour says)."""
    if cell.level is None:
        return "–"
    text = f"{level_symbol(cell.level)} {short_label(cell.level)}"
    if cell.change is not None:
        text += f" {CHANGE_SYMBOLS[cell.change]}"
    return text


def change_label(change: str | None) -> str:
    return {
        "better": _("Bättre"), "same": _("Samma"), "worse": _("Sämre"),
        "not_comparable": _("Kan inte jämföras"),
    }.get(change or "", _("Ingen jämförelse"))


def city_mean_label(comparison: Comparison) -> str:
    """The mean row's name: the city's, or the shown units' when the comparison is filtered."""
    if comparison.filters.kind or comparison.filters.part:
        return _("Medelvärde för de visade enheterna")
    return _("Stadens medelvärde")


def comparison_grid(comparison: Comparison) -> HeatGrid:
    """The matrix; with scores, an index column and a last row of the statements' indexes and
    the city's mean."""
    scored = comparison.scored
    rows = tuple(
        tuple(HeatCell(cell_text(cell), cell.level.colour if cell.level else None) for cell in row.cells)
        + ((HeatCell(idx.index_text(row.index)),) if scored else ())
        for row in comparison.units)
    labels = tuple(row.name for row in comparison.units)
    if scored:
        rows += ((*(HeatCell(idx.index_text(s.index)) for s in comparison.statements),
                  HeatCell(idx.index_text(comparison.city_index))),)
        labels += (city_mean_label(comparison),)
    return HeatGrid(
        row_labels=labels,
        column_labels=tuple(str(s.number) for s in comparison.statements) + ((_("Index"),) if scored else ()),
        cells=rows,
        row_title=_("Enhet"),
        column_title=_("Påstående"),
    )


def comparison_chart_uri(comparison: Comparison, width: float = CONTENT_WIDTH) -> str:
    """The matrix as a page's image (drawn once per content)."""
    return heat_grid_uri(comparison_grid(comparison), width)


def comparison_chart_pages(comparison: Comparison, width: float = CONTENT_WIDTH) -> list[Drawing]:
    """The matrix for a PDF, split over pages when the city has many units."""
    return heat_grid_pages(comparison_grid(comparison), width=width)


def comparison_table(comparison: Comparison) -> ChartTable:
    table = heat_grid_table(comparison_grid(comparison))
    spoken = ("", *(f"{s.number}. {s.text}" for s in comparison.statements))
    return replace(table, header_spoken=spoken + (("",) if comparison.scored else ()))


def comparison_alt(comparison: Comparison) -> str:
    return _("Rutnät: %(n)d enheters bedömningar av %(m)d påståenden. Varje ruta visar nivån "
             "med färg, symbol och text. Siffrorna finns i tabellen.",
             n=len(comparison.units), m=len(comparison.statements))


def history_index_text(history: StatementHistory) -> str:
    """'2025: 25,0 · 2026: 33,3 (+8,3)': the statement's index round by round (the same
    statement key), with the change since the round before the last."""
    shown = [(r.year, r.index) for r in history.rounds if r.index is not None]
    text = " · ".join(f"{year}: {idx.index_text(value)}" for year, value in shown)
    if len(shown) > 1:
        text += f" ({idx.change_text(idx.change(shown[-1][1], shown[-2][1]))})"
    return text or "–"


def history_by_key(history: Sequence[StatementHistory]) -> dict[str, StatementHistory]:
    return {item.key: item for item in history}


def history_rows(history: StatementHistory) -> list[StackedRow]:
    return [StackedRow(item.label, tuple(Segment(c.level.label, c.count, c.level.colour)
                                          for c in item.distribution))
            for item in history.rounds]


def history_chart(history: StatementHistory, width: float = CONTENT_WIDTH) -> Drawing:
    return stacked_bars(history_rows(history), width=width, label_width=width * 0.3)


def history_table(history: StatementHistory) -> ChartTable:
    return stacked_bars_table(history_rows(history), label_header=_("Omgång"))


def distribution_rows(comparison: Comparison) -> list[StackedRow]:
    return [StackedRow(f"{s.number}. {s.text}", tuple(Segment(c.level.label, c.count, c.level.colour)
                                                       for c in s.distribution))
            for s in comparison.statements]


def distribution_chart(comparison: Comparison, width: float = CONTENT_WIDTH) -> Drawing:
    return stacked_bars(distribution_rows(comparison), width=width)


def distribution_table(comparison: Comparison) -> ChartTable:
    return stacked_bars_table(distribution_rows(comparison), label_header=_("Påstående"))
