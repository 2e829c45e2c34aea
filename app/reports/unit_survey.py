"""The staff survey's section of the unit report: the unit's own figures (or its pool's, or
nothing when too few answered), its response rate, and the gap between its board's ratings and
its staff's answers.

The figures come from the round's one release (`survey_release`, via `city_survey.city_results`),
as every other survey output's do, so the unit report shows exactly the cells the others show
and adds nothing that could be subtracted.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from reportlab.platypus import Flowable
from sqlalchemy.orm import Session

from app.formatting import format_percent
from app.models import Round, Unit
from app.reports import city_survey, survey_figures
from app.reports.pdf import CONTENT_WIDTH, data_table, para, styles
from app.services.anonymity import CellKey
from app.services.survey import ResponseRate, response_rates
from app.services.survey_results import QuestionFigures, SurveyResults

# What the section can show for the unit.
STATUSES: tuple[str, ...] = ("shown", "pooled", "hidden", "none")


@dataclass(frozen=True)
class UnitSurveySection:
    title: str  # the survey questionnaire's title
    threshold: int
    status: str  # one of STATUSES: "none" when nobody in the unit has answered
    group_label: str  # whose answers the figures are: the unit, the unit and the units below, a pool
    n: int | None  # respondents behind the figures (only when figures are shown)
    figures: tuple[QuestionFigures, ...] | None
    rate: ResponseRate | None
    gap: tuple[city_survey.GapRow, ...]
    # The unit's figures split by each background question, numbered as `indicators`; empty
    # when the unit's own figures are hidden or the survey has no background question.
    indicators: tuple[city_survey.Indicator, ...] = ()
    breakdowns: tuple[city_survey.BreakdownTable, ...] = ()


def build_unit_survey(session: Session, round_: Round, unit: Unit, language: str) -> UnitSurveySection | None:
    """None when the round has no staff survey."""
    results = city_survey.city_results(session, round_, language)
    if results is None:
        return None
    cell, label = _cell_and_label(results, unit)
    figures = results.figures(cell) if cell is not None else None
    status = _status(results, cell, figures)
    rows, _total = response_rates(session, round_)
    gap = city_survey.build_gap(session, round_, results, language, unit_key=unit.key)
    breakdowns = (city_survey.build_breakdowns(session, results, language, row=cell)
                  if figures is not None and cell is not None else ())
    if not any(row.n is not None for table in breakdowns for row in table.rows):
        breakdowns = ()  # no group of the unit can be shown: no table of dashes
    return UnitSurveySection(
        title=results.definition.title.get(language),
        threshold=results.decision.threshold,
        status=status,
        group_label=label,
        n=results.decision.n[cell] if figures is not None and cell is not None else None,
        figures=tuple(figures) if figures is not None else None,
        rate=next((row for row in rows if row.unit_key == unit.key), None),
        gap=gap,
        indicators=city_survey.indicators(results, language) if breakdowns else (),
        breakdowns=breakdowns,
    )


def _cell_and_label(results: SurveyResults, unit: Unit) -> tuple[CellKey | None, str]:
    """The unit's own cell (its roll-up when units below it answer too) or, when it is pooled
    with small siblings, the pool's cell."""
    cell = city_survey.unit_cell(results, unit.key)
    if cell not in results.decision.layout.cells:
        return None, unit.name
    if results.decision.status.get(cell) == "pooled":
        pool = next((p for p in results.decision.pools if unit.key in p.members), None)
        row = results.row(f"pool:{pool.parent}") if pool is not None else None
        if pool is not None and row is not None:
            return pool.cell, row.label
    if cell[0] == "subtotal":
        return cell, _("%(unit)s med underliggande enheter", unit=unit.name)
    return cell, unit.name


def _status(results: SurveyResults, cell: CellKey | None, figures: object) -> str:
    if cell is None or not results.decision.n.get(cell):
        return "none"
    if figures is None:
        return "hidden"
    return "pooled" if cell[0] == "pool" else "shown"


# --- wording shared by the page and the PDF --------------------------------------------------


def status_text(section: UnitSurveySection) -> str:
    if section.status == "none":
        return _("Ingen medarbetare vid enheten har svarat på enkäten.")
    if section.status == "hidden":
        return _("Färre än %(n)d medarbetare har svarat, eller så skulle enhetens svar kunna räknas fram "
                 "ur andra gruppers. Resultaten visas därför inte, för att skydda de svarandes anonymitet.",
                 n=section.threshold)
    if section.status == "pooled":
        return _("Enheten har för få svar för att redovisas för sig. Svaren redovisas tillsammans med "
                 "andra små enheter: %(group)s, %(n)d svarande.", group=section.group_label, n=section.n or 0)
    return _("%(group)s: %(n)d svarande.", group=section.group_label, n=section.n or 0)


def rate_text(rate: ResponseRate) -> str:
    parts = [_("%(n)d svar", n=rate.completed)]
    if rate.invited is not None:
        parts.insert(0, _("%(n)d inbjudna", n=rate.invited))
        if rate.completed_share is not None:
            parts[-1] += f" ({format_percent(rate.completed_share)})"
    parts.append(_("%(n)d påbörjade", n=rate.started))
    parts.append(_("%(n)d avböjde", n=rate.declined))
    return ", ".join(parts)


def survey_flowables(section: UnitSurveySection) -> list[Flowable]:
    s = styles()
    story: list[Flowable] = [para(_("Medarbetarenkäten"), s.h1), para(section.title, s.body)]
    if section.rate is not None:
        story.append(para(_("Svarsfrekvens: %(rate)s", rate=rate_text(section.rate)), s.body))
    story.append(para(status_text(section), s.body))
    if section.gap:
        story.append(para(_("Styrelsens bedömning och medarbetarnas svar"), s.h2))
        story.append(data_table(
            [_("Påstående"), _("Bedömning"), _("Medarbetarna"), _("Markerad")],
            [[f"{row.statement_number}. {row.staff_label}", row.level.label if row.level else _("Ej bedömd"),
              city_survey.gap_share_text(row), _("Ja") if row.flagged else ""] for row in section.gap],
            [CONTENT_WIDTH * 0.46, CONTENT_WIDTH * 0.2, CONTENT_WIDTH * 0.22, CONTENT_WIDTH * 0.12]))
    if section.figures is not None:
        story += survey_figures.figures_flowables(section.figures)
    story += breakdown_flowables(section)
    return story


def breakdown_text(section: UnitSurveySection) -> str:
    return _("Index 0–100 per fråga för de svarande med varje svar på bakgrundsfrågan, inom %(group)s. "
             "Grupper med färre än %(n)d svarande visas inte, inte heller en grupp som skulle kunna "
             "räknas fram ur de andra.", group=section.group_label, n=section.threshold)


def breakdown_flowables(section: UnitSurveySection) -> list[Flowable]:
    """The unit's split by each background question, as on the page."""
    if not section.breakdowns:
        return []
    s = styles()
    return [para(_("Per bakgrundsfråga"), s.h2), para(breakdown_text(section), s.small),
            *city_survey.breakdown_flowables(section.breakdowns, section.indicators)]
