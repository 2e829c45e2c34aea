"""Charts drawn once: each chart is a function returning a ReportLab Drawing, which is a
flowable in PDFs and becomes SVG for pages (`app.reports.drawing.to_svg`, `svg_data_uri`);
the heat grid is in `app.reports.heat_grid`.

Every chart takes plain dataclasses (labels, values, colour names) and has a companion
`*_table` function giving the same figures as rows for an HTML table or text alternative.
Colour never carries meaning alone: every bar and cell also shows its label or figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from reportlab.graphics.shapes import Drawing, Line, Rect

from app.formatting import format_index, format_percent
from app.reports.drawing import (
    FONT_SIZE,
    LEADING,
    draw_lines,
    new_drawing,
    shorten,
    strong_colour,
    text_at,
    text_width,
    wrap,
)
from app.reports.pdf import CONTENT_WIDTH, FONT, FONT_BOLD, LINE, MUTED, WHITE

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


# --- formatting -------------------------------------------------------------------------------
# Every figure a chart writes goes through `app.formatting`: one rounding rule (half up, one
# decimal) and the interface language's decimal sign, the same as pages, PDFs and exports.


def share(count: int, total: int) -> float:
    """`count` as a percentage of `total` (0 when the total is 0), unrounded: the bar's length."""
    return 100.0 * count / total if total else 0.0


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
    drawing = new_drawing(width, height)

    plot_bottom = axis_height + footer
    for tick in (0, 25, 50, 75, 100):
        x = bar_left + bar_width * tick / 100
        drawing.add(Line(x, plot_bottom, x, height, strokeColor=LINE, strokeWidth=0.5))
        drawing.add(text_at(x, plot_bottom - 10, f"{tick} %", size=7, colour=MUTED, anchor="middle"))

    top = height
    for (bar, lines), row_height in zip(rows, row_heights, strict=True):
        middle = top - row_height / 2
        text_top = middle + len(lines) * LEADING / 2
        draw_lines(drawing, 0, text_top, lines)
        length = bar_width * max(0.0, min(bar.percent, 100.0)) / 100
        drawing.add(Rect(bar_left, middle - bar_height / 2, length, bar_height,
                         fillColor=strong_colour(bar.colour), strokeColor=None))
        drawing.add(text_at(bar_left + length + 4, middle - 3, _bar_value(bar)))
        top -= row_height
    if n is not None:
        drawing.add(text_at(0, 3, f"n = {n}", colour=MUTED))
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
    drawing = new_drawing(width, height)

    top = height
    for (row, lines), row_height in zip(wrapped, row_heights, strict=True):
        middle = top - row_height / 2
        draw_lines(drawing, 0, middle + len(lines) * LEADING / 2, lines)
        total = row.total
        x = bar_left
        if total == 0:
            drawing.add(Rect(bar_left, middle - bar_height / 2, bar_width, bar_height,
                             fillColor=WHITE, strokeColor=LINE, strokeWidth=0.5))
        for segment in row.segments:
            if not segment.count:
                continue
            length = bar_width * segment.count / total
            fill = strong_colour(segment.colour)
            drawing.add(Rect(x, middle - bar_height / 2, length, bar_height,
                             fillColor=fill, strokeColor=WHITE, strokeWidth=0.75))
            figure = str(segment.count)
            if text_width(figure, FONT_BOLD) + 4 <= length:
                drawing.add(text_at(x + length / 2, middle - 3, figure, font=FONT_BOLD,
                                  colour=WHITE, anchor="middle"))
            x += length
        drawing.add(text_at(width, middle - 3, f"n = {total}", colour=MUTED, anchor="end"))
        top -= row_height

    y = legend_height - LEADING - 2
    for line in legend_lines:
        for x, segment_label, colour in line:
            drawing.add(Rect(x, y - 1, 9, 9, fillColor=strong_colour(colour), strokeColor=None))
            drawing.add(text_at(x + 12, y, segment_label))
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
        label = shorten(label, width - 14, FONT, FONT_SIZE)
        item_width = 12 + text_width(label) + 14
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
    drawing = new_drawing(width, height)
    for tick in (0, 50, 100):
        y = plot_bottom + plot_height * tick / 100
        drawing.add(Line(axis_width, y, width, y, strokeColor=LINE, strokeWidth=0.5))
        drawing.add(text_at(axis_width - 3, y - 3, str(tick), size=7, colour=MUTED, anchor="end"))
    for index, point in enumerate(points):
        centre = axis_width + slot * (index + 0.5)
        draw_lines(drawing, centre, label_height, wrap(point.label, slot - 2, max_lines=2),
               anchor="middle", colour=MUTED)
        if point.value is None:
            drawing.add(text_at(centre, plot_bottom + 3, "–", anchor="middle", colour=MUTED))
            continue
        bar_height = plot_height * max(0.0, min(float(point.value), 100.0)) / 100
        drawing.add(Rect(centre - bar_width / 2, plot_bottom, bar_width, bar_height,
                         fillColor=strong_colour(colour), strokeColor=None))
        drawing.add(text_at(centre, plot_bottom + bar_height + 3, format_index(point.value),
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
