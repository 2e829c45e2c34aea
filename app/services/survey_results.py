"""Survey results per unit, pool, roll-up and total, as figures for pages, PDFs and exports.

Every figure an output prints comes from `SurveyResults`, a view of the round's one release
(`survey_release.release`, decided once over the union of all groupings): a hidden cell has a
status and no figures, whichever output asks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.definitions.schema import (
    Definition,
    Question,
)
from app.formatting import one_decimal
from app.models import Round
from app.models.survey import READABLE_TEXT_STATUSES, SurveyAnswer, SurveyResponse, SurveyText
from app.questions.summary import OptionFigure as OptionFigure
from app.questions.summary import RowFigures as RowFigures
from app.questions.types import StoredCell, question_type
from app.services.anonymity import (
    TOTAL,
    CellKey,
    Decision,
    ProtectedCounts,
)
from app.services.survey_release import Release, release
from app.services.survey_release import (
    counted_questions as counted_questions,  # where outputs look for it
)
from app.sorting import name_key


@dataclass(frozen=True)
class QuestionFigures:
    key: str
    text: str
    kind: str  # single_choice | multiple_choice | matrix
    rows: tuple[RowFigures, ...] | None  # None: too few answered this question here


@dataclass(frozen=True)
class ResultRow:
    """A line of the per-unit table: a unit, a pool of small units, or the total."""

    cell: CellKey
    label: str
    status: str  # shown | primary | complementary | pooled
    n: int | None  # only when shown

    @property
    def ref(self) -> str:
        """The cell in a URL: a unit key, 'pool:<parent key>' or 'total'."""
        if self.cell == TOTAL:
            return "total"
        return self.cell[1] if self.cell[0] == "group" else f"pool:{self.cell[1]}"


@dataclass(frozen=True)
class SurveyResults:
    round: Round
    definition: Definition
    language: str
    decision: Decision
    rows: tuple[ResultRow, ...]
    questions: tuple[tuple[Question, ProtectedCounts], ...]
    unit_ids: dict[str, int]
    release: Release

    def row(self, ref: str) -> ResultRow | None:
        return next((r for r in self.rows if r.ref == ref), None)

    def figures(self, cell: CellKey) -> list[QuestionFigures] | None:
        """Every question's figures for a shown cell; None for a hidden one."""
        if not self.decision.shown(cell):
            return None
        return [question_figures(self.definition, q, counts, cell, self.language) for q, counts in self.questions]


@dataclass(frozen=True)
class ValueFigures:
    """A question summarised by its values in one cell (numbers: n, mean, median, quartiles;
    dates: n, earliest, latest) as (label, value) lines; None: too few answered it here."""

    key: str
    text: str
    lines: tuple[tuple[str, str], ...] | None


def value_figures(session: Session, results: SurveyResults, cell: CellKey) -> list[ValueFigures] | None:
    """Every summarised question's figures for a shown cell; None for a hidden one. A question
    answered by too few in the cell (its base protected like every counted question's) has no
    lines. The values are read from the released answer rows of the cell's units."""
    if not results.decision.shown(cell) or not results.release.values:
        return None
    units = [results.unit_ids[atom[1]] for atom in results.decision.layout.cells[cell]
             if atom[0] == "group" and atom[1] in results.unit_ids]
    found = []
    for question, counts in results.release.values:
        text = question.text.get(results.language)
        if counts.get(cell) is None:
            found.append(ValueFigures(question.key, text, None))
            continue
        kind = question_type(question)
        stored = [StoredCell(number=number) for number in session.scalars(
            select(SurveyAnswer.number).join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .where(SurveyResponse.round_id == results.round.id, SurveyResponse.unit_id.in_(units),
                   SurveyAnswer.question_key == question.key, SurveyAnswer.number.is_not(None)))]
        summary = kind.summarise_values(question, stored)
        lines = (tuple(kind.summary_lines(question, summary, results.language, results.release.threshold))
                 if summary is not None else None)
        found.append(ValueFigures(question.key, text, lines))
    return found


def question_figures(definition: Definition, question: Question, counts: ProtectedCounts,
                      cell: CellKey, language: str) -> QuestionFigures:
    found = counts.get(cell)
    kind = question.type
    if found is None:
        return QuestionFigures(question.key, question.text.get(language), kind, None)
    rows = question_type(question).summarise(question, definition, found.counts, found.base, language)
    return QuestionFigures(question.key, question.text.get(language), kind, rows)


def survey_results(session: Session, round_: Round, language: str) -> SurveyResults | None:
    """The round's survey results as released (None without a survey): every output, whether
    it shows units' own figures or roll-ups, reads the cells of the round's one release."""
    found = release(session, round_)
    if found is None:
        return None
    rows = tuple(_result_rows(found.decision, dict(found.names)))
    return SurveyResults(round_, found.definition, language, found.decision, rows, found.questions,
                         dict(found.unit_ids), found)


def _result_rows(decision: Decision, names: dict[str, str]) -> Iterator[ResultRow]:
    def row(cell: CellKey, label: str) -> ResultRow:
        status = decision.status[cell]
        return ResultRow(cell, label, status, decision.n[cell] if status == "shown" else None)

    groups = sorted((c for c in decision.layout.rows if c[0] == "group"),
                    key=lambda c: (name_key(names.get(c[1], c[1])), c[1]))
    for cell in groups:
        yield row(cell, names.get(cell[1], cell[1]))
    for pool in decision.pools:
        parent = names.get(pool.parent, "") if pool.parent else ""
        label = _("Övriga enheter inom %(parent)s", parent=parent) if parent else _("Övriga enheter")
        yield row(pool.cell, label)
    yield row(TOTAL, _("Totalt"))


def readable_texts(session: Session, results: SurveyResults, row: ResultRow, role: str) -> list[SurveyText] | None:
    """A shown unit's reviewed free texts, when the round shows free texts, the unit has at
    least the free-text threshold of responses and `role` may read them; None otherwise."""
    round_ = results.round
    roles = {r.strip() for r in round_.free_text_roles.split(",") if r.strip()}
    if (not round_.free_text_enabled or role not in roles or row.cell[0] != "group" or row.n is None
            or row.n < max(round_.free_text_threshold, round_.anonymity_threshold)):
        return None
    unit_id = results.unit_ids[row.cell[1]]
    return list(session.scalars(
        select(SurveyText).where(SurveyText.round_id == round_.id, SurveyText.unit_id == unit_id,
                                 SurveyText.status.in_(READABLE_TEXT_STATUSES))
        .order_by(SurveyText.question_key, SurveyText.id)
    ))


EXPORT_HEADER = ("enhet", "antal_svarande", "fraga", "fragetext", "rad", "svarsalternativ", "antal",
                 "andel_procent", "index")


def export_rows(results: SurveyResults) -> Iterator[tuple[object, ...]]:
    """Long-format rows of every shown cell's figures (hidden cells contribute nothing)."""
    for row in results.rows:
        figures = results.figures(row.cell)
        if figures is None:
            continue
        for question in figures:
            for answered in question.rows or ():
                for option in answered.options:
                    yield (row.label, row.n, question.key, question.text, answered.label, option.label,
                           option.count, one_decimal(option.percent), answered.index)
