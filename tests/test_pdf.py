"""The PDF base: the embedded font keeps å, ä and ö, user text is shown literally, and every
page has its header and "Sida N av M" footer."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from app.reports.pdf import (
    LEVEL_COLOURS,
    ReportMeta,
    build_pdf,
    data_table,
    escape,
    level_badge,
    para,
    styles,
)


def pdf_text(data: bytes) -> str:
    """The text of every page with line breaks and runs of spaces as single spaces."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def test_swedish_characters_survive_in_the_pdf():
    s = styles()
    data = build_pdf(ReportMeta("Självskattning för Södra"), [
        para("Nämndens kännedom om otillåten påverkan", s.title),
        para("ÅÄÖ åäö é ü – ”citat”", s.body),
    ])
    text = pdf_text(data)
    assert "Nämndens kännedom om otillåten påverkan" in text
    assert "ÅÄÖ åäö é ü – ”citat”" in text


def test_the_font_is_embedded():
    data = build_pdf(ReportMeta("Titel"), [para("åäö")])
    reader = PdfReader(io.BytesIO(data))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    descriptors = [font.get_object()["/FontDescriptor"] for font in fonts.values()
                   if "/FontDescriptor" in font.get_object()]
    if not descriptors:  # TrueType subsets are Type0 fonts with descendants
        descriptors = [font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                       for font in fonts.values()]
    assert descriptors
    assert all("/FontFile2" in d.get_object() for d in descriptors)


def test_user_markup_appears_literally():
    hostile = "<b>x</b> & <script>alert(1)</script> <font color=red>röd</font> &amp;"
    data = build_pdf(ReportMeta(hostile), [
        para(hostile),
        data_table(["Rubrik <i>", "B"], [[hostile, "1"]]),
        level_badge("<u>Ja</u>", "green"),
    ])
    text = pdf_text(data)
    assert text.count("<b>x</b> & <script>alert(1)</script> <font color=red>röd</font> &amp;") >= 3
    assert "Rubrik <i>" in text
    assert "<u>Ja</u>" in text


def test_escape_keeps_line_breaks_and_quotes_markup():
    assert escape('a < b & "c"\nny rad') == "a &lt; b &amp; &quot;c&quot;<br/>ny rad"
    assert escape(None) == ""


def test_every_page_has_its_number_of_the_total_and_the_date():
    rows = [[f"rad {i}", "värde"] for i in range(150)]
    data = build_pdf(ReportMeta("Lång rapport", made_on=date(2026, 3, 1)),
                     [data_table(["Rad", "Värde"], rows)])
    pages = PdfReader(io.BytesIO(data)).pages
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        text = page.extract_text()
        assert f"Sida {number} av {len(pages)}" in text
        assert "2026-03-01" in text
        assert "Lång rapport" in text
        assert "Rad" in text  # the header row repeats on every page


def test_metadata_names_title_author_and_language():
    data = build_pdf(ReportMeta("Lägesbild 2026", language="sv"), [para("x")])
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata.title == "Lägesbild 2026"
    assert reader.metadata.author == "Lägesbild"
    assert reader.trailer["/Root"]["/Lang"] == "sv"


def test_level_colours_match_the_stylesheet():
    from pathlib import Path

    css = (Path(__file__).parents[1] / "app/static/css/app.css").read_text(encoding="utf-8")
    for name in ("green", "amber", "red"):
        strong = LEVEL_COLOURS[name].strong.hexval()[2:]
        background = LEVEL_COLOURS[name].background.hexval()[2:]
        assert f"--{name}: #{strong}" in css
        assert f"--{name}-bg: #{background}" in css
