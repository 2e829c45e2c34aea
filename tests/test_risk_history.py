"""A unit's risk register across rounds, through HTTP: carry-forward from the previous submitted
register only (the editor chooses risks and open measures; finished measures and last year's
follow-up stay behind; other scales bring the texts and ask for a new rating), the history saying
"carried from", the year-over-year view per unit and city-wide, and what must not mislead: an
empty register submitted without a statement, drafts shown as "Ingen risk", the matrix without
a consequence heading, the edit form opening on a submitted register, and "självskattning" in
the title of a round without one."""

from __future__ import annotations

import copy
import csv
import html
import io
import json
import re
import subprocess

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from app.extensions import db
from app.models import Round, UnitResponse
from tests.conftest import csrf_token
from tests.risks_factory import FIVE_BY_FIVE, make_risk_round, risk_form

OLD_ROUND, NEW_ROUND = "granskning-2025", "granskning-2026"
OLD = f"/risker/{OLD_ROUND}/sdn-norr"
NORR = f"/risker/{NEW_ROUND}/sdn-norr"
SYD = f"/risker/{NEW_ROUND}/sdn-syd"
BOLAG = f"/risker/{NEW_ROUND}/bolag"


def post_form(client, url: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": csrf_token(client), **data})


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(response.get_data(as_text=True))


def page(client, url: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return text_of(response)


def base_version(client, url: str) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r'name="base_version" value="(\d+)"', client.get(url).get_data(as_text=True))
    return match.group(1) if match else "0"


def add_risk(client, register: str, **fields: object) -> None:  # type: ignore[no-untyped-def]
    response = post_form(client, f"{register}/ny", risk_form(base_version=base_version(client, register), **fields))
    assert response.status_code == 302, text_of(response)


def submit(client, register: str, **extra: str):  # type: ignore[no-untyped-def]
    return post_form(client, f"{register}/skicka-in", {"base_version": base_version(client, register), **extra})


def risk_key(client, register: str, activity: str) -> str:  # type: ignore[no-untyped-def]
    """The key of the risk named `activity`, from its Ändra link on the register page."""
    link = r"/risk/(risk_[0-9a-f]+)\"[^>]*>Ändra<span class=\"visually-hidden\"> "
    found = re.search(link + re.escape(activity) + "<",
                      client.get(register).get_data(as_text=True))
    assert found, activity
    return found.group(1)


def carry_page(client, register: str) -> tuple[str, dict[str, str], dict[str, list[tuple[str, str, bool]]]]:  # type: ignore[no-untyped-def]
    """The carry-forward page: its text, {activity: risk key} with the risk boxes ticked, and per
    risk key its measure boxes as (index, action, ticked)."""
    raw = client.get(f"{register}/for-vidare").get_data(as_text=True)
    text = html.unescape(raw)
    risks = {activity.strip(): key for key, activity in re.findall(
        r'name="risk" value="(risk_[0-9a-f]+)" checked> ([^<]+)</label>', text)}
    measures: dict[str, list[tuple[str, str, bool]]] = {}
    for key, index, checked, action in re.findall(
            r'name="measure-(risk_[0-9a-f]+)" value="(\d+)"( checked)?> ([^–<]+) –', text):
        measures.setdefault(key, []).append((index, action.strip(), bool(checked)))
    return text, risks, measures


def carry(client, register: str, choices: dict[str, list[str]], version: str | None = None):  # type: ignore[no-untyped-def]
    data: dict[str, object] = {"base_version": version if version is not None else base_version(client, register),
                               "risk": list(choices)}
    for key, indexes in choices.items():
        data[f"measure-{key}"] = indexes
    return post_form(client, f"{register}/for-vidare", data)


def stored(city, round_key: str, unit_key: str = "sdn-norr") -> dict:  # type: ignore[no-untyped-def]
    """The unit's stored register answers in the round (None before the first save)."""
    from app.models import Questionnaire, QuestionnaireVersion, Unit

    with city.app_context():
        return db.session.scalar(
            select(UnitResponse.answers).join(Round).join(Unit, Unit.id == UnitResponse.unit_id)
            .join(QuestionnaireVersion, QuestionnaireVersion.id == UnitResponse.questionnaire_version_id)
            .join(Questionnaire, Questionnaire.id == QuestionnaireVersion.questionnaire_id)
            .where(Round.key == round_key, Unit.key == unit_key, Questionnaire.kind == "risk_template"))


def last_year(city, as_role, *, submit_it: bool = True, template=None, template_key: str = "riskanalys"):  # type: ignore[no-untyped-def]
    """Norra's 2025 register: Hembesök (3 × 4, three measures: planned, done, in progress, and a
    follow-up) and Sociala medier (2 × 2); then the 2026 round on the shipped template."""
    with city.app_context():
        if template is None:
            make_risk_round(key=OLD_ROUND, year=2025)
        else:
            make_risk_round(key=OLD_ROUND, year=2025, template=template, template_key=template_key,
                            with_self_assessment=False)
    norr = as_role("unit_editor")
    add_risk(norr, OLD, activity="Hembesök", forms=("hot",), likelihood="3", consequence="4",
             description="Besök i hemmet hos klienter efter beslut.", controls="Rutin för hembesök.",
             follow_up="Uppföljt i maj: rutinen följs.",
             measures=(("Gå två och två", "Enhetschef", "2025-06-01", "planned"),
                       ("Larmknapp", "Fastighetschef", "2025-03-01", "done"),
                       ("Utbildning i bemötande", "HR-chef", "2025-09-01", "in_progress")))
    add_risk(norr, OLD, activity="Sociala medier", forms=("hot",), likelihood="2", consequence="2")
    if submit_it:
        assert submit(norr, OLD).status_code == 302
    with city.app_context():
        make_risk_round(key=NEW_ROUND, year=2026)
    return norr


# --- carry-forward --------------------------------------------------------------------------

def test_a_draft_register_of_last_year_is_not_offered(city, as_role):
    norr = last_year(city, as_role, submit_it=False)
    text = page(norr, NORR)
    assert "Hämta riskerna" not in text and "föra vidare" not in text
    response = norr.get(f"{NORR}/for-vidare")
    assert response.status_code == 404
    assert "inget tidigare inskickat riskregister" in text_of(response)
    assert post_form(norr, f"{NORR}/for-vidare", {"base_version": "0", "risk": ["risk_x"]}).status_code == 404
    assert stored(city, NEW_ROUND) is None


def test_the_editor_chooses_risks_and_open_measures_and_finished_ones_stay_behind(city, as_role):
    norr = last_year(city, as_role)
    assert "Välj risker att föra vidare från Granskning 2025" in page(norr, NORR)
    text, risks, measures = carry_page(norr, NORR)
    # Both risks and both open measures ticked; the finished measure is not offered, only counted.
    assert set(risks) == {"Hembesök", "Sociala medier"}
    home = risks["Hembesök"]
    assert [(action, ticked) for _i, action, ticked in measures[home]] == [
        ("Gå två och två", True), ("Utbildning i bemötande", True)]
    assert "Larmknapp" not in text and "Klara åtgärder som inte förs vidare: 1" in text
    # Bring Hembesök with one of its open measures; leave Sociala medier behind.
    first = measures[home][0][0]
    response = carry(norr, NORR, {home: [first]})
    assert response.status_code == 302, text_of(response)
    answers = stored(city, NEW_ROUND)
    assert list(answers) == [home]
    entry = answers[home]
    assert entry["activity"] == "Hembesök" and entry["likelihood"] == "3" and entry["consequence"] == "4"
    assert entry["description"] == "Besök i hemmet hos klienter efter beslut."
    assert entry["controls"] == "Rutin för hembesök."
    assert entry["follow_up"] == ""  # last year's follow-up stays last year's
    assert [m["action"] for m in entry["measures"]] == ["Gå två och två"]
    assert entry["carried_from"]["round"] == OLD_ROUND and entry["carried_from"]["risk"] == home
    register = page(norr, NORR)
    assert "Förd vidare från Granskning 2025" in register and "Uppföljt i maj" not in register
    # Hembesök is here now: the page offers only Sociala medier.
    _text, again, _m = carry_page(norr, NORR)
    assert list(again) == ["Sociala medier"]
    assert carry(norr, NORR, {again["Sociala medier"]: []}).status_code == 302
    assert "Välj risker att föra vidare" not in page(norr, NORR)  # nothing left to carry


def test_a_refused_carry_keeps_the_choices(city, as_role):
    norr = last_year(city, as_role)
    _text, risks, measures = carry_page(norr, NORR)
    stale = base_version(norr, NORR)
    add_risk(norr, NORR, activity="Jäv vid bygglov", likelihood="2", consequence="2")  # someone saved since
    home = risks["Hembesök"]
    response = carry(norr, NORR, {home: [measures[home][1][0]]}, version=stale)
    assert response.status_code == 409
    text = text_of(response)
    assert "Dina val finns kvar" in text
    assert f'name="risk" value="{home}" checked' in text
    assert f'name="risk" value="{risks["Sociala medier"]}">' in text  # not ticked
    ticked = re.findall(rf'name="measure-{home}" value="(\d+)"( checked)?', text)
    assert ticked == [(measures[home][0][0], ""), (measures[home][1][0], " checked")]
    assert list(stored(city, NEW_ROUND)) != [] and "Hembesök" not in str(stored(city, NEW_ROUND))
    # Sent again from that page (its base is the version now stored), the carry goes through.
    current = re.search(r'name="base_version" value="(\d+)"', text).group(1)
    assert carry(norr, NORR, {home: [measures[home][1][0]]}, version=current).status_code == 302
    assert [m["action"] for m in stored(city, NEW_ROUND)[home]["measures"]] == ["Utbildning i bemötande"]
    # Nothing chosen: refused with a message, nothing saved.
    response = carry(norr, NORR, {})
    assert response.status_code == 400 and "välj minst en risk" in text_of(response)


def test_other_scales_bring_the_texts_and_ask_for_a_new_rating(city, as_role):
    # Last year on the 5 × 5 template (forms hot, korruption), this year on the shipped 4 × 4 one.
    with city.app_context():
        make_risk_round(key=OLD_ROUND, year=2025, template=FIVE_BY_FIVE, template_key="riskanalys_fem",
                        with_self_assessment=False)
    norr = as_role("unit_editor")
    add_risk(norr, OLD, activity="Mutförsök vid upphandling", forms=("korruption",), likelihood="5",
             consequence="5", description="Leverantör erbjuder gåvor.",
             measures=(("Jävsutbildning", "HR-chef", "2025-10-01", "planned"),))
    assert submit(norr, OLD).status_code == 302
    with city.app_context():
        make_risk_round(key=NEW_ROUND, year=2026)
    text, risks, _measures = carry_page(norr, NORR)
    assert "skalor för sannolikhet och konsekvens har ändrats" in text
    key = risks["Mutförsök vid upphandling"]
    response = carry(norr, NORR, {key: ["0"]})
    assert response.status_code == 302, text_of(response)
    entry = stored(city, NEW_ROUND)[key]
    assert entry["likelihood"] is None and entry["consequence"] is None
    assert entry["description"] == "Leverantör erbjuder gåvor." and entry["forms"] == ["korruption"]
    assert [m["action"] for m in entry["measures"]] == ["Jävsutbildning"]
    register = page(norr, NORR)
    assert "Behöver ny bedömning" in register
    assert ("Risker som behöver en ny bedömning av sannolikhet och konsekvens innan registret kan skickas in: 1."
            in register)
    # Not submittable until rated on this year's scales; then it is, and the mark is gone.
    refused = submit(norr, NORR)
    assert refused.status_code == 400
    # Half a rating is not a rating: the mark stays until both scales are set.
    response = post_form(norr, f"{NORR}/risk/{key}", risk_form(
        "Mutförsök vid upphandling", forms=("korruption",), likelihood="4", base_version=base_version(norr, NORR)))
    assert response.status_code == 302
    assert "Behöver ny bedömning" in page(norr, NORR)
    response = post_form(norr, f"{NORR}/risk/{key}", risk_form(
        "Mutförsök vid upphandling", forms=("korruption",), likelihood="4", consequence="4",
        base_version=base_version(norr, NORR), measures=(("Jävsutbildning", "HR-chef", "2026-10-01", "planned"),)))
    assert response.status_code == 302, text_of(response)
    register = page(norr, NORR)
    assert "Behöver ny bedömning" not in register and "Hög (16)" in register
    assert "Förd vidare från Granskning 2025" in register  # the edit kept the link
    assert submit(norr, NORR).status_code == 302


def test_the_history_says_carried_from_the_round(city, as_role):
    norr = last_year(city, as_role)
    _text, risks, _measures = carry_page(norr, NORR)
    assert carry(norr, NORR, {risks["Hembesök"]: []}).status_code == 302
    add_risk(norr, NORR, activity="Jäv vid bygglov", likelihood="2", consequence="2")
    text = page(norr, f"{NORR}/historik")
    assert "Förd vidare från Granskning 2025: Hembesök" in text
    assert "Ny risk: Hembesök" not in text
    assert "Ny risk: Jäv vid bygglov" in text


# --- year over year -------------------------------------------------------------------------

def test_year_over_year_per_unit_and_city_wide(city, as_role):
    with city.app_context():
        make_risk_round(key=OLD_ROUND, year=2025)
    norr = as_role("unit_editor")
    # 2025 on the 4 × 4 template (bands: low to 3, medium to 8, high to 16).
    for activity, likelihood, consequence in (("Hembesök", "3", "4"), ("Sociala medier", "2", "2"),
                                              ("Upphandling", "1", "3"), ("Gåvor", "2", "3"),
                                              ("Inbrott", "2", "2")):
        add_risk(norr, OLD, activity=activity, likelihood=likelihood, consequence=consequence)
    assert submit(norr, OLD).status_code == 302
    with city.app_context():
        make_risk_round(key=NEW_ROUND, year=2026)
    _text, risks, _m = carry_page(norr, NORR)
    assert carry(norr, NORR, {risks[a]: [] for a in ("Hembesök", "Sociala medier", "Upphandling")}).status_code == 302
    for activity, likelihood, consequence in (("Hembesök", "1", "4"), ("Sociala medier", "4", "4")):
        response = post_form(norr, f"{NORR}/risk/{risks[activity]}", risk_form(
            activity, likelihood=likelihood, consequence=consequence, base_version=base_version(norr, NORR)))
        assert response.status_code == 302
    add_risk(norr, NORR, activity="  GÅVOR ", likelihood="3", consequence="2")  # by hand, same title: 6 medium
    add_risk(norr, NORR, activity="Jäv vid bygglov", likelihood="1", consequence="1")
    # Hembesök 12 high -> 4 medium: down; Sociala medier 4 medium -> 16 high: up; Upphandling
    # 3 low kept: same; Gåvor 6 -> 6 medium (matched by title): same; Jäv: new; Inbrott: gone.
    text = page(norr, f"{NORR}/jamforelse")
    counts = text.split('class="data year-counts"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r"<td>(\d+)</td>", counts) == ["1", "1", "1", "1", "2", "0"]
    rows = dict(re.findall(r'<th scope="row">([^<]+?)(?:<br>.*?)?</th>\s*<td>([^<]+)</td>',
                           text.split('class="data year-risks"', 1)[1].split("</table>", 1)[0]))
    assert rows == {"Jäv vid bygglov": "Nya", "Inbrott": "Borttagna", "Sociala medier": "Högre nivå",
                    "Hembesök": "Lägre nivå", "Upphandling": "Oförändrad nivå", "GÅVOR": "Oförändrad nivå"}
    assert "Jämför med förra året" in page(norr, NORR)
    # City-wide: only submitted registers count; Norra's is a draft until it submits.
    analyst = as_role("analyst")
    city_text = page(analyst, f"/risker/{NEW_ROUND}/jamforelse")
    norr_row = city_text.split("Norra stadsdelsnämnden</a></th>", 1)[1].split("</tr>", 1)[0]
    assert "Ej inskickat" in norr_row
    assert submit(norr, NORR).status_code == 302
    city_text = page(analyst, f"/risker/{NEW_ROUND}/jamforelse")
    norr_row = city_text.split("Norra stadsdelsnämnden</a></th>", 1)[1].split("</tr>", 1)[0]
    assert re.findall(r"<td>([^<]*)</td>", norr_row) == ["Granskning 2025", "1", "1", "1", "1", "2", "0"]
    syd_row = city_text.split("Södra stadsdelsnämnden</a></th>", 1)[1].split("</tr>", 1)[0]
    assert "Ej inskickat" in syd_row
    totals = city_text.split("<tfoot>", 1)[1].split("</tfoot>", 1)[0]
    assert "Summa (1 enheter)" in totals
    assert re.findall(r"<td>(\d+)</td>", totals) == ["1", "1", "1", "1", "2", "0"]
    assert f"/risker/{NEW_ROUND}/jamforelse" in page(analyst, f"/risker/{NEW_ROUND}")


# --- what misleads ----------------------------------------------------------------------------

def test_an_empty_register_is_submitted_only_with_a_statement(city, as_role):
    with city.app_context():
        make_risk_round(key=NEW_ROUND, year=2026)
    syd = as_role("other_editor")
    refused = submit(syd, SYD)
    assert refused.status_code == 400
    assert "Skriv varför ingen risk för otillåten påverkan bedöms finnas" in text_of(refused)
    assert "Inskickat utan risker" not in page(syd, SYD)
    statement = "Enheten har ingen myndighetsutövning och inga kontakter med klienter."
    assert submit(syd, SYD, no_risks=statement).status_code == 302
    text = page(syd, SYD)
    assert "Inskickat utan risker" in text and statement in text
    assert "Enheten bedömer att ingen risk för otillåten påverkan finns." in text
    assert statement in page(syd, f"{SYD}/historik")
    # The unit report and its PDF say so too.
    assert f"Inskickat utan risker. Motivering: {statement}" in page(syd, f"/rapporter/{NEW_ROUND}/enheter/sdn-syd")
    pdf = syd.get(f"/rapporter/{NEW_ROUND}/enheter/sdn-syd.pdf")
    assert pdf.status_code == 200
    pdf_text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert f"Inskickat utan risker. Motivering: {statement}" in pdf_text
    flagged = page(as_role("analyst"), f"/risker/{NEW_ROUND}").split('class="flagged"', 1)[1].split("</ul>", 1)[0]
    syd_item = flagged.split("Södra stadsdelsnämnden", 1)[0].rsplit("<li>", 1)[1]
    assert "Ingen risk" in syd_item and statement in flagged


def test_the_city_overview_says_ingen_risk_only_for_submitted_registers(city, as_role):
    with city.app_context():
        make_risk_round(key=NEW_ROUND, year=2026)
    norr = as_role("unit_editor")
    add_risk(norr, NORR, activity="Hembesök", likelihood="2", consequence="2")  # a draft with a risk
    syd = as_role("other_editor")
    assert submit(syd, SYD, no_risks="Ingen klientkontakt.").status_code == 302
    text = page(as_role("admin"), f"/risker/{NEW_ROUND}")
    flagged = text.split('class="flagged"', 1)[1].split("</ul>", 1)[0]
    items = {re.sub(r"<[^>]+>", "", item).split("–")[0].strip()
             for item in re.findall(r"<li>(.*?)</li>", flagged, re.S)}
    assert items == {"Ingen risk Södra stadsdelsnämnden", "Ej inskickat Norra stadsdelsnämnden",
                     "Ej inskickat Stadens Bostäder AB"}


def test_the_web_matrix_heads_both_axes(city, as_role):
    with city.app_context():
        make_risk_round(key=NEW_ROUND, year=2026)
    text = page(as_role("unit_editor"), NORR)
    table = text.split('class="data chart-table"', 1)[1].split("</thead>", 1)[0]
    assert '<th scope="col" rowspan="2" class="axis-heading">Sannolikhet</th>' in table
    assert '<th scope="colgroup" colspan="4" class="axis-heading">Konsekvens</th>' in table
    assert "Rader: Sannolikhet. Kolumner: Konsekvens." in table


def test_the_edit_form_refuses_on_a_submitted_register(city, as_role):
    with city.app_context():
        make_risk_round(key=NEW_ROUND, year=2026)
    norr = as_role("unit_editor")
    add_risk(norr, NORR, activity="Hembesök", likelihood="2", consequence="2")
    key = risk_key(norr, NORR, "Hembesök")
    assert submit(norr, NORR).status_code == 302
    for url in (f"{NORR}/risk/{key}", f"{NORR}/ny", f"{NORR}/for-vidare"):
        response = norr.get(url)
        assert response.status_code == 409, url
        text = text_of(response)
        assert "Riskregistret är inskickat och kan inte ändras" in text and 'name="activity"' not in text


def test_a_round_without_self_assessment_is_not_titled_one(city, as_role):
    with city.app_context():
        make_risk_round(key=NEW_ROUND, year=2026, template=FIVE_BY_FIVE, template_key="riskanalys_fem",
                        with_self_assessment=False)
    text = page(as_role("unit_editor"), f"/rapporter/{NEW_ROUND}/enheter/sdn-norr")
    title = re.search(r"<title>(.*?)</title>", text, re.S).group(1)
    assert "självskattning" not in title.lower()
    assert "Norra stadsdelsnämnden – Riskanalys med fem nivåer 2026" in title


# --- a whole register across rounds: who influences, the plan and follow-ups carried --------

def _full_register_last_year(city, as_role):  # type: ignore[no-untyped-def]
    """Norra's submitted 2025 register on the shipped template: Hembesök, reactive (a client and
    'Annan: Granne'), in the internal control plan with its control, owner and decision, one
    open measure with a follow-up and one finished measure."""
    from tests.risks_factory import with_follow_ups

    with city.app_context():
        make_risk_round(key=OLD_ROUND, year=2025)
    norr = as_role("unit_editor")
    data = risk_form("Hembesök", forms=("hot", "vald"), likelihood="3", consequence="4",
                     measures=(("Gå två och två", "Enhetschef", "2025-06-01", "in_progress"),
                               ("Larmknapp", "Fastighetschef", "2025-03-01", "done")),
                     description="Hot i hemmet vid negativa besked.", controls="Larm i bilen.",
                     influencer_kind="reaktiv", influencer_other="Granne", in_plan="1",
                     plan_control="Stickprov på fem ärenden per kvartal.", plan_owner="Enhetschef",
                     plan_decision="SDN 2025/3 § 4", plan_decided_on="2025-02-11",
                     base_version=base_version(norr, OLD))
    data["influencers"] = ["klient", "annan"]
    data = with_follow_ups(data, 0, (("2025-05-02", "Anna Berg", "Görs vid dagbesök, inte kvällsbesök.",
                                      "in_progress"),))
    response = post_form(norr, f"{OLD}/ny", data)
    assert response.status_code == 302, text_of(response)
    assert submit(norr, OLD).status_code == 302
    return norr


def test_a_whole_register_carries_to_the_next_round_on_the_same_template(city, as_role):
    norr = _full_register_last_year(city, as_role)
    with city.app_context():
        make_risk_round(key=NEW_ROUND, year=2026)
    _text, risks, measures = carry_page(norr, NORR)
    home = risks["Hembesök"]
    # The finished measure is not offered; the open one is, with its follow-up left behind.
    assert [action for _i, action, _t in measures[home]] == ["Gå två och två"]
    assert carry(norr, NORR, {home: [measures[home][0][0]]}).status_code == 302
    entry = stored(city, NEW_ROUND)[home]
    assert (entry["likelihood"], entry["consequence"]) == ("3", "4")
    assert entry["influencer_kind"] == "reaktiv"
    assert entry["influencers"] == ["klient", "annan"] and entry["influencer_other"] == "Granne"
    # Still in the plan with its control and owner; last year's board decision is not this year's.
    assert entry["in_plan"] is True and entry["plan_control"] == "Stickprov på fem ärenden per kvartal."
    assert entry["plan_owner"] == "Enhetschef"
    assert not entry.get("plan_decision") and not entry.get("plan_decided_on")
    [measure] = entry["measures"]
    assert measure["action"] == "Gå två och två" and measure["status"] == "in_progress"
    assert not measure.get("follow_ups")
    register = page(norr, NORR)
    assert "Reaktiv: Klient eller brukare, Annan (Granne)" in register
    assert "Kontrollmoment: Stickprov på fem ärenden per kvartal." in register
    assert "Görs vid dagbesök" not in register and "SDN 2025/3" not in register
    assert "Förd vidare från Granskning 2025: Hembesök" in page(norr, f"{NORR}/historik")
    # This year's decision is added, and the register goes in.
    data = risk_form("Hembesök", forms=("hot", "vald"), likelihood="3", consequence="4",
                     measures=(("Gå två och två", "Enhetschef", "2026-06-01", "in_progress"),),
                     influencer_kind="reaktiv", influencer_other="Granne", in_plan="1",
                     plan_control="Stickprov på fem ärenden per kvartal.", plan_owner="Enhetschef",
                     plan_decision="SDN 2026/14 § 7", plan_decided_on="2026-02-10",
                     base_version=base_version(norr, NORR))
    data["influencers"] = ["klient", "annan"]
    assert post_form(norr, f"{NORR}/risk/{home}", data).status_code == 302
    assert submit(norr, NORR).status_code == 302
    plan = norr.get(f"{NORR}/internkontrollplan.csv").get_data(as_text=True)
    assert "SDN 2026/14 § 7" in plan and "Stickprov på fem ärenden per kvartal." in plan


def test_a_whole_register_carries_to_a_template_with_other_scales_and_no_influencer(city, as_role):
    norr = _full_register_last_year(city, as_role)
    with city.app_context():
        make_risk_round(key=NEW_ROUND, year=2026, template=FIVE_BY_FIVE, template_key="riskanalys_fem",
                        with_self_assessment=False)
    text, risks, measures = carry_page(norr, NORR)
    # "vald" is not a form of the 5 × 5 template: named by last year's label, not its key.
    assert "Former av påverkan som inte finns i årets mall förs inte vidare: Våld." in text
    assert "vald" not in text.split('class="hint">Former av påverkan', 1)[1].split("</p>", 1)[0]
    home = risks["Hembesök"]
    response = carry(norr, NORR, {home: [measures[home][0][0]]})
    assert response.status_code == 302, text_of(response)
    entry = stored(city, NEW_ROUND)[home]
    # The 5 × 5 template has other scales and asks neither who influences nor the plan: the texts
    # come over, the rating is asked anew, and "vald" (not a form of the 5 × 5 template) is left out.
    assert entry["likelihood"] is None and entry["consequence"] is None
    assert entry["description"] == "Hot i hemmet vid negativa besked." and entry["forms"] == ["hot"]
    assert not entry.get("influencer_kind") and not entry.get("influencers")
    assert [m["action"] for m in entry["measures"]] == ["Gå två och två"]
    assert "Behöver ny bedömning" in page(norr, NORR)


# --- review: what a refused carry or statement says, who may carry, empty registers city-wide --

def test_a_too_long_statement_is_refused_with_its_length_and_kept(city, as_role):
    with city.app_context():
        make_risk_round(key=NEW_ROUND, year=2026)
    syd = as_role("other_editor")
    assert 'maxlength="5000"' in page(syd, SYD).split('id="no_risks"', 1)[1].split(">", 1)[0]
    statement = "Ingen klientkontakt." + "x" * 4981  # 20 + 4981 = 5001 characters, one too many
    refused = submit(syd, SYD, no_risks=statement)
    assert refused.status_code == 400
    text = text_of(refused)
    assert "Motiveringen till varför ingen risk finns: texten är längre än 5000 tecken" in text
    assert "Skriv varför ingen risk" not in text
    assert f">{statement}</textarea>" in text  # what was typed is still there
    assert "Inskickat utan risker" not in page(syd, SYD)
    # A browser counts a line break as one character against maxlength but sends it as CRLF:
    # 8 + 1 + 4991 = 5000 characters as counted there is accepted, and kept with one line break.
    statement = "Rad ett.\r\n" + "y" * 4991
    assert submit(syd, SYD, no_risks=statement).status_code == 302
    assert stored(city, NEW_ROUND, "sdn-syd")["no_risks"] == "Rad ett.\n" + "y" * 4991


def test_a_refused_carry_names_the_risk_and_the_field(city, as_role):
    norr = last_year(city, as_role)
    # Last year's register as an earlier version of the app could store it: Hembesök's first
    # measure without its action.
    with city.app_context():
        response = db.session.scalar(select(UnitResponse).join(Round).where(Round.key == OLD_ROUND))
        answers = copy.deepcopy(response.answers)
        home = next(k for k, v in answers.items() if isinstance(v, dict) and v.get("activity") == "Hembesök")
        answers[home]["measures"][0]["action"] = ""
        response.answers = answers
        db.session.commit()
    refused = carry(norr, NORR, {home: ["0"]})
    assert refused.status_code == 400
    text = text_of(refused)
    assert "Riskerna kunde inte föras vidare: Hembesök – Åtgärd 1: beskriv åtgärden" in text
    assert f"{home}-measure" not in text and "-action:" not in text
    assert f'name="risk" value="{home}" checked' in text  # the choice is kept
    assert stored(city, NEW_ROUND) is None


def test_a_reader_and_another_units_editor_cannot_carry(city, as_role):
    norr = last_year(city, as_role)
    _text, risks, _m = carry_page(norr, NORR)
    version = base_version(norr, NORR)
    for role in ("unit_reader", "other_editor"):
        client = as_role(role)
        assert client.get(f"{NORR}/for-vidare").status_code == 403, role
        response = carry(client, NORR, {risks["Hembesök"]: []}, version=version)
        assert response.status_code == 403, role
    assert stored(city, NEW_ROUND) is None
    assert "Förd vidare" not in page(norr, NORR)


def _empty_and_draft(city, as_role):  # type: ignore[no-untyped-def]
    """Norra keeps a draft with one risk (one measure), Södra submits without risks, the company
    does nothing."""
    with city.app_context():
        make_risk_round(key=NEW_ROUND, year=2026)
    norr = as_role("unit_editor")
    add_risk(norr, NORR, activity="Hembesök", likelihood="2", consequence="2",
             measures=(("Gå två och två", "Enhetschef", "2026-06-01", "planned"),))
    assert submit(as_role("other_editor"), SYD, no_risks=NO_RISK).status_code == 302


NO_RISK = "Ingen klientkontakt och ingen myndighetsutövning."


def test_the_exports_hold_a_register_submitted_without_risks(city, as_role):
    _empty_and_draft(city, as_role)
    analyst = as_role("analyst")
    body = analyst.get(f"/risker/{NEW_ROUND}/export/riskregister.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    # Norra's draft: its one risk with its one measure; Södra: one row, no risk, the statement.
    # The company has no register: no row.
    assert [(r["enhet"], r["status"], r["ingen risk – motivering"], r["verksamhet"], r["åtgärd"]) for r in rows] == [
        ("sdn-norr", "Utkast", "", "Hembesök", "Gå två och två"),
        ("sdn-syd", "Inskickad", NO_RISK, "", "")]
    assert all(value == "" for name, value in rows[1].items()
               if name not in ("enhet", "enhetsnamn", "status", "ingen risk – motivering"))
    sheet = load_workbook(io.BytesIO(analyst.get(f"/risker/{NEW_ROUND}/export/riskregister.xlsx").data)).active
    header = [c.value for c in sheet[1]]
    assert sheet.max_row == 1 + 2
    syd = {name: cell.value for name, cell in zip(header, sheet[3], strict=True)}
    assert (syd["enhet"], syd["status"], syd["ingen risk – motivering"]) == ("sdn-syd", "Inskickad", NO_RISK)
    assert not syd["risk"] and not syd["sannolikhet"]
    result = city.test_cli_runner().invoke(args=["export", NEW_ROUND, "--what", "risks", "--format", "json"])
    assert result.exit_code == 0, result.output
    exported = json.loads(result.output)
    assert [(r["enhet"], r["status"], r["ingen risk – motivering"], r["risk"] != "") for r in exported] == [
        ("sdn-norr", "Utkast", "", True), ("sdn-syd", "Inskickad", NO_RISK, False)]
    # The unit's internal control plan is about risks in the plan: Södra's has none.
    plan = as_role("other_editor").get(f"{SYD}/internkontrollplan.csv").get_data(as_text=True)
    assert plan.lstrip("\ufeff").strip().splitlines()[1:] == []


def test_the_city_report_says_ingen_risk_only_for_submitted_registers(city, as_role, tmp_path):
    _empty_and_draft(city, as_role)
    raw = as_role("analyst").get(f"/lagesbild/{NEW_ROUND}/rapport").get_data(as_text=True)
    page = " ".join(re.sub(r"<[^>]+>", " ", html.unescape(raw)).split())
    section = page.split("Enheter utan dokumenterade risker", 1)[1].split("Bilaga", 1)[0]
    assert f"Södra stadsdelsnämnden: Ingen risk – inskickat med motiveringen: {NO_RISK}" in section
    assert "Norra stadsdelsnämnden: Ej inskickat" in section
    assert "Stadens Bostäder AB: Ej inskickat" in section
    assert section.count("Ingen risk") == 1
    (tmp_path / "city.pdf").write_bytes(as_role("analyst").get(f"/lagesbild/{NEW_ROUND}/rapport.pdf").data)
    out = subprocess.run(["pdftotext", "-layout", str(tmp_path / "city.pdf"), "-"], capture_output=True,
                         text=True, check=True).stdout
    section = " ".join(out.split("Enheter utan dokumenterade risker", 1)[1].split())
    # Södra submitted without risks; Norra's register is a draft (with a risk) and the company's
    # is not started: neither is "Ingen risk".
    assert f"Södra stadsdelsnämnden Ingen risk {NO_RISK}" in section
    assert "Norra stadsdelsnämnden Ej inskickat" in section
    assert "Stadens Bostäder AB Ej inskickat" in section
    assert section.count("Ingen risk") == 1
