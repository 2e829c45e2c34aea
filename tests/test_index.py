"""The index of a unit questionnaire (issue 16): a city office's own questionnaire
(tests/data/valid/uppfoljning.yaml: seven recommendations rated Genomförd 100 / Delvis
genomförd 50 / Ej påbörjad 0) answered over HTTP by three units, and the same figures on the
comparison page, the unit report and its PDF, the city report and its PDF and the exports;
statements ranked worst first; titles and legends from the questionnaire. Figures by hand."""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.config import PROJECT_ROOT
from app.services import transaction
from app.services.questionnaires import load_folder
from app.services.rounds import RoundSpec, change_status, create_round, get_round
from tests.conftest import make_user, post
from tests.test_unit_report import answer

UPPFOLJNING = PROJECT_ROOT / "tests" / "data" / "valid" / "uppfoljning.yaml"
SELF = PROJECT_ROOT / "questionnaires" / "sjalvskattning.yaml"
KEYS = ("rutiner", "utbildning", "rapportering", "riskanalys", "internkontroll", "stod", "samverkan")
G, D, E = "genomford", "delvis", "ej_paborjad"
UNITS = ("soc", "sdn-norr", "sdn-syd", "bolag")
EDITORS = {"soc": "stad-editor@test.se", "bolag": "stad-editor@test.se", "sdn-norr": "editor@test.se",
           "sdn-syd": "other@test.se"}

# 2026, submitted:
#   Socialnämnden: 7 Genomförd                         -> 700 / 7 = 100.0
#   Norra: 5 Genomförd, stod Delvis, samverkan Ej      -> 550 / 7 = 78.571… = 78.6
#   Södra: rutiner Genomförd, 6 Ej påbörjad            -> 100 / 7 = 14.285… = 14.3
#   Stadens Bostäder: 7 Ej påbörjad, only a draft      -> not counted anywhere
#   City mean: (100.0 + 78.6 + 14.3) / 3 = 192.9 / 3 = 64.3
# 2025, submitted:
#   Socialnämnden: 7 Delvis                            -> 50.0  (2026: +50.0)
#   Norra: 3 Genomförd (rutiner, utbildning, rapportering), 4 Ej -> 300 / 7 = 42.857… = 42.9
#                                                         (2026: 78.6 − 42.9 = +35.7)
#   City mean: (50.0 + 42.9) / 2 = 46.45 = 46.5 (halves up); 2026: 64.3 − 46.5 = +17.8
RATINGS_2026 = {
    "soc": (G,) * 7,
    "sdn-norr": (G, G, G, G, G, D, E),
    "sdn-syd": (G, E, E, E, E, E, E),
}
DRAFT_2026 = {"bolag": (E,) * 7}
RATINGS_2025 = {"soc": (D,) * 7, "sdn-norr": (G, G, G, E, E, E, E)}
# Per statement in 2026 (Socialnämnden, Norra, Södra):
#   rutiner 100, 100, 100 -> 100.0 | utbildning … internkontroll 100, 100, 0 -> 66.7
#   stod 100, 50, 0 -> 50.0 | samverkan 100, 0, 0 -> 33.3
# and in 2025 (Socialnämnden, Norra): rutiner, utbildning, rapportering 50, 100 -> 75.0;
#   riskanalys, internkontroll, stod, samverkan 50, 0 -> 25.0.
# Worst first: samverkan 33.3, stod 50.0, then the four at 66.7 (one Ej påbörjad each: by
# number), rutiner 100.0.
ORDER = ("samverkan", "stod", "utbildning", "rapportering", "riskanalys", "internkontroll", "rutiner")
NUMBERS = (7, 6, 2, 3, 4, 5, 1)
STATEMENT_INDEX = ("33,3", "50,0", "66,7", "66,7", "66,7", "66,7", "100,0")


def form(ratings: tuple[str, ...]) -> dict[str, object]:
    """The answering page's form: the ratings, a follow-up text where not Genomförd, a number
    and a multiple choice."""
    data: dict[str, object] = {"q-antal_handelser": "3", "q-atgarder": "utbildning"}
    for key, value in zip(KEYS, ratings, strict=True):
        data[f"q-{key}"] = value
        if value != G:
            data[f"q-{key}_uppfoljning"] = f"Återstår: {key}."
    return data


def respond(app, round_key: str, unit: str, ratings: tuple[str, ...], action: str = "submit") -> None:
    client = app.test_client()
    response = post(client, "/login", {"email": EDITORS[unit], "password": "rätt-häftigt-lösen-2026"})
    assert response.status_code == 302
    url = f"/granskning/{round_key}/{unit}/uppfoljning"
    response = post(client, url, {**form(ratings), "base_version": "0", "action": action})
    assert response.status_code == 302, html.unescape(response.get_data(as_text=True))[-3000:]


def open_round(key: str, year: int, questionnaire: str = "uppfoljning") -> None:
    with transaction() as session:
        new = create_round(session, RoundSpec(key, f"Uppföljning {year}", year, (questionnaire,), UNITS))
        change_status(session, new, "open")


@pytest.fixture
def followup(city):
    """The office's questionnaire answered in 2025 (closed) and 2026 as described above."""
    with city.app_context():
        assert load_folder([UPPFOLJNING]).ok
        make_user("stad-editor@test.se", "unit_editor", ("stad",))
        open_round("uppfoljning-2025", 2025)
    for unit, ratings in RATINGS_2025.items():
        respond(city, "uppfoljning-2025", unit, ratings)
    with city.app_context(), transaction() as session:
        change_status(session, get_round(session, "uppfoljning-2025"), "close")
    with city.app_context():
        open_round("uppfoljning-2026", 2026)
    for unit, ratings in RATINGS_2026.items():
        respond(city, "uppfoljning-2026", unit, ratings)
    for unit, ratings in DRAFT_2026.items():
        respond(city, "uppfoljning-2026", unit, ratings, action="save")
    return city


def page_text(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def words(text: str) -> str:
    return " ".join(text.split())


def pdf_text(data: bytes) -> str:
    return words(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def index_cells(page: str) -> dict[str, str]:
    return dict(re.findall(r'<td class="index-cell" data-unit="([^"]+)">([^<]*)</td>', page))


def test_the_comparison_page_shows_each_units_index_the_statements_and_the_city_mean(followup, as_role):
    client = as_role("analyst")
    page = page_text(client.get("/lagesbild/uppfoljning-2026"))
    assert index_cells(page) == {
        "soc": "100,0 (+50,0)", "sdn-norr": "78,6 (+35,7)", "sdn-syd": "14,3", "bolag": "–", "mean": "64,3"}
    head = page.split("<thead>")[1].split("</thead>")[0]
    assert tuple(int(n) for n in re.findall(r'<span aria-hidden="true">(\d+)</span>', head)) == NUMBERS
    mean_row = page.split('<tr class="index-row">')[1].split("</tr>")[0]
    assert "Stadens medelvärde" in mean_row
    assert tuple(re.findall(r"<td>([^<]*)</td>", mean_row)[:7]) == STATEMENT_INDEX  # after the mean
    # Sorted by index, lowest first; the draft without an index last.
    by_index = page_text(client.get("/lagesbild/uppfoljning-2026?sort=index"))
    assert list(index_cells(by_index)) == ["sdn-syd", "sdn-norr", "soc", "bolag", "mean"]
    assert '<option value="index" selected>Lägst index först</option>' in by_index
    # Filtered to the district boards: the mean is theirs, (78.6 + 14.3) / 2 = 46.45 = 46.5.
    boards = page_text(client.get("/lagesbild/uppfoljning-2026?kind=district_board"))
    assert index_cells(boards)["mean"] == "46,5" and "Medelvärde för de visade enheterna" in boards


def test_the_unit_report_page_and_pdf_show_the_units_index_and_each_statements(followup, as_role):
    client = as_role("unit_editor")  # Norra's own editor
    page = words(re.sub(r"<[^>]+>", " ", page_text(client.get("/rapporter/uppfoljning-2026/enheter/sdn-norr"))))
    pdf = pdf_text(client.get("/rapporter/uppfoljning-2026/enheter/sdn-norr.pdf").data)
    for text in (page, pdf):
        assert "Norra stadsdelsnämnden – Uppföljning av revisionens rekommendationer 2026" in text
        assert "självskattning" not in text.lower()
        assert ("Enhetens index: 78,6 av 100 (medelvärdet av poängen för 7 bedömda påståenden). "
                "Förra omgången (2025): 42,9, förändring +35,7. "
                "Medelvärdet av index för de 3 enheter som lämnat in: 64,3.") in text
        assert "Enheten 50,0 · alla 50,0" in text  # stod: Delvis; 100, 50, 0
        assert "Enheten 0,0 · alla 33,3" in text  # samverkan: Ej påbörjad; 100, 0, 0
        assert "Enheten 100,0 · alla 66,7" in text  # utbildning
        assert re.search(r"Enheten 78,6 (· )?medel 64,3", text)  # the PDF's narrow column: two lines
        assert "Motivering" not in text  # the questionnaire asks none (motivation: none)
    syd = pdf_text(as_role("admin").get("/rapporter/uppfoljning-2026/enheter/sdn-syd.pdf").data)
    assert "Enhetens index: 14,3 av 100" in syd and "Förra omgången (20" not in syd


def test_the_follow_ups_stand_under_their_recommendation_and_hidden_ones_are_not_listed(followup, as_role):
    """Norra rated stod Delvis and samverkan Ej påbörjad (so their follow-ups were asked and
    answered) and the other five Genomförd (so theirs were hidden): on the page and in the PDF the
    two texts follow their own recommendation, before the next one, and no hidden follow-up is
    listed, not even as 'Inget svar'."""
    client = as_role("unit_editor")
    page = words(re.sub(r"<[^>]+>", " ", page_text(client.get("/rapporter/uppfoljning-2026/enheter/sdn-norr"))))
    pdf = words(pdf_text(client.get("/rapporter/uppfoljning-2026/enheter/sdn-norr.pdf").data))
    for text in (page, pdf):
        # The statements' own sections come last (after the summary tables that also name them).
        stod = text.rindex("6. Säkerställ stöd till drabbade medarbetare")
        samverkan = text.rindex("7. Samverka med polis och andra myndigheter")
        assert stod < text.index("Återstår: stod.") < samverkan < text.index("Återstår: samverkan.")
        assert text.count("Vad återstår och när blir det klart?") == 2
        assert "Inget svar" not in text
        for key in ("rutiner", "utbildning", "rapportering", "riskanalys", "internkontroll"):
            assert f"Återstår: {key}." not in text


def test_the_city_report_and_its_pdf_show_the_indexes_and_the_scales_own_legend(followup, as_role):
    client = as_role("analyst")
    page = words(re.sub(r"<[^>]+>", " ", page_text(client.get("/lagesbild/uppfoljning-2026/rapport"))))
    pdf = pdf_text(client.get("/lagesbild/uppfoljning-2026/rapport.pdf").data)
    for text in (page, pdf):
        assert "Lägesbild 2026 – Uppföljning av revisionens rekommendationer" in text
        assert "Stadens index (medelvärdet av 3 enheters index) 64,3" in text
        assert "Påståenden med lägst index" in text
        assert "(index 33,3; 2 under Genomförd)" in text  # samverkan, the worst
        assert "Index 78,6 (2025: 42,9, förändring +35,7)" in text
        assert "Index 14,3" in text
        assert "✓ Genomförd, ◐ Delvis genomförd, ✗ Ej påbörjad." in text
        assert "Delvis/Nej" not in text and "✓ Ja" not in text
    worst = pdf.split("Påståenden med lägst index")[1]
    assert worst.index("Samverka med polis") < worst.index("Säkerställ stöd") < worst.index("Utbilda")
    # Round by round by statement key: samverkan 2025 (50 + 0) / 2 = 25.0, 2026 33.3: +8.3;
    # utbildning 2025 (50 + 100) / 2 = 75.0, 2026 66.7: -8.3.
    assert "Index: 2025: 25,0 · 2026: 33,3 (+8,3)" in pdf and "Index: 2025: 75,0 · 2026: 66,7 (-8,3)" in pdf
    history = page_text(client.get("/lagesbild/uppfoljning-2026/over-tid"))
    assert '<td class="history-index" data-statement="samverkan">2025: 25,0 · 2026: 33,3 (+8,3)</td>' in history
    assert '<td class="history-index" data-statement="rutiner">2025: 75,0 · 2026: 100,0 (+25,0)</td>' in history


def test_the_self_assessment_export_has_each_units_index_and_its_change(followup, as_role):
    client = as_role("admin")
    expected = {
        ("soc", "uppfoljning.index", ""): (100.0, 7),
        ("soc", "uppfoljning.index.previous", "round:uppfoljning-2025"): (50.0, None),
        ("soc", "uppfoljning.index.change", "round:uppfoljning-2025"): (50.0, None),
        ("sdn-norr", "uppfoljning.index", ""): (78.6, 7),
        ("sdn-norr", "uppfoljning.index.previous", "round:uppfoljning-2025"): (42.9, None),
        ("sdn-norr", "uppfoljning.index.change", "round:uppfoljning-2025"): (35.7, None),
        ("sdn-syd", "uppfoljning.index", ""): (14.3, 7),
        ("total", "uppfoljning.index", ""): (64.3, 3),
        ("total", "uppfoljning.index.previous", "round:uppfoljning-2025"): (46.5, None),
        ("total", "uppfoljning.index.change", "round:uppfoljning-2025"): (17.8, None),
        ("total", "uppfoljning.samverkan.index", ""): (33.3, 3),
        ("total", "uppfoljning.samverkan.index.previous", "round:uppfoljning-2025"): (25.0, None),
        ("total", "uppfoljning.samverkan.index.change", "round:uppfoljning-2025"): (8.3, None),
        ("total", "uppfoljning.utbildning.index.change", "round:uppfoljning-2025"): (-8.3, None),
        ("total", "uppfoljning.rutiner.index", ""): (100.0, 3),
    }
    book = load_workbook(io.BytesIO(client.get("/lagesbild/uppfoljning-2026/export/selfassessment.xlsx").data))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == ("round", "year", "unit_key", "unit_kind", "indicator_key", "breakdown", "value", "n")
    xlsx = {(r[2], r[4], r[5] or ""): (r[6], r[7]) for r in rows[1:]}
    for key, (value, n) in expected.items():
        assert xlsx[key] == (pytest.approx(value), n), key
    assert not [key for key in xlsx if key[0] == "bolag"]  # a draft has no figure
    assert ("sdn-syd", "uppfoljning.index.previous", "round:uppfoljning-2025") not in xlsx  # no 2025 answers
    text = client.get("/lagesbild/uppfoljning-2026/export/selfassessment.csv").get_data(as_text=True)
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    found = {(r[2], r[4], r[5]): (r[6], r[7]) for r in lines[1:]}
    assert found[("sdn-norr", "uppfoljning.index", "")] == ("78.6", "7")
    assert found[("sdn-syd", "uppfoljning.index", "")] == ("14.3", "7")
    assert found[("soc", "uppfoljning.index", "")] == ("100.0", "7")
    assert found[("total", "uppfoljning.index", "")] == ("64.3", "3")
    assert found[("sdn-norr", "uppfoljning.index.change", "round:uppfoljning-2025")] == ("35.7", "")
    data = json.loads(client.get("/lagesbild/uppfoljning-2026/export/selfassessment.json").get_data(as_text=True))
    assert {"round": "uppfoljning-2026", "year": 2026, "unit_key": "sdn-syd", "unit_kind": "district_board",
            "indicator_key": "uppfoljning.index", "breakdown": "", "value": 14.3, "n": 7} in data


# --- ranking ---------------------------------------------------------------------------------

# The self-assessment rated by four units (Socialnämnden, Norra, Södra, Stadens Bostäder):
#   1 kannedom:  Nej, Delvis, Delvis, Delvis -> 1 Nej + 3 Delvis: 150 / 4 = 37.5
#   2 kultur:    Nej, Nej, Nej, Delvis       -> 3 Nej + 1 Delvis:  50 / 4 = 12.5
#   3 undersoka: Delvis × 4                  -> 200 / 4 = 50.0, no Nej
#   4 forebygga: Ja, Ja, Nej, Nej            -> 200 / 4 = 50.0, 2 Nej: before undersoka
#   5–9: Ja × 4                              -> 100.0, by number
# The old order (units below Ja, ties by number) was 1, 2, 3, 4: 3 Nej + 1 Delvis after 1 Nej +
# 3 Delvis. Worst first by index it is 2, 1, 4, 3, 5, 6, 7, 8, 9.
SELF_RATINGS = {
    "soc": ("nej", "nej", "delvis", "ja") + ("ja",) * 5,
    "sdn-norr": ("delvis", "nej", "delvis", "ja") + ("ja",) * 5,
    "sdn-syd": ("delvis", "nej", "delvis", "nej") + ("ja",) * 5,
    "bolag": ("delvis", "delvis", "delvis", "nej") + ("ja",) * 5,
}


@pytest.fixture
def self_assessment(city):
    with city.app_context():
        assert load_folder([SELF]).ok
        make_user("stad-editor@test.se", "unit_editor", ("stad",))
        open_round("granskning-2026", 2026, "sjalvskattning")
        for unit, ratings in SELF_RATINGS.items():
            answer("granskning-2026", unit, EDITORS[unit], ratings, 2026)
    return city


def test_statements_are_ranked_by_index_worst_first_ties_by_more_at_the_lowest_level(self_assessment, as_role):
    client = as_role("analyst")
    page = page_text(client.get("/lagesbild/granskning-2026"))
    head = page.split("<thead>")[1].split("</thead>")[0]
    assert [int(n) for n in re.findall(r'<span aria-hidden="true">(\d+)</span>', head)] == [2, 1, 4, 3, 5, 6, 7, 8, 9]
    mean_row = page.split('<tr class="index-row">')[1].split("</tr>")[0]
    assert re.findall(r"<td>([^<]*)</td>", mean_row)[:4] == ["12,5", "37,5", "50,0", "50,0"]
    # Unit indexes: Socialnämnden (0+0+50+100+500)/9 = 650/9 = 72.2; Norra 700/9 = 77.8;
    # Södra 600/9 = 66.7; Stadens Bostäder 650/9 = 72.2; mean 288.9 / 4 = 72.225 = 72.2.
    assert index_cells(page) == {"soc": "72,2", "sdn-norr": "77,8", "sdn-syd": "66,7", "bolag": "72,2",
                                 "mean": "72,2"}
    pdf = pdf_text(client.get("/lagesbild/granskning-2026/rapport.pdf").data)
    worst = pdf.split("Påståenden med lägst index")[1]
    assert (worst.index("2. Nämndens/bolagets kultur") < worst.index("1. Nämnden/bolaget har god kännedom")
            < worst.index("4. Nämnden/bolaget har ett fungerande arbete för att förebygga"))
    assert "(index 12,5; 4 under Ja)" in worst


def test_the_self_assessment_keeps_its_own_wording_in_swedish_and_english(self_assessment, as_role):
    client = as_role("analyst")
    page = page_text(client.get("/lagesbild/granskning-2026"))
    assert "✓ Ja, ◐ Delvis, ✗ Nej. ↑ bättre, = samma, ↓ sämre än enhetens förra omgång." in page
    assert "Flest Delvis/Nej först" in page and '<th scope="col">Delvis/Nej</th>' in page
    report = page_text(client.get("/rapporter/granskning-2026/enheter/sdn-norr"))
    assert "Norra stadsdelsnämnden – Gemensam granskning – otillåten påverkan: självskattning 2026" in report
    assert post(client, "/sprak", {"language": "en"}).status_code == 302
    english = page_text(client.get("/lagesbild/granskning-2026"))
    assert "✓ Yes, ◐ Partly, ✗ No. ↑ better, = same, ↓ worse than the unit's previous round." in english
    assert "Lowest index first" in english and "City mean" in english
    report = page_text(client.get("/rapporter/granskning-2026/enheter/sdn-norr"))
    assert "Norra stadsdelsnämnden – Joint review – unlawful influence: self-assessment 2026" in report
    assert "Unit's index: 77.8 of 100" in report  # English decimals


def test_an_office_questionnaire_is_worded_from_its_own_scale_in_both_languages(followup, as_role):
    client = as_role("analyst")
    page = page_text(client.get("/lagesbild/uppfoljning-2026"))
    assert "✓ Genomförd, ◐ Delvis genomförd, ✗ Ej påbörjad." in page
    assert "Flest Delvis genomförd/Ej påbörjad först" in page
    assert "Delvis/Nej" not in page and "✓ Ja" not in page
    assert post(client, "/sprak", {"language": "en"}).status_code == 302
    english = page_text(client.get("/lagesbild/uppfoljning-2026"))
    assert "✓ Implemented, ◐ Partly implemented, ✗ Not started." in english
    pdf = pdf_text(client.get("/lagesbild/uppfoljning-2026/rapport.pdf").data)
    assert "Lägesbild 2026 – Follow-up of the auditors' recommendations" in pdf
    assert "✓ Implemented, ◐ Partly implemented, ✗ Not started." in pdf


# --- a questionnaire without scores ------------------------------------------------------------


@pytest.fixture
def unscored(city, tmp_path):
    """The office's questionnaire with its scores taken out, answered as in 2026 above."""
    source = UPPFOLJNING.read_text(encoding="utf-8")
    path = tmp_path / "uppfoljning.yaml"
    path.write_text("\n".join(line for line in source.splitlines() if "score:" not in line), encoding="utf-8")
    with city.app_context():
        assert load_folder([path]).ok
        make_user("stad-editor@test.se", "unit_editor", ("stad",))
        open_round("uppfoljning-2026", 2026)
    for unit, ratings in RATINGS_2026.items():
        respond(city, "uppfoljning-2026", unit, ratings)
    return city


def test_a_questionnaire_without_scores_has_no_index_anywhere(unscored, as_role):
    client = as_role("analyst")
    page = page_text(client.get("/lagesbild/uppfoljning-2026"))
    assert "index-cell" not in page and ">Index<" not in page and 'value="index"' not in page
    # Without scores, worst first by more at the last option (Ej påbörjad), then at the one
    # before: samverkan 2 Ej; stod 1 Ej, 1 Delvis; utbildning … internkontroll 1 Ej, 0 Delvis
    # (by number); rutiner none.
    head = page.split("<thead>")[1].split("</thead>")[0]
    assert [int(n) for n in re.findall(r'<span aria-hidden="true">(\d+)</span>', head)] == [7, 6, 2, 3, 4, 5, 1]
    report = page_text(client.get("/rapporter/uppfoljning-2026/enheter/sdn-norr"))
    assert "Enhetens index" not in report and "index-cell" not in report
    rows = json.loads(client.get("/lagesbild/uppfoljning-2026/export/selfassessment.json").get_data(as_text=True))
    assert not [row for row in rows if ".index" in row["indicator_key"]]
    norr = {row["indicator_key"]: row["value"] for row in rows if row["unit_key"] == "sdn-norr"}
    assert norr["uppfoljning.stod"] == "delvis"  # without a score, the level's value
    pdf = pdf_text(client.get("/lagesbild/uppfoljning-2026/rapport.pdf").data)
    assert "Påståenden där flest enheter ligger på Delvis genomförd/Ej påbörjad" in pdf
    assert "Stadens index" not in pdf


# --- a scale with more levels and other colours --------------------------------------------------

FOUR_LEVELS = """\
format: 1
key: fyrgradig
kind: unit_questionnaire
title: {sv: Egenkontroll, en: Self-check}
scales:
  - key: grad
    options:
      - {value: helt, label: {sv: Helt, en: Fully}, score: 100, colour: green}
      - {value: mycket, label: {sv: Till stor del, en: Largely}, score: 67, colour: blue}
      - {value: lite, label: {sv: Till liten del, en: Slightly}, score: 33}
      - {value: inte, label: {sv: Inte alls, en: Not at all}, score: 0, colour: red}
sections:
  - key: del
    title: {sv: Kontroller, en: Checks}
    questions:
      - {key: forsta, type: rating, scale: grad, motivation: none, text: {sv: Första kontrollen}}
      - {key: andra, type: rating, scale: grad, motivation: none, text: {sv: Andra kontrollen}}
"""


def test_a_scale_with_four_levels_and_a_blue_one_gets_its_own_legend_and_symbols(city, as_role, tmp_path):
    path = tmp_path / "fyrgradig.yaml"
    path.write_text(FOUR_LEVELS, encoding="utf-8")
    with city.app_context():
        assert load_folder([path]).ok
        open_round("kontroll-2026", 2026, "fyrgradig")
    client = city.test_client()
    assert post(client, "/login", {"email": "editor@test.se", "password": "rätt-häftigt-lösen-2026"}).status_code == 302
    response = post(client, "/granskning/kontroll-2026/sdn-norr/fyrgradig",
                    {"q-forsta": "mycket", "q-andra": "lite", "base_version": "0", "action": "submit"})
    assert response.status_code == 302
    page = page_text(as_role("analyst").get("/lagesbild/kontroll-2026"))
    # By colour (green ✓, blue ◑, red ✗); the option without a colour between the best and the
    # worst score: ◐.
    assert "✓ Helt, ◑ Till stor del, ◐ Till liten del, ✗ Inte alls." in page
    assert "◑ Till stor del" in page.split("<tbody>")[1] and "◐ Till liten del" in page.split("<tbody>")[1]
    assert "Flest Till stor del/Till liten del/Inte alls först" in page
    # Norra: (67 + 33) / 2 = 50.0, the only submitted unit, so also the mean.
    assert index_cells(page)["sdn-norr"] == "50,0" and index_cells(page)["mean"] == "50,0"
    report = page_text(as_role("analyst").get("/rapporter/kontroll-2026/enheter/sdn-norr"))
    assert "Norra stadsdelsnämnden – Egenkontroll 2026" in report
