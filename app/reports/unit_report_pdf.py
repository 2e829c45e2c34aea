"""The unit's report as a PDF (`render_unit_pdf`): the same content and wording as the page,
from `app.reports.unit_report`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle

from app.reports.levels import Level, short_label
from app.reports.pdf import (
    CONTENT_WIDTH,
    ReportMeta,
    build_pdf,
    data_table,
    level_badge,
    level_colour,
    para,
    styles,
)
from app.reports.risk_report import risk_flowables
from app.reports.unit_report import (
    DescriptionAnswer,
    PreviousRating,
    StatementResult,
    UnitReport,
    change_text,
    distribution_chart,
    distribution_text,
    index_legend,
    index_sentence,
    report_title,
    statement_index_text,
    status_colour,
    status_text,
    summary_sentence,
    total_index_text,
)
from app.reports.unit_survey import survey_flowables


def render_unit_pdf(report: UnitReport) -> bytes:
    """The report as a PDF with the same content as the page."""
    s = styles()
    story: list[Flowable] = [
        para(report_title(report), s.title),
        para(report.round_name, s.subtitle),
        _status_box(report),
        Spacer(1, 8),
        para(_("Sammanfattning"), s.h1),
        para(summary_sentence(report), s.body),
        *([para(index_sentence(report), s.body), para(index_legend(report), s.small)] if report.scored else []),
        _summary_table(report),
        KeepTogether([
            para(_("Alla enheters bedömningar i omgången"), s.h1),
            para(_("Antal enheter per nivå bland de %(n)d av %(m)d inbjudna enheter som lämnat "
                   "in. Enheter med utkast räknas inte.", n=report.submitted_units,
                   m=report.invited_units), s.small),
            distribution_chart(report),
        ]),
        para(_("Bedömningar och motiveringar"), s.h1),
    ]
    for statement in report.statements:
        story.append(_statement_block(statement, report.scored))
    for section in report.descriptions:
        story.append(para(section.title, s.h1))
        for item in section.answers:
            story.append(para(item.question, s.h2))
            story.append(para(item.answer or _("(inget svar)"),
                              s.body if item.answer else s.small))
            story += _follow_up_flowables(item.follow_ups)
    if report.survey is not None:
        story += survey_flowables(report.survey)
    story += risk_flowables(report.risks)
    meta = ReportMeta(title=report_title(report), subject=report.round_name,
                      made_on=report.made_on, language=report.language)
    return build_pdf(meta, story)


def _status_box(report: UnitReport) -> Table:
    colour = status_colour(report)
    level = level_colour(colour)
    s = styles()
    box = Table([[para(_("Status: %(status)s", status=status_text(report)), s.cell_bold)]],
                colWidths=[CONTENT_WIDTH])
    box.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), level.background),
        ("LINEBEFORE", (0, 0), (0, -1), 4, level.strong),
        ("LEFTPADDING", (0, 0), (-1, -1), 8),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]))
    return box


def _rating_cell(level: Level | None) -> Flowable:
    if level is None:
        return para(_("Ej bedömd"), styles().cell)
    return level_badge(level.label, level.colour)


def _previous_cell(previous: PreviousRating | None) -> Flowable:
    s = styles()
    if previous is None or previous.level is None:
        return para(change_text(previous), s.cell)
    return para(f"{previous.level.label} ({previous.year})\n{change_text(previous)}", s.cell)


def _summary_table(report: UnitReport) -> Table:
    header = ["", _("Påstående"), _("Enhetens bedömning"), _("Förra omgången"),
              _("Alla enheter (%(n)d)", n=report.submitted_units)]
    rows = [
        [str(s.number), s.text, _rating_cell(s.rating), _previous_cell(s.previous),
         "\n".join(f"{short_label(i.level)}: {i.count}" for i in s.distribution)]
        for s in report.statements
    ]
    # The rating column fits the longest word of a level label ("förbättringsområde").
    widths = [16, CONTENT_WIDTH - 16 - 116 - 100 - 64, 116, 100, 64]
    if report.scored:
        header.append(_("Index"))
        for row, s in zip(rows, report.statements, strict=True):
            row.append(statement_index_text(s, "\n"))
        widths = [16, CONTENT_WIDTH - 16 - 106 - 90 - 74 - 64, 106, 90, 74, 64]
        rows.append(["", _("Alla påståenden"), "", "", "", total_index_text(report).replace(" · ", "\n")])
    return data_table(header, rows, widths)


def _statement_block(statement: StatementResult, scored: bool = False) -> Flowable:
    s = styles()
    header = [_("Enhetens bedömning"), _("Förra omgången"),
              _("Alla enheter som lämnat in (%(n)d)", n=statement.counted)]
    cells: list[Any] = [_rating_cell(statement.rating), _previous_cell(statement.previous),
                        distribution_text(statement)]
    widths = [150, 150, CONTENT_WIDTH - 300]
    if scored:
        header.append(_("Index"))
        cells.append(statement_index_text(statement))
        widths = [130, 130, CONTENT_WIDTH - 130 - 130 - 100, 100]
    facts = data_table(header, [cells], widths, zebra=False)
    motivation = statement.motivation or _("(ingen motivering)")
    has_motivation = statement.asks_motivation or bool(statement.motivation)
    said: list[Flowable] = [Spacer(1, 4), para(_("Motivering"), s.cell_bold),
                            para(motivation, s.body if statement.motivation else s.small)]
    return KeepTogether([
        para(f"{statement.number}. {statement.text}", s.h2),
        facts,
        *(said if has_motivation else []),
        *_follow_up_flowables(statement.follow_ups),
        Spacer(1, 6),
    ])


def _follow_up_flowables(follow_ups: Sequence[DescriptionAnswer]) -> list[Flowable]:
    """The questions that follow a statement or an answer, under it."""
    s = styles()
    story: list[Flowable] = []
    for item in follow_ups:
        story.append(para(item.question, s.cell_bold))
        story.append(para(item.answer or _("(inget svar)"), s.body if item.answer else s.small))
    return story
