"""Every route in the URL map, for every role, against one declared table of who may do what:
each route names the permission of app/policy.py it needs (and whether it is about the unit it
names), and the roles allowed follow from the policy's permission map.

A route without an entry in ROUTES fails `test_every_route_is_declared`: adding a page means
deciding who may see it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from app.policy import PERMISSIONS, Permission, Role

# Who walks: one persona of each role (tests/conftest.py `city`). The unit routes below name
# sdn-norr, whose editor@ and reader@ read it; other@ edits sdn-syd only.
PERSONAS: dict[str, Role] = {"unit_reader": Role.UNIT_READER, "other_editor": Role.UNIT_EDITOR,
                             "unit_editor": Role.UNIT_EDITOR, "analyst": Role.ANALYST, "admin": Role.ADMIN}
OF_OTHER_UNITS = frozenset({"other_editor"})
ROLES = ("anonymous", *PERSONAS)
EVERYONE = frozenset(ROLES)
LOGGED_IN = EVERYONE - {"anonymous"}


def holders(permission: Permission, *, unit: bool = False) -> frozenset[str]:
    """The personas whose role holds `permission` in app/policy.py; with `unit`, only those who
    read the unit the route names (sdn-norr)."""
    found = frozenset(p for p, role in PERSONAS.items() if role in PERMISSIONS[permission])
    return found - OF_OTHER_UNITS if unit else found


STAFF = holders(Permission.READ_CITY)
ADMIN = holders(Permission.ADMINISTER)


@dataclass(frozen=True)
class Route:
    path: str
    allowed: frozenset[str]
    method: str = "GET"
    # What a logged-in role that is not allowed gets, and what an allowed one gets.
    ok_status: int = 200
    data: dict[str, str] = field(default_factory=dict)


ROUTES: dict[str, Route] = {
    "main.index": Route("/", LOGGED_IN, ok_status=200),
    "main.set_language": Route("/sprak", EVERYONE, method="POST", ok_status=302, data={"language": "en", "next": "/"}),
    "main.privacy": Route("/integritet", EVERYONE),
    "main.accessibility": Route("/tillganglighet", EVERYONE),
    "main.health": Route("/halsa", EVERYONE),
    "auth.login": Route("/login", EVERYONE),
    "auth.logout": Route("/logout", EVERYONE, method="POST", ok_status=302),
    "auth.change_own_password": Route("/konto/losenord", LOGGED_IN),
    "admin.index": Route("/admin/", STAFF),
    "admin.units": Route("/admin/enheter", STAFF),
    "admin.unit_new": Route("/admin/enheter/ny", ADMIN),
    "admin.unit_edit": Route("/admin/enheter/soc", ADMIN),
    "admin.unit_import": Route("/admin/enheter/import", ADMIN),
    "admin.users": Route("/admin/anvandare", ADMIN),
    "admin.user_new": Route("/admin/anvandare/ny", ADMIN),
    "admin.user_edit": Route("/admin/anvandare/1", ADMIN),
    # Ends the sessions of editor@ (user 3), not those of the walking admin.
    "admin.user_end_sessions": Route("/admin/anvandare/3/sessioner/avsluta", ADMIN, method="POST", ok_status=302),
    "admin.audit_log": Route("/admin/logg", ADMIN),
    "admin.audit_log_csv": Route("/admin/logg.csv", ADMIN),
    "questionnaires.index": Route("/admin/formular", STAFF),
    "questionnaires.format_reference": Route("/admin/formular/format", STAFF),
    # No questionnaire is loaded in this walk: an allowed role gets 404, the others 403.
    # The staff survey's respondent pages are public; without a code or draft they send the
    # visitor to the code page (302), an unknown link is 404.
    "survey.enter": Route("/enkat", EVERYONE),
    "survey.open_link": Route("/enkat/l/okand-lank", EVERYONE, ok_status=404),
    "survey.page": Route("/enkat/sida", EVERYONE, ok_status=302),
    "survey.decline_page": Route("/enkat/avboj", EVERYONE, ok_status=302),
    "survey.receipt": Route("/enkat/tack", EVERYONE),
}

# Review-round routes, walked on the city with an open round of the self-assessment that
# invites sdn-norr, sdn-syd and bolag (tests/rounds_factory.py): every object exists.
ROUND = "/admin/omgangar/granskning-2026"
ANSWERS = "/granskning/granskning-2026/sdn-norr/sjalvskattning"
NORR_READERS = holders(Permission.READ_UNITS, unit=True)
NORR_HISTORY = holders(Permission.READ_HISTORY, unit=True)  # who typed what: not analysts
NORR_EDITORS = holders(Permission.EDIT_ANSWERS, unit=True)
RISKS = "/risker/risker-2026/sdn-norr"
SURVEY = "/admin/enkat/enkat-2026"
ROUND_ROUTES: dict[str, Route] = {
    "rounds.index": Route("/admin/omgangar", STAFF),
    "rounds.new": Route("/admin/omgangar/ny", ADMIN),
    "rounds.show": Route(ROUND, STAFF),
    "rounds.not_submitted_csv": Route(f"{ROUND}/ej-inskickade.csv", STAFF),
    "rounds.reopen_response": Route(f"{ROUND}/sdn-norr/sjalvskattning/oppna-igen", ADMIN),
    "rounds.invite": Route(f"{ROUND}/enheter", ADMIN, method="POST", ok_status=302, data={"units": "soc"}),
    "rounds.thresholds": Route(f"{ROUND}/granser", ADMIN, method="POST", ok_status=302,
                               data={"anonymity_threshold": "5", "free_text_threshold": "10"}),
    "answering.index": Route("/granskning/", LOGGED_IN),
    "answering.page": Route(ANSWERS, NORR_READERS),
    "answering.history_page": Route(f"{ANSWERS}/historik", NORR_HISTORY),
    "answering.autosave": Route(f"{ANSWERS}/autosave", NORR_EDITORS, method="POST",
                                data={"base_version": "0"}),
    "reports.unit_page": Route("/rapporter/granskning-2026/enheter/sdn-norr", NORR_READERS),
    "reports.unit_pdf": Route("/rapporter/granskning-2026/enheter/sdn-norr.pdf", NORR_READERS),
    "city.comparison_page": Route("/lagesbild/granskning-2026?kind=district_board&sort=weak", STAFF),
    "city.history_page": Route("/lagesbild/granskning-2026/over-tid", STAFF),
    "city.survey_page": Route("/lagesbild/granskning-2026/enkat", STAFF),
    "city.report_page": Route("/lagesbild/granskning-2026/rapport", STAFF),
    "city.report_pdf": Route("/lagesbild/granskning-2026/rapport.pdf", STAFF),
    "city.export_file": Route("/lagesbild/granskning-2026/export/selfassessment.xlsx", STAFF),
    # The risk register, on rounds of its own (tests/risks_factory.py: seed_access_rounds); the
    # POSTs run in this order on version 1 of the 2026 register: delete, submit (empty, with the
    # statement why no risk applies).
    "risks.index": Route("/risker/", LOGGED_IN),
    "risks.register": Route(RISKS, NORR_READERS),
    "risks.catalogue": Route(f"{RISKS}/katalog", NORR_READERS),
    "risks.new": Route(f"{RISKS}/ny", NORR_EDITORS),
    "risks.history_page": Route(f"{RISKS}/historik", NORR_HISTORY),
    "risks.edit": Route(f"{RISKS}/risk/risk_access1", NORR_EDITORS),
    "risks.plan_xlsx": Route(f"{RISKS}/internkontrollplan.xlsx", NORR_READERS),
    "risks.plan_csv": Route(f"{RISKS}/internkontrollplan.csv", NORR_READERS),
    "risks.city": Route("/risker/risker-2026", STAFF),
    "risks.export_csv": Route("/risker/risker-2026/export/riskregister.csv", STAFF),
    "risks.export_xlsx": Route("/risker/risker-2026/export/riskregister.xlsx", STAFF),
    "risks.year_over_year": Route(f"{RISKS}/jamforelse", NORR_READERS),
    "risks.city_year_over_year": Route("/risker/risker-2026/jamforelse", STAFF),
    # 2025's register is a draft, which is never carried forward: the editor is told so (404).
    "risks.carry_forward": Route(f"{RISKS}/for-vidare", NORR_EDITORS, ok_status=404),
    "risks.delete": Route(f"{RISKS}/risk/risk_access1/ta-bort", NORR_EDITORS, method="POST", ok_status=302,
                          data={"base_version": "1"}),
    "risks.submit": Route(f"{RISKS}/skicka-in", NORR_EDITORS, method="POST", ok_status=302,
                          data={"base_version": "2", "no_risks": "Ingen klientkontakt."}),
    "risks.from_statement": Route("/risker/risker-2025/sdn-norr/pastaende/kultur", NORR_EDITORS, method="POST",
                                  ok_status=302, data={"base_version": "1", "kind": "measure"}),
    "questionnaires.preview": Route("/admin/formular/sjalvskattning/1", STAFF),
    "questionnaires.download_yaml": Route("/admin/formular/sjalvskattning/1.yaml", STAFF),
    "questionnaires.upload": Route("/admin/formular/ny", ADMIN),
    # Without a text: the check page says to choose a file (400), the other steps go back to it.
    "questionnaires.check": Route("/admin/formular/kontrollera", ADMIN, method="POST", ok_status=400),
    "questionnaires.preview_upload": Route("/admin/formular/forhandsgranska", ADMIN, method="POST", ok_status=302),
    "questionnaires.publish_upload": Route("/admin/formular/publicera", ADMIN, method="POST", ok_status=302),
    # The round uses version 1: deleting it is refused, back to the list.
    "questionnaires.delete": Route("/admin/formular/sjalvskattning/1/ta-bort", ADMIN, method="POST", ok_status=302),
    # The staff survey of its own round (SURVEY below), with one completed response whose
    # comment (a free text) has the id "text1".
    "survey_admin.index": Route(SURVEY, STAFF),
    "survey_admin.results": Route(f"{SURVEY}/resultat", STAFF),
    "survey_admin.results_csv": Route(f"{SURVEY}/resultat.csv", STAFF),
    "survey_admin.results_xlsx": Route(f"{SURVEY}/resultat.xlsx", STAFF),
    "survey_admin.results_pdf": Route(f"{SURVEY}/resultat.pdf", STAFF),
    "survey_admin.head_counts": Route(f"{SURVEY}/antal", ADMIN, method="POST", ok_status=302,
                                      data={"head-sdn-norr": "12"}),
    "survey_admin.codes": Route(f"{SURVEY}/koder", ADMIN, method="POST",
                                data={"unit": "sdn-norr", "count": "2", "format": "csv"}),
    "survey_admin.open_link": Route(f"{SURVEY}/lank", ADMIN, method="POST", ok_status=302, data={"unit": "sdn-norr"}),
    "survey_admin.review": Route(f"{SURVEY}/fritext", ADMIN),
    "survey_admin.review_one": Route(f"{SURVEY}/fritext/text1", ADMIN, method="POST", ok_status=302,
                                     data={"action": "approve"}),
    # Last: it closes the round.
    "rounds.change": Route(f"{ROUND}/status", ADMIN, method="POST", ok_status=302, data={"action": "close"}),
}

# Pages a logged-in user is sent away from (to the start page) rather than shown.
REDIRECTS_WHEN_LOGGED_IN = {"auth.login"}
# The start page sends staff on to their overview.
STAFF_REDIRECTS = {"main.index"}
# Steps that, posted after the login session ended, show the posted text to send again (401)
# instead of the login page.
KEEPS_POSTED_TEXT = {"questionnaires.check", "questionnaires.preview_upload", "questionnaires.publish_upload"}


def test_every_route_is_declared(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    undeclared = sorted(endpoints - set(ROUTES) - set(ROUND_ROUTES))
    assert not undeclared, f"routes without an access declaration: {undeclared}"


def test_a_new_undeclared_route_makes_the_suite_fail(app):
    app.add_url_rule("/hemlig", "secret_page", lambda: "secret")
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert sorted(endpoints - set(ROUTES) - set(ROUND_ROUTES)) == ["secret_page"]


def expected_status(endpoint: str, route: Route, role: str) -> set[int]:
    if role in route.allowed:
        if role != "anonymous" and endpoint in REDIRECTS_WHEN_LOGGED_IN:
            return {302}
        if role in STAFF and endpoint in STAFF_REDIRECTS:
            return {302}
        return {route.ok_status}
    if role == "anonymous":
        return {401} if endpoint in KEEPS_POSTED_TEXT else {302}  # else to the login page
    return {403}


def _walk(as_role, role: str, routes: dict[str, Route]) -> list[str]:
    client = as_role(role)
    from tests.conftest import csrf_token

    token = csrf_token(client)
    failures = []
    for endpoint, route in routes.items():
        if route.method == "GET":
            response = client.get(route.path)
        else:
            response = client.post(route.path, data={"csrf_token": token, **route.data})
        # A streamed body (CSV) holds its request context until it is read or closed.
        response.close()
        allowed = expected_status(endpoint, route, role)
        if response.status_code not in allowed:
            failures.append(f"{role} {route.method} {route.path}: {response.status_code}, expected {allowed}")
        if role == "anonymous" and response.status_code == 302 and role not in route.allowed:
            assert response.headers["Location"].startswith("/login")
        if endpoint == "auth.logout":  # log in again for the routes after it
            client = as_role(role)
            token = csrf_token(client)
    return failures


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_the_table_allows(as_role, role):
    failures = _walk(as_role, role, ROUTES)
    assert not failures, "\n".join(failures)


@pytest.fixture
def review_round(city):
    from tests.risks_factory import seed_access_rounds
    from tests.rounds_factory import make_round

    with city.app_context():
        make_round()
        seed_access_rounds()
    _survey_round_with_one_free_text(city)


def _survey_round_with_one_free_text(city):  # type: ignore[no-untyped-def]
    from sqlalchemy import select, update

    from app.config import PROJECT_ROOT
    from app.extensions import db
    from app.models.survey import SurveyText
    from app.services import transaction
    from app.services.questionnaires import load_folder
    from app.services.rounds import RoundSpec, change_status, create_round
    from tests.test_survey import ROUND_KEY, UNITS, admin_client, new_codes, respond_with_code

    with city.app_context():
        assert load_folder([PROJECT_ROOT / "questionnaires" / "medarbetarenkat.yaml"]).ok
        with transaction() as session:
            created = create_round(session, RoundSpec(key=ROUND_KEY, name="Medarbetarenkät 2026", year=2026,
                                                      questionnaire_keys=("medarbetarenkat",), unit_keys=UNITS))
            change_status(session, created, "open")
    code = new_codes(admin_client(city), "sdn-norr", 1)[0]
    respond_with_code(city, code, {"avslutning": {"q-kommentarer": "En kommentar."}})
    with city.app_context(), transaction() as session:
        # The one response waits for others of its unit; set up the review routes with it
        # released, as closing the round would (the round stays open for the routes' walk).
        from app.models import Round
        from app.services.survey import release_waiting

        release_waiting(session, session.scalar(select(Round).where(Round.key == ROUND_KEY)))
    with city.app_context(), transaction() as session:
        # Random ids cannot be named in a table of routes: give the one text a known id.
        session.execute(update(SurveyText).where(SurveyText.question_key == "kommentarer").values(id="text1"))
    with city.app_context():
        assert db.session.get(SurveyText, "text1") is not None


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_the_table_allows_in_a_round(as_role, review_round, role):
    failures = _walk(as_role, role, ROUND_ROUTES)
    assert not failures, "\n".join(failures)


def test_forbidden_and_missing_look_different_only_to_those_allowed(as_role):
    reader = as_role("unit_reader")
    assert reader.get("/admin/enheter/finns-inte").status_code == 403
    assert reader.get("/admin/enheter/soc").status_code == 403
    assert as_role("admin").get("/admin/enheter/finns-inte").status_code == 404


# --- a round in draft, anonymous posts, history links ---------------------------------------------

def test_units_get_404_for_their_report_of_a_round_still_in_draft(city, as_role):
    from app.services import transaction
    from app.services.rounds import change_status, get_round
    from tests.rounds_factory import make_round

    with city.app_context():
        make_round(open_it=False)
    report = "/rapporter/granskning-2026/enheter/sdn-norr"
    for role in ("unit_editor", "unit_reader"):
        client = as_role(role)
        # As every other unit route of a round in draft.
        assert client.get(ANSWERS).status_code == 404
        assert client.get(report).status_code == 404
        assert client.get(f"{report}.pdf").status_code == 404
    for role in STAFF:
        client = as_role(role)
        assert client.get(report).status_code == 200
        assert client.get(f"{report}.pdf").status_code == 200
    with city.app_context(), transaction() as session:
        change_status(session, get_round(session, "granskning-2026"), "open")
    for role in ("unit_editor", "unit_reader"):
        assert as_role(role).get(report).status_code == 200


def test_an_anonymous_post_tells_nothing_about_which_units_are_invited(city):
    """Posting to an answering address without a session shows what was posted, to send again
    after logging in, and the same page whether the address names an invited unit (of an open or
    a draft round), a unit not invited, or nothing at all: no unit name, no question."""
    import re

    from tests.rounds_factory import make_round

    with city.app_context():
        make_round()  # invites sdn-norr, sdn-syd and bolag, not soc
        make_round("utkast-2026", open_it=False)
    paths = (ANSWERS, "/granskning/utkast-2026/sdn-norr/sjalvskattning",
             "/granskning/granskning-2026/soc/sjalvskattning", "/granskning/granskning-2026/finns-inte/sjalvskattning",
             "/granskning/finns-inte/sdn-norr/sjalvskattning", "/granskning/granskning-2026/sdn-norr/finns-inte")
    data = {"csrf_token": "gammal", "base_version": "3", "action": "save", "q-risksyn": "Min text <b>här</b>."}
    answers = set()
    for path in paths:
        response = city.test_client().post(path, data=data)
        page = response.get_data(as_text=True)
        assert response.status_code == 401, path
        for name in ("Norra stadsdelsnämnden", "Socialnämnden", "Gemensam granskning", "Hur ser nämnden"):
            assert name not in page, (path, name)
        assert "Min text &lt;b&gt;här&lt;/b&gt;." in page and 'href="/login"' in page
        assert f'<form method="post" action="{path}"' in page
        assert re.search(r'<input type="hidden" name="base_version" value="3">', page)
        # Alike but for the address itself and the session's CSRF tokens.
        answers.add(re.sub(r'(name="csrf_token"(?: type="hidden")? value=)"[^"]+"', r"\1", page.replace(path, "PATH")))
    assert len(answers) == 1


def test_every_history_link_on_a_round_page_or_answering_page_opens(city, as_role):
    """The round page links each unit's history to the questionnaire's own history page (the
    risk register keeps its own), and only for those who may read it."""
    import re

    from tests.risks_factory import seed_access_rounds

    with city.app_context():
        seed_access_rounds()  # risker-2025: sdn-norr saved both the self-assessment and the register
    pages = ("/admin/omgangar/risker-2025?formular=sjalvskattning", "/admin/omgangar/risker-2025?formular=riskanalys",
             "/granskning/risker-2025/sdn-norr/sjalvskattning", "/risker/risker-2025/sdn-norr")
    followed = {}
    for role in ("admin", "analyst", "unit_editor", "unit_reader"):
        client = as_role(role)
        links = set()
        for page in pages:
            response = client.get(page)
            links |= set(re.findall(r'<a href="([^"]+)">Historik', response.get_data(as_text=True)))
        for link in links:
            assert client.get(link).status_code == 200, (role, link)
        followed[role] = links
    assert followed["admin"] == {"/granskning/risker-2025/sdn-norr/sjalvskattning/historik",
                                 "/risker/risker-2025/sdn-norr/historik"}
    assert followed["analyst"] == set()
    assert followed["unit_editor"] == followed["unit_reader"] == followed["admin"]
