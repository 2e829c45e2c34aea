"""The unit's own report (issue 5): the same content as a page, as a PDF over HTTP and from the
command line; its ratings, motivations and description, the change since its previous round,
and how all units that submitted rated each statement."""

from __future__ import annotations

import html
import io
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.extensions import db
from app.models import User
from app.services import transaction
from app.services.questionnaires import load_folder
from app.services.rounds import RoundSpec, change_status, create_round, get_round
from app.services.submissions import find_target, save, submit
from tests.conftest import login, make_user

QUESTIONNAIRE = Path(__file__).parents[1] / "questionnaires" / "sjalvskattning.yaml"
KEYS = ("kannedom", "kultur", "undersoka", "forebygga", "hantera", "folja_upp", "stod",
        "tjanstefel", "chefer_agera")
STATEMENTS = (
    "Nämnden/bolaget har god kännedom om vad otillåten påverkan är",
    "Nämndens/bolagets kultur stärker önskat förhållningssätt avseende otillåten påverkan",
    "Nämnden/bolaget har ett fungerande arbete för att undersöka förekomsten av försök till otillåten påverkan",
    "Nämnden/bolaget har ett fungerande arbete för att förebygga fall av otillåten påverkan",
    "Nämnden/bolaget har ett fungerande arbete med att hantera fall där försök till otillåten påverkan förekommit",
    "Nämnden/bolaget har ett fungerande arbete för att följa upp inträffade incidenter/försök till otillåten "
    "påverkan så att de bidrar till lärande",
    "Berörda medarbetare får tillräckligt stöd (hot, våld, trakasserier, skadegörelse)",
    "Det finns fungerande rutiner för att hantera fall där medarbetare begått (tjänste-)fel",
    "Cheferna har kännedom om hur de ska agera i händelse av inträffad incident",
)
LABELS = {"ja": "Ja, tillfredsställande", "delvis": "Delvis, förbättringsområde",
          "nej": "Nej, behöver ses över omgående"}

# Norra's ratings last year and this year, statement by statement.
NORR_2025 = ("nej", "delvis", "delvis", "ja", "nej", "delvis", "ja", "delvis", "nej")
NORR_2026 = ("ja", "delvis", "nej", "ja", "delvis", "delvis", "delvis", "ja", "nej")
CHANGES_2026 = ("Bättre än 2025", "Samma som 2025", "Sämre än 2025", "Samma som 2025",
                "Bättre än 2025", "Samma som 2025", "Sämre än 2025", "Bättre än 2025",
                "Samma som 2025")
# This year Södra says "delvis" and Socialnämnden "ja" throughout; the company's "nej" is only
# a draft and is not counted. So per statement (ja, delvis, nej), worked out by hand:
COUNTS_2026 = (
    (2, 1, 0),  # kannedom: norr ja, soc ja, syd delvis
    (1, 2, 0),  # kultur: norr delvis
    (1, 1, 1),  # undersoka: norr nej
    (2, 1, 0),  # forebygga: norr ja
    (1, 2, 0),  # hantera: norr delvis
    (1, 2, 0),  # folja_upp: norr delvis
    (1, 2, 0),  # stod: norr delvis
    (2, 1, 0),  # tjanstefel: norr ja
    (1, 1, 1),  # chefer_agera: norr nej
)
DESCRIPTION = {
    "risksyn": "Störst risk vid avslag på ekonomiskt bistånd; hot via telefon & sociala medier.",
    "exponerade_verksamheter": "Barn och familj (LVU) samt försörjningsstöd.",
    "larande": "Incidenter följs inte alltid upp på APT.",
    "behov": "Gemensamt metodstöd för riskanalys <önskas>.",
}


def motivation(unit: str, year: int, key: str) -> str:
    return f"{unit} {year} om {key}: rutinen är känd på två av tre enheter <b>inte fet</b> & så vidare."


def answers(unit: str, year: int, ratings: tuple[str, ...]) -> dict[str, object]:
    result: dict[str, object] = {
        key: {"value": value, "motivation": motivation(unit, year, key)}
        for key, value in zip(KEYS, ratings, strict=True)
    }
    result.update(DESCRIPTION)
    return result


def answer(round_key: str, unit_key: str, email: str, ratings: tuple[str, ...], year: int,
           *, draft: bool = False) -> None:
    with transaction() as session:
        user = session.scalar(select(User).where(User.email == email))
        target = find_target(session, round_key, unit_key, "sjalvskattning")
        (save if draft else submit)(session, target, answers(unit_key, year, ratings), 0, user)


def open_round(key: str, year: int) -> None:
    with transaction() as session:
        new = create_round(session, RoundSpec(key, f"Gemensam granskning {year}", year,
                                              ("sjalvskattning",), ("soc", "sdn-norr", "sdn-syd", "bolag")))
        change_status(session, new, "open")


@pytest.fixture
def rounds(city):
    """Last year's round (closed) and this year's, with the answers described above."""
    with city.app_context():
        assert load_folder([QUESTIONNAIRE]).ok
        make_user("stad-editor@test.se", "unit_editor", ("stad",))
        open_round("granskning-2025", 2025)
        answer("granskning-2025", "sdn-norr", "editor@test.se", NORR_2025, 2025)
        answer("granskning-2025", "soc", "stad-editor@test.se", ("nej",) * 9, 2025)
        with transaction() as session:
            change_status(session, get_round(session, "granskning-2025"), "close")
        open_round("granskning-2026", 2026)
        answer("granskning-2026", "sdn-norr", "editor@test.se", NORR_2026, 2026)
        answer("granskning-2026", "sdn-syd", "other@test.se", ("delvis",) * 9, 2026)
        answer("granskning-2026", "soc", "stad-editor@test.se", ("ja",) * 9, 2026)
        answer("granskning-2026", "bolag", "stad-editor@test.se", ("nej",) * 9, 2026, draft=True)
    return city


def words(text: str) -> str:
    return " ".join(text.split())


def pdf_text(data: bytes) -> str:
    return words(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def today() -> str:
    return datetime.now(ZoneInfo("Europe/Stockholm")).date().isoformat()


def assert_report_content(text: str) -> None:
    """What both the page and the PDF of Norra's 2026 report must say."""
    for statement in STATEMENTS:
        assert statement in text
    for key in KEYS:
        assert motivation("sdn-norr", 2026, key) in text
        assert motivation("sdn-norr", 2025, key) not in text
    for key, then, change in zip(KEYS, NORR_2025, CHANGES_2026, strict=True):
        assert f"{LABELS[then]} (2025) {change}" in text, key
    for value in DESCRIPTION.values():
        assert value in text
    assert f"Inlämnad {today()} av editor@test.se" in text


def test_unit_pdf_has_statements_motivations_and_last_years_ratings(rounds, as_role):
    response = as_role("unit_editor").get("/rapporter/granskning-2026/enheter/sdn-norr.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert_report_content(text)
    assert "Norra stadsdelsnämnden – Gemensam granskning – otillåten påverkan: självskattning 2026" in text
    assert "Sida 1 av" in text


def test_unit_pdf_counts_only_submitted_units_per_level(rounds, as_role):
    text = pdf_text(as_role("analyst").get("/rapporter/granskning-2026/enheter/sdn-norr.pdf").data)
    assert "Alla enheter (3)" in text
    for (ja, delvis, nej), key in zip(COUNTS_2026, KEYS, strict=True):
        assert f"Ja {ja}, Delvis {delvis}, Nej {nej}" in text, key


def test_unit_page_shows_the_same_as_the_pdf(rounds, as_role):
    response = as_role("unit_reader").get("/rapporter/granskning-2026/enheter/sdn-norr")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "&lt;b&gt;inte fet&lt;/b&gt; &amp; så vidare" in page
    assert "<b>inte fet" not in page
    text = words(html.unescape(re.sub(r"<[^>]+>", " ", page)))
    assert_report_content(text)
    for (ja, delvis, nej), key in zip(COUNTS_2026, KEYS, strict=True):
        assert f"Ja {ja}, Delvis {delvis}, Nej {nej}" in text, key
    # The chart is an image with a text alternative and its figures as a table.
    assert 'src="data:image/svg+xml;base64,' in page
    assert "1. " + STATEMENTS[0] in text
    assert "2 (66,7 %) 1 (33,3 %) 0 (0,0 %) 3" in text  # 2/3, 1/3: one decimal, half up


def test_draft_report_says_it_is_not_submitted(rounds, as_role):
    page = as_role("admin").get("/rapporter/granskning-2026/enheter/bolag").get_data(as_text=True)
    assert "Utkast – inte inlämnad" in page
    pdf = as_role("admin").get("/rapporter/granskning-2026/enheter/bolag.pdf")
    assert "Utkast – inte inlämnad" in pdf_text(pdf.data)


def test_first_round_has_no_previous_rating(rounds, as_role):
    text = pdf_text(as_role("admin").get("/rapporter/granskning-2025/enheter/sdn-norr.pdf").data)
    assert text.count("Ingen tidigare bedömning") >= 9
    # Last year only Norra and Socialnämnden submitted.
    assert "Alla enheter (2)" in text


def test_another_units_editor_gets_403(rounds, as_role):
    other = as_role("other_editor")
    assert other.get("/rapporter/granskning-2026/enheter/sdn-norr").status_code == 403
    assert other.get("/rapporter/granskning-2026/enheter/sdn-norr.pdf").status_code == 403
    assert other.get("/rapporter/granskning-2026/enheter/sdn-syd").status_code == 200


def test_an_editor_of_a_unit_above_may_read(rounds):
    client = rounds.test_client()
    login(client, "stad-editor@test.se")
    assert client.get("/rapporter/granskning-2026/enheter/sdn-norr").status_code == 200


def test_unknown_round_or_uninvited_unit_is_404_for_staff(rounds, as_role):
    admin = as_role("admin")
    assert admin.get("/rapporter/finns-inte/enheter/sdn-norr").status_code == 404
    assert admin.get("/rapporter/granskning-2026/enheter/finns-inte").status_code == 404
    assert admin.get("/rapporter/granskning-2026/enheter/stad").status_code == 404


# --- command line -------------------------------------------------------------------------


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def test_cli_writes_the_unit_pdf(rounds, tmp_path):
    output = tmp_path / "norra.pdf"
    result = run(rounds, "report", "granskning-2026", "--unit", "sdn-norr", "-o", str(output))
    assert result.exit_code == 0, result.output
    with rounds.app_context():
        assert_report_content(pdf_text(output.read_bytes()))
        db.session.remove()


@pytest.mark.parametrize(("round_key", "unit_key", "message"), [
    ("finns-inte", "sdn-norr", "Error: okänd omgång 'finns-inte'"),
    ("granskning-2026", "finns-inte", "Error: okänd enhet 'finns-inte'"),
])
def test_cli_unknown_round_or_unit_is_a_one_line_error(rounds, tmp_path, round_key, unit_key, message):
    output = tmp_path / "x.pdf"
    result = run(rounds, "report", round_key, "--unit", unit_key, "-o", str(output))
    assert result.exit_code == 1
    assert result.output.strip() == message
    assert not output.exists()


def page_text(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return words(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def test_the_round_before_is_the_same_years_earlier_round_and_a_draft_does_not_count(rounds, as_role):
    """app.services.history: a round of the same year created earlier comes before; a round
    created later does not; a unit's draft is not its previous answer."""
    with rounds.app_context():
        open_round("granskning-2026b", 2026)
        answer("granskning-2026b", "sdn-norr", "editor@test.se", ("ja",) * 9, 2026)
        answer("granskning-2026b", "bolag", "stad-editor@test.se", ("ja",) * 9, 2026)
    admin = as_role("admin")
    # Norra in the second 2026 round: compared with the first 2026 round, not with 2025.
    text = page_text(admin, "/rapporter/granskning-2026b/enheter/sdn-norr")
    for key, then in zip(KEYS, NORR_2026, strict=True):
        change = "Samma som 2026" if then == "ja" else "Bättre än 2026"
        assert f"{LABELS[then]} (2026) {change}" in text, key
    assert "(2025)" not in text
    # The company had only a draft in the first 2026 round and nothing in 2025.
    text = page_text(admin, "/rapporter/granskning-2026b/enheter/bolag")
    assert "Ingen tidigare bedömning" in text
    assert not re.search(r"(Samma som|Bättre än|Sämre än) 20", text)
    # The first 2026 round still compares with 2025: the round created after it is not before it.
    assert_report_content(page_text(admin, "/rapporter/granskning-2026/enheter/sdn-norr"))
