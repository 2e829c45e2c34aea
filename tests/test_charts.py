"""Charts: one drawing per chart, rendered to SVG for pages and placed in PDFs, each with the
same figures as a table; labels are text in both, never markup."""

from __future__ import annotations

import base64
import io
import xml.etree.ElementTree as ET

import pytest
from flask import render_template_string
from pypdf import PdfReader

from app.formatting import format_percent
from app.reports.charts import (
    Bar,
    ChartTable,
    Segment,
    StackedRow,
    TrendPoint,
    percentage_bars,
    percentage_bars_table,
    stacked_bars,
    stacked_bars_table,
    trend,
    trend_table,
)
from app.reports.drawing import svg_data_uri, to_svg
from app.reports.heat_grid import (
    HeatCell,
    HeatGrid,
    column_bands,
    heat_grid,
    heat_grid_pages,
    heat_grid_table,
)
from app.reports.pdf import ReportMeta, build_pdf

SVG = "{http://www.w3.org/2000/svg}"
MARKUP = "<b>x</b> & <i>"

BARS = [Bar("Ja, i hög grad", 52.5, 166), Bar("Nej, inte alls", 47.5, 150), Bar(MARKUP, 0, 0)]
ROWS = [
    StackedRow("Kännedom om otillåten påverkan", (
        Segment("Ja, tillfredsställande", 3, "green"),
        Segment("Delvis, förbättringsområde", 1, "amber"),
        Segment("Nej, behöver ses över omgående", 0, "red"),
    )),
    StackedRow(MARKUP, (
        Segment("Ja, tillfredsställande", 1, "green"),
        Segment("Delvis, förbättringsområde", 1, "amber"),
        Segment("Nej, behöver ses över omgående", 2, "red"),
    )),
]
POINTS = [TrendPoint("2024", 61.0), TrendPoint("2025", None), TrendPoint(MARKUP, 74.0)]
GRID = HeatGrid(
    row_labels=("Socialnämnden", MARKUP),
    column_labels=("1", "2", "3"),
    cells=(
        (HeatCell("Ja", "green"), HeatCell("Delvis", "amber"), HeatCell("Nej", "red")),
        (HeatCell("Nej", "red"), HeatCell("–"), HeatCell(MARKUP, "amber")),
    ),
    row_title="Enhet",
    column_title="Påstående",
)

CHARTS = {
    "percentage_bars": lambda: percentage_bars(BARS, n=316),
    "stacked_bars": lambda: stacked_bars(ROWS),
    "trend": lambda: trend(POINTS),
    "heat_grid": lambda: heat_grid(GRID),
}


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg.encode("utf-8"))  # noqa: S314  (our own output)
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def pdf_text(data: bytes) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


@pytest.mark.parametrize("name", CHARTS)
def test_each_chart_renders_to_svg_with_its_label_as_text(name):
    svg = to_svg(CHARTS[name]())
    # Long labels wrap onto several lines: rejoined, they are the label as text.
    assert MARKUP in " ".join(svg_texts(svg))
    assert "<b>" not in svg and "<i>" not in svg
    assert "&lt;b&gt;x&lt;/b&gt; &amp;" in svg


@pytest.mark.parametrize("name", CHARTS)
def test_each_chart_renders_inside_a_pdf_with_its_label_as_text(name):
    data = build_pdf(ReportMeta("Diagram"), [CHARTS[name]()])
    assert MARKUP in pdf_text(data)


def test_percentage_bars_show_share_count_and_n():
    texts = svg_texts(to_svg(CHARTS["percentage_bars"]()))
    assert "52,5 % (166)" in texts
    assert "47,5 % (150)" in texts
    assert "n = 316" in texts


def test_percentage_bars_table_equals_the_input():
    table = percentage_bars_table(BARS)
    assert table == ChartTable(
        ("Svarsalternativ", "Andel", "Antal"),
        (("Ja, i hög grad", "52,5 %", "166"), ("Nej, inte alls", "47,5 %", "150"),
         (MARKUP, "0,0 %", "0")),
    )


def test_stacked_bars_write_each_count_and_the_total():
    texts = svg_texts(to_svg(CHARTS["stacked_bars"]()))
    assert texts.count("n = 4") == 2
    # Counts in the segments, the level labels in the legend: colour is not alone.
    assert {"3", "1", "2"} <= set(texts)
    assert {"Ja, tillfredsställande", "Delvis, förbättringsområde",
            "Nej, behöver ses över omgående"} <= set(texts)


def test_stacked_bars_table_equals_the_input():
    table = stacked_bars_table(ROWS, label_header="Påstående")
    assert table.header == ("Påstående", "Ja, tillfredsställande", "Delvis, förbättringsområde",
                            "Nej, behöver ses över omgående", "Totalt")
    assert table.rows == (
        ("Kännedom om otillåten påverkan", "3 (75,0 %)", "1 (25,0 %)", "0 (0,0 %)", "4"),
        (MARKUP, "1 (25,0 %)", "1 (25,0 %)", "2 (50,0 %)", "4"),
    )


def test_trend_writes_each_value_and_a_dash_for_a_missing_one():
    texts = svg_texts(to_svg(CHARTS["trend"]()))
    assert {"61,0", "74,0", "–", "2024", "2025"} <= set(texts)
    assert trend_table(POINTS).rows == (("2024", "61,0"), ("2025", "–"), (MARKUP, "74,0"))


def test_heat_grid_writes_every_cell_and_its_table_equals_the_input():
    texts = svg_texts(to_svg(CHARTS["heat_grid"]()))
    assert {"Ja", "Delvis", "Nej", "Socialnämnden", "Påstående", "Enhet"} <= set(texts)
    table = heat_grid_table(GRID)
    assert table.header == ("Enhet", "1", "2", "3")
    assert table.rows == (("Socialnämnden", "Ja", "Delvis", "Nej"),
                          (MARKUP, "Nej", "–", MARKUP))


def test_format_percent_has_one_decimal_rounded_half_up_in_the_language():
    assert format_percent(52.46, "sv") == "52,5 %"
    assert format_percent(7.0, "sv") == "7,0 %"
    assert format_percent(12.25, "sv") == "12,3 %"  # half up, not the float's 12.2
    assert format_percent(100 / 3, "sv") == "33,3 %"
    assert format_percent(12.25, "en") == "12.3%"
    assert format_percent(None, "sv") == "–"


def test_chart_macro_shows_the_svg_as_an_image_and_the_figures_as_a_table(app):
    drawing = CHARTS["percentage_bars"]()
    with app.test_request_context():
        html = render_template_string(
            '{% from "_macros/charts.html" import chart %}'
            '{{ chart(drawing|svg_data_uri, alt, table, caption) }}',
            drawing=drawing, alt="Andel per svar <x>", caption="Fråga 1",
            table=percentage_bars_table(BARS),
        )
    assert f'src="{svg_data_uri(drawing)}"' in html
    assert 'alt="Andel per svar &lt;x&gt;"' in html
    assert "<td>52,5 %</td>" in html
    assert "&lt;b&gt;x&lt;/b&gt; &amp; &lt;i&gt;" in html
    assert "<b>x" not in html
    encoded = svg_data_uri(drawing).split(",", 1)[1]
    assert base64.b64decode(encoded).decode("utf-8") == to_svg(drawing)


def test_a_tall_heat_grid_is_split_over_pages_keeping_every_row_and_the_header():
    from app.reports.heat_grid import PAGE_CHART_HEIGHT, heat_grid_pages

    rows = tuple(f"Enhet {n:03d}" for n in range(200))
    grid = HeatGrid(rows, ("Påstående 1", "Påstående 2"),
                    tuple((HeatCell("Ja", "green"), HeatCell("Nej", "red")) for _ in rows),
                    row_title="Enhet", column_title="Påstående")
    parts = heat_grid_pages(grid)
    # 200 rows of 18 pt under a header cannot fit one 640 pt drawing: at least 200 * 18 / 640 = 5.6.
    assert len(parts) >= 6
    assert all(part.height <= PAGE_CHART_HEIGHT for part in parts)
    text = pdf_text(build_pdf(ReportMeta(title="Jämförelse"), parts))
    assert all(label in text for label in rows)  # every unit, once the drawings are on pages
    assert text.count("Påstående 2") == len(parts)  # the column labels on every part


def test_a_heat_grid_image_is_drawn_once_per_content_and_anew_when_a_cell_changes():
    from app.reports.heat_grid import heat_grid_uri

    first = heat_grid_uri(GRID)
    assert heat_grid_uri(GRID) is first  # the same content: the drawing is not made again
    changed = HeatGrid(GRID.row_labels, GRID.column_labels,
                       ((HeatCell("Ändrad", "red"), *GRID.cells[0][1:]), *GRID.cells[1:]),
                       GRID.row_title, GRID.column_title)
    svg = base64.b64decode(heat_grid_uri(changed).split(",", 1)[1]).decode("utf-8")
    assert "Ändrad" in svg_texts(svg)


def test_a_heat_cell_never_cuts_its_figure_however_many_columns():
    """Fourteen questions of '100,0 (-38,1)': each cell shows both words whole, in the SVG for a
    page and in the same drawing placed in a PDF (no '…'); the columns go in bands (of seven:
    as even as can be) one above the other, each with its column numbers."""
    columns = 14
    grid = HeatGrid(
        row_labels=("Socialnämnden med ett mycket långt namn", "Hela staden"),
        column_labels=tuple(str(n) for n in range(1, columns + 1)),
        cells=(tuple(HeatCell("100,0 (-38,1)", "red") for _ in range(columns)),
               tuple(HeatCell("66,7", "amber") for _ in range(columns))),
        row_title="Enhet", column_title="Fråga (index 0–100)",
    )
    texts = svg_texts(to_svg(heat_grid(grid)))
    assert texts.count("100,0") == columns and texts.count("(-38,1)") == columns
    assert not any("…" in text for text in texts)
    assert column_bands(grid) == [(0, 7), (7, 14)]
    assert texts.count("Fråga (index 0–100)") == 2 and texts.count("Socialnämnden med ett mycket") == 2
    pdf = pdf_text(build_pdf(ReportMeta("Diagram"), heat_grid_pages(grid)))
    assert pdf.count("(-38,1)") == columns


def test_counts_indexes_and_changes_in_each_language():
    from decimal import Decimal

    from app.formatting import format_change, format_count, format_index, mean

    assert mean(550, 7) == Decimal("78.6") and mean(0, 0) is None  # 78.571… half up
    assert (format_index(Decimal("78.6"), "sv"), format_index(Decimal("78.6"), "en")) == ("78,6", "78.6")
    assert (format_change(Decimal("-38.1"), "sv"), format_change(5, "sv"), format_change(0, "sv")) == (
        "-38,1", "+5,0", "±0,0")
    assert (format_count(1234, "sv"), format_count(1234, "en")) == ("1 234", "1,234")
