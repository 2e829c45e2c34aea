"""The risk register through HTTP: registers of several units, levels from the template's scales,
the unit's and the city's matrix, recurring risks, overdue measures, the flag for units without
risks, carrying a register forward, from self-assessment to action, exports and access."""

from __future__ import annotations

import html
import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Round, UnitResponse
from app.services import transaction
from app.services.rounds import change_status, get_round
from tests.conftest import csrf_token, make_user
from tests.risks_factory import FIVE_BY_FIVE, make_risk_round, risk_form
from tests.rounds_factory import full_answers

ROUND = "granskning-2026"
NORR = f"/risker/{ROUND}/sdn-norr"
SYD = f"/risker/{ROUND}/sdn-syd"
BOLAG = f"/risker/{ROUND}/bolag"
PAST, LONG_AGO, FUTURE = "2021-06-30", "2020-01-31", "2999-12-31"


def post_form(client, url: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": csrf_token(client), **data})


def page(client, url: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


def base_version(client, url: str) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r'name="base_version" value="(\d+)"', client.get(url).get_data(as_text=True))
    return match.group(1) if match else "0"


def add_risk(client, register: str, **fields: object) -> None:  # type: ignore[no-untyped-def]
    response = post_form(client, f"{register}/ny", risk_form(base_version=base_version(client, register), **fields))
    assert response.status_code == 302, response.get_data(as_text=True)


def submit_register(client, register: str) -> None:  # type: ignore[no-untyped-def]
    response = post_form(client, f"{register}/skicka-in", {"base_version": base_version(client, register)})
    assert response.status_code == 302, response.get_data(as_text=True)


def matrix_rows(text: str) -> dict[str, list[str]]:
    """The risk matrix's figures table: {likelihood row label: [cell text per consequence]}."""
    table = text.split('class="data chart-table"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        label = re.search(r'<th scope="row">(.*?)</th>', row)
        if label:
            rows[label.group(1)] = re.findall(r"<td>(.*?)</td>", row)
    return rows


@pytest.fixture
def risk_round(city):
    with city.app_context():
        make_user("bolag@test.se", "unit_editor", ("bolag",))
        make_risk_round()
    return city


@pytest.fixture
def registers(risk_round, as_role):
    """Norra and Södra submit registers, the company leaves a draft (figures in the tests)."""
    norr = as_role("unit_editor")
    add_risk(norr, NORR, activity="Hembesök", forms=("hot", "vald"), likelihood="3", consequence="4",
             catalogue_key="hembesok", measures=(("Gå två och två", "Enhetschef", LONG_AGO, "in_progress"),))
    add_risk(norr, NORR, activity="Avslag på ekonomiskt bistånd", forms=("trakasserier", "hot"),
             likelihood="4", consequence="2", catalogue_key="avslag_ekonomiskt_bistand",
             measures=(("Larmknapp i mötesrum", "Fastighetschef", "2020-03-01", "done"),))
    add_risk(norr, NORR, activity="Upphandling av hemtjänst", forms=("korruption",), likelihood="1",
             consequence="3", measures=(("Jävsutbildning", "HR-chef", FUTURE, "planned"),))
    submit_register(norr, NORR)
    syd = as_role("other_editor")
    add_risk(syd, SYD, activity="Hembesök i Södra", forms=("hot",), likelihood="2", consequence="4",
             catalogue_key="hembesok", measures=(("Riskbedömning före besök", "Sektionschef", PAST, "planned"),))
    add_risk(syd, SYD, activity="Uthängning i sociala medier", forms=("trakasserier", "hot"), likelihood="4",
             consequence="4", catalogue_key="sociala_medier")
    submit_register(syd, SYD)
    bolag = risk_round.test_client()
    post_form(bolag, "/login", {"email": "bolag@test.se", "password": "rätt-häftigt-lösen-2026"})
    add_risk(bolag, BOLAG, activity="Vräkning", forms=("vald",), likelihood="4", consequence="4",
             catalogue_key="hembesok")
    return risk_round


def test_unit_register_is_sorted_by_level_with_levels_from_the_template(registers, as_role):
    text = page(as_role("unit_reader"), NORR)
    # 3 × 4 = 12 is high (9-16), 4 × 2 = 8 medium (4-8), 1 × 3 = 3 low (1-3).
    high, medium, low = text.index("Hög (12)"), text.index("Medel (8)"), text.index("Låg (3)")
    assert high < medium < low
    assert "Hembesök" in text and "Gå två och två" in text


def test_unit_matrix_counts_its_own_risks(registers, as_role):
    rows = matrix_rows(page(as_role("unit_editor"), NORR))
    assert list(rows) == ["4 Sannolik", "3 Möjlig", "2 Mindre sannolik", "1 Osannolik"]
    assert rows["4 Sannolik"] == ["0 · Medel", "1 · Medel", "0 · Hög", "0 · Hög"]  # 4, 8, 12, 16
    assert rows["3 Möjlig"] == ["0 · Låg", "0 · Medel", "0 · Hög", "1 · Hög"]  # 3, 6, 9, 12
    assert rows["1 Osannolik"] == ["0 · Låg", "0 · Låg", "1 · Låg", "0 · Medel"]  # 1, 2, 3, 4


def test_city_matrix_counts_submitted_registers_only(registers, as_role):
    rows = matrix_rows(page(as_role("analyst"), f"/risker/{ROUND}"))
    # Norra: (3,4) (4,2) (1,3); Södra: (2,4) (4,4); the company's draft (4,4) is not counted.
    assert rows["4 Sannolik"] == ["0 · Medel", "1 · Medel", "0 · Hög", "1 · Hög"]
    assert rows["3 Möjlig"] == ["0 · Låg", "0 · Medel", "0 · Hög", "1 · Hög"]
    assert rows["2 Mindre sannolik"] == ["0 · Låg", "0 · Medel", "0 · Medel", "1 · Medel"]
    assert rows["1 Osannolik"] == ["0 · Låg", "0 · Låg", "1 · Låg", "0 · Medel"]


def _table(text: str, css_class: str) -> list[list[str]]:
    table = text.split(f'class="data {css_class}"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_city_groups_recurring_risks_by_catalogue_item_and_form(registers, as_role):
    text = page(as_role("admin"), f"/risker/{ROUND}")
    # Only Hembesök is picked by two units; avslag and sociala medier by one each.
    assert _table(text, "recurring-catalogue") == [
        ["Hembesök", "2", "2", "Norra stadsdelsnämnden, Södra stadsdelsnämnden"]]
    # Hot: Norra 2 + Södra 2 risks; trakasserier: Norra 1 + Södra 1; våld and korruption only in Norra.
    assert _table(text, "recurring-forms") == [
        ["Hot", "2", "4", "Norra stadsdelsnämnden, Södra stadsdelsnämnden"],
        ["Trakasserier", "2", "2", "Norra stadsdelsnämnden, Södra stadsdelsnämnden"]]


def test_city_lists_highest_risks_overdue_measures_and_units_without_risks(registers, as_role):
    text = page(as_role("analyst"), f"/risker/{ROUND}")
    highest = _table(text, "highest-risks")
    assert [(row[0], row[1], row[2]) for row in highest] == [
        ("Södra stadsdelsnämnden", "Uthängning i sociala medier", "Hög (16)"),
        ("Norra stadsdelsnämnden", "Hembesök", "Hög (12)"),
        ("Norra stadsdelsnämnden", "Avslag på ekonomiskt bistånd", "Medel (8)"),
        ("Södra stadsdelsnämnden", "Hembesök i Södra", "Medel (8)"),
        ("Norra stadsdelsnämnden", "Upphandling av hemtjänst", "Låg (3)")]
    assert highest[0][3] == "Ingen åtgärd"
    # Past due and not done: Norra's (2020-01-31, in progress) and Södra's (2021-06-30, planned);
    # the done one and the one due in 2999 are not.
    overdue = _table(text, "overdue-measures")
    assert [(row[0], row[2], row[4]) for row in overdue] == [
        ("Norra stadsdelsnämnden", "Gå två och två", LONG_AGO),
        ("Södra stadsdelsnämnden", "Riskbedömning före besök", PAST)]
    flagged = text.split('class="flagged"', 1)[1].split("</ul>", 1)[0]
    assert "Stadens Bostäder AB" in flagged  # a draft only
    assert "Norra" not in flagged and "Södra" not in flagged
    assert "2 av 3 inbjudna enheter har lämnat in" in text


def test_a_submitted_empty_register_is_flagged(risk_round, as_role):
    syd = as_role("other_editor")
    response = post_form(syd, f"{SYD}/skicka-in", {"base_version": base_version(syd, SYD),
                                                   "no_risks": "Ingen klientkontakt."})
    assert response.status_code == 302
    text = page(as_role("admin"), f"/risker/{ROUND}")
    flagged = text.split('class="flagged"', 1)[1].split("</ul>", 1)[0]
    # Södra submitted without risks; Norra has not submitted (tests/test_risk_history.py).
    assert "Södra stadsdelsnämnden" in flagged and "Norra stadsdelsnämnden" in flagged


def test_a_register_cannot_be_submitted_without_owner_and_due_date(risk_round, as_role):
    norr = as_role("unit_editor")
    add_risk(norr, NORR, activity="Hot per telefon", likelihood="2", consequence="2",
             measures=(("Rutin för samtal", "", "", "planned"),))
    response = post_form(norr, f"{NORR}/skicka-in", {"base_version": base_version(norr, NORR)})
    assert response.status_code == 400
    assert "2 uppgifter saknas" in html.unescape(response.get_data(as_text=True))  # owner and due date


def test_invalid_values_are_refused_and_the_form_keeps_the_text(risk_round, as_role):
    norr = as_role("unit_editor")
    response = post_form(norr, f"{NORR}/ny", risk_form("Mitt moment", forms=("hot", "inbrott"), likelihood="7"))
    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "okänd form av påverkan" in text and "värdet finns inte på skalan" in text
    assert 'value="Mitt moment"' in text


def test_a_five_by_five_template_works_without_code_change(city, as_role):
    with city.app_context():
        make_risk_round(template=FIVE_BY_FIVE, template_key="riskanalys_fem", with_self_assessment=False)
    norr = as_role("unit_editor")
    for likelihood, consequence in (("5", "5"), ("3", "3"), ("2", "2"), ("5", "4")):
        add_risk(norr, NORR, activity=f"Moment {likelihood}x{consequence}", likelihood=likelihood,
                 consequence=consequence)
    text = page(norr, NORR)
    # Bands of the 5x5 file: low up to 4, medium up to 9, high up to 16, critical up to 25.
    assert text.index("Kritisk (25)") < text.index("Kritisk (20)") < text.index("Medel (9)") < text.index("Låg (4)")
    rows = matrix_rows(text)
    assert list(rows)[0] == "5 Mycket sannolik" and len(rows) == 5
    assert rows["5 Mycket sannolik"] == ["0 · Medel", "0 · Hög", "0 · Hög", "1 · Kritisk", "1 · Kritisk"]
    assert rows["3 Möjlig"][2] == "1 · Medel"  # 9: medium here, high on the 4x4 template


def test_carrying_forward_copies_and_leaves_the_earlier_round_untouched(city, as_role):
    with city.app_context():
        make_risk_round(key="granskning-2025", year=2025)
    norr = as_role("unit_editor")
    old = "/risker/granskning-2025/sdn-norr"
    add_risk(norr, old, activity="Hembesök", forms=("hot",), likelihood="3", consequence="4",
             measures=(("Gå två och två", "Enhetschef", "2025-06-01", "planned"),))
    add_risk(norr, old, activity="Sociala medier", forms=("trakasserier",), likelihood="2", consequence="2")
    submit_register(norr, old)
    with city.app_context():
        with transaction() as session:
            change_status(session, get_round(session, "granskning-2025"), "close")
        make_risk_round(key=ROUND, year=2026)
        before = db.session.scalar(select(UnitResponse.answers).join(Round).where(Round.key == "granskning-2025"))
    offered = re.findall(r'name="risk" value="(risk_[0-9a-f]+)" checked',
                         norr.get(f"{NORR}/for-vidare").get_data(as_text=True))
    assert len(offered) == 2
    response = post_form(norr, f"{NORR}/for-vidare", {"base_version": base_version(norr, NORR), "risk": offered})
    assert response.status_code == 302
    text = page(norr, NORR)
    assert "Hembesök" in text and "Sociala medier" in text and "Hög (12)" in text
    # Update the copy in the new round: the earlier round's register stays as it was.
    key = re.search(r"/risk/(risk_[0-9a-f]+)\"[^>]*>Ändra<span class=\"visually-hidden\"> Hembesök",
                    norr.get(NORR).get_data(as_text=True)).group(1)
    response = post_form(norr, f"{NORR}/risk/{key}", risk_form(
        "Hembesök", likelihood="1", consequence="4", base_version=base_version(norr, NORR),
        measures=(("Gå två och två", "Enhetschef", "2026-06-01", "done"),)))
    assert response.status_code == 302
    assert "Medel (4)" in page(norr, NORR)
    with city.app_context():
        after = db.session.scalar(select(UnitResponse.answers).join(Round).where(Round.key == "granskning-2025"))
        assert after == before and len(after) == 2
    assert "Hög (12)" in page(norr, old)
    # Carrying forward again copies nothing twice.
    again = post_form(norr, f"{NORR}/for-vidare", {"base_version": base_version(norr, NORR), "risk": offered})
    assert again.status_code == 400


def test_a_statement_at_delvis_or_nej_becomes_a_measure_and_keeps_the_link(risk_round, as_role):
    norr = as_role("unit_editor")
    answers = full_answers()
    answers.update({"q-kultur": "delvis", "q-stod": "nej"})
    response = post_form(norr, f"/granskning/{ROUND}/sdn-norr/sjalvskattning",
                         {**answers, "action": "submit", "base_version": "0"})
    assert response.status_code == 302
    text = page(norr, NORR)
    assert _table(text, "statement-coverage")[0][:3] == [
        "Nämndens/bolagets kultur stärker önskat förhållningssätt avseende otillåten påverkan",
        "Delvis, förbättringsområde", "Nej"]
    response = post_form(norr, f"{NORR}/pastaende/kultur",
                         {"kind": "measure", "base_version": base_version(norr, NORR)})
    assert response.status_code == 302 and "/risk/risk_" in response.headers["Location"]
    coverage = _table(page(norr, NORR), "statement-coverage")
    assert [(row[1], row[2]) for row in coverage] == [("Delvis, förbättringsområde", "Ja"),
                                                      ("Nej, behöver ses över omgående", "Nej")]
    # Complete the risk, submit, and the city view counts the statement as covered.
    edit_url = response.headers["Location"]
    form_text = norr.get(edit_url).get_data(as_text=True)
    assert 'name="statement_key" value="kultur"' in form_text
    response = post_form(norr, edit_url, risk_form(
        "Kultur", forms=("trakasserier",), likelihood="2", consequence="3", statement_key="kultur",
        base_version=base_version(norr, NORR), measures=(("Dialog på APT", "Enhetschef", FUTURE, "planned"),)))
    assert response.status_code == 302
    submit_register(norr, NORR)
    city_text = page(as_role("admin"), f"/risker/{ROUND}")
    assert _table(city_text, "city-statements") == [
        ["Nämndens/bolagets kultur stärker önskat förhållningssätt avseende otillåten påverkan", "1", "1"],
        ["Berörda medarbetare får tillräckligt stöd (hot, våld, trakasserier, skadegörelse)", "1", "0"]]
    report = page(norr, f"/rapporter/{ROUND}/enheter/sdn-norr")
    assert "Påståenden bedömda som delvis eller nej" in report and "Kultur" in report


def test_two_stale_saves_the_second_is_refused_and_both_texts_survive(risk_round, as_role):
    first, second = as_role("unit_editor"), as_role("unit_editor")
    version = base_version(first, NORR)
    assert post_form(first, f"{NORR}/ny", risk_form("Första texten", base_version=version)).status_code == 302
    response = post_form(second, f"{NORR}/ny", risk_form("Andra texten", base_version=version))
    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 409
    assert "Någon annan har ändrat registret" in text and 'value="Andra texten"' in text
    assert "Första texten" in page(first, NORR)


def test_another_units_editor_gets_403(registers, as_role):
    other = as_role("other_editor")
    assert other.get(NORR).status_code == 403
    assert post_form(other, f"{NORR}/ny", risk_form("Intrång")).status_code == 403
    assert other.get(f"/risker/{ROUND}").status_code == 403
    reader = as_role("unit_reader")
    assert post_form(reader, f"{NORR}/ny", risk_form("Läsaren")).status_code == 403


def test_a_submitted_register_is_read_only(registers, as_role):
    norr = as_role("unit_editor")
    response = post_form(norr, f"{NORR}/ny", risk_form("Efteråt", base_version=base_version(norr, NORR)))
    assert response.status_code == 409
    assert "Lägg till en egen risk" not in page(norr, NORR)


def test_exports_hold_every_register_one_row_per_measure_and_are_audited(registers, as_role):
    admin = as_role("admin")
    response = admin.get(f"/risker/{ROUND}/export/riskregister.csv")
    lines = response.get_data(as_text=True).lstrip("\ufeff").strip().splitlines()
    # Norra 3 risks × 1 measure, Södra 1 + 1 without a measure, the company's draft 1.
    assert len(lines) == 1 + 6
    assert lines[0].startswith("enhet;enhetsnamn;status")
    xlsx = admin.get(f"/risker/{ROUND}/export/riskregister.xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet.max_row == 7
    with registers.app_context():
        formats = db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "export")).all()
        assert sorted(d["format"] for d in formats) == ["csv", "xlsx"]


def test_export_neutralises_formulas(risk_round, as_role):
    norr = as_role("unit_editor")
    add_risk(norr, NORR, activity="=HYPERLINK(\"x\")", likelihood="1", consequence="1")
    text = as_role("admin").get(f"/risker/{ROUND}/export/riskregister.csv").get_data(as_text=True)
    assert ";'=HYPERLINK" in text.replace('"', "")


def test_catalogue_item_prefills_the_form(risk_round, as_role):
    norr = as_role("unit_editor")
    text = html.unescape(norr.get(f"{NORR}/ny?katalog=lvu").get_data(as_text=True))
    assert 'value="Tvångsomhändertagande av barn och unga (LVU)"' in text
    assert 'name="catalogue_key" value="lvu"' in text


def test_unit_pdf_has_the_risk_section(registers, as_role):
    data = as_role("unit_reader").get(f"/rapporter/{ROUND}/enheter/sdn-norr.pdf").data
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "Riskanalys" in text and "Gå två och två" in text and "Hembesök" in text


def test_demo_city_has_registers_and_one_invited_unit_without_any(app):
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    from datetime import date as _date

    from app.services.risks.city import city_overview

    with app.app_context():
        round_ = db.session.scalar(select(Round).where(Round.year == _date.today().year))
        overview = city_overview(db.session, round_, "sv", _date.today())
        # PLANS in app/demo/risks.py: 7 submit, 3 keep a draft, hamn-ab does nothing.
        assert overview.submitted == 7 and overview.invited == 11
        assert sorted(u.key for u in overview.without_risks) == [
            "arbetsmarknadsnamnden", "hamn-ab", "sdn-kungsholmen", "utbildningsnamnden"]
        assert overview.highest and overview.by_form


def test_history_shows_each_risks_changes_and_reopening_allows_edits(registers, as_role):
    norr, admin = as_role("unit_editor"), as_role("admin")
    text = page(norr, f"{NORR}/historik")
    assert "Ny risk: Hembesök" in text and "Skickade in" in text
    response = post_form(admin, f"/admin/omgangar/{ROUND}/sdn-norr/riskanalys/oppna-igen",
                         {"reason": "Komplettera åtgärderna."})
    assert response.status_code == 302
    assert "Lägg till en egen risk" in page(norr, NORR)
    key = re.search(r"/risk/(risk_[0-9a-f]+)\"[^>]*>Ändra<span class=\"visually-hidden\"> Hembesök<",
                    norr.get(NORR).get_data(as_text=True)).group(1)
    response = post_form(norr, f"{NORR}/risk/{key}", risk_form(
        "Hembesök", forms=("hot", "vald"), likelihood="4", consequence="4", catalogue_key="hembesok",
        base_version=base_version(norr, NORR),
        measures=(("Gå två och två", "Enhetschef", LONG_AGO, "done"),)))
    assert response.status_code == 302
    text = page(norr, f"{NORR}/historik")
    assert "Öppnade igen" in text and "Komplettera åtgärderna." in text
    assert "Ändrad: Hembesök (Sannolikhet, Åtgärder)" in text


def test_the_city_wide_lagesbild_and_the_export_carry_the_risk_overview(registers, as_role):
    from io import BytesIO

    from pypdf import PdfReader

    client = as_role("analyst")
    pdf = client.get(f"/lagesbild/{ROUND}/rapport.pdf")
    assert pdf.status_code == 200
    # Table cells wrap lines: compare with white space folded.
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(BytesIO(pdf.data)).pages).split())
    assert "Riskanalys i staden" in text
    assert "2 av 3 inbjudna enheter har lämnat in sitt riskregister." in text
    assert "Uthängning i sociala medier" in text and "Riskbedömning före besök" in text
    assert "Stadens Bostäder AB" in text.split("Enheter utan dokumenterade risker", 1)[1]
    page_text = page(client, f"/lagesbild/{ROUND}/rapport")
    assert "2 av 3 inbjudna enheter har lämnat in sitt riskregister." in page_text
    # One row per measure (a risk without measures gets one): Norra 3, Södra 2, the company's draft 1.
    result = registers.test_cli_runner().invoke(args=["export", ROUND, "--what", "risks", "--format", "json"])
    assert result.exit_code == 0, result.output
    import json

    rows = json.loads(result.output)
    assert len(rows) == 6
    assert {r["enhet"] for r in rows} == {"sdn-norr", "sdn-syd", "bolag"}
