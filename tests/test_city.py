"""The city-wide picture (issue 7): the self-assessment comparison, changes over the years, the
survey heatmap and indexes, the board/staff gap, exports and the city PDF, with figures worked
out by hand; a unit below the anonymity threshold shows no survey figure anywhere."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from app.config import PROJECT_ROOT
from app.definitions.schema import Definition
from app.extensions import db
from app.models import AuditEvent, Round, Unit
from app.models.survey import SurveyDraft
from app.services import transaction
from app.services.questionnaires import load_folder
from app.services.rounds import RoundSpec, change_status, create_round, get_round
from app.services.survey import complete, release_waiting, save_page, set_open_link, start_open_link
from tests.conftest import make_user, post
from tests.test_unit_report import NORR_2025, NORR_2026, answer

SURVEY = PROJECT_ROOT / "questionnaires" / "medarbetarenkat.yaml"
SELF = PROJECT_ROOT / "questionnaires" / "sjalvskattning.yaml"
UNITS = ("soc", "sdn-norr", "sdn-syd", "bolag")
BASE = "/lagesbild/granskning-2026"

# Staff answers to "stod" (got the support they needed) per unit: ja / nej.
# Socialnämnden 7: 2 ja, 5 nej -> 28,6 % favourable, index 200 / 7 = 28.6 (board says "ja": flagged).
# Norra 6: 5 ja, 1 nej -> 83,3 %, index 500 / 6 = 83.3 (board says "delvis" on stod: not flagged).
# Södra 5: 4 ja, 1 nej (complementary suppression hides it: 21 − 7 − 6 = 8 would be shown
#   otherwise, but 8 − Södra 5 = bolag 3).
# Bolag 3: below the threshold of 5 — hidden everywhere.
# City: 2 + 5 + 4 + 3 = 14 ja of 21 -> index 1400 / 21 = 66.7 (one decimal, half up);
# Socialnämnden's difference from the city 28.6 - 66.7 = -38.1.
STOD = {"soc": (2, 5), "sdn-norr": (5, 1), "sdn-syd": (4, 1), "bolag": (3, 0)}


def survey_answers(stod: str, kon: str = "kvinna") -> dict[str, dict[str, object]]:
    """One respondent's answers by section, in the stored format."""
    return {
        "bakgrund": {"kon": {"value": kon}, "stadsdel": {"value": "skarholmen"},
                     "verksamhetsomrade": {"value": "ekonomiskt_bistand"}},
        "risk_och_arbetssatt": {
            "risk": {"rows": {"trakasserier": "hog", "hot_vald": "lag", "skadegorelse": "inte_alls",
                              "mutor": "inte_alls"}},
            "utbildning": {"value": "ja_senaste_aret"}, "riktlinjer_gavor": {"value": "nej"},
            "pratar": {"values": ["hot_vald"]}, "arbetssatt": {"value": "nej"},
            "rutiner_hot_vald": {"value": "vet_ej"},
            "rapportera": {"rows": {"trakasserier": "ja", "hot_vald": "ja", "skadegorelse": "nej",
                                    "mutor": "nej"}},
        },
        "utsatthet": {"utsatt": {"value": "ja"}},
        "senaste_handelsen": {"typ": {"values": ["hot_vald"]}, "av_vem": {"values": ["kund_brukare"]},
                              "anmaldes": {"rows": {"chef": "ja", "polis": "nej", "ia": "ja"}},
                              "stod": {"value": stod}},
        "avslutning": {},
    }


def respond(app, round_key: str, unit: str, stod: str, kon: str = "kvinna") -> None:
    with transaction() as session:
        round_ = get_round(session, round_key)
        invitation = next(i for i in round_.invitations if i.unit.key == unit)
        token = invitation.open_link_token or set_open_link(session, round_, invitation.unit_id)
    secret = str(app.config["SECRET_KEY"])
    started = start_open_link(secret, token, "test", 10**6, date.today())
    with transaction() as session:
        draft = session.get(SurveyDraft, started.draft_id)
        definition = Definition.model_validate(get_round(session, round_key).version_of_kind("survey").definition)
        for section, posted in survey_answers(stod, kon).items():
            result = save_page(session, draft, definition, section, posted, "next", date.today())
            assert not result.errors, result.errors
    assert complete(secret, started.draft_id, date.today()) == []


def open_round(key: str, year: int, keys: tuple[str, ...]) -> None:
    with transaction() as session:
        new = create_round(session, RoundSpec(key, f"Gemensam granskning {year}", year, keys, UNITS))
        change_status(session, new, "open")


@pytest.fixture
def city_rounds(city):
    """2025 (self-assessment) and 2026 (self-assessment and staff survey) with known answers."""
    with city.app_context():
        assert load_folder([SELF, SURVEY]).ok
        make_user("stad-editor@test.se", "unit_editor", ("stad",))
        open_round("granskning-2025", 2025, ("sjalvskattning",))
        answer("granskning-2025", "sdn-norr", "editor@test.se", NORR_2025, 2025)
        answer("granskning-2025", "soc", "stad-editor@test.se", ("nej",) * 9, 2025)
        with transaction() as session:
            change_status(session, get_round(session, "granskning-2025"), "close")
        open_round("granskning-2026", 2026, ("sjalvskattning", "medarbetarenkat"))
        answer("granskning-2026", "sdn-norr", "editor@test.se", NORR_2026, 2026)
        answer("granskning-2026", "sdn-syd", "other@test.se", ("delvis",) * 9, 2026)
        answer("granskning-2026", "soc", "stad-editor@test.se", ("ja",) * 9, 2026)
        answer("granskning-2026", "bolag", "stad-editor@test.se", ("nej",) * 9, 2026, draft=True)
        for unit, (yes, no) in STOD.items():
            for _ in range(yes):
                respond(city, "granskning-2026", unit, "ja")
            for _ in range(no):
                # Socialnämnden's five "nej" are the five men of the survey.
                respond(city, "granskning-2026", unit, "nej", "man" if unit == "soc" else "kvinna")
        release_all(city, "granskning-2026")
        db.session.remove()
    return city


def release_all(app, round_key: str) -> None:
    """Release the responses still waiting for others of their unit, as closing the round would,
    while the round stays open: the figures below are those of every response."""
    with transaction() as session:
        release_waiting(session, get_round(session, round_key))


def build(app, what):  # type: ignore[no-untyped-def]
    with app.test_request_context():
        return what()


def test_comparison_counts_levels_per_statement_and_orders_the_weakest_first(city_rounds):
    from app.reports.comparison import Filters, build_comparison

    c = build(city_rounds, lambda: build_comparison(db.session, "granskning-2026", Filters()))
    # Submitted: norr NORR_2026, syd all delvis, soc all ja (bolag is a draft, not counted).
    # undersoka: norr nej, syd delvis, soc ja -> weak 2; kannedom: norr ja -> weak 1.
    by_key = {s.key: s for s in c.statements}
    assert [i.count for i in by_key["undersoka"].distribution] == [1, 1, 1]
    assert [i.count for i in by_key["kannedom"].distribution] == [2, 1, 0]
    assert c.invited == 4 and c.submitted == 3
    # Worst first by index (ja 100, delvis 50, nej 0), ties by more "nej", then statement order:
    # undersoka and chefer_agera (1, 1, 1): 150 / 3 = 50.0; kultur, hantera, folja_upp, stod
    # (1, 2, 0): 200 / 3 = 66.7; kannedom, forebygga, tjanstefel (2, 1, 0): 250 / 3 = 83.3.
    assert [(s.key, s.index) for s in c.statements] == [
        ("undersoka", 50.0), ("chefer_agera", 50.0), ("kultur", 66.7), ("hantera", 66.7),
        ("folja_upp", 66.7), ("stod", 66.7), ("kannedom", 83.3), ("forebygga", 83.3), ("tjanstefel", 83.3)]


def test_comparison_filters_by_kind_and_tree_and_sorts_by_weak_statements(city_rounds):
    from app.reports.comparison import Filters, build_comparison

    c = build(city_rounds, lambda: build_comparison(db.session, "granskning-2026",
                                                    Filters(kind="district_board", sort="weak")))
    # Södra: 9 at delvis; Norra: kultur, undersoka, hantera, folja_upp, stod, chefer_agera = 6.
    assert [(u.key, u.weak) for u in c.units] == [("sdn-syd", 9), ("sdn-norr", 6)]
    part = build(city_rounds, lambda: build_comparison(db.session, "granskning-2026", Filters(part="soc")))
    assert [u.key for u in part.units] == ["soc"]


def test_year_over_year_changes_per_unit_and_statement(city_rounds):
    from app.reports.comparison import Filters, build_comparison, build_history

    c = build(city_rounds, lambda: build_comparison(db.session, "granskning-2026", Filters()))
    norr = next(u for u in c.units if u.key == "sdn-norr")
    changes = {cell.statement_key: cell.change for cell in norr.cells}
    # 2025 -> 2026: nej->ja better, delvis->delvis same, delvis->nej worse, ja->ja same, ...
    assert changes == {"kannedom": "better", "kultur": "same", "undersoka": "worse", "forebygga": "same",
                       "hantera": "better", "folja_upp": "same", "stod": "worse", "tjanstefel": "better",
                       "chefer_agera": "same"}
    soc = next(u for u in c.units if u.key == "soc")
    assert {cell.change for cell in soc.cells} == {"better"}  # nej -> ja throughout
    syd = next(u for u in c.units if u.key == "sdn-syd")
    assert {cell.change for cell in syd.cells} == {None}  # nothing submitted in 2025
    history = build(city_rounds, lambda: build_history(db.session, "granskning-2026"))
    kannedom = history[0]
    # 2025: norr nej, soc nej -> (0, 0, 2); 2026: (2, 1, 0).
    assert [[i.count for i in r.distribution] for r in kannedom.rounds] == [[0, 0, 2], [2, 1, 0]]


def test_survey_indexes_and_the_gap_flag_follow_the_threshold(city_rounds):
    from app.reports.city_report import build_city_report

    report = build(city_rounds, lambda: build_city_report(db.session, "granskning-2026"))
    heat = report.survey.heatmap
    stod = [i.key for i in heat.indicators].index("stod")
    rows = {r.cell: r for r in heat.rows}
    assert rows[("group", "soc")].values[stod] == Decimal("28.6")  # 2 of 7
    assert rows[("group", "sdn-norr")].values[stod] == Decimal("83.3")  # 5 of 6
    assert rows[("group", "bolag")].n is None and set(rows[("group", "bolag")].values) == {None}
    assert rows[("group", "sdn-syd")].n is None  # complementary suppression
    assert heat.total.values[stod] == Decimal("66.7") and heat.total.n == 21
    kon = next(t for t in report.survey.breakdowns if t.question_key == "kon")
    # The city's 5 men are Socialnämnden's (its answers to "kon" show 5 men of 7): the men's
    # figures (5 "nej") beside Socialnämnden's (2 ja, 5 nej) would give its 2 women's answers.
    # One release decides both: the split by kon is hidden (the women's 16 with it, or the
    # city's 21 minus them gives the men), Socialnämnden's own figures stay.
    assert {row.n for row in kon.rows} == {None} and {v for row in kon.rows for v in row.values} == {None}
    stadsdel = next(t for t in report.survey.breakdowns if t.question_key == "stadsdel")
    skarholmen = next(row for row in stadsdel.rows if row.value == "skarholmen")
    assert (skarholmen.n, skarholmen.values[stod]) == (21, Decimal("66.7"))  # everyone: the city's figures
    gap = {(g.unit_key, g.statement_key): g for g in report.survey.gap}
    soc = gap[("soc", "stod")]
    assert round(soc.favourable, 1) == 28.6 and soc.n == 7 and soc.flagged
    assert not gap[("sdn-norr", "stod")].flagged  # board says delvis
    assert gap[("bolag", "stod")].favourable is None and not gap[("bolag", "stod")].flagged


def test_pages_show_the_comparison_and_link_to_the_motivation(city_rounds, as_role):
    client = as_role("analyst")
    page = client.get(BASE + "?kind=district_board").get_data(as_text=True)
    assert "Norra stadsdelsnämnden" in page and "Socialnämnden" not in page.split("<table")[1]
    assert "/rapporter/granskning-2026/enheter/sdn-norr#pastaende-kannedom" in page
    history = client.get(BASE + "/over-tid").get_data(as_text=True)
    assert "Bättre" in history
    survey = client.get(BASE + "/enkat").get_data(as_text=True)
    assert "28,6 (-38,1)" in survey  # the heatmap: index and difference, one decimal
    assert "28,6 % (n = 7)" in survey  # the gap share, the same one decimal


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def test_city_pdf_from_the_command_line_names_units_statements_and_figures(city_rounds, tmp_path):
    output = tmp_path / "stad.pdf"
    result = city_rounds.test_cli_runner().invoke(args=["report", "granskning-2026", "-o", str(output)])
    assert result.exit_code == 0, result.output
    text = pdf_text(output.read_bytes())
    for name in ("Socialnämnden", "Norra stadsdelsnämnden", "Södra stadsdelsnämnden", "Stadens Bostäder AB"):
        assert name in text
    assert "Berörda medarbetare får tillräckligt stöd" in text
    assert "Lägesbild 2026 – Gemensam granskning – otillåten påverkan: självskattning" in text
    assert "28,6 % (n = 7)" in text


def test_a_unit_below_the_threshold_contributes_no_survey_figure_anywhere(city_rounds, as_role, tmp_path):
    client = as_role("admin")
    rows = json.loads(client.get(BASE + "/export/survey.json").get_data(as_text=True))
    units = {row["unit_key"] for row in rows}
    assert "bolag" not in units and "sdn-syd" not in units and {"soc", "sdn-norr", "total"} <= units
    index = {(r["unit_key"], r["indicator_key"]): r["value"] for r in rows}
    assert index[("soc", "medarbetarenkat.stod.index")] == 28.6
    assert index[("total", "medarbetarenkat.stod.index")] == 66.7
    csv_text = client.get(BASE + "/export/survey.csv").get_data(as_text=True)
    assert "bolag" not in csv_text and "sdn-syd" not in csv_text
    book = load_workbook(io.BytesIO(client.get(BASE + "/export/survey.xlsx").data))
    cells = {str(c.value) for row in book.active.iter_rows() for c in row}
    assert "bolag" not in cells and "sdn-syd" not in cells
    survey = client.get(BASE + "/enkat").get_data(as_text=True)
    bolag_row = survey.split("Stadens Bostäder AB")[1].split("</tr>")[0]
    assert "(n =" not in bolag_row and "%" not in bolag_row
    pdf = pdf_text(client.get(BASE + "/rapport.pdf").data)
    assert "Stadens Bostäder AB" in pdf and "(n = 3)" not in pdf


def test_the_csv_export_is_streamed_with_the_same_rows_as_the_json(city_rounds, as_role):
    client = as_role("admin")
    rows = json.loads(client.get(BASE + "/export/survey.json").get_data(as_text=True))
    response = client.get(BASE + "/export/survey.csv")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Disposition"] == 'attachment; filename="lagesbild-granskning-2026-survey.csv"'
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "round;year;unit_key;unit_kind;indicator_key;breakdown;value;n"
    assert len(lines) == 1 + len(rows)
    assert "granskning-2026;2026;soc;board;medarbetarenkat.stod.index;;28.6;7" in lines
    assert client.get("/lagesbild/finns-inte/export/survey.csv").status_code == 404
    with city_rounds.app_context():
        audited = db.session.scalars(select(AuditEvent.target).where(AuditEvent.action == "export")).all()
    assert audited.count("lagesbild:granskning-2026:survey") == 2  # the JSON and the CSV


def test_export_command_writes_the_long_table_and_explains_a_round_without_risks(city_rounds, tmp_path):
    output = tmp_path / "sa.csv"
    runner = city_rounds.test_cli_runner()
    result = runner.invoke(args=["export", "granskning-2026", "--what", "selfassessment",
                                             "--format", "csv", "-o", str(output)])
    assert result.exit_code == 0, result.output
    text = output.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "round;year;unit_key;unit_kind;indicator_key;breakdown;value;n"
    assert "granskning-2026;2026;soc;board;sjalvskattning.kannedom;;100.0;1" in text
    assert "granskning-2026;2026;total;total;sjalvskattning.kannedom;level:ja;2;3" in text
    risks = runner.invoke(args=["export", "granskning-2026", "--what", "risks"])
    assert risks.exit_code == 1 and "omgången har ingen mall för riskanalys" in risks.output
    unknown = runner.invoke(args=["export", "finns-inte", "--what", "survey"])
    assert unknown.exit_code == 1 and "okänd omgång 'finns-inte'" in unknown.output
    with city_rounds.app_context():
        assert db.session.scalar(select(Round).where(Round.key == "granskning-2026")) is not None


def test_the_city_pdf_of_a_city_with_many_units_spreads_the_matrix_over_pages(city, as_role):
    """A matrix of 150 units is taller than a page: the PDF splits it instead of failing."""
    from app.services.units import UnitRow, import_units

    keys = tuple(f"namnd-{n:03d}" for n in range(150))
    with city.app_context():
        assert load_folder([SELF]).ok
        with transaction() as session:
            import_units(session, [UnitRow(key, f"Nämnd nummer {key[-3:]}", "board", "stad") for key in keys])
        with transaction() as session:
            new = create_round(session, RoundSpec("stor-2026", "Stor granskning 2026", 2026, ("sjalvskattning",), keys))
            change_status(session, new, "open")
        db.session.remove()
    response = as_role("analyst").get("/lagesbild/stor-2026/rapport.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "Nämnd nummer 000" in text and "Nämnd nummer 149" in text


def test_the_split_by_gender_and_a_boards_figures_do_not_together_give_its_two_women(city_rounds, as_role):
    """Socialnämnden's 7 staff are 5 men and 2 women (its answers to "kon", shown with its
    figures), and the city's men are those 5: the men's index beside Socialnämnden's would give
    the 2 women's answers. Decided in one release, the split by gender is hidden on the page,
    in the PDF, and Socialnämnden's figures everywhere stay."""
    client = as_role("analyst")
    page = client.get(BASE + "/enkat").get_data(as_text=True)
    kon = page.split("<caption>Vilket kön har du?")[1].split("</table>")[0]
    for label in ("Kvinna", "Man"):
        cells = re.findall(r"<td>([^<]*)</td>", kon.split(f'<th scope="row">{label}</th>')[1].split("</tr>")[0])
        assert set(cells) == {"–"}, (label, cells)
    assert "28,6 (-38,1)" in page  # Socialnämnden's stod index beside the city's
    rows = json.loads(client.get(BASE + "/export/survey.json").get_data(as_text=True))
    assert {(r["unit_key"], r["value"]) for r in rows if r["indicator_key"] == "medarbetarenkat.stod.index"} == {
        ("soc", 28.6), ("sdn-norr", 83.3), ("stad", 66.7), ("total", 66.7)}


def test_one_figure_with_one_decimal_on_the_page_in_the_pdf_and_in_every_export(city_rounds, as_role):
    """Socialnämnden: 2 of its 7 staff answered "ja" on stod: 200 / 7 = 28.571… → 28,6 % and
    index 28,6 everywhere (half up, one decimal); the exports keep it a number, 28.6."""
    client = as_role("admin")
    page = client.get(BASE + "/enkat").get_data(as_text=True)
    assert "28,6 % (n = 7)" in page and "28,6 (-38,1)" in page
    pdf = pdf_text(client.get(BASE + "/rapport.pdf").data)
    assert "28,6 % (n = 7)" in pdf and "28,6 (-38,1)" in pdf
    lines = client.get(BASE + "/export/survey.csv").get_data(as_text=True).splitlines()
    assert "granskning-2026;2026;soc;board;medarbetarenkat.stod.ja;;28.6;7" in lines
    assert "granskning-2026;2026;soc;board;medarbetarenkat.stod.index;;28.6;7" in lines
    rows = json.loads(client.get(BASE + "/export/survey.json").get_data(as_text=True))
    assert {r["value"] for r in rows if r["unit_key"] == "soc" and r["indicator_key"] in (
        "medarbetarenkat.stod.ja", "medarbetarenkat.stod.index")} == {28.6}
    english = as_role("admin")
    post(english, "/sprak", {"language": "en"})
    page = english.get(BASE + "/enkat").get_data(as_text=True)
    assert "28.6% (n = 7)" in page and "28.6 (-38.1)" in page  # the English decimal point
    book = load_workbook(io.BytesIO(client.get(BASE + "/export/survey.xlsx").data))
    found = [row for row in book.active.iter_rows() if row[2].value == "soc"
             and row[4].value == "medarbetarenkat.stod.ja"]
    assert [(c.value, c.number_format) for c in found[0][6:7]] == [(28.6, "0.0")]


def test_the_city_page_and_pdf_give_each_units_response_rate_and_the_citys(city_rounds, as_role):
    """The rate is responses of the invited (the head count), one decimal half up:
    Socialnämnden 7 of 10 = 70,0 %, Norra 6 of 9 = 66,7 %, Södra 5 of 8 = 62,5 %, the company
    3 of 4 = 75,0 % (its count is shown already; its rate adds nothing), the city 21 of 31 =
    67,7 %."""
    from app.services.survey import set_head_counts

    with city_rounds.app_context():
        with transaction() as session:
            ids = dict(session.execute(select(Unit.key, Unit.id)).all())
            set_head_counts(session, get_round(session, "granskning-2026"),
                            {ids["soc"]: 10, ids["sdn-norr"]: 9, ids["sdn-syd"]: 8, ids["bolag"]: 4})
        db.session.remove()
    client = as_role("admin")
    page = client.get(BASE + "/enkat").get_data(as_text=True)
    rates = page.split("<h2>Svarsfrekvens</h2>")[1].split("</table>")[0]
    pdf = pdf_text(client.get(BASE + "/rapport.pdf").data)
    expected = {"Socialnämnden": ("10", "7", "70,0 %"), "Norra stadsdelsnämnden": ("9", "6", "66,7 %"),
                "Södra stadsdelsnämnden": ("8", "5", "62,5 %"), "Stadens Bostäder AB": ("4", "3", "75,0 %"),
                "Totalt": ("31", "21", "67,7 %")}
    for label, (invited, completed, rate) in expected.items():
        row = rates.split(f'<th scope="row">{label}</th>')[1].split("</tr>")[0]
        assert row.startswith(f"<td>{invited}</td><td>{completed}</td><td>{rate}</td>"), (label, row)
        assert f"{label} {invited} {completed} {rate}" in pdf, label


def test_one_round_of_the_survey_shows_each_index_as_a_figure_not_a_chart(city_rounds, as_role):
    """Only 2026 has the staff survey: no chart of one bar per question, but each question's
    index with its n; for stod the city's 14 "ja" of 21 give 1400 / 21 = 66,7 with n = 21."""
    client = as_role("analyst")
    page = client.get(BASE + "/enkat").get_data(as_text=True)
    over_time = page.split("<h2>Index över tid</h2>")[1].split("<h2>")[0]
    assert "<img" not in over_time and "minst två omgångar" in over_time
    assert 'role="region"' in over_time and 'tabindex="0"' in over_time
    stod = next(row for row in over_time.split("<tr>") if "stöd" in row and "66,7" in row)
    assert '<td class="figure">66,7</td><td>21</td>' in stod
    pdf = pdf_text(client.get(BASE + "/rapport.pdf").data)
    assert "minst två omgångar" in pdf and "Index 2026 (0–100)" in pdf


def _breakdown_row(page: str, caption: str, label: str) -> list[str]:
    table = page.split(f"<caption>{caption}")[1].split("</table>")[0]
    return re.findall(r"<td[^>]*>([^<]*)</td>", table.split(f'<th scope="row">{label}</th>')[1].split("</tr>")[0])


def test_the_breakdowns_kept_with_the_release_follow_each_completion(city_rounds, as_role):
    """The split by district is read from the answer rows once per release and kept with it:
    shown again it is the same; once five more of Norra's staff complete (all in Skärholmen,
    all "ja" on stod, released together at the threshold), the page and the PDF show the new
    split: 26 in Skärholmen, stod 14 + 5 = 19 "ja" of 26 -> 1900 / 26 = 73.08 -> 73,1."""
    client = as_role("analyst")
    caption = "Inom vilken stadsdel arbetar du?"
    before = _breakdown_row(client.get(BASE + "/enkat").get_data(as_text=True), caption, "Skärholmen")
    assert before[0] == "21" and "66,7" in before
    assert _breakdown_row(client.get(BASE + "/enkat").get_data(as_text=True), caption, "Skärholmen") == before
    assert "Antal svarande 21" in pdf_text(client.get(BASE + "/rapport.pdf").data)
    with city_rounds.app_context():
        for _ in range(5):
            respond(city_rounds, "granskning-2026", "sdn-norr", "ja")
        db.session.remove()
    after = _breakdown_row(client.get(BASE + "/enkat").get_data(as_text=True), caption, "Skärholmen")
    assert after[0] == "26" and "73,1" in after and "66,7" not in after
    pdf = pdf_text(client.get(BASE + "/rapport.pdf").data)
    assert "Antal svarande 26" in pdf and "Antal svarande 21" not in pdf
