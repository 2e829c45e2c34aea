"""Every PDF survives any text a user can type: long unbroken words, the longest texts the forms
allow, right-to-left and combining characters, emoji and markup characters are wrapped or split
inside their cells and shown, never an exception. Through HTTP: the unit PDF (with its risk
section), the city-wide PDF (with the city's risk pages), the survey results PDF and the access
code slips.

What counts as "shown": the characters the embedded DejaVu faces can draw, in order, whitespace
aside (lines are broken anywhere). Characters the font has no glyph for, and those beyond the
Basic Multilingual Plane (ReportLab writes their text layer wrongly), become one visible "�" per
run; invisible format characters (zero-width space, direction marks, soft hyphen) are left out.
ReportLab draws right-to-left text in the order it was typed and text extraction reads a run of
right-to-left characters backwards, so such runs are compared as a count of their characters.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from app.reports.pdf import (
    CONTENT_WIDTH,
    MARGIN,
    PAGE_SIZE,
    REPLACEMENT_GLYPH,
    ReportMeta,
    build_pdf,
    column_widths,
    data_table,
    para,
    register_fonts,
)
from tests.conftest import login, post
from tests.risks_factory import make_risk_round, risk_form
from tests.rounds_factory import DESCRIPTIONS, RATINGS, full_answers
from tests.test_survey import ROUND_KEY as SURVEY_ROUND
from tests.test_survey import open_survey_round

ROUND = "granskning-2026"
REGISTER = f"/risker/{ROUND}/sdn-norr"
ANSWERS = f"/granskning/{ROUND}/sdn-norr/sjalvskattning"
UNIT_PDF = f"/rapporter/{ROUND}/enheter/sdn-norr.pdf"
CITY_PDF = f"/lagesbild/{ROUND}/rapport.pdf"
RESULTS_PDF = f"/admin/enkat/{SURVEY_ROUND}/resultat.pdf"
PAST = "2021-06-30"


# --- reading a PDF and comparing ------------------------------------------------------------


def body_text(data: bytes) -> str:
    """The text inside the page frames of every page (the running header and footer left out,
    so a text continued on the next page reads on), after checking that `data` is a PDF."""
    assert data.startswith(b"%PDF-"), data[:200]
    reader = PdfReader(io.BytesIO(data))
    top, bottom = PAGE_SIZE[1] - MARGIN + 1, MARGIN - 1
    parts: list[str] = []

    def visit(text, cm, tm, font, size):  # type: ignore[no-untyped-def]
        y = tm[5] * cm[3] + cm[5] if cm else tm[5]
        if bottom <= y <= top:
            parts.append(text)

    for page in reader.pages:
        page.extract_text(visitor_text=visit)
        parts.append("\n")
    return "".join(parts)


@lru_cache(maxsize=1)
def drawable() -> frozenset[int]:
    """What the reports' two faces (regular and bold) both have a glyph for, in the BMP."""
    register_fonts()
    faces = [pdfmetrics.getFont(name).face for name in ("LagesbildSans", "LagesbildSans-Bold")]
    return frozenset(code for code, glyph in faces[0].charToGlyph.items()
                     if glyph and code <= 0xFFFF and faces[1].charToGlyph.get(code))


# pypdf reads these as right-to-left, and reverses a run of them together with the neutral
# characters (spaces, punctuation, Arabic digits) inside it.
RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


def _rtl_run_char(char: str) -> bool:
    return bool(RTL.match(char)) or not char.isalnum() or "\u2000" <= char <= "\u21ff" or "\u0660" <= char <= "\u06f9"


def _without_rtl_runs(text: str) -> str:
    """`text` with every run of right-to-left and neutral characters that holds a right-to-left
    one left out: the same whichever way round the extraction read the run."""
    out, run = [], []
    for char in text + "a":
        if _rtl_run_char(char) and char != "a":
            run.append(char)
            continue
        if not any(RTL.match(c) for c in run):
            out.extend(run)
        run = []
        out.append(char)
    return "".join(out[:-1])


def _first_kept(text: str) -> int:
    """How many characters at the start of `text` could belong to a right-to-left run."""
    return next((i for i, c in enumerate(text) if not _rtl_run_char(c)), len(text))


def shown(text: str) -> str:
    """What of `text` a PDF must show: composed, without whitespace, without characters the
    font cannot draw and without invisible format characters and variation selectors."""
    return "".join(
        c for c in unicodedata.normalize("NFC", text)
        if not c.isspace() and unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp")
        and not 0xFE00 <= ord(c) <= 0xFE0F and ord(c) in drawable())  # variation selectors


def compact(extracted: str) -> str:
    return "".join(c for c in extracted if not c.isspace() and c != REPLACEMENT_GLYPH)


def assert_shows(extracted: str, *texts: str) -> None:
    """Each of `texts` appears, as far as the font draws it, in `extracted`."""
    page = compact(extracted)
    page_ltr = _without_rtl_runs(page)
    have = Counter(c for c in page if RTL.match(c))
    for text in texts:
        wanted = shown(text)
        ltr = _without_rtl_runs(wanted)
        if have:  # punctuation at either end may have joined a neighbour's right-to-left run
            ltr = ltr[_first_kept(ltr):len(ltr) - _first_kept(ltr[::-1])]
        assert ltr in page_ltr, (text, wanted, page[:3000])
        need = Counter(c for c in wanted if RTL.match(c))
        assert not need - have, (text, need - have)


def assert_in_order(extracted: str, text: str) -> None:
    """Every character `text` must show appears in `extracted` in order: a text longer than a
    page is interrupted by the next page's repeated table header and the other cells."""
    page = iter(compact(extracted))
    missing = [c for c in shown(text) if not any(c == p for p in page)]
    assert not missing, missing[:20]


# --- generated text -------------------------------------------------------------------------

MARKUP = ("<b>", "</b>", "<br/>", "<para>", "</para>", "&amp;", "&", "&#x41;", "&nbsp;", "<font size=40>",
          "<img src='x'/>", "]]>", "<![CDATA[", '"', "'", "<", ">", "<<<>>>", "&lt;", "<u>", "<super>")
LETTERS = "abcdefghijklmnopqrstuvwxyzåäöÅÄÖWMŴ0123456789"
RTL_WORDS = ("שלום", "עולם", "مرحبا", "بالعالم", "ש", "ت", "אבג123", "٣٤٥")
COMBINING = ("e\u0301", "a\u0308", "o\u0302\u0323", "n\u0303", "\u0301", "x\u20dd", "Z\u0336\u0335")
SYMBOLS = ("😀", "👍🏽", "❤️", "👨‍👩‍👧", "🇸🇪", "☺", "€", "✓", "\u200b", "\u200f", "\u00ad", "\u00a0", "\ufeff",
           "𝔸", "中文", "한국어", "\t", "\n", "\r\n", "\u2028")

any_text = st.characters(blacklist_categories=("Cs", "Cc"))
fragments = st.one_of(
    st.text(any_text, max_size=30),
    st.text(st.sampled_from(LETTERS), min_size=100, max_size=260),  # a long word
    st.sampled_from(MARKUP),
    st.sampled_from(RTL_WORDS),
    st.sampled_from(COMBINING),
    st.sampled_from(SYMBOLS),
)


def texts(limit: int) -> st.SearchStrategy[str]:
    """Typed text of at most `limit` characters that is not blank (a required field)."""
    return st.lists(fragments, max_size=8).map(lambda parts: ("Ä" + "".join(parts))[:limit])


# --- the city, with a risk and a survey round -----------------------------------------------


@dataclass
class World:
    risk_key: str
    admin: FlaskClient
    analyst: FlaskClient
    editor: FlaskClient


@pytest.fixture
def world(city) -> World:
    """A review round with the self-assessment and the risk template for Norra, Södra and the
    company, the staff survey round, one risk in Norra's register, and the admin, the analyst
    and Norra's editor logged in."""
    with city.app_context():
        make_risk_round()
    open_survey_round(city)
    made = {}
    for role, email in (("admin", "admin@test.se"), ("analyst", "analyst@test.se"), ("editor", "editor@test.se")):
        made[role] = city.test_client()
        assert login(made[role], email).status_code == 302
    editor = made["editor"]
    response = post(editor, f"{REGISTER}/ny", risk_form("Hembesök", likelihood="3", consequence="4",
                                                        measures=(("Gå två och två", "Chef", PAST, "planned"),)))
    assert response.status_code == 302, response.get_data(as_text=True)
    keys = re.findall(rf"{REGISTER}/risk/([A-Za-z0-9_-]+)", editor.get(REGISTER).get_data(as_text=True))
    assert keys
    return World(keys[0], **made)


def page_version(client, url: str) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r'name="base_version" value="(\d+)"', client.get(url).get_data(as_text=True))
    return match.group(1) if match else "0"


def rename_unit(admin, name: str) -> None:  # type: ignore[no-untyped-def]
    response = post(admin, "/admin/enheter/sdn-norr", {"name": name, "kind": "district_board",
                                                       "parent": "stad", "active": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]


def save_answers(editor, motivation: str, description: str) -> None:  # type: ignore[no-untyped-def]
    data = {**full_answers(), f"q-{RATINGS[0]}-motivation": motivation, f"q-{DESCRIPTIONS[0]}": description,
            "base_version": page_version(editor, ANSWERS), "action": "save"}
    response = post(editor, ANSWERS, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]


def write_risk(editor, key: str, activity: str, action: str, owner: str, **extra: str) -> None:  # type: ignore[no-untyped-def]
    url = f"{REGISTER}/risk/{key}"
    response = post(editor, url, risk_form(activity, likelihood="3", consequence="4",
                                           measures=((action, owner, PAST, "planned"),),
                                           base_version=page_version(editor, url), **extra))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]


def submit_register(editor) -> None:  # type: ignore[no-untyped-def]
    response = post(editor, f"{REGISTER}/skicka-in", {"base_version": page_version(editor, REGISTER)})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]


def reopen_register(admin) -> None:  # type: ignore[no-untyped-def]
    response = post(admin, f"/admin/omgangar/{ROUND}/sdn-norr/riskanalys/oppna-igen",
                    {"reason": "Texten ska prövas igen."})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]


def get_pdf(client, url: str) -> bytes:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    return response.data


def code_slips(admin) -> bytes:  # type: ignore[no-untyped-def]
    response = post(admin, f"/admin/enkat/{SURVEY_ROUND}/koder", {"unit": "sdn-norr", "count": "1", "format": "pdf"})
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    assert response.mimetype == "application/pdf"
    return response.data


# --- the property: any text, every PDF ------------------------------------------------------


# Shrinking is left out: each example costs a dozen requests, and a failure prints its texts.
@settings(max_examples=15, deadline=None, phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(unit_name=texts(200), activity=texts(300), action=texts(700), owner=texts(300),
       motivation=texts(900), description=texts(900), follow_up=texts(400))
def test_any_text_in_every_field_gives_every_pdf_with_the_text(
        world, unit_name, activity, action, owner, motivation, description, follow_up):
    admin, analyst, editor = world.admin, world.analyst, world.editor
    rename_unit(admin, unit_name)
    save_answers(editor, motivation, description)
    write_risk(editor, world.risk_key, activity, action, owner, description=description, follow_up=follow_up)

    unit_pdf = body_text(get_pdf(editor, UNIT_PDF))
    assert_shows(unit_pdf, unit_name, motivation, description, activity, action, owner)

    submit_register(editor)  # the city's risk pages hold submitted registers only
    city_pdf = body_text(get_pdf(analyst, CITY_PDF))
    assert_shows(city_pdf, unit_name, activity, action, owner)
    reopen_register(admin)

    assert_shows(body_text(code_slips(admin)), unit_name)
    assert_shows(body_text(get_pdf(admin, RESULTS_PDF)), unit_name)


# --- the cases found ------------------------------------------------------------------------


def test_an_activity_of_300_characters_without_a_space_gives_the_unit_and_city_pdf(world):
    activity = "Ä" + "hembesöksverksamhetsriskbedömning" * 9  # 298 characters, one word
    write_risk(world.editor, world.risk_key, activity, "Gå två och två", "Enhetschef")
    assert_shows(body_text(get_pdf(world.editor, UNIT_PDF)), activity)
    submit_register(world.editor)
    assert_shows(body_text(get_pdf(world.analyst, CITY_PDF)), activity)


# Where it broke depends on the letters' widths: from about 180 M, 220 capitals, 255 lower case.
@pytest.mark.parametrize("activity", ["M" * 200, ("HEMBESÖKSVERKSAMHET" * 12)[:220], ("Riskbedömning" * 24)[:300]])
def test_an_activity_from_160_characters_without_a_space_gives_the_unit_pdf(world, activity):
    write_risk(world.editor, world.risk_key, activity, "Gå två och två", "Enhetschef")
    assert_shows(body_text(get_pdf(world.editor, UNIT_PDF)), activity)


def test_a_long_measure_action_and_owner_give_the_unit_and_city_pdf(world):
    action = "Åtgärdsplanering" * 312  # 4,992 characters without a space: longer than a page
    owner = ("Säkerhetssamordnare" * 16)[:300]
    write_risk(world.editor, world.risk_key, "Hembesök", action, owner)
    unit_pdf = body_text(get_pdf(world.editor, UNIT_PDF))
    assert_in_order(unit_pdf, action)
    assert_shows(unit_pdf, owner)
    submit_register(world.editor)
    city_pdf = body_text(get_pdf(world.analyst, CITY_PDF))  # the highest risks and the overdue measures
    assert_in_order(city_pdf, action + owner)


def test_the_longest_texts_the_forms_allow_give_the_unit_pdf(world):
    words = " ".join(f"ord{i}" for i in range(1200))[:4000]
    motivation = words + " " + "x" * 999  # 5,000 characters, the last thousand one word
    description = "Beskrivning" * 454  # 4,994 characters without a space
    name = "Stadsdelsnämnden" * 12 + "Norra" * 8  # 232 > 200: refused; cut to the limit below
    rename_unit(world.admin, name[:200])
    save_answers(world.editor, motivation, description)
    unit_pdf = body_text(get_pdf(world.editor, UNIT_PDF))
    assert_in_order(unit_pdf, motivation)
    assert_in_order(unit_pdf, description)
    assert_shows(unit_pdf, name[:200])
    assert_shows(body_text(code_slips(world.admin)), name[:200])
    assert_shows(body_text(get_pdf(world.analyst, CITY_PDF)), name[:200])


def test_markup_characters_appear_as_typed(world):
    activity = '<b>fet</b> & <i>kursiv</i> &amp; <br/> <font size="40">stor</font> <para> ]]>'
    write_risk(world.editor, world.risk_key, activity, "<u>Larm</u> & knapp", "Chef <HR>")
    text = body_text(get_pdf(world.editor, UNIT_PDF))
    assert activity in " ".join(text.split())
    assert "<u>Larm</u> & knapp – Chef <HR>" in " ".join(text.split())


def test_emoji_and_characters_the_font_lacks_become_one_visible_replacement_glyph(world):
    write_risk(world.editor, world.risk_key, "Hot 👍🏽 via 🙂🙂 sms ❤️ 𝔸 中文", "Åtgärd", "Chef")
    text = compact(body_text(get_pdf(world.editor, UNIT_PDF)).replace(REPLACEMENT_GLYPH, "[?]"))
    assert "Hot[?]via[?]sms❤[?]" in text  # ❤ is in the font; 𝔸 and 中文 are not: one run


def test_right_to_left_and_combining_characters_are_shown(world):
    activity = "Hembesök שלום עולם och مرحبا, Cafe\u0301 Zu\u0308rich a\u0308\u0301"
    write_risk(world.editor, world.risk_key, activity, "Åtgärd", "Chef")
    text = body_text(get_pdf(world.editor, UNIT_PDF))
    assert_shows(text, activity)
    assert "Café Zürich" in " ".join(text.split())  # composed: é and ü are one glyph each


def test_invisible_characters_are_left_out_and_break_nothing(world):
    activity = "Hem\u200bbesök\u00ad\u200f\ufeff i\u2028natt\tdag\r\nkväll"
    write_risk(world.editor, world.risk_key, activity, "Åtgärd", "Chef")
    text = " ".join(body_text(get_pdf(world.editor, UNIT_PDF)).split())
    assert "Hembesök i natt dag kväll" in text


# --- the PDF base on its own ----------------------------------------------------------------


def test_ten_thousand_characters_fit_any_table_and_paragraph():
    word = "Riskbedömning" * 770  # 10,010 characters, one word
    sentence = " ".join(["ord"] * 2500)
    data = build_pdf(ReportMeta(word), [
        para(word),
        data_table(("A", "B", "C", "D", "E", "F"), [(word, "1", sentence, "x" * 10_000, "", "2")]),
        data_table(("Smal", "Bred"), [(word, sentence)], [30, CONTENT_WIDTH - 30]),
    ])
    text = body_text(data)
    # a row taller than a page is split inside the row, so its cells' parts alternate
    for cell in (word, sentence, "x" * 10_000):
        assert_in_order(text, cell)
    assert_in_order(text, word + word)  # the paragraph, then the first table


def test_column_widths_leave_every_column_room_and_fill_the_width():
    long_words = [para("x" * 400) for _ in range(6)]
    short = [para("1") for _ in range(6)]
    for rows in ([long_words, short], [short], [[para("")] * 6], [[para("a " * 500)] + short[1:]]):
        widths = column_widths(rows)
        assert abs(sum(widths) - CONTENT_WIDTH) < 0.01
        assert min(widths) >= 24 + 8
    # the header's longest word keeps its column when it fits: a count column stays narrow
    widths = column_widths([[para("Verksamhet"), para("Antal")], [para("x" * 300), para("3")]])
    assert widths[1] < widths[0] and widths[1] >= 8 + pdfmetrics.stringWidth("Antal", "LagesbildSans", 8.5)
