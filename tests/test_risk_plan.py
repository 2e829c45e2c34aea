"""Who influences and how, the board's internal control plan and follow-ups per measure, through
HTTP: the risk form, the register page, the history, the unit PDF (pdftotext), the city office's
exports and overview, and a unit's internal control plan export. Figures are counted by hand
from the registers the fixture builds."""

from __future__ import annotations

import csv
import html
import io
import json
import subprocess

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent
from tests.conftest import csrf_token
from tests.risks_factory import make_risk_round, risk_form, with_follow_ups

ROUND = "granskning-2026"
NORR = f"/risker/{ROUND}/sdn-norr"
SYD = f"/risker/{ROUND}/sdn-syd"
HOME, BRIBE, DRAFT = "risk_hembesok01", "risk_upphandl01", "risk_syddraft1"
PAST, FUTURE = "2021-06-30", "2999-12-31"
# The plan entry of the home-visit risk, typed on the form.
CONTROL = "Stickprov av fem ärenden per kvartal att riskbedömning gjorts före hembesöket."
DECISION = "SDN 2026/14 § 7"


def post_form(client, url: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": csrf_token(client), **data})


def page(client, url: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


def version(client, url: str) -> str:  # type: ignore[no-untyped-def]
    text = client.get(url).get_data(as_text=True)
    return text.split('name="base_version" value="', 1)[1].split('"', 1)[0]


def home_visit(**changes: object) -> dict[str, object]:
    """Norra's home-visit risk: reactive, a client and a neighbour, in the plan, 3 × 4 = 12 (high),
    one measure due in 2021 and not done (overdue)."""
    data = risk_form("Hembesök", forms=("hot", "vald"), likelihood="3", consequence="4",
                     measures=(("Gå två och två", "Enhetschef", PAST, "planned"),),
                     risk_key=HOME, description="Hot i hemmet vid negativa besked.",
                     controls="Rutin för hot och våld; larm i bilen.", influencer_kind="reaktiv",
                     influencer_other="Granne", in_plan="1", plan_control=CONTROL, plan_owner="Enhetschef",
                     plan_decision=DECISION, plan_decided_on="2026-02-10")
    data["influencers"] = ["klient", "annan"]
    data.update(changes)
    return data


def save(client, url: str, data: dict[str, object], register: str = NORR, status: int = 302):  # type: ignore[no-untyped-def]
    response = post_form(client, url, {**data, "base_version": version(client, register)})
    assert response.status_code == status, response.get_data(as_text=True)
    return response


@pytest.fixture
def plan_round(city, as_role):
    """Norra submits two risks (one in the plan, with a follow-up); Södra keeps a draft with one
    risk that is also marked for the plan."""
    with city.app_context():
        make_risk_round()
    norr = as_role("unit_editor")
    save(norr, f"{NORR}/ny", home_visit())
    # A follow-up on the home-visit measure moves it to "Pågår"; the measure stays overdue.
    save(norr, f"{NORR}/risk/{HOME}", with_follow_ups(home_visit(), 0, (
        ("2026-03-01", "Anna Berg", "Rutinen används men inte vid kvällsbesök.", "in_progress"),)))
    save(norr, f"{NORR}/ny", risk_form(
        "Upphandling av hemtjänst", forms=("korruption",), likelihood="2", consequence="3", risk_key=BRIBE,
        influencer_kind="planerad", influencers="leverantor",
        measures=(("Jävsutbildning", "HR-chef", PAST, "done"), ("Attestordning ses över", "Ekonomichef",
                                                                 FUTURE, "planned"))))
    save(norr, f"{NORR}/skicka-in", {})
    syd = as_role("other_editor")
    save(syd, f"{SYD}/ny", risk_form("Hembesök i Södra", forms=("hot",), likelihood="4", consequence="4",
                                     risk_key=DRAFT, influencer_kind="reaktiv", in_plan="1",
                                     plan_control="Utkastets kontroll"), register=SYD)
    return city


def test_the_form_asks_and_keeps_influence_plan_and_follow_ups(plan_round, as_role):
    # Norra's register is submitted (its page shows what was stored); Södra's draft opens in the form.
    text = page(as_role("other_editor"), f"{SYD}/risk/{DRAFT}")
    assert 'value="reaktiv" checked' in text and 'id="in_plan" name="in_plan" value="1" checked' in text
    assert ">Utkastets kontroll</textarea>" in text
    register = page(as_role("unit_reader"), NORR)
    row = register.split("Hembesök", 1)[1].split("</tr>", 1)[0]
    assert "Reaktiv: Klient eller brukare, Annan (Granne)" in row
    assert f"Kontrollmoment: {CONTROL}" in row and "Ansvarig: Enhetschef" in row
    assert f"Beslut: {DECISION} 2026-02-10" in row
    assert "Uppföljd 2026-03-01 av Anna Berg: Rutinen används men inte vid kvällsbesök. (ny status: Pågår)" in row
    # Due 2021-06-30, status Pågår: overdue. The bribe risk's done measure from 2021 is not.
    assert '2021-06-30, Pågår <strong class="overdue">försenad</strong>' in row
    bribe = register.split("Upphandling av hemtjänst", 1)[1].split("</tr>", 1)[0]
    assert "Planerad: Leverantör" in bribe and "försenad" not in bribe and "Ingår inte" in bribe


def test_a_refused_save_names_the_fields_and_keeps_what_was_typed(plan_round, as_role):
    syd = as_role("other_editor")
    data = with_follow_ups(risk_form("Mottagningen", likelihood="2", consequence="2",
                                     measures=(("Larm", "Chef", FUTURE, "planned"),), influencer_kind="reaktiv",
                                     plan_decision="SDN 2026/99", plan_decided_on="10/2", in_plan="1"),
                           0, (("2026-04-01", "Bo Ek", "", ""),))
    data["influencers"] = ["anhorig", "annan"]
    response = save(syd, f"{SYD}/ny", data, register=SYD, status=400)
    text = html.unescape(response.get_data(as_text=True))
    summary = text.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "Vem påverkar: skriv vem som påverkar när du väljer Annan" in summary
    assert "Nämndbeslut (diarienummer eller paragraf)" not in summary
    assert "Beslutsdatum: ange beslutsdatumet som ÅÅÅÅ-MM-DD" in summary
    assert "Åtgärd 1, uppföljning 1: skriv vad uppföljningen visade" in summary
    # Everything typed is still there.
    assert 'value="SDN 2026/99"' in text and 'id="plan_decided_on" name="plan_decided_on" value="10/2"' in text
    assert 'value="anhorig" checked' in text and 'value="annan" checked' in text
    assert 'name="measure-0-followup-0-by" value="Bo Ek"' in text and 'value="Mottagningen"' in text


def test_submitting_needs_the_control_of_a_risk_in_the_plan(plan_round, as_role):
    syd = as_role("other_editor")
    save(syd, f"{SYD}/risk/{DRAFT}", risk_form("Hembesök i Södra", forms=("hot",), likelihood="4",
                                               consequence="4", risk_key=DRAFT, in_plan="1"), register=SYD)
    response = save(syd, f"{SYD}/skicka-in", {}, register=SYD, status=400)
    assert "Registret kan inte skickas in ännu: 1 uppgifter saknas" in html.unescape(response.get_data(as_text=True))


def test_history_records_the_follow_up(plan_round, as_role):
    text = page(as_role("unit_editor"), f"{NORR}/historik")
    # The second save added a follow-up and, through its new status, changed the measure.
    assert "Ändrad: Hembesök (Uppföljning av åtgärd, Åtgärder)" in text


def test_the_unit_pdf_holds_the_whole_register(plan_round, as_role, tmp_path):
    data = as_role("unit_reader").get(f"/rapporter/{ROUND}/enheter/sdn-norr.pdf").data
    (tmp_path / "unit.pdf").write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(tmp_path / "unit.pdf"), "-"], capture_output=True,
                         text=True, check=True).stdout
    text = " ".join(out.split())
    detail = text.split("Riskerna i detalj", 1)[1]
    home, bribe = detail.split("2. Upphandling av hemtjänst", 1)
    assert "1. Hembesök" in home
    for expected in ("Hot i hemmet vid negativa besked.", "Rutin för hot och våld; larm i bilen.", "Reaktiv",
                     "Klient eller brukare, Annan: Granne", "Ingår", "Stickprov av fem ärenden",
                     "Enhetschef", "SDN 2026/14 § 7, 2026-02-10", "Anna Berg", "kvällsbesök",
                     "FÖRSENAD", "Hög (12)"):
        assert expected in home, expected
    assert "Planerad" in bribe and "Leverantör" in bribe and "Ingår inte" in bribe and "FÖRSENAD" not in bribe


def rows_of_csv(body: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))


def test_exports_and_overview_count_the_same_population_with_labels_and_numbers(plan_round, as_role):
    analyst = as_role("analyst")
    rows = rows_of_csv(analyst.get(f"/risker/{ROUND}/export/riskregister.csv").get_data(as_text=True))
    # Norra (submitted): Hembesök 1 measure, Upphandling 2; Södra (draft): 1 risk without a measure.
    assert [(r["enhet"], r["status"]) for r in rows] == [
        ("sdn-norr", "Inskickad"), ("sdn-norr", "Inskickad"), ("sdn-norr", "Inskickad"), ("sdn-syd", "Utkast")]
    home = rows[0]
    assert home["former av påverkan"] == "Hot, Våld" and home["planerad eller reaktiv"] == "Reaktiv"
    assert home["vem påverkar"] == "Klient eller brukare, Annan: Granne"
    assert (home["sannolikhet"], home["konsekvens"], home["riskvärde"], home["risknivå"]) == ("3", "4", "12", "Hög")
    assert home["åtgärdsstatus"] == "Pågår" and home["försenad"] == "ja"
    assert home["internkontrollplan"] == "ja" and home["kontrollmoment"] == CONTROL
    assert home["uppföljning av åtgärden"] == (
        "2026-03-01 Anna Berg: Rutinen används men inte vid kvällsbesök. (ny status: Pågår)")
    assert [r["försenad"] for r in rows[1:3]] == ["nej", "nej"]  # done in 2021; due 2999
    sheet = load_workbook(io.BytesIO(analyst.get(f"/risker/{ROUND}/export/riskregister.xlsx").data)).active
    header = [c.value for c in sheet[1]]
    first = {name: cell.value for name, cell in zip(header, sheet[2], strict=True)}
    assert (first["sannolikhet"], first["konsekvens"], first["riskvärde"]) == (3, 4, 12)
    assert all(isinstance(first[n], int) for n in ("sannolikhet", "konsekvens", "riskvärde"))
    assert sheet.max_row == 1 + 4
    # The overview counts Norra's submitted register only: reactive 1 risk in 1 unit, planned 1 in 1;
    # Södra's draft (reactive, in its plan) is in the export as "Utkast" but not in these figures.
    text = page(analyst, f"/risker/{ROUND}")
    section = text.split('aria-labelledby="plan-title"', 1)[1].split("</section>", 1)[0]
    kinds = section.split('class="data influencer-kinds"', 1)[1].split("</table>", 1)[0]
    assert '<th scope="row">Planerad</th><td>1</td><td>1</td>' in kinds
    assert '<th scope="row">Reaktiv</th><td>1</td><td>1</td>' in kinds
    assert '<th scope="row">Ej angiven</th><td>0</td><td>0</td>' in kinds
    plan = section.split('class="data plan-entries"', 1)[1]
    assert "Hembesök" in plan and CONTROL in plan and "Utkastets kontroll" not in plan
    assert "Antal risker i internkontrollplanerna: 1 (hos 1 enheter)." in section
    submitted = {r["risk"] for r in rows if r["status"] == "Inskickad"}
    assert len(submitted) == 2  # the two risks the overview counts
    # The CLI/BI export is the same rows.
    result = plan_round.test_cli_runner().invoke(args=["export", ROUND, "--what", "risks", "--format", "json"])
    assert result.exit_code == 0, result.output
    exported = json.loads(result.output)
    assert [r["status"] for r in exported] == ["Inskickad", "Inskickad", "Inskickad", "Utkast"]
    assert exported[0]["sannolikhet"] == 3 and exported[0]["former av påverkan"] == "Hot, Våld"
    assert exported[0]["uppföljning av åtgärden"] == home["uppföljning av åtgärden"]


def test_the_internal_control_plan_export_lists_the_plans_risks(plan_round, as_role):
    reader = as_role("unit_reader")
    assert "internkontrollplan.xlsx" in page(reader, NORR)
    sheet = load_workbook(io.BytesIO(reader.get(f"{NORR}/internkontrollplan.xlsx").data)).active
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["risk", "beskrivning", "planerad eller reaktiv", "vem påverkar"]
    assert sheet.max_row == 2  # only the home-visit risk is in the plan
    row = {name: cell.value for name, cell in zip(header, sheet[2], strict=True)}
    assert row["risk"] == "Hembesök" and row["planerad eller reaktiv"] == "Reaktiv"
    assert (row["sannolikhet"], row["konsekvens"], row["riskvärde"], row["risknivå"]) == (3, 4, 12, "Hög")
    assert row["kontrollmoment"] == CONTROL and row["ansvarig för kontrollen"] == "Enhetschef"
    assert (row["nämndbeslut"], row["beslutsdatum"]) == (DECISION, "2026-02-10")
    assert row["åtgärder"].startswith("Gå två och två – Enhetschef, 2021-06-30, Pågår (försenad). Uppföljning: ")
    assert row["registrets status"] == "Inskickad"
    rows = rows_of_csv(reader.get(f"{NORR}/internkontrollplan.csv").get_data(as_text=True))
    assert [(r["risk"], r["riskvärde"]) for r in rows] == [("Hembesök", "12")]
    assert as_role("other_editor").get(f"{NORR}/internkontrollplan.csv").status_code == 403
    with plan_round.app_context():
        events = [e for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export"))
                  if e.detail["what"] == "risk_plan"]
        assert sorted(e.detail["format"] for e in events) == ["csv", "xlsx"]
        assert {(e.detail["rows"], e.detail["round"], e.detail["unit"]) for e in events} == {(1, ROUND, "sdn-norr")}


def test_the_demo_city_fills_influence_plans_and_follow_ups(app):
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    from app.models import UnitResponse
    from app.services.risks.values import risks_of

    with app.app_context():
        risks = [r for response in db.session.scalars(select(UnitResponse)) for r in risks_of(response.answers)
                 if r.activity]
        kinds = {r.influencer_kind for r in risks}
        assert {"planerad", "reaktiv"} <= kinds
        assert sum(r.influencer_kind == "reaktiv" for r in risks) > sum(r.influencer_kind == "planerad" for r in risks)
        assert any(r.in_plan and r.plan_control and r.plan_decided_on for r in risks)
        assert any(f.comment for r in risks for m in r.measures for f in m.follow_ups)


def test_the_city_wide_lagesbild_pdf_counts_planned_and_reactive(plan_round, as_role, tmp_path):
    data = as_role("analyst").get(f"/lagesbild/{ROUND}/rapport.pdf").data
    (tmp_path / "city.pdf").write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(tmp_path / "city.pdf"), "-"], capture_output=True,
                         text=True, check=True).stdout
    text = " ".join(out.split())
    section = text.split("Påverkan och nämndernas internkontrollplaner", 1)[1]
    # Submitted registers only: Norra's planned and reactive risk; Södra's draft is left out.
    assert "Planerad 1 1" in section and "Reaktiv 1 1" in section and "Ej angiven 0 0" in section
    assert "Antal risker i internkontrollplanerna: 1 (hos 1 enheter)." in section
    assert "Stickprov av fem" in section and "Utkastets kontroll" not in text


def test_the_form_asks_in_english_with_the_templates_english_wording(plan_round, as_role):
    syd = as_role("other_editor")
    assert post_form(syd, "/sprak", {"language": "en", "next": "/"}).status_code == 302
    text = page(syd, f"{SYD}/risk/{DRAFT}")
    for expected in ("Planned or reactive influence", "Reactive", "Who influences", "Relative",
                     "Other, state who", "The board's internal control plan",
                     "The risk is included in the internal control plan", "Control owner", "Date of decision"):
        assert expected in text, expected
