"""The survey side of the city-wide picture: units × questions heatmap of the index 0–100 with
each cell's difference from the whole city, the index per question round by round, and the gap
between a board's self-assessment and what its staff answered.

Every figure comes from `survey_results`, a view of the round's one release
(`survey_release`): a cell hidden there has no figure here either; an earlier round's index is
read from that round's own release.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from flask_babel import gettext as _
from reportlab.graphics.shapes import Drawing
from reportlab.platypus import Flowable
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.formatting import format_change, format_index, format_percent
from app.models import Questionnaire, QuestionnaireVersion, Round, RoundUnit, Unit, UnitResponse
from app.models.rounds import round_questionnaires
from app.questions.types import chosen_value, question_type, rated_questions, staff_view_of
from app.reports.charts import ChartTable, TrendPoint, trend, trend_table
from app.reports.heat_grid import (
    HeatCell,
    HeatGrid,
    heat_grid_pages,
    heat_grid_table,
    heat_grid_uri,
)
from app.reports.levels import Level, level_of, levels_of
from app.reports.pdf import CONTENT_WIDTH, data_table, para, styles
from app.services import history
from app.services.anonymity import (
    TOTAL,
    CellKey,
    breakdown_cell,
    group_cell,
    subtotal_cell,
)
from app.services.rounds import main_version
from app.services.survey_release import breakdown_counts
from app.services.survey_results import (
    QuestionFigures,
    SurveyResults,
    counted_questions,
    question_figures,
    survey_results,
)
from app.sorting import name_key

# The gap rule: a board that rates a statement at the top level ("Ja, tillfredsställande")
# while less than this share of its staff answer favourably on the matching theme is flagged.
GAP_THRESHOLD_PERCENT = 50.0


@dataclass(frozen=True)
class Indicator:
    """A scored question (or matrix row) whose answers give an index 0–100."""

    key: str  # question key, or "question.row" for a matrix row
    question_key: str
    row_index: int  # 0 for a choice question, the row's place for a matrix
    label: str


@dataclass(frozen=True)
class HeatRow:
    cell: CellKey
    label: str
    n: int | None  # None: hidden by the threshold
    values: tuple[Decimal | None, ...]  # per indicator; None: hidden or not answered

    @property
    def shown(self) -> bool:
        return self.n is not None


@dataclass(frozen=True)
class SurveyHeatmap:
    indicators: tuple[Indicator, ...]
    rows: tuple[HeatRow, ...]  # units, roll-ups, pools; the city (total) last
    total: HeatRow
    threshold: int


def city_results(session: Session, round_: Round, language: str) -> SurveyResults | None:
    """The round's survey results as released, the tree's roll-up cells among them."""
    return survey_results(session, round_, language)


def indicators(results: SurveyResults, language: str) -> tuple[Indicator, ...]:
    found: list[Indicator] = []
    for question in counted_questions(results.definition):
        if not any(o.score is not None for o in results.definition.options_of(question)):
            continue
        text = question.text.get(language)
        rows = question_type(question).row_labels(question, language)
        if rows:
            found += [Indicator(f"{question.key}.{row_key}", question.key, index, f"{text} – {label}")
                      for index, (row_key, label) in enumerate(rows)]
        else:
            found.append(Indicator(question.key, question.key, 0, text))
    return tuple(found)


def _index(figures: list[QuestionFigures] | None, indicator: Indicator) -> Decimal | None:
    return _index_and_n(figures, indicator)[0]


def _index_and_n(figures: list[QuestionFigures] | None, indicator: Indicator) -> tuple[Decimal | None, int | None]:
    """The indicator's index in a shown cell and the respondents who answered it."""
    for question in figures or ():
        if question.key == indicator.question_key and question.rows is not None:
            answered = question.rows[indicator.row_index]
            return answered.index, answered.base if answered.index is not None else None
    return None, None


def build_heatmap(session: Session, results: SurveyResults, language: str) -> SurveyHeatmap:
    found = indicators(results, language)
    names = dict(session.execute(select(Unit.key, Unit.name)).tuples().all())
    decision = results.decision

    def heat_row(cell: CellKey, label: str) -> HeatRow:
        figures = results.figures(cell)
        n = decision.n[cell] if figures is not None else None
        return HeatRow(cell, label, n, tuple(_index(figures, i) for i in found))

    rows = [heat_row(r.cell, r.label) for r in results.rows if r.cell != TOTAL]
    rows += [heat_row(cell, _("%(unit)s, med underliggande enheter", unit=names.get(cell[1], cell[1])))
             for cell in decision.layout.rows if cell[0] == "subtotal"]
    total = heat_row(TOTAL, _("Hela staden"))
    return SurveyHeatmap(found, tuple(rows), total, decision.threshold)


def difference(value: Decimal | None, city: Decimal | None) -> Decimal | None:
    return value - city if value is not None and city is not None else None


def heat_text(value: Decimal | None, city: Decimal | None) -> str:
    """'72,4 (+5,0)': the index and its difference from the whole city; '–' when hidden."""
    if value is None:
        return "–"
    diff = difference(value, city)
    return format_index(value) if diff is None else f"{format_index(value)} ({format_change(diff)})"


def _heat_colour(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return "green" if value >= 67 else "amber" if value >= 34 else "red"


def heatmap_grid(heatmap: SurveyHeatmap) -> HeatGrid:
    rows = [*heatmap.rows, heatmap.total]
    return HeatGrid(
        row_labels=tuple(r.label for r in rows),
        column_labels=tuple(str(number) for number in range(1, len(heatmap.indicators) + 1)),
        # The whole city's own row has no difference to show.
        cells=tuple(tuple(HeatCell(heat_text(v, c if r is not heatmap.total else None), _heat_colour(v))
                          for v, c in zip(r.values, heatmap.total.values, strict=True)) for r in rows),
        row_title=_("Enhet"), column_title=_("Fråga (index 0–100)"),
    )


def heatmap_chart_uri(heatmap: SurveyHeatmap, width: float = CONTENT_WIDTH) -> str:
    """The heatmap as a page's image (drawn once per content)."""
    return heat_grid_uri(heatmap_grid(heatmap), width, width * 0.25)


def heatmap_chart_pages(heatmap: SurveyHeatmap, width: float = CONTENT_WIDTH) -> list[Drawing]:
    """The heatmap for a PDF, split over pages when the city has many units."""
    return heat_grid_pages(heatmap_grid(heatmap), width=width, row_label_width=width * 0.25)


def heatmap_table(heatmap: SurveyHeatmap) -> ChartTable:
    table = heat_grid_table(heatmap_grid(heatmap))
    return replace(table, header_spoken=("", *(f"{n}. {i.label}" for n, i in enumerate(heatmap.indicators, start=1))))


# --- index over the rounds -------------------------------------------------------------------


@dataclass(frozen=True)
class IndexTrend:
    indicator: Indicator
    points: tuple[TrendPoint, ...]  # oldest first; None where the city's figure is hidden


def survey_rounds(session: Session, round_: Round) -> list[Round]:
    """Rounds of the same survey questionnaire key up to `round_`, oldest first."""
    version = round_.version_of_kind("survey")
    if version is None:
        return []
    found = session.scalars(
        select(Round)
        .join(round_questionnaires, round_questionnaires.c.round_id == Round.id)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == round_questionnaires.c.questionnaire_version_id)
        .join(Questionnaire, Questionnaire.id == QuestionnaireVersion.questionnaire_id)
        .where(Questionnaire.key == version.questionnaire.key,
               history.up_to(round_))
        .order_by(*history.OLDEST_FIRST)
    ).all()
    return list(dict.fromkeys(found))


def build_trends(session: Session, round_: Round, current: SurveyResults, language: str
                 ) -> tuple[IndexTrend, ...]:
    """Per indicator the whole city's index in each round, as each round's own release shows it."""
    per_round: list[tuple[Round, list[QuestionFigures] | None]] = []
    for earlier in survey_rounds(session, round_):
        results = current if earlier.id == round_.id else survey_results(session, earlier, language)
        per_round.append((earlier, results.figures(TOTAL) if results is not None else None))
    return tuple(
        IndexTrend(indicator, tuple(TrendPoint(str(r.year), *_index_and_n(figures, indicator))
                                    for r, figures in per_round))
        for indicator in indicators(current, language)
    )


def has_trend(trends: tuple[IndexTrend, ...]) -> bool:
    """Charts over time only with two rounds or more: one round's index is a figure, not a
    chart of one bar."""
    return any(len(item.points) >= 2 for item in trends)


def trend_chart(item: IndexTrend) -> Drawing:
    return trend(item.points)


def trend_figures(item: IndexTrend) -> ChartTable:
    return trend_table(item.points, label_header=_("Omgång"), value_header=_("Index (0–100)"))


def single_round_table(trends: tuple[IndexTrend, ...]) -> ChartTable:
    """With one round only: each question's index and its n, as one table of figures."""
    year = trends[0].points[-1].label if trends and trends[0].points else ""
    rows = []
    for number, item in enumerate(trends, start=1):
        point = item.points[-1] if item.points else TrendPoint("", None)
        rows.append((f"{number}. {item.indicator.label}", format_index(point.value),
                     str(point.n) if point.n is not None and point.value is not None else "–"))
    return ChartTable((_("Fråga"), _("Index %(year)s (0–100)", year=year), "n"), tuple(rows))


def single_round_text() -> str:
    return _("Det finns bara en omgång av enkäten. Index över tid visas som diagram när det finns "
             "minst två omgångar.")


# --- the gap between a board and its staff --------------------------------------------------


@dataclass(frozen=True)
class GapRow:
    unit_key: str
    unit_name: str
    statement_number: int
    statement_key: str
    statement_text: str
    staff_label: str
    level: Level | None  # the board's submitted rating
    favourable: float | None  # share of staff answering favourably; None when hidden
    n: int | None  # staff who answered the question; None when hidden

    @property
    def flagged(self) -> bool:
        return (self.level is not None and self.level.rank == 0 and self.favourable is not None
                and self.favourable < GAP_THRESHOLD_PERCENT)


def unit_cell(results: SurveyResults, key: str) -> CellKey:
    """A unit's staff: its roll-up when units below it answer too, else its own respondents."""
    cell = subtotal_cell(key)
    return cell if cell in results.decision.layout.cells else group_cell(key)


def build_gap(session: Session, round_: Round, results: SurveyResults, language: str,
              unit_key: str | None = None) -> tuple[GapRow, ...]:
    """Per invited unit (or only `unit_key`) and statement with a `staff_view` in the
    questionnaire: the board's rating beside its staff's share of favourable answers (hidden
    below the threshold)."""
    version = main_version(round_)
    survey = round_.version_of_kind("survey")
    if version is None or survey is None:
        return ()
    definition = version.parsed()
    ratings = rated_questions(definition)
    linked = [(number, q) for number, q in enumerate(ratings, start=1)
              if (view := staff_view_of(q)) is not None and view.survey == survey.questionnaire.key]
    if not linked:
        return ()
    invited = (select(Unit.id, Unit.key, Unit.name).join(RoundUnit, RoundUnit.unit_id == Unit.id)
               .where(RoundUnit.round_id == round_.id))
    if unit_key is not None:
        invited = invited.where(Unit.key == unit_key)
    units = sorted(session.execute(invited).all(), key=lambda u: (name_key(u.name), u.key))
    answers = dict(session.execute(
        select(UnitResponse.unit_id, UnitResponse.answers).where(
            UnitResponse.round_id == round_.id, UnitResponse.questionnaire_version_id == version.id,
            UnitResponse.status == "submitted")).tuples().all())
    survey_definition = results.definition
    rows: list[GapRow] = []
    for uid, key, name in units:
        figures = results.figures(unit_cell(results, key))
        for number, question in linked:
            view = staff_view_of(question)
            assert view is not None
            value = chosen_value(question, answers.get(uid))
            level = level_of(levels_of(definition, question, language), value)
            share, n = _favourable(figures, survey_definition, view.question, view.row, view.favourable)
            label = (view.label.get(language) if view.label
                     else survey_definition.question(view.question).text.get(language))
            rows.append(GapRow(key, name, number, question.key, question.text.get(language), label,
                               level, share, n))
    return tuple(rows)


def _favourable(figures: list[QuestionFigures] | None, definition, question_key: str,
                row_key: str | None, favourable: list[str]) -> tuple[float | None, int | None]:
    for question in figures or ():
        if question.key != question_key or question.rows is None:
            continue
        index = 0
        if row_key is not None:
            asked = definition.question(question_key)
            index = [row.key for row in asked.rows].index(row_key)
        answered = question.rows[index]
        if not answered.base:
            return None, None
        count = sum(o.count for o in answered.options if o.value in favourable)
        return 100.0 * count / answered.base, answered.base
    return None, None


def gap_share_text(row: GapRow) -> str:
    if row.favourable is None:
        return _("För få svar för att visa")
    return f"{format_percent(row.favourable)} (n = {row.n})"


def index_text(value: Decimal | None) -> str:
    return format_index(value)


# --- breakdowns by the background questions --------------------------------------------------


@dataclass(frozen=True)
class BreakdownRow:
    value: str
    label: str
    n: int | None  # respondents with this answer; None when hidden
    values: tuple[Decimal | None, ...]  # index per indicator; None when hidden


@dataclass(frozen=True)
class BreakdownTable:
    question_key: str
    question_text: str
    rows: tuple[BreakdownRow, ...]


def build_breakdowns(session: Session, results: SurveyResults, language: str,
                     row: CellKey = TOTAL) -> tuple[BreakdownTable, ...]:
    """The index per indicator of `row` (the whole city, or a unit's cell) split by each
    background question (`breakdown: true`): the split's respondents and each indicator's
    answers are cells of the round's release (`survey_release`), decided with every other cell
    any output shows, so a unit's groups are hidden below the threshold and wherever the unit's
    other figures would give them away."""
    return build_breakdowns_of(session, results, language, [row]).get(row, ())


def build_breakdowns_of(session: Session, results: SurveyResults, language: str,
                        rows: list[CellKey]) -> dict[CellKey, tuple[BreakdownTable, ...]]:
    """`build_breakdowns` for several rows (a PDF of every unit), reading the answers once."""
    definition = results.definition
    found = indicators(results, language)
    if not results.release.background or not found or not rows:
        return {}
    decision = results.decision
    protected = breakdown_counts(session, results.release, sorted({i.question_key for i in found}))
    by_row: dict[CellKey, tuple[BreakdownTable, ...]] = {}
    for row in rows:
        tables = []
        for asked in (definition.question(key) for key in results.release.background):
            lines = []
            for option in definition.options_of(asked):
                cell = breakdown_cell(asked.key, option.value, row)
                shown = decision.shown(cell)
                lines.append(BreakdownRow(
                    option.value, option.label.get(language), decision.n[cell] if shown else None,
                    tuple(_index([question_figures(definition, definition.question(i.question_key),
                                                    protected[i.question_key], cell, language)], i)
                          if shown else None for i in found)))
            tables.append(BreakdownTable(asked.key, asked.text.get(language), tuple(lines)))
        by_row[row] = tuple(tables)
    return by_row


def breakdown_flowables(tables: tuple[BreakdownTable, ...], found: tuple[Indicator, ...]) -> list[Flowable]:
    """The breakdowns for a PDF, one table per background question with a row per question and
    a column per answer (its respondents in the first row): sixteen questions as columns would break every
    figure over two lines on an A4 page."""
    s = styles()
    story: list[Flowable] = []
    for table in tables:
        header = [_("Fråga"), *(row.label for row in table.rows)]
        rows = [[_("Antal svarande"), *(str(row.n) if row.n is not None else "–" for row in table.rows)]]
        rows += [[f"{number}. {indicator.label}", *(index_text(row.values[number - 1]) for row in table.rows)]
                 for number, indicator in enumerate(found, start=1)]
        columns = max(len(table.rows), 1)
        widths = [CONTENT_WIDTH * 0.4, *([CONTENT_WIDTH * 0.6 / columns] * columns)]
        # Not kept together: a table of sixteen long questions would leave a page empty.
        story += [para(table.question_text, s.body), data_table(header, rows, widths)]
    return story
