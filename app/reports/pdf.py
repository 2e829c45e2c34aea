"""The PDF base every report uses: an embedded font with å, ä and ö, paragraph styles, tables,
level colours and a document with page header, "Sida N av M" footer and metadata.

Every text that reaches ReportLab's paragraph markup goes through `escape` first (or `para`,
which does it): user text with `<`, `&` or tags appears as text and is never interpreted, and
characters the font has no glyph for never reach the PDF (`printable`). Text on a canvas or in a
chart goes through `printable` as well. A word longer than its column is split (ReportLab's
splitLongWords), and `data_table` gives every column a width that leaves room for its text, so
no text a user types can make a PDF fail.
"""

from __future__ import annotations

import io
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import TypeAlias
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

PAGE_SIZE = A4
MARGIN = 18 * mm
FRAME_PADDING = 6  # platypus' default padding inside the page frame
CONTENT_WIDTH = PAGE_SIZE[0] - 2 * MARGIN - 2 * FRAME_PADDING

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


# Shown once for each run of characters the font cannot draw (emoji, scripts DejaVu lacks):
# the reader sees that something was written there instead of an empty box.
REPLACEMENT_GLYPH = "\ufffd"


@lru_cache(maxsize=1)
def _glyphs() -> frozenset[int]:
    """The code points both faces the reports write in (regular and bold) have a glyph for,
    within the Basic Multilingual Plane: ReportLab writes the text layer (ToUnicode) of a
    character beyond it wrongly, so copying or searching it would find another character."""
    register_fonts()
    faces = [pdfmetrics.getFont(name).face for name in (FONT, FONT_BOLD)]
    common = {code for code, glyph in faces[0].charToGlyph.items() if glyph and code <= 0xFFFF}
    for face in faces[1:]:
        common &= {code for code, glyph in face.charToGlyph.items() if glyph}
    return frozenset(common)


def _variation_selector(code: int) -> bool:
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


@lru_cache(maxsize=1)
def _drawn_as_is() -> frozenset[str]:
    """The characters `printable` keeps as they are: those the font draws that are no line
    break, tab, control or format character or variation selector."""
    return frozenset(
        chr(code) for code in _glyphs()
        if unicodedata.category(chr(code)) not in ("Cc", "Cf", "Zl", "Zp") and not _variation_selector(code)
    )


def printable(text: object) -> str:
    """`text` as the embedded font can draw it: composed (NFC), line breaks as "\\n", tabs and
    spaces the font lacks as plain spaces, invisible control and format characters (zero-width
    spaces and joiners, direction marks, soft hyphens, variation selectors) left out, a
    combining mark the font lacks left out (its letter stays), and every other run of
    characters the font lacks (emoji, rare scripts) as one REPLACEMENT_GLYPH."""
    if text is None:
        return ""
    value = unicodedata.normalize("NFC", str(text))
    if _drawn_as_is().issuperset(value):  # the common case: nothing to change
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    glyphs = _glyphs()
    out: list[str] = []
    missing = False  # the previous character shown was the replacement glyph (U+FFFD) for characters the font lacks
    for char in value:
        code = ord(char)
        category = unicodedata.category(char)
        if char == "\n" or category in ("Zl", "Zp"):
            out.append("\n")
        elif char == "\t" or (category == "Zs" and code not in glyphs):
            out.append(" ")
        elif category in ("Cc", "Cf") or _variation_selector(code):
            continue
        elif code in glyphs:
            out.append(char)
        elif category.startswith("M"):
            continue
        elif not missing:
            out.append(REPLACEMENT_GLYPH)
            missing = True
            continue
        else:
            continue
        missing = False
    return "".join(out)


def escape(text: object) -> str:
    """`text` as paragraph markup that shows exactly those characters (line breaks kept), as
    far as the font can draw them (see `printable`)."""
    return _markup(printable(text))


def _markup(shown: str) -> str:
    return _xml_escape(shown, {'"': "&quot;"}).replace("\n", "<br/>")


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
    """A paragraph showing `text` literally (escaped), in `style` (body by default). A word
    wider than the paragraph is split over lines (the styles' splitLongWords)."""
    style = style or styles().body
    shown = printable(text)
    paragraph = Paragraph(_markup(shown), style)
    paragraph.shown_text = shown  # measured only when a table asks (`natural_widths`)
    return paragraph


# A word wider than this never widens its table column further: it is split inside its cell.
LONGEST_WORD = 90.0
# The narrowest a column's content gets (its padding aside): room for a few characters.
MIN_COLUMN = 24.0
CELL_PADDING = 4


def _text_widths(text: str, font: str, size: float) -> tuple[float, float]:
    """(narrowest, natural) width of `text` in a table cell: its longest word up to
    LONGEST_WORD, and its longest line."""
    words = text.split()
    narrowest = min(LONGEST_WORD, max((pdfmetrics.stringWidth(w, font, size) for w in words), default=0.0))
    natural = max((pdfmetrics.stringWidth(line, font, size) for line in text.split("\n")), default=0.0)
    return narrowest, natural


def natural_widths(flowable: Flowable) -> tuple[float, float]:
    """(narrowest, natural) width of a cell's content: a paragraph of `para` by its text
    (`_text_widths`), a badge as it says, anything else (drawings) its fixed width."""
    known = getattr(flowable, "natural_widths", None)
    if known is not None:
        return known
    shown = getattr(flowable, "shown_text", None)
    if shown is not None:
        style = flowable.style
        return _text_widths(shown, style.fontName, style.fontSize)
    width = float(flowable.minWidth())  # drawings and other fixed-width flowables
    return width, width


def level_badge(label: str, colour: str | None, style: ParagraphStyle | None = None) -> Table:
    """A level's label on its light background in its strong colour: the colour never stands
    alone, the label says the same."""
    level = level_colour(colour)
    cell_style = ParagraphStyle("badge", style or styles().cell_bold, textColor=level.strong)
    text = para(label, cell_style)
    badge = Table([[text]])
    # A badge keeps its label on one line when its column can give it room.
    _narrowest, natural = natural_widths(text)
    badge.natural_widths = (min(natural, LONGEST_WORD) + 8, natural + 8)
    badge.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), level.background),
        ("BOX", (0, 0), (-1, -1), 0.5, level.strong),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return badge


Cell: TypeAlias = str | int | float | Flowable | None


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
    widths = list(col_widths) if col_widths is not None else column_widths(data)
    # A row taller than a page (a long text in a narrow column) is split inside the row.
    table = Table(data, colWidths=widths, repeatRows=1, splitInRow=3 * s.cell.leading)
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


def column_widths(data: Sequence[Sequence[Flowable]], total: float = CONTENT_WIDTH,
                  padding: float = 2 * CELL_PADDING) -> list[float]:
    """Column widths adding up to `total` that never leave a column too narrow for its text:
    each column gets at least its longest word (up to LONGEST_WORD, longer words are split)
    and MIN_COLUMN, and the rest of the width goes to the columns whose text would like more.
    ReportLab's own guess gives narrow columns a negative width next to a long word."""
    count = max((len(row) for row in data), default=0)
    if count == 0:
        return []
    narrowest = [MIN_COLUMN] * count
    natural = [MIN_COLUMN] * count
    for row in data:
        for index, cell in enumerate(row):
            low, high = natural_widths(cell)
            narrowest[index] = max(narrowest[index], low)
            natural[index] = max(natural[index], high, low)
    room = total - count * padding
    if room <= count * MIN_COLUMN:  # so many columns that only equal shares are left
        return [total / count] * count
    if sum(narrowest) >= room:  # shrink the long words' columns towards MIN_COLUMN
        scale = (room - count * MIN_COLUMN) / (sum(narrowest) - count * MIN_COLUMN)
        return [MIN_COLUMN + (w - MIN_COLUMN) * scale + padding for w in narrowest]
    wanted = [high - low for low, high in zip(narrowest, natural, strict=True)]
    if sum(natural) > room:  # each its narrowest and a share of the rest by what it lacks
        scale = (room - sum(narrowest)) / sum(wanted)
        return [low + extra * scale + padding for low, extra in zip(narrowest, wanted, strict=True)]
    scale = room / sum(natural)  # everything fits on one line: widen all alike
    return [high * scale + padding for high in natural]


@dataclass(frozen=True)
class ReportMeta:
    """What the header, footer and document properties say about a report."""

    title: str
    subject: str = ""
    made_on: date = field(default_factory=date.today)
    language: str = "sv"


def _numbered_canvas(meta: ReportMeta) -> type[Canvas]:
    """A canvas that draws the header and footer once the page count is known."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
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
            self.drawString(MARGIN, height - MARGIN + 6 * mm, fit_line(meta.title, width - 2 * MARGIN - 40 * mm, 8))
            self.drawRightString(width - MARGIN, height - MARGIN + 6 * mm, AUTHOR)
            self.drawString(MARGIN, MARGIN - 10 * mm, meta.made_on.isoformat())
            self.drawRightString(width - MARGIN, MARGIN - 10 * mm,
                                 f"Sida {self._pageNumber} av {total}")
            self.restoreState()

    return NumberedCanvas


def fit_line(text: str, width: float, size: float, font: str = FONT) -> str:
    """`text` on one line (as the font can draw it), shortened with an ellipsis to fit `width`
    points."""
    text = " ".join(printable(text).split())
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    low, high = 0, len(text)  # the longest prefix that fits with the ellipsis: binary search
    while low < high:
        middle = (low + high + 1) // 2
        if pdfmetrics.stringWidth(text[:middle] + "…", font, size) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low] + "…"


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
