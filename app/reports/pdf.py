"""The PDF base every report uses: an embedded font with å, ä and ö, paragraph styles, tables,
level colours and a document with page header, "Sida N av M" footer and metadata.

Every text that reaches ReportLab's paragraph markup goes through `escape` first (or `para`,
which does it): user text with `<`, `&` or tags appears as text and is never interpreted.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from xml.sax.saxutils import escape as _xml_escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

AUTHOR = "Lägesbild"

# The font family: DejaVu Sans (Bitstream Vera with many more glyphs: the level symbols and
# arrows of the comparison), shipped in app/fonts; TrueType fonts are embedded (subset) in
# every PDF, so å, ä and ö render on any reader.
FONT = "LagesbildSans"
FONT_BOLD = "LagesbildSans-Bold"
FONT_ITALIC = "LagesbildSans-Italic"
FONT_BOLD_ITALIC = "LagesbildSans-BoldItalic"
_FONT_FILES = {
    FONT: "DejaVuSans.ttf",
    FONT_BOLD: "DejaVuSans-Bold.ttf",
    FONT_ITALIC: "DejaVuSans-Oblique.ttf",
    FONT_BOLD_ITALIC: "DejaVuSans-BoldOblique.ttf",
}

# The web's colours (app/static/css/app.css :root); change them there and here together.
INK = colors.HexColor("#1b1f24")
MUTED = colors.HexColor("#4a5460")
LINE = colors.HexColor("#c9d0d8")
BG_SOFT = colors.HexColor("#f3f5f7")
BRAND = colors.HexColor("#0b4f8a")
BRAND_DARK = colors.HexColor("#083a66")
WHITE = colors.white


@dataclass(frozen=True)
class LevelColour:
    """A level's strong colour (text, bar fills) and its light background (cells, badges)."""

    strong: colors.Color
    background: colors.Color


# Keyed by the questionnaire language's colour names (definitions.schema.Colour).
LEVEL_COLOURS: dict[str, LevelColour] = {
    "green": LevelColour(colors.HexColor("#1e6b35"), colors.HexColor("#dcefe1")),
    "amber": LevelColour(colors.HexColor("#7a4d00"), colors.HexColor("#fbe7b5")),
    "red": LevelColour(colors.HexColor("#a1231a"), colors.HexColor("#f7d4d0")),
    "grey": LevelColour(INK, colors.HexColor("#e6e9ed")),
    "blue": LevelColour(BRAND_DARK, colors.HexColor("#dbe8f5")),
}
NO_LEVEL = LevelColour(MUTED, colors.white)


def level_colour(name: str | None) -> LevelColour:
    """The colours of a level by its name; a missing or unknown name is neutral."""
    return LEVEL_COLOURS.get(name or "", NO_LEVEL)


@lru_cache(maxsize=1)
def register_fonts() -> str:
    """Register the font family once per process; returns the regular font's name."""
    folder = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fonts")
    for name, filename in _FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, os.path.join(folder, filename)))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=FONT_BOLD_ITALIC
    )
    return FONT


def escape(text: object) -> str:
    """`text` as paragraph markup that shows exactly those characters (line breaks kept)."""
    if text is None:
        return ""
    escaped = _xml_escape(str(text), {'"': "&quot;"})
    return escaped.replace("\r\n", "\n").replace("\n", "<br/>")


@dataclass(frozen=True)
class Styles:
    title: ParagraphStyle
    subtitle: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    header_cell: ParagraphStyle


@lru_cache(maxsize=1)
def styles() -> Styles:
    """The report's paragraph styles, all in the embedded font."""
    register_fonts()
    base = ParagraphStyle(
        "body", fontName=FONT, fontSize=9.5, leading=13, textColor=INK, alignment=TA_LEFT,
        spaceAfter=4,
    )
    return Styles(
        title=ParagraphStyle("title", base, fontName=FONT_BOLD, fontSize=20, leading=25,
                             textColor=BRAND_DARK, spaceAfter=4),
        subtitle=ParagraphStyle("subtitle", base, fontSize=11.5, leading=15, textColor=MUTED,
                                spaceAfter=10),
        h1=ParagraphStyle("h1", base, fontName=FONT_BOLD, fontSize=14, leading=18,
                          textColor=BRAND_DARK, spaceBefore=12, spaceAfter=6, keepWithNext=True),
        h2=ParagraphStyle("h2", base, fontName=FONT_BOLD, fontSize=11, leading=14,
                          spaceBefore=8, spaceAfter=3, keepWithNext=True),
        body=base,
        small=ParagraphStyle("small", base, fontSize=8, leading=10.5, textColor=MUTED),
        cell=ParagraphStyle("cell", base, fontSize=8.5, leading=11, spaceAfter=0),
        cell_bold=ParagraphStyle("cell_bold", base, fontName=FONT_BOLD, fontSize=8.5,
                                 leading=11, spaceAfter=0),
        header_cell=ParagraphStyle("header_cell", base, fontName=FONT_BOLD, fontSize=8.5,
                                   leading=11, spaceAfter=0, textColor=WHITE),
    )


def para(text: object, style: ParagraphStyle | None = None) -> Paragraph:
    """A paragraph showing `text` literally (escaped), in `style` (body by default)."""
    return Paragraph(escape(text), style or styles().body)


def level_badge(label: str, colour: str | None, style: ParagraphStyle | None = None) -> Table:
    """A level's label on its light background in its strong colour: the colour never stands
    alone, the label says the same."""
    level = level_colour(colour)
    cell_style = ParagraphStyle("badge", style or styles().cell_bold, textColor=level.strong)
    badge = Table([[para(label, cell_style)]])
    badge.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), level.background),
        ("BOX", (0, 0), (-1, -1), 0.5, level.strong),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return badge


Cell = str | int | float | Flowable | None


def _cell(value: Cell, style: ParagraphStyle) -> Flowable:
    if isinstance(value, Flowable):
        return value
    return para("" if value is None else value, style)


def data_table(
    header: Sequence[Cell],
    rows: Sequence[Sequence[Cell]],
    col_widths: Sequence[float] | None = None,
    *,
    zebra: bool = True,
    extra_style: Sequence[tuple] = (),
) -> Table:
    """A table whose header row repeats on every page, with zebra rows; text cells are
    escaped paragraphs (so they wrap), flowables (badges, drawings) are placed as they are."""
    s = styles()
    data = [[_cell(value, s.header_cell) for value in header]]
    data += [[_cell(value, s.cell) for value in row] for row in rows]
    table = Table(data, colWidths=col_widths, repeatRows=1)
    commands: list[tuple] = [
        ("BACKGROUND", (0, 0), (-1, 0), BRAND_DARK),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, LINE),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    if zebra:
        commands.append(("ROWBACKGROUNDS", (0, 1), (-1, -1), [WHITE, BG_SOFT]))
    commands.extend(extra_style)
    table.setStyle(TableStyle(commands))
    return table


@dataclass(frozen=True)
class ReportMeta:
    """What the header, footer and document properties say about a report."""

    title: str
    subject: str = ""
    made_on: date = field(default_factory=date.today)
    language: str = "sv"


PAGE_SIZE = A4
MARGIN = 18 * mm
FRAME_PADDING = 6  # platypus' default padding inside the page frame
CONTENT_WIDTH = PAGE_SIZE[0] - 2 * MARGIN - 2 * FRAME_PADDING


def _numbered_canvas(meta: ReportMeta) -> type[Canvas]:
    """A canvas that draws the header and footer once the page count is known."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            self._page_states: list[dict] = []

        def showPage(self) -> None:  # noqa: N802  (ReportLab's name)
            self._page_states.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._page_states)
            for state in self._page_states:
                self.__dict__.update(state)
                self._draw_frame(total)
                super().showPage()
            super().save()

        def _draw_frame(self, total: int) -> None:
            # Canvas text is never parsed as markup, so the title needs no escaping here.
            width, height = PAGE_SIZE
            self.saveState()
            self.setStrokeColor(LINE)
            self.setLineWidth(0.5)
            self.line(MARGIN, height - MARGIN + 4 * mm, width - MARGIN, height - MARGIN + 4 * mm)
            self.line(MARGIN, MARGIN - 6 * mm, width - MARGIN, MARGIN - 6 * mm)
            self.setFont(FONT, 8)
            self.setFillColor(MUTED)
            self.drawString(MARGIN, height - MARGIN + 6 * mm, _fit(meta.title, width - 2 * MARGIN - 40 * mm, 8))
            self.drawRightString(width - MARGIN, height - MARGIN + 6 * mm, AUTHOR)
            self.drawString(MARGIN, MARGIN - 10 * mm, meta.made_on.isoformat())
            self.drawRightString(width - MARGIN, MARGIN - 10 * mm,
                                 f"Sida {self._pageNumber} av {total}")
            self.restoreState()

    return NumberedCanvas


def _fit(text: str, width: float, size: float) -> str:
    """`text` shortened with an ellipsis to fit `width` points on one line."""
    if pdfmetrics.stringWidth(text, FONT, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", FONT, size) > width:
        text = text[:-1]
    return text + "…"


def build_pdf(meta: ReportMeta, story: Sequence[Flowable]) -> bytes:
    """The PDF of `story` on A4 with the report's header, footer and document properties."""
    register_fonts()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=PAGE_SIZE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=meta.title,
        author=AUTHOR,
        creator=AUTHOR,
        subject=meta.subject or meta.title,
        lang=meta.language,
    )
    document.build(list(story), canvasmaker=_numbered_canvas(meta))
    return buffer.getvalue()
