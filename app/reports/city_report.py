"""The city-wide lägesbild of a round: the content computed once (`build_city_report`), shown as
a page (templates/city/report.html) and as a PDF (`render_city_pdf`) with the same content.

Cover, summary with key figures, the comparison matrix, per-statement distributions and trends,
the survey (heatmap, index per round, response rates), the board/staff gap, and an appendix per
unit, and the risk overview when the round has a risk-analysis template.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Spacer
from sqlalchemy.orm import Session

from app.formatting import format_percent, format_share
from app.reports import city_survey, comparison, survey_figures
from app.reports import index as idx
from app.reports.comparison import Comparison, Filters, StatementHistory
from app.reports.comparison_data import StatementColumn
from app.reports.levels import short_label
from app.reports.pdf import CONTENT_WIDTH, ReportMeta, build_pdf, data_table, para, styles
from app.reports.risk_report import city_risk_flowables
from app.reports.unit_report import LOCAL_TIME, report_round
from app.services.anonymity import TOTAL
from app.services.risks.city import CityOverview, city_overview
from app.services.survey import ResponseRate, response_rates
from app.services.survey_results import QuestionFigures


@dataclass(frozen=True)
class SurveyPart:
    heatmap: city_survey.SurveyHeatmap
    trends: tuple[city_survey.IndexTrend, ...]
    rates: tuple[ResponseRate, ...]
    total_rate: ResponseRate
    gap: tuple[city_survey.GapRow, ...]
    breakdowns: tuple[city_survey.BreakdownTable, ...]
    figures: tuple[QuestionFigures, ...] | None  # the whole city's answers per question; None when hidden


@dataclass(frozen=True)
class CityReport:
    round_key: str
    round_name: str
    year: int
    comparison: Comparison
    history: tuple[StatementHistory, ...]
    survey: SurveyPart | None
    made_on: date
    language: str
    risks: CityOverview | None = None

    @property
    def weakest(self) -> tuple[StatementColumn, ...]:
        """The worst statements (lowest index, ties by more at the lowest level) that some
        unit rated below the top level, at most three."""
        return tuple(s for s in self.comparison.statements if s.weak)[:3]

    @property
    def flagged(self) -> tuple[city_survey.GapRow, ...]:
        return tuple(row for row in self.survey.gap if row.flagged) if self.survey else ()


def build_city_report(session: Session, round_key: str, language: str = "sv") -> CityReport:
    round_ = report_round(session, round_key)
    found = comparison.build_comparison(session, round_key, Filters(), language)
    history = comparison.build_history(session, round_key, language)
    survey = None
    results = city_survey.city_results(session, round_, language)
    if results is not None:
        rows, total = response_rates(session, round_)
        survey = SurveyPart(
            heatmap=city_survey.build_heatmap(session, results, language),
            trends=city_survey.build_trends(session, round_, results, language),
            rates=tuple(rows), total_rate=total,
            gap=city_survey.build_gap(session, round_, results, language),
            breakdowns=city_survey.build_breakdowns(session, results, language),
            figures=_tuple_or_none(results.figures(TOTAL)),
        )
    made_on = datetime.now(LOCAL_TIME).date()
    risks = city_overview(session, round_, language, made_on) if round_.version_of_kind("risk_template") else None
    return CityReport(round_.key, round_.name, round_.year, found, history, survey, made_on, language, risks)


def _tuple_or_none(figures: list[QuestionFigures] | None) -> tuple[QuestionFigures, ...] | None:
    return tuple(figures) if figures is not None else None


# --- wording shared by the page and the PDF --------------------------------------------------


def report_title(report: CityReport) -> str:
    """'Lägesbild 2026 – Uppföljning av revisionens rekommendationer': the unit questionnaire's
    own title."""
    return _("Lägesbild %(year)s – %(questionnaire)s", year=report.year,
             questionnaire=report.comparison.questionnaire_title)


def weakest_heading(report: CityReport) -> str:
    c = report.comparison
    if c.scored:
        return _("Påståenden med lägst index")
    return _("Påståenden där flest enheter ligger på %(levels)s", levels=comparison.weak_label(c))


def weakest_text(report: CityReport, statement: StatementColumn) -> str:
    """'7. Samverka med polis … (index 33,3; 2 under Genomförd)'."""
    below = _("%(n)d under %(top)s", n=statement.weak,
              top=short_label(report.comparison.levels[0])) if report.comparison.levels else ""
    if report.comparison.scored:
        return f"{statement.number}. {statement.text} ({_('index')} {idx.index_text(statement.index)}; {below})"
    return f"{statement.number}. {statement.text} ({below})"


def key_figures(report: CityReport) -> list[tuple[str, str]]:
    c = report.comparison
    figures = [
        (_("Inbjudna enheter"), str(c.invited)),
        (_("Enheter som lämnat in"), str(c.submitted)),
    ]
    counted = sum(s.counted for s in c.statements)
    for level in c.levels:
        at = sum(item.count for s in c.statements for item in s.distribution if item.level == level)
        figures.append((_("Bedömningar %(level)s", level=short_label(level)),
                        f"{at} ({format_share(at, counted)})"))
    if c.scored:
        figures.append((_("Stadens index (medelvärdet av %(n)d enheters index)", n=c.indexed_units),
                        idx.index_text(c.city_index)))
    if report.survey is not None:
        rate = report.survey.total_rate
        figures.append((_("Svar på medarbetarenkäten"), str(rate.completed)))
        if rate.completed_share is not None:
            figures.append((_("Svarsfrekvens"), format_percent(rate.completed_share)))
        figures.append((_("Enheter där styrelsen och medarbetarna skiljer sig åt"),
                        str(len({row.unit_key for row in report.flagged}))))
    return figures


def gap_rule() -> str:
    return _("Markeras när nämnden/bolaget bedömer påståendet som ”Ja, tillfredsställande” men "
             "mindre än %(p)s av medarbetarna svarar positivt på den fråga som hör till påståendet "
             "(enligt formulärets staff_view). Enheter med för få svar visas inte.",
             p=format_percent(city_survey.GAP_THRESHOLD_PERCENT))


# --- PDF -------------------------------------------------------------------------------------


def render_city_pdf(report: CityReport) -> bytes:
    s = styles()
    c = report.comparison
    story: list[Flowable] = [
        Spacer(1, 120),
        para(report_title(report), s.title),
        para(report.round_name, s.subtitle),
        para(_("Stadsövergripande lägesbild, framtagen %(date)s", date=report.made_on.isoformat()), s.body),
        PageBreak(),
        para(_("Sammanfattning"), s.h1),
        data_table([_("Nyckeltal"), _("Värde")], key_figures(report), [CONTENT_WIDTH * 0.7, CONTENT_WIDTH * 0.3]),
    ]
    if report.weakest:
        story.append(para(weakest_heading(report), s.h2))
        for statement in report.weakest:
            story.append(para(weakest_text(report, statement), s.body))
    story += [
        para(_("Jämförelse mellan enheterna"), s.h1),
        para(", ".join(f"{st.number}. {st.text}" for st in c.statements), s.small),
        para(comparison.matrix_legend(c), s.small),
        *([para(comparison.index_note(c), s.small)] if c.scored else []),
        *comparison.comparison_chart_pages(c),
        para(_("Fördelning per påstående"), s.h1),
        comparison.distribution_chart(c),
        para(_("Utveckling över tid"), s.h1),
    ]
    for item in report.history:
        story.append(KeepTogether([
            para(f"{item.number}. {item.text}", s.h2),
            *([para(_("Index: %(rounds)s", rounds=comparison.history_index_text(item)), s.small)] if c.scored else []),
            comparison.history_chart(item)]))
    if report.survey is not None:
        story += _survey_story(report.survey)
    if report.risks is not None:
        story += city_risk_flowables(report.risks, report.language)
    story.append(PageBreak())
    story.append(para(_("Bilaga: enheterna"), s.h1))
    numbers = {st.key: st.number for st in c.statements}
    for row in c.units:
        lines = [[f"{numbers[cell.statement_key]}. {_statement_text(c, cell.statement_key)}",
                  cell.level.label if cell.level else _("Ej bedömd"),
                  comparison.change_label(cell.change)] for cell in row.cells]
        story.append(KeepTogether([
            para(row.name, s.h2),
            *([para(unit_index_line(row), s.body)] if c.scored else []),
            data_table([_("Påstående"), _("Bedömning"), _("Förändring")], lines,
                       [CONTENT_WIDTH * 0.6, CONTENT_WIDTH * 0.22, CONTENT_WIDTH * 0.18]),
        ]))
    meta = ReportMeta(title=report_title(report), subject=report.round_name, made_on=report.made_on,
                      language=report.language)
    return build_pdf(meta, story)


def unit_index_line(row: comparison.UnitRow) -> str:
    """'Index 78,6 (2025: 42,9, förändring +35,7)' for the appendix."""
    text = _("Index %(index)s", index=idx.index_text(row.index))
    if row.index is not None and row.index_change is not None:
        text += " " + _("(%(year)s: %(then)s, förändring %(change)s)", year=row.previous_year,
                        then=idx.index_text(row.previous_index), change=idx.change_text(row.index_change))
    return text


def _statement_text(c: Comparison, key: str) -> str:
    return next(st.text for st in c.statements if st.key == key)


def _survey_story(survey: SurveyPart) -> list[Flowable]:
    s = styles()
    story: list[Flowable] = [
        para(_("Medarbetarenkäten"), s.h1),
        para(_("Index 0–100 per fråga och enhet, med skillnaden mot hela staden inom parentes. "
               "Grupper med färre än %(n)d svarande visas inte.", n=survey.heatmap.threshold), s.small),
        para("; ".join(f"{number}. {i.label}" for number, i in enumerate(survey.heatmap.indicators, start=1)),
             s.small),
        *city_survey.heatmap_chart_pages(survey.heatmap),
        para(_("Index över tid"), s.h2),
    ]
    if city_survey.has_trend(survey.trends):
        for item in survey.trends:
            story.append(KeepTogether([para(item.indicator.label, s.body), city_survey.trend_chart(item)]))
    elif survey.trends:
        single = city_survey.single_round_table(survey.trends)
        story.append(para(city_survey.single_round_text(), s.small))
        story.append(data_table(single.header, single.rows,
                                [CONTENT_WIDTH * 0.7, CONTENT_WIDTH * 0.18, CONTENT_WIDTH * 0.12]))
    if survey.breakdowns:
        story.append(para(_("Per bakgrundsfråga"), s.h2))
        story += city_survey.breakdown_flowables(survey.breakdowns, survey.heatmap.indicators)
    if survey.figures is not None:
        story.append(para(_("Hela stadens svar per fråga"), s.h2))
        story += survey_figures.figures_flowables(survey.figures)
    story.append(para(_("Svarsfrekvens"), s.h2))
    rates = [*survey.rates, survey.total_rate]
    story.append(data_table(
        [_("Enhet"), _("Inbjudna"), _("Svar"), _("Svarsfrekvens"), _("Påbörjade"), _("Avböjde")],
        [[r.label, r.invited if r.invited is not None else "–", r.completed, format_percent(r.completed_share),
          r.started, r.declined] for r in rates],
        [CONTENT_WIDTH * 0.3, CONTENT_WIDTH * 0.12, CONTENT_WIDTH * 0.1, CONTENT_WIDTH * 0.18,
         CONTENT_WIDTH * 0.15, CONTENT_WIDTH * 0.15]))
    story.append(para(_("Styrelsens bedömning och medarbetarnas svar"), s.h1))
    story.append(para(gap_rule(), s.small))
    story.append(data_table(
        [_("Enhet"), _("Påstående"), _("Bedömning"), _("Medarbetarna"), _("Markerad")],
        [[row.unit_name, f"{row.statement_number}. {row.staff_label}",
          row.level.label if row.level else _("Ej bedömd"), city_survey.gap_share_text(row),
          _("Ja") if row.flagged else ""] for row in survey.gap],
        [CONTENT_WIDTH * 0.2, CONTENT_WIDTH * 0.34, CONTENT_WIDTH * 0.18, CONTENT_WIDTH * 0.18,
         CONTENT_WIDTH * 0.1]))
    return story
