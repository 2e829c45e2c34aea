"""One release of survey figures per round: every output (the admin's results, the city's
exports and pages, the unit reports, the PDFs) shows cells of one decision, so that no two
outputs together give away a group below the threshold."""

from __future__ import annotations

import json
import re

import pytest

from app.config import PROJECT_ROOT
from app.extensions import db
from app.services import transaction
from app.services.questionnaires import load_folder
from app.services.rounds import RoundSpec, change_status, create_round
from app.services.units import UnitRow
from tests.conftest import make_units
from tests.test_city import release_all, respond

SURVEY = PROJECT_ROOT / "questionnaires" / "medarbetarenkat.yaml"
SELF = PROJECT_ROOT / "questionnaires" / "sjalvskattning.yaml"
ROUND = "enkat-2026"
STOD_QUESTION = "upplevde du att du fick det stöd du behövde av din arbetsgivare?"

# Staff answers to "stod" per unit (ja, nej). Norra's own staff are 8; its school, a unit
# below it, has 2 (threshold 5): Norra's roll-up is 10, 2 of them the school's.
STOD = {"soc": (4, 3), "sdn-norr": (6, 2), "norr-skola": (0, 2), "sdn-syd": (5, 1)}


@pytest.fixture
def small_child(city):
    with city.app_context():
        make_units((UnitRow("norr-skola", "Norra skolan", "department", "sdn-norr"),))
        assert load_folder([SELF, SURVEY]).ok
        with transaction() as session:
            created = create_round(session, RoundSpec(ROUND, "Enkät 2026", 2026, ("sjalvskattning", "medarbetarenkat"),
                                                      tuple(STOD)))
            change_status(session, created, "open")
        for unit, (yes, no) in STOD.items():
            for _ in range(yes):
                respond(city, ROUND, unit, "ja")
            for _ in range(no):
                respond(city, ROUND, unit, "nej")
        release_all(city, ROUND)
        db.session.remove()
    return city


def own_on_results_page(client, unit: str) -> tuple[int | None, dict[str, int] | None]:
    """What the admin's results page shows for a unit's own staff: respondents and stod's counts."""
    page = client.get(f"/admin/enkat/{ROUND}/resultat?cell={unit}").get_data(as_text=True)
    found = re.search(r"Antal svarande: (\d+)", page)
    if found is None:
        return None, None
    stod = page.split(STOD_QUESTION)[-1].split("</section>")[0]
    counts = dict(re.findall(r'<th scope="row">([^<]+)</th>\s*<td>[^<]*</td><td>(\d+)</td>', stod))
    return int(found.group(1)), {label: int(n) for label, n in counts.items()} or None


def subtree_in_export(client, unit: str) -> tuple[int | None, dict[str, int] | None]:
    """What the BI export shows for a unit's subtree: respondents and stod's counts (share x base)."""
    rows = json.loads(client.get(f"/lagesbild/{ROUND}/export/survey.json").get_data(as_text=True))
    mine = [r for r in rows if r["unit_key"] == unit and r["breakdown"] == "subtree"]
    respondents = next((r["value"] for r in mine if r["indicator_key"] == "medarbetarenkat.respondents"), None)
    stod = {r["indicator_key"].rsplit(".", 1)[1]: round(r["value"] * r["n"] / 100) for r in mine
            if r["indicator_key"] in ("medarbetarenkat.stod.ja", "medarbetarenkat.stod.nej")}
    return respondents, {"Ja": stod["ja"], "Nej": stod["nej"]} if stod else None


def test_a_units_own_figures_and_its_subtrees_do_not_give_away_a_small_unit_below_it(small_child, as_role):
    admin = as_role("admin")
    own_n, own = own_on_results_page(admin, "sdn-norr")
    subtree_n, subtree = subtree_in_export(admin, "sdn-norr")
    # Norra's own 8 (6 ja, 2 nej) and its subtree's 10 (6 ja, 4 nej) would give the school's
    # 2 respondents and their 2 "nej" exactly.
    assert own_n is None or subtree_n is None, f"subtree {subtree_n} − own {own_n} = the school's respondents"
    assert own is None or subtree is None, f"subtree {subtree} − own {own} = the school's answers"
    # One decision for both: Norra's own staff are hidden, its roll-up (the school inside it) is shown.
    assert (own_n, own) == (None, None)
    assert (subtree_n, subtree) == (10, {"Ja": 6, "Nej": 4})
    # Neither output shows the school itself.
    assert own_on_results_page(admin, "norr-skola") == (None, None)
    assert subtree_in_export(admin, "norr-skola") == (None, None)


def test_the_unit_reports_show_the_same_cells_as_the_results_page_and_the_export(small_child, as_role):
    admin = as_role("admin")
    norr = admin.get(f"/rapporter/{ROUND}/enheter/sdn-norr").get_data(as_text=True)
    # Norra's report shows its roll-up, as the export does; the results page shows no own figure.
    assert "Norra stadsdelsnämnden med underliggande enheter: 10 svarande." in norr
    assert "8 svarande" not in norr
    school = admin.get(f"/rapporter/{ROUND}/enheter/norr-skola").get_data(as_text=True)
    assert "Resultaten visas därför inte" in school and STOD_QUESTION not in school
    page = admin.get(f"/admin/enkat/{ROUND}/resultat").get_data(as_text=True).split("</table>")[0]
    rows = dict(re.findall(r'<th scope="row">(?:<a [^>]*>)?([^<]+)(?:</a>)?</th>\s*<td>([^<]+)</td>', page))
    # Socialnämnden 7, Södra 6, the city 23; Norra's own 8 and the school's 2 hidden.
    assert rows == {"Norra skolan": "För få svar för att visa resultat",
                    "Norra stadsdelsnämnden": "För få svar för att visa resultat",
                    "Socialnämnden": "7", "Södra stadsdelsnämnden": "6", "Totalt": "23"}
