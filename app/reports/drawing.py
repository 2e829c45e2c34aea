"""What every chart draws with (app.reports.charts, app.reports.heat_grid): measured and wrapped
text in the PDFs' fonts, and a drawing as SVG for pages (`to_svg`, `svg_data_uri`)."""

from __future__ import annotations

import base64
from collections.abc import Sequence

from reportlab.graphics import renderSVG
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from app.reports.pdf import (
    BRAND,
    FONT,
    FONT_BOLD,
    INK,
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


def text_width(text: str, font: str = FONT, size: float = FONT_SIZE) -> float:
    register_fonts()  # measuring needs the font's metrics
    return stringWidth(text, font, size)


def wrap(text: str, width: float, font: str = FONT, size: float = FONT_SIZE,
         max_lines: int = 4) -> list[str]:
    """`text` broken into lines no wider than `width`; the last line ends in '…' if cut."""
    lines: list[str] = []
    current = ""
    for word in printable(text).split():
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, font, size) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    lines = [shorten(line, width, font, size) for line in lines] or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = shorten(lines[-1] + "…", width, font, size)
    return lines


def shorten(text: str, width: float, font: str, size: float) -> str:
    """`text` cut with an ellipsis to fit `width`."""
    if text_width(text, font, size) <= width:
        return text
    return fit_line(text.rstrip("…"), width, size, font) if len(text) > 1 else text


def text_at(x: float, y: float, text: str, *, font: str = FONT, size: float = FONT_SIZE,
          colour: colors.Color = INK, anchor: str = "start") -> String:
    return String(x, y, printable(text), fontName=font, fontSize=size, fillColor=colour, textAnchor=anchor)


def draw_lines(drawing: Drawing, x: float, top: float, lines: Sequence[str], *,
           anchor: str = "start", font: str = FONT, colour: colors.Color = INK,
           size: float = FONT_SIZE, leading: float = LEADING) -> None:
    """Draw `lines` downwards from `top` (the top of the first line's box)."""
    for index, line in enumerate(lines):
        baseline = top - (index + 1) * leading + 2 * leading / LEADING
        drawing.add(text_at(x, baseline, line, anchor=anchor, font=font, colour=colour, size=size))


def strong_colour(colour: str | None) -> colors.Color:
    return level_colour(colour).strong if colour else BRAND


def new_drawing(width: float, height: float) -> Drawing:
    register_fonts()
    return Drawing(width, height)


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
