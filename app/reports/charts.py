"""Charts drawn once: each chart is a function returning a ReportLab Drawing, which is a
flowable in PDFs and becomes SVG for pages (`to_svg`, `svg_data_uri`).

Every chart takes plain dataclasses (labels, values, colour names) and has a companion
`*_table` function giving the same figures as rows for an HTML table or text alternative.
Colour never carries meaning alone: every bar and cell also shows its label or figure.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache

from flask import Flask
from reportlab.graphics import renderSVG
from reportlab.graphics.shapes import Drawing, Group, Line, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from app.formatting import format_index, format_percent
from app.reports.pdf import (
    BRAND,
    CONTENT_WIDTH,
    FONT,
    FONT_BOLD,
    INK,
    LINE,
    MUTED,
    WHITE,
    fit_line,
    level_colour,
    printable,
    register_fonts,
)

FONT_SIZE = 8
LEADING = 10
# Browsers have no "LagesbildSans": DejaVu Sans is Vera with more glyphs and the same metrics,
# so text measured with Vera here still fits on the page.
SVG_FONT_FAMILY = "'DejaVu Sans', 'Bitstream Vera Sans', Verdana, sans-serif"


# --- inputs and the text alternative ---------------------------------------------------------


@dataclass(frozen=True)
class ChartTable:
    """A chart's figures as a table: the text alternative shown with (or instead of) it."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    # Per header cell, the name screen readers get instead of the shown text: a column shown as
    # a bare number ("3") is named by what it stands for ("3. Vi har rutiner ..."). "": as shown.
    header_spoken: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bar:
    """One option of a question: its share in percent and, when known, its count."""

    label: str
    percent: float
    count: int | None = None
    colour: str | None = None  # a level colour name; None is the brand blue


@dataclass(frozen=True)
class Segment:
    """One part of a 100 % bar: a level or option with its count."""

    label: str
    count: int
    colour: str | None = None


@dataclass(frozen=True)
class StackedRow:
    label: str
    segments: tuple[Segment, ...]

    @property
    def total(self) -> int:
        return sum(segment.count for segment in self.segments)


@dataclass(frozen=True)
class TrendPoint:
    """An index 0-100 in one round; None when the round has no figure (e.g. below threshold)."""

    label: str
    value: float | Decimal | None
    n: int | None = None  # respondents behind the value, when known


@dataclass(frozen=True)
class HeatCell:
    text: str
    colour: str | None = None


@dataclass(frozen=True)
class HeatGrid:
    """Rows × columns of coloured cells, e.g. units × statements or likelihood × consequence."""

    row_labels: tuple[str, ...]
    column_labels: tuple[str, ...]
    cells: tuple[tuple[HeatCell, ...], ...]
    row_title: str = ""
    column_title: str = ""


# --- formatting -------------------------------------------------------------------------------
# Every figure a chart writes goes through `app.formatting`: one rounding rule (half up, one
# decimal) and the interface language's decimal sign, the same as pages, PDFs and exports.


def share(count: int, total: int) -> float:
    """`count` as a percentage of `total` (0 when the total is 0), unrounded: the bar's length."""
    return 100.0 * count / total if total else 0.0


# --- drawing helpers --------------------------------------------------------------------------


def _width(text: str, font: str = FONT, size: float = FONT_SIZE) -> float:
    register_fonts()  # measuring needs the font's metrics
    return stringWidth(text, font, size)


def wrap(text: str, width: float, font: str = FONT, size: float = FONT_SIZE,
         max_lines: int = 4) -> list[str]:
    """`text` broken into lines no wider than `width`; the last line ends in '…' if cut."""
    lines: list[str] = []
    current = ""
    for word in printable(text).split():
        candidate = f"{current} {word}" if current else word
        if _width(candidate, font, size) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    lines = [_shorten(line, width, font, size) for line in lines] or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _shorten(lines[-1] + "…", width, font, size)
    return lines


def _shorten(text: str, width: float, font: str, size: float) -> str:
    """`text` cut with an ellipsis to fit `width`."""
    if _width(text, font, size) <= width:
        return text
    return fit_line(text.rstrip("…"), width, size, font) if len(text) > 1 else text


def _text(x: float, y: float, text: str, *, font: str = FONT, size: float = FONT_SIZE,
          colour: colors.Color = INK, anchor: str = "start") -> String:
    return String(x, y, printable(text), fontName=font, fontSize=size, fillColor=colour, textAnchor=anchor)


def _lines(drawing: Drawing, x: float, top: float, lines: Sequence[str], *,
           anchor: str = "start", font: str = FONT, colour: colors.Color = INK,
           size: float = FONT_SIZE, leading: float = LEADING) -> None:
    """Draw `lines` downwards from `top` (the top of the first line's box)."""
    for index, line in enumerate(lines):
        baseline = top - (index + 1) * leading + 2 * leading / LEADING
        drawing.add(_text(x, baseline, line, anchor=anchor, font=font, colour=colour, size=size))


def _strong(colour: str | None) -> colors.Color:
    return level_colour(colour).strong if colour else BRAND


def _new_drawing(width: float, height: float) -> Drawing:
    register_fonts()
    return Drawing(width, height)


# --- (a) percentage bars ----------------------------------------------------------------------


def percentage_bars(bars: Sequence[Bar], *, n: int | None = None,
                    width: float = CONTENT_WIDTH) -> Drawing:
    """Horizontal bars 0-100 % for a question's options, as in the audit's diagrams: the
    option's label, its bar, '52 %' (and its count), and n under the chart."""
    label_width = width * 0.38
    value_width = 78.0  # "100,0 % (1234)"
    bar_left = label_width + 8
    bar_width = width - bar_left - value_width
    bar_height = 11.0
    rows = [(bar, wrap(bar.label, label_width - 4)) for bar in bars]
    row_heights = [max(bar_height + 6, len(lines) * LEADING + 4) for _bar, lines in rows]
    axis_height = 14.0
    footer = LEADING + 4 if n is not None else 0.0
    height = sum(row_heights) + axis_height + footer + 4
    drawing = _new_drawing(width, height)

    plot_bottom = axis_height + footer
    for tick in (0, 25, 50, 75, 100):
        x = bar_left + bar_width * tick / 100
        drawing.add(Line(x, plot_bottom, x, height, strokeColor=LINE, strokeWidth=0.5))
        drawing.add(_text(x, plot_bottom - 10, f"{tick} %", size=7, colour=MUTED, anchor="middle"))

    top = height
    for (bar, lines), row_height in zip(rows, row_heights, strict=True):
        middle = top - row_height / 2
        text_top = middle + len(lines) * LEADING / 2
        _lines(drawing, 0, text_top, lines)
        length = bar_width * max(0.0, min(bar.percent, 100.0)) / 100
        drawing.add(Rect(bar_left, middle - bar_height / 2, length, bar_height,
                         fillColor=_strong(bar.colour), strokeColor=None))
        drawing.add(_text(bar_left + length + 4, middle - 3, _bar_value(bar)))
        top -= row_height
    if n is not None:
        drawing.add(_text(0, 3, f"n = {n}", colour=MUTED))
    return drawing


def _bar_value(bar: Bar) -> str:
    text = format_percent(bar.percent)
    return f"{text} ({bar.count})" if bar.count is not None else text


def percentage_bars_table(bars: Sequence[Bar], *, label_header: str = "Svarsalternativ") -> ChartTable:
    with_counts = any(bar.count is not None for bar in bars)
    header = (label_header, "Andel") + (("Antal",) if with_counts else ())
    rows = tuple(
        (bar.label, format_percent(bar.percent))
        + ((str(bar.count) if bar.count is not None else "",) if with_counts else ())
        for bar in bars
    )
    return ChartTable(header, rows)


# --- (b) 100 % stacked bars -------------------------------------------------------------------


def stacked_bars(rows: Sequence[StackedRow], *, width: float = CONTENT_WIDTH,
                 label_width: float | None = None) -> Drawing:
    """One 100 % bar per row, its segments in their colours with their counts written in
    them, the row's total at the end, and a legend of the segments' labels."""
    label_width = label_width if label_width is not None else width * 0.42
    total_width = 40.0
    bar_left = label_width + 8
    bar_width = width - bar_left - total_width
    bar_height = 13.0
    wrapped = [(row, wrap(row.label, label_width - 4)) for row in rows]
    row_heights = [max(bar_height + 6, len(lines) * LEADING + 5) for _row, lines in wrapped]
    legend = _legend_items(rows)
    legend_lines = _legend_layout(legend, width)
    legend_height = len(legend_lines) * (LEADING + 4) + 4
    height = sum(row_heights) + legend_height + 2
    drawing = _new_drawing(width, height)

    top = height
    for (row, lines), row_height in zip(wrapped, row_heights, strict=True):
        middle = top - row_height / 2
        _lines(drawing, 0, middle + len(lines) * LEADING / 2, lines)
        total = row.total
        x = bar_left
        if total == 0:
            drawing.add(Rect(bar_left, middle - bar_height / 2, bar_width, bar_height,
                             fillColor=WHITE, strokeColor=LINE, strokeWidth=0.5))
        for segment in row.segments:
            if not segment.count:
                continue
            length = bar_width * segment.count / total
            fill = _strong(segment.colour)
            drawing.add(Rect(x, middle - bar_height / 2, length, bar_height,
                             fillColor=fill, strokeColor=WHITE, strokeWidth=0.75))
            figure = str(segment.count)
            if _width(figure, FONT_BOLD) + 4 <= length:
                drawing.add(_text(x + length / 2, middle - 3, figure, font=FONT_BOLD,
                                  colour=WHITE, anchor="middle"))
            x += length
        drawing.add(_text(width, middle - 3, f"n = {total}", colour=MUTED, anchor="end"))
        top -= row_height

    y = legend_height - LEADING - 2
    for line in legend_lines:
        for x, segment_label, colour in line:
            drawing.add(Rect(x, y - 1, 9, 9, fillColor=_strong(colour), strokeColor=None))
            drawing.add(_text(x + 12, y, segment_label))
        y -= LEADING + 4
    return drawing


def _legend_items(rows: Sequence[StackedRow]) -> list[tuple[str, str | None]]:
    seen: dict[str, str | None] = {}
    for row in rows:
        for segment in row.segments:
            seen.setdefault(segment.label, segment.colour)
    return list(seen.items())


def _legend_layout(items: Sequence[tuple[str, str | None]], width: float
                   ) -> list[list[tuple[float, str, str | None]]]:
    lines: list[list[tuple[float, str, str | None]]] = [[]]
    x = 0.0
    for label, colour in items:
        label = _shorten(label, width - 14, FONT, FONT_SIZE)
        item_width = 12 + _width(label) + 14
        if lines[-1] and x + item_width > width:
            lines.append([])
            x = 0.0
        lines[-1].append((x, label, colour))
        x += item_width
    return lines if lines[0] else []


def stacked_bars_table(rows: Sequence[StackedRow], *, label_header: str = "") -> ChartTable:
    """Per row: each segment's count and share, and the total."""
    labels = [label for label, _colour in _legend_items(rows)]
    header = (label_header, *labels, "Totalt")
    body = []
    for row in rows:
        counts = {segment.label: segment.count for segment in row.segments}
        total = row.total
        cells = tuple(
            f"{counts.get(label, 0)} ({format_percent(share(counts.get(label, 0), total))})"
            for label in labels
        )
        body.append((row.label, *cells, str(total)))
    return ChartTable(header, tuple(body))


# --- (c) trend of an index --------------------------------------------------------------------


def trend(points: Sequence[TrendPoint], *, width: float = 220.0, height: float = 120.0,
          colour: str | None = None) -> Drawing:
    """A small bar chart of an index 0-100 across rounds, each bar with its value on top."""
    axis_width = 22.0
    label_height = 2 * LEADING + 2
    plot_bottom = label_height
    plot_top = height - LEADING - 2
    plot_height = plot_top - plot_bottom
    slot = (width - axis_width) / max(len(points), 1)
    bar_width = min(36.0, slot * 0.6)
    drawing = _new_drawing(width, height)
    for tick in (0, 50, 100):
        y = plot_bottom + plot_height * tick / 100
        drawing.add(Line(axis_width, y, width, y, strokeColor=LINE, strokeWidth=0.5))
        drawing.add(_text(axis_width - 3, y - 3, str(tick), size=7, colour=MUTED, anchor="end"))
    for index, point in enumerate(points):
        centre = axis_width + slot * (index + 0.5)
        _lines(drawing, centre, label_height, wrap(point.label, slot - 2, max_lines=2),
               anchor="middle", colour=MUTED)
        if point.value is None:
            drawing.add(_text(centre, plot_bottom + 3, "–", anchor="middle", colour=MUTED))
            continue
        bar_height = plot_height * max(0.0, min(float(point.value), 100.0)) / 100
        drawing.add(Rect(centre - bar_width / 2, plot_bottom, bar_width, bar_height,
                         fillColor=_strong(colour), strokeColor=None))
        drawing.add(_text(centre, plot_bottom + bar_height + 3, format_index(point.value),
                          font=FONT_BOLD, anchor="middle"))
    return drawing


def trend_table(points: Sequence[TrendPoint], *, label_header: str = "Omgång",
                value_header: str = "Index (0–100)", n_header: str = "n") -> ChartTable:
    """Per round its value; with an n column when any point knows its respondents."""
    with_n = any(point.n is not None for point in points)
    rows = tuple(
        (point.label, format_index(point.value))
        + ((str(point.n) if point.n is not None and point.value is not None else "–",) if with_n else ())
        for point in points
    )
    return ChartTable((label_header, value_header) + ((n_header,) if with_n else ()), rows)


# --- (d) heat grid ----------------------------------------------------------------------------


# A drawing taller than this is split over pages (an A4 frame less a heading's room).
PAGE_CHART_HEIGHT = 640.0


@dataclass(frozen=True)
class _HeatLayout:
    row_label_width: float
    cell_width: float
    header_lines: list[list[str]]
    header_height: float
    title_height: float
    row_lines: list[list[str]]
    cell_lines: list[list[list[str]]]
    row_heights: list[float]
    cell_size: float  # the cells' font size: the whole figure always fits its cell
    cell_leading: float


# The smallest text a cell is written in, should one column alone be too narrow for it.
MIN_CELL_FONT_SIZE = 5.5
# The gap between two bands of columns drawn one above the other.
BAND_GAP = 12.0


def _widest_word(grid: HeatGrid, size: float) -> float:
    return max((_width(word, FONT_BOLD, size) for row in grid.cells for cell in row
                for word in printable(cell.text).split()), default=0.0)


def _label_width(width: float, row_label_width: float | None) -> float:
    return row_label_width if row_label_width is not None else width * 0.3


def _heat_layout(grid: HeatGrid, width: float, row_label_width: float | None) -> _HeatLayout:
    """Where everything goes. A cell's words ("72,4", "(+5,0)") wrap onto lines; only when a
    single column is narrower than a word does the cells' text get smaller (`column_bands`
    keeps columns wide enough for their words)."""
    row_label_width = _label_width(width, row_label_width)
    columns = max(len(grid.column_labels), 1)
    cell_width = (width - row_label_width) / columns
    widest = _widest_word(grid, FONT_SIZE)
    cell_size = FONT_SIZE
    if widest > cell_width - 4:
        cell_size = max(MIN_CELL_FONT_SIZE, FONT_SIZE * (cell_width - 4) / widest * 0.98)
    cell_leading = LEADING * cell_size / FONT_SIZE
    header_lines = [wrap(label, cell_width - 4, max_lines=3) for label in grid.column_labels]
    header_height = max((len(lines) for lines in header_lines), default=1) * LEADING + 4
    title_height = LEADING + 4 if grid.column_title else 0.0
    row_lines = [wrap(label, row_label_width - 6, max_lines=3) for label in grid.row_labels]
    cell_lines = [
        [wrap(cell.text, cell_width - 4, FONT_BOLD, cell_size, max_lines=3) for cell in row]
        for row in grid.cells
    ]
    row_heights = [
        max(18.0, len(labels) * LEADING + 6,
            *(len(lines) * cell_leading + 6 for lines in cells))
        for labels, cells in zip(row_lines, cell_lines, strict=True)
    ]
    return _HeatLayout(row_label_width, cell_width, header_lines, header_height, title_height,
                       row_lines, cell_lines, row_heights, cell_size, cell_leading)


def column_bands(grid: HeatGrid, width: float = CONTENT_WIDTH,
                 row_label_width: float | None = None) -> list[tuple[int, int]]:
    """The columns split into bands (start, end) that each fit the width with every cell's
    widest word whole: a city survey of sixteen questions is drawn as two bands of eight, one
    above the other, rather than cutting "(+11,6)" to "(+1…"."""
    columns = len(grid.column_labels)
    needed = _widest_word(grid, FONT_SIZE) + 6
    room = width - _label_width(width, row_label_width)
    per_band = max(1, int(room // needed)) if needed > 6 else columns or 1
    if per_band >= columns:
        return [(0, columns)]
    bands = -(-columns // per_band)
    size = -(-columns // bands)  # as even as can be: 16 in bands of 8, not 9 and 7
    return [(start, min(start + size, columns)) for start in range(0, columns, size)]


def _band(grid: HeatGrid, start: int, end: int) -> HeatGrid:
    return replace(grid, column_labels=grid.column_labels[start:end],
                   cells=tuple(row[start:end] for row in grid.cells))


def heat_grid(grid: HeatGrid, *, width: float = CONTENT_WIDTH,
              row_label_width: float | None = None) -> Drawing:
    """Coloured cells with their text, row labels on the left and column labels on top; a grid
    too wide for its cells' figures is drawn as bands of columns one above the other."""
    drawings = [_draw_heat_grid(_band(grid, a, b), width, row_label_width)
                for a, b in column_bands(grid, width, row_label_width)]
    if len(drawings) == 1:
        return drawings[0]
    height = sum(d.height for d in drawings) + BAND_GAP * (len(drawings) - 1)
    stacked = _new_drawing(width, height)
    top = height
    for part in drawings:
        top -= part.height
        stacked.add(Group(*part.contents, transform=(1, 0, 0, 1, 0, top)))
        top -= BAND_GAP
    return stacked


def _draw_heat_grid(grid: HeatGrid, width: float, row_label_width: float | None) -> Drawing:
    """One band of columns: coloured cells with their text, row labels on the left and column
    labels on top."""
    layout = _heat_layout(grid, width, row_label_width)
    row_label_width, cell_width = layout.row_label_width, layout.cell_width
    height = layout.title_height + layout.header_height + sum(layout.row_heights)
    drawing = _new_drawing(width, height)

    top = height
    if grid.column_title:
        drawing.add(_text(row_label_width + (width - row_label_width) / 2, top - LEADING,
                          grid.column_title, font=FONT_BOLD, anchor="middle"))
        top -= layout.title_height
    if grid.row_title:
        _lines(drawing, 0, top, wrap(grid.row_title, row_label_width - 6, max_lines=2),
               font=FONT_BOLD)
    for index, lines in enumerate(layout.header_lines):
        centre = row_label_width + cell_width * (index + 0.5)
        _lines(drawing, centre, top, lines, anchor="middle", font=FONT_BOLD)
    top -= layout.header_height
    for labels, cells, row, row_height in zip(layout.row_lines, layout.cell_lines, grid.cells,
                                              layout.row_heights, strict=True):
        middle = top - row_height / 2
        _lines(drawing, 0, middle + len(labels) * LEADING / 2, labels)
        for index, (cell, lines) in enumerate(zip(row, cells, strict=True)):
            level = level_colour(cell.colour)
            x = row_label_width + cell_width * index
            drawing.add(Rect(x, top - row_height, cell_width, row_height,
                             fillColor=level.background, strokeColor=WHITE, strokeWidth=1.5))
            _lines(drawing, x + cell_width / 2, middle + len(lines) * layout.cell_leading / 2, lines,
                   anchor="middle", font=FONT_BOLD, colour=level.strong, size=layout.cell_size,
                   leading=layout.cell_leading)
        top -= row_height
    return drawing


def heat_grid_pages(grid: HeatGrid, *, width: float = CONTENT_WIDTH, row_label_width: float | None = None,
                    max_height: float = PAGE_CHART_HEIGHT) -> list[Drawing]:
    """The same grid for a PDF: each band of columns (`column_bands`) split into drawings of at
    most `max_height`, each with the column labels, so that a city of hundreds of units fits on
    pages."""
    found: list[Drawing] = []
    for a, b in column_bands(grid, width, row_label_width):
        band = _band(grid, a, b)
        layout = _heat_layout(band, width, row_label_width)
        head = layout.title_height + layout.header_height
        parts: list[tuple[int, int]] = []
        start, used = 0, head
        for index, height in enumerate(layout.row_heights):
            if index > start and used + height > max_height:
                parts.append((start, index))
                start, used = index, head
            used += height
        parts.append((start, len(layout.row_heights)))
        found += [
            _draw_heat_grid(replace(band, row_labels=band.row_labels[r0:r1], cells=band.cells[r0:r1]),
                            width, layout.row_label_width)
            for r0, r1 in parts
        ]
    return found


@lru_cache(maxsize=32)
def heat_grid_uri(grid: HeatGrid, width: float = CONTENT_WIDTH, row_label_width: float | None = None) -> str:
    """The grid as an SVG data URI for a page, drawn once per content: a city's matrix of
    hundreds of units takes a second to draw, and every visitor asks for the same picture
    until an answer changes it (the grid is the key, so a change draws anew)."""
    return svg_data_uri(heat_grid(grid, width=width, row_label_width=row_label_width))


def heat_grid_table(grid: HeatGrid) -> ChartTable:
    header = (grid.row_title, *grid.column_labels)
    rows = tuple(
        (label, *(cell.text for cell in row))
        for label, row in zip(grid.row_labels, grid.cells, strict=True)
    )
    return ChartTable(header, rows)


# --- output -----------------------------------------------------------------------------------


def to_svg(drawing: Drawing) -> str:
    """The drawing as an SVG document (text is XML-escaped by the renderer's DOM)."""
    register_fonts()
    family = {"family": SVG_FONT_FAMILY}
    font_hacks = {
        FONT: family,
        FONT_BOLD: {**family, "weight": "bold"},
    }
    return renderSVG.drawToString(drawing, fontHacks=font_hacks)


def svg_data_uri(drawing: Drawing) -> str:
    """A `data:` URI of the drawing's SVG, for an <img> (the CSP forbids inline SVG's styles)."""
    encoded = base64.b64encode(to_svg(drawing).encode("utf-8")).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}"


def register_chart_helpers(app: Flask) -> None:
    """Make `drawing|svg_data_uri` and the survey's question charts (`survey_figures`)
    available in every template."""
    from app.formatting import register_template_filters
    from app.reports import survey_figures  # it draws with this module

    register_template_filters(app)
    app.jinja_env.filters["svg_data_uri"] = svg_data_uri
    app.jinja_env.globals["survey_figures"] = survey_figures
