"""Survey PDFs: printable access-code slips, and the results of a round (only what the
anonymity decision shows), on the shared PDF base and charts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Table, TableStyle

from app.reports.city_survey import BreakdownTable, Indicator, breakdown_flowables
from app.reports.pdf import LINE, ReportMeta, build_pdf, para, styles
from app.reports.survey_figures import figures_flowables
from app.services.anonymity import CellKey
from app.services.survey_results import SurveyResults

SLIPS_PER_ROW = 2


def code_slips_pdf(round_name: str, unit_name: str, link: str, codes: Sequence[str]) -> bytes:
    """One slip per code, to cut out and hand to staff: where to go and the code to type."""
    s = styles()

    def slip(code: str) -> list[Flowable]:
        return [
            para(_("Enkät om otillåten påverkan"), s.h2),
            para(f"{round_name} – {unit_name}", s.small),
            para(_("Gå till %(link)s och skriv in koden:", link=link), s.body),
            para(code, s.h1),
            para(_("Koden kan användas en gång. Dina svar är anonyma."), s.small),
        ]

    cells = [slip(code) for code in codes]
    rows = [cells[i : i + SLIPS_PER_ROW] for i in range(0, len(cells), SLIPS_PER_ROW)]
    if rows and len(rows[-1]) < SLIPS_PER_ROW:
        rows[-1] = rows[-1] + [[]] * (SLIPS_PER_ROW - len(rows[-1]))
    table = Table(rows, colWidths=[85 * mm] * SLIPS_PER_ROW)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, LINE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 8),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
    ]))
    return build_pdf(ReportMeta(title=_("Koder – %(unit)s", unit=unit_name)), [table])


def results_pdf(results: SurveyResults, breakdowns: Mapping[CellKey, tuple[BreakdownTable, ...]] | None = None,
                indicators: tuple[Indicator, ...] = ()) -> bytes:
    """Each shown cell's figures as percentage bars, and its split by the background questions
    (`breakdowns`, as `city_survey.build_breakdowns_of` gives them); hidden cells are named
    without figures."""
    s = styles()
    language = results.language
    story: list[Flowable] = [
        para(results.definition.title.get(language), s.title),
        para(results.round.name, s.subtitle),
    ]
    for row in results.rows:
        figures = results.figures(row.cell)
        story.append(para(row.label, s.h1))
        if figures is None:
            story.append(para(_("För få svar för att visa resultat"), s.body))
            continue
        story.append(para(_("Antal svarande: %(n)s", n=row.n), s.small))
        story += figures_flowables(figures)
        if (breakdowns or {}).get(row.cell):
            story.append(para(_("Per bakgrundsfråga"), s.h2))
            story += breakdown_flowables(breakdowns[row.cell], indicators)  # type: ignore[index]
    return build_pdf(ReportMeta(title=_("Resultat – %(round)s", round=results.round.name)), story)
