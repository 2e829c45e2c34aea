"""The unit report's staff-survey section (issues 6 and 7): a unit's readers see their own
staff's answers when enough answered, nothing when too few did, and the gap between their
board's ratings and their staff's answers — the same cells the city's outputs show."""

from __future__ import annotations

import re

from tests.test_city import city_rounds, pdf_text  # noqa: F401  (fixture)

NORR = "/rapporter/granskning-2026/enheter/sdn-norr"
SYD = "/rapporter/granskning-2026/enheter/sdn-syd"
BOLAG = "/rapporter/granskning-2026/enheter/bolag"
STOD_QUESTION = "upplevde du att du fick det stöd du behövde av din arbetsgivare?"


def survey_part(page: str) -> str:
    return page.split('id="enkat-rubrik"')[1].split("</section>\n</article>")[0]


def test_a_unit_reader_sees_their_staffs_answers_and_the_gap(city_rounds, as_role):  # noqa: F811
    page = as_role("unit_reader").get(NORR).get_data(as_text=True)
    part = survey_part(page)
    # Norra: 6 responses, stod 5 ja and 1 nej -> 83,3 % and 16,7 %, index 500 / 6 = 83.3.
    assert "Norra stadsdelsnämnden: 6 svarande." in part
    assert STOD_QUESTION in part
    stod = part.split(STOD_QUESTION)[-1]
    assert re.search(r"<th scope=\"row\">Ja</th>\s*<td>83,3 %</td><td>5</td>", stod)
    assert re.search(r"<th scope=\"row\">Nej</th>\s*<td>16,7 %</td><td>1</td>", stod)
    assert "Index 83,3 av 100" in stod
    # The gap: Norra's board rates stod "delvis"; 83,3 % of its staff answer favourably; not flagged.
    assert "83,3 % (n = 6)" in part and "gap-flagged" not in part
    # Response rate: an open link without a head count has no invited figure.
    assert "Svarsfrekvens: 6 svar, 0 påbörjade, 0 avböjde" in part


def test_the_socialnamnd_board_says_ja_while_its_staff_say_otherwise(city_rounds, as_role):  # noqa: F811
    page = as_role("admin").get("/rapporter/granskning-2026/enheter/soc").get_data(as_text=True)
    part = survey_part(page)
    # 2 of 7 got the support they needed: 28,6 %, below the gap rule's 50 % while the board says Ja.
    assert "28,6 % (n = 7)" in part and 'class="gap-flagged"' in part


def test_a_unit_below_the_threshold_or_protected_against_subtraction_shows_no_figure(
        city_rounds, as_role):  # noqa: F811
    for path, n in ((BOLAG, 3), (SYD, 5)):
        page = as_role("admin").get(path).get_data(as_text=True)
        part = survey_part(page)
        assert "Resultaten visas därför inte" in part
        assert STOD_QUESTION not in part and "Index" not in part
        assert "(n = " not in part and f"{n} svarande" not in part
        pdf = pdf_text(as_role("admin").get(path + ".pdf").data)
        assert "Resultaten visas därför inte" in pdf and "(n = " not in pdf


def test_the_unit_pdf_carries_the_same_survey_figures(city_rounds, as_role):  # noqa: F811
    text = pdf_text(as_role("unit_editor").get(NORR + ".pdf").data)
    assert "Medarbetarenkäten" in text
    assert "Norra stadsdelsnämnden: 6 svarande." in text
    assert "83,3 % (5)" in text and "16,7 % (1)" in text  # the bars' labels
    assert "83,3 % (n = 6)" in text  # the gap table
