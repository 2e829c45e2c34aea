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
    stod = part.split("Per bakgrundsfråga")[0].split(STOD_QUESTION)[-1]  # its chart, not the breakdowns
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


def respond_in(app, unit: str, stod: str, area: str) -> None:  # type: ignore[no-untyped-def]
    """One more respondent of `unit` working in `area` (verksamhetsomrade, a background question)."""
    from datetime import date

    from app.definitions.schema import Definition
    from app.models.survey import SurveyDraft
    from app.services import transaction
    from app.services.rounds import get_round
    from app.services.survey import complete, save_page, set_open_link, start_open_link
    from tests.test_city import survey_answers

    with transaction() as session:
        round_ = get_round(session, "granskning-2026")
        invitation = next(i for i in round_.invitations if i.unit.key == unit)
        token = invitation.open_link_token or set_open_link(session, round_, invitation.unit_id)
    secret = str(app.config["SECRET_KEY"])
    started = start_open_link(secret, token, "test", 10**6, date.today())
    with transaction() as session:
        draft = session.get(SurveyDraft, started.draft_id)
        survey_version = get_round(session, "granskning-2026").version_of_kind("survey")
        definition = Definition.model_validate(survey_version.definition)
        answers = survey_answers(stod)
        answers["bakgrund"]["verksamhetsomrade"] = {"value": area}
        for section, posted in answers.items():
            assert not save_page(session, draft, definition, section, posted, "next", date.today()).errors
    assert complete(secret, started.draft_id, date.today()) == []


def test_a_unit_shows_its_staff_by_background_group_where_the_threshold_allows(city_rounds, as_role):  # noqa: F811
    """Norra gets eight more respondents: 6 in "Barn och familj" (3 ja, 3 nej on stod) and 2 in
    "Äldreomsorg" (2 ja), besides its 6 in "Ekonomiskt bistånd" (5 ja, 1 nej): 14 in all.
    - Ekonomiskt bistånd: 6 ≥ 5 shown, its stod index 500 / 6 = 83,3;
    - Äldreomsorg: 2 < 5 hidden;
    - Barn och familj: 6, but with it shown 14 − 6 − 6 = 2 would give Äldreomsorg's two: hidden
      too (complementary), so what is shown (14 and 6) leaves 8, two groups together.
    The city's split hides both small groups too (Norra's are the city's only ones)."""
    with city_rounds.app_context():
        from app.extensions import db
        from tests.test_city import release_all

        for stod in ("ja", "ja", "ja", "nej", "nej", "nej"):
            respond_in(city_rounds, "sdn-norr", stod, "barn_familj")
        for stod in ("ja", "ja"):
            respond_in(city_rounds, "sdn-norr", stod, "aldreomsorg")
        release_all(city_rounds, "granskning-2026")
        db.session.remove()

    def rows(html: str, caption: str) -> dict[str, list[str]]:
        table = html.split(f"<caption>{caption}</caption>")[1].split("</table>")[0]
        return {label: re.findall(r"<td>([^<]*)</td>", cells)
                for label, cells in re.findall(r'<tr><th scope="row">([^<]*)</th>(.*?)</tr>', table, re.S)}

    area = "Inom vilket verksamhetsområde arbetar du?"
    page = as_role("unit_reader").get(NORR).get_data(as_text=True)
    part = survey_part(page)
    assert "Norra stadsdelsnämnden: 14 svarande." in part
    breakdowns = part.split("<h3>Per bakgrundsfråga</h3>")[1]
    indicators = re.findall(r"<li>([^<]*)</li>", breakdowns.split("</ol>")[0])
    stod = indicators.index(next(i for i in indicators if "stöd" in i))
    by_area = rows(breakdowns, area)
    assert by_area["Ekonomiskt bistånd"][0] == "6" and by_area["Ekonomiskt bistånd"][1 + stod] == "83,3"
    assert set(by_area["Äldreomsorg"]) == {"–"}
    assert set(by_area["Barn och familj"]) == {"–"}
    assert 'role="region" tabindex="0"' in breakdowns

    city = rows(as_role("analyst").get("/lagesbild/granskning-2026/enkat").get_data(as_text=True), area)
    assert set(city["Äldreomsorg"]) == {"–"} and set(city["Barn och familj"]) == {"–"}

    admin = as_role("admin")
    results = admin.get("/admin/enkat/granskning-2026/resultat?cell=sdn-norr").get_data(as_text=True)
    by_area = rows(results.split("<h2>Per bakgrundsfråga</h2>")[1], area)
    assert by_area["Ekonomiskt bistånd"][0] == "6" and by_area["Ekonomiskt bistånd"][1 + stod] == "83,3"
    assert set(by_area["Äldreomsorg"]) == {"–"} and set(by_area["Barn och familj"]) == {"–"}
    assert "Antal svarande – 6 – – – –" in pdf_text(admin.get("/admin/enkat/granskning-2026/resultat.pdf").data)

    pdf = pdf_text(as_role("unit_reader").get(NORR + ".pdf").data)
    assert "Per bakgrundsfråga" in pdf
    # A column per area (alphabetically), a row of respondents and one per question: only
    # Ekonomiskt bistånd is shown.
    assert "Antal svarande – 6 – – – –" in pdf
    assert "arbetsgivare? – 83,3 – – – –" in pdf


def test_a_units_split_never_costs_a_figure_the_city_outputs_show(app):
    """In the demo city Socialnämnden's 34 staff split by gender would leave a group learnable
    only if Socialnämnden's own figures were hidden: its split is left out instead, so its
    report keeps its figures, while Södermalm's report shows its split. The release decides it
    in the one layout; every cell the city's split alone would show stays shown."""
    from app.extensions import db
    from app.models import Round
    from app.services.survey_release import release
    from tests.conftest import login
    from tests.test_demo import THIS_YEAR, run_demo

    output = run_demo(app)
    with app.app_context():
        found = release(db.session, db.session.scalar(
            db.select(Round).where(Round.key == f"granskning-{THIS_YEAR}")))
        assert found is not None
        decision = found.decision
        assert decision.shown(("group", "socialnamnden"))
        assert not any(decision.shown(cell) for cell in decision.status
                       if cell[0] == "by" and cell[3:] == ("group", "socialnamnden"))
        assert any(decision.shown(cell) for cell in decision.status
                   if cell[0] == "by" and cell[3:] == ("group", "sdn-sodermalm"))
    password = re.search(r"admin@lagesbild\.example\s+password: (\S+)", output).group(1)  # type: ignore[union-attr]
    client = app.test_client()
    login(client, "admin@lagesbild.example", password)
    base = f"/rapporter/granskning-{THIS_YEAR}/enheter"
    social = survey_part(client.get(f"{base}/socialnamnden").get_data(as_text=True))
    assert re.search(r"Socialnämnden: \d+ svarande\.", social) and "Per bakgrundsfråga" not in social
    sodermalm = survey_part(client.get(f"{base}/sdn-sodermalm").get_data(as_text=True))
    assert "<h3>Per bakgrundsfråga</h3>" in sodermalm
