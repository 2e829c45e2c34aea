"""A survey question's figures as a chart, drawn once for every output: the survey results page,
the unit report and the city-wide lägesbild (pages as SVG, PDFs as the same drawing), each with
its figures as a table for everyone who cannot see the picture.

The figures come from `services.survey_results`, so only cells the anonymity decision shows ever
reach a chart.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from reportlab.graphics.shapes import Drawing
from reportlab.platypus import Flowable, KeepTogether, Spacer

from app.formatting import format_index
from app.reports.charts import Bar, ChartTable, percentage_bars, percentage_bars_table
from app.reports.pdf import para, styles
from app.services.survey_results import QuestionFigures, RowFigures


def bars(answered: RowFigures) -> list[Bar]:
    return [Bar(o.label, o.percent, o.count, o.colour) for o in answered.options]


def answer_chart(answered: RowFigures) -> Drawing:
    """The audit's diagram: one bar per option, its share and count, and n."""
    return percentage_bars(bars(answered), n=answered.base)


def answer_table(answered: RowFigures) -> ChartTable:
    return percentage_bars_table(bars(answered))


def answer_caption(answered: RowFigures) -> str:
    return answered.label or _("Andel av de svarande, n = %(n)s", n=answered.base)


def index_text(answered: RowFigures) -> str:
    return _("Index %(index)s av 100", index=format_index(answered.index)) if answered.index is not None else ""


def figures_flowables(figures: Sequence[QuestionFigures]) -> list[Flowable]:
    """Every question of a shown cell, for a PDF: its text, its charts and its index."""
    s = styles()
    story: list[Flowable] = []
    for question in figures:
        block: list[Flowable] = [para(question.text, s.h2)]
        if question.rows is None:
            block.append(para(_("För få svar på frågan för att visa resultat"), s.small))
        for answered in question.rows or ():
            if answered.label:
                block.append(para(answered.label, s.body))
            block.append(answer_chart(answered))
            if answered.index is not None:
                block.append(para(index_text(answered), s.small))
        story.append(KeepTogether(block))
        story.append(Spacer(1, 4))
    return story
