"""The heat grid chart: rows × columns of coloured cells with their figures (units × statements,
likelihood × consequence), drawn in bands of columns and split over pages when it is large, with
its figures as a table (`heat_grid_table`) for everyone who cannot see the picture."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from reportlab.graphics.shapes import Drawing, Group, Rect

from app.reports.charts import ChartTable
from app.reports.drawing import (
    FONT_SIZE,
    LEADING,
    draw_lines,
    new_drawing,
    svg_data_uri,
    text_at,
    text_width,
    wrap,
)
from app.reports.pdf import CONTENT_WIDTH, FONT_BOLD, WHITE, level_colour, printable


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
    return max((text_width(word, FONT_BOLD, size) for row in grid.cells for cell in row
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
    cell_size: float = FONT_SIZE
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
    stacked = new_drawing(width, height)
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
    drawing = new_drawing(width, height)

    top = height
    if grid.column_title:
        drawing.add(text_at(row_label_width + (width - row_label_width) / 2, top - LEADING,
                          grid.column_title, font=FONT_BOLD, anchor="middle"))
        top -= layout.title_height
    if grid.row_title:
        draw_lines(drawing, 0, top, wrap(grid.row_title, row_label_width - 6, max_lines=2),
               font=FONT_BOLD)
    for index, lines in enumerate(layout.header_lines):
        centre = row_label_width + cell_width * (index + 0.5)
        draw_lines(drawing, centre, top, lines, anchor="middle", font=FONT_BOLD)
    top -= layout.header_height
    for labels, cells, row, row_height in zip(layout.row_lines, layout.cell_lines, grid.cells,
                                              layout.row_heights, strict=True):
        middle = top - row_height / 2
        draw_lines(drawing, 0, middle + len(labels) * LEADING / 2, labels)
        for index, (cell, lines) in enumerate(zip(row, cells, strict=True)):
            level = level_colour(cell.colour)
            x = row_label_width + cell_width * index
            drawing.add(Rect(x, top - row_height, cell_width, row_height,
                             fillColor=level.background, strokeColor=WHITE, strokeWidth=1.5))
            draw_lines(drawing, x + cell_width / 2, middle + len(lines) * layout.cell_leading / 2, lines,
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
