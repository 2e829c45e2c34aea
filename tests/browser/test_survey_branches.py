"""Every branch of the shipped staff survey walked in Chromium, with JavaScript on and off.

Each path answers the survey as a person does (labels, clicks and the keyboard) with an access
code the admin generated, and reaches the receipt. Together the paths make every condition of
the survey hold and fail: the follow-ups on the same page (arbetssatt_hur, rutiner_var,
rapportera_hur on any row of a matrix, utsatt_hur, anmaldes_skal, stod_hur) and the section
"Påverkan du har utsatts för" whose condition is on `utsatt`, a question of an earlier page.

On every page the test checks what is shown against what the server expects, written out by
hand below: the page's number and count, the questions shown before and after answering with
JavaScript on, and every question of the page without JavaScript (the server then discards the
answers to hidden questions). A question whose condition does not depend on the page is shown
the same with JavaScript on and off.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from app.config import PROJECT_ROOT
from app.extensions import db
from app.services import transaction
from app.services.questionnaires import load_folder
from app.services.rounds import RoundSpec, change_status, create_round
from tests.browser.conftest import LiveServer
from tests.conftest import _empty_all_tables, _make_app, make_units, make_user
from tests.test_survey import ROUND_KEY, UNITS, admin_client, new_codes

pytestmark = pytest.mark.browser

# Every question of each page, in order: what a page shows without JavaScript.
SECTION_QUESTIONS = {
    "bakgrund": ["kon", "stadsdel", "verksamhetsomrade"],
    "risk_och_arbetssatt": ["risk", "utbildning", "riktlinjer_gavor", "pratar", "arbetssatt", "arbetssatt_hur",
                            "rutiner_hot_vald", "rutiner_var", "rapportera", "rapportera_hur"],
    "utsatthet": ["utsatt", "utsatt_hur"],
    "senaste_handelsen": ["typ", "av_vem", "anmaldes", "anmaldes_skal", "stod", "stod_hur"],
    "avslutning": ["kommentarer"],
}
TITLES = {
    "bakgrund": "Bakgrund",
    "risk_och_arbetssatt": "Risk, kunskap och arbetssätt",
    "utsatthet": "Egen utsatthet",
    "senaste_handelsen": "Påverkan du har utsatts för",
    "avslutning": "Övriga synpunkter",
}
# Shown with JavaScript on before anything on the page is answered: the questions without a
# condition, and the section whose condition (on an earlier page) holds.
UNCONDITIONAL = {
    "bakgrund": ["kon", "stadsdel", "verksamhetsomrade"],
    "risk_och_arbetssatt": ["risk", "utbildning", "riktlinjer_gavor", "pratar", "arbetssatt", "rutiner_hot_vald",
                            "rapportera"],
    "utsatthet": ["utsatt"],
    "senaste_handelsen": ["typ", "av_vem", "anmaldes", "stod"],
    "avslutning": ["kommentarer"],
}
RISK_ROWS = ("Trakasserier och/eller subtila hot", "Hot och/eller våld", "Skadegörelse",
             "Mutor och andra otillbörliga erbjudanden")
REPORT_ROWS = ("Till chef", "Till polis", "I stadens incidentrapporteringssystem, IA")


# --- a person's actions -----------------------------------------------------------------------

@dataclass(frozen=True)
class Choose:
    """Tick the option labelled `option` of a question (of the row labelled `row` in a matrix)."""

    question: str
    option: str
    row: str | None = None


@dataclass(frozen=True)
class Type:
    """Type into a question's text field (`label`: a field of its own inside the question)."""

    question: str
    text: str
    label: str | None = None


@dataclass(frozen=True)
class Step:
    """One page: where it is, what is done on it, what is then shown, and the button pressed."""

    section: str
    number: int
    count: int
    actions: list[Choose | Type]
    shown_after: list[str]  # with JavaScript on, once the actions are done
    button: str = "Nästa"
    # A page shown again after "Föregående": its answers were saved, so its follow-ups show at once.
    returning: bool = False
    checked_texts: dict[str, str] = field(default_factory=dict)  # question -> text expected in its field


def rows(question: str, option: str, labels: tuple[str, ...]) -> list[Choose]:
    return [Choose(question, option, row) for row in labels]


BACKGROUND = Step("bakgrund", 1, 4, [Choose("kon", "Kvinna"), Choose("stadsdel", "Skärholmen"),
                                     Choose("verksamhetsomrade", "Ekonomiskt bistånd")],
                  ["kon", "stadsdel", "verksamhetsomrade"])
RISK = [*rows("risk", "Hög utsträckning", RISK_ROWS), Choose("utbildning", "Ja, under det senaste året"),
        Choose("riktlinjer_gavor", "Nej"), Choose("pratar", "Ja, vad gäller hot och/eller våld")]

PATHS: dict[str, list[Step]] = {
    # Ja everywhere: every follow-up on "ja" shows, the exposed see the section of an earlier
    # page's condition (and the page count grows when it does), anmaldes_skal (on "nej") stays hidden.
    "ja_everywhere": [
        BACKGROUND,
        Step("risk_och_arbetssatt", 2, 4, [
            *RISK, Choose("arbetssatt", "Ja"), Type("arbetssatt_hur", "Vi går två och två."),
            Choose("rutiner_hot_vald", "Ja"), Type("rutiner_var", "På intranätet"),
            *rows("rapportera", "Ja", RISK_ROWS), Type("rapportera_hur", "Till chefen först."),
        ], SECTION_QUESTIONS["risk_och_arbetssatt"]),
        Step("utsatthet", 3, 4, [Choose("utsatt", "Ja"), Type("utsatt_hur", "Hot i telefon.")],
             ["utsatt", "utsatt_hur"]),
        Step("senaste_handelsen", 4, 5, [
            Choose("typ", "Hot och/eller våld"), Choose("av_vem", "Kund/brukare"),
            *rows("anmaldes", "Ja", REPORT_ROWS), Choose("stod", "Ja"), Type("stod_hur", "Samtal med chefen."),
        ], ["typ", "av_vem", "anmaldes", "stod", "stod_hur"]),
        Step("avslutning", 5, 5, [Type("kommentarer", "Bra enkät.")], ["kommentarer"], button="Skicka in"),
    ],
    # Nej everywhere: no follow-up shows and the section on an earlier page's condition is skipped.
    "nej_everywhere": [
        BACKGROUND,
        Step("risk_och_arbetssatt", 2, 4, [
            *RISK, Choose("arbetssatt", "Nej"), Choose("rutiner_hot_vald", "Nej"),
            *rows("rapportera", "Nej", RISK_ROWS),
        ], UNCONDITIONAL["risk_och_arbetssatt"]),
        Step("utsatthet", 3, 4, [Choose("utsatt", "Nej")], ["utsatt"]),
        Step("avslutning", 4, 4, [], ["kommentarer"], button="Skicka in"),
    ],
    # Each condition the other way round from "ja everywhere" where it can be: "Vet ej" hides a
    # follow-up on "ja", one "Ja" row of a matrix shows a follow-up on any row, an empty optional
    # follow-up is fine, anmaldes_skal shows on one "Nej" row, stod "Nej" hides stod_hur, and an
    # "other" option asks what.
    "each_condition_flipped": [
        BACKGROUND,
        Step("risk_och_arbetssatt", 2, 4, [
            *RISK, Choose("arbetssatt", "Vet ej"), Choose("rutiner_hot_vald", "Ja"),
            Type("rutiner_var", "I pärmen"), Choose("rapportera", "Nej", RISK_ROWS[0]),
            Choose("rapportera", "Ja", RISK_ROWS[1]), *rows("rapportera", "Nej", RISK_ROWS[2:]),
            Type("rapportera_hur", "I IA."),
        ], ["risk", "utbildning", "riktlinjer_gavor", "pratar", "arbetssatt", "rutiner_hot_vald", "rutiner_var",
            "rapportera", "rapportera_hur"]),
        Step("utsatthet", 3, 4, [Choose("utsatt", "Ja")], ["utsatt", "utsatt_hur"]),
        Step("senaste_handelsen", 4, 5, [
            Choose("typ", "Annan för av otillåten påverkan, ange vad"), Type("typ", "Förtal", label="Ange vad"),
            Choose("av_vem", "Anhörig till kund/brukare"), Choose("av_vem", "Politiker"),
            Choose("anmaldes", "Nej", REPORT_ROWS[0]), *rows("anmaldes", "Vet ej", REPORT_ROWS[1:]),
            Type("anmaldes_skal", "Rädd för följderna."), Choose("stod", "Nej"),
        ], ["typ", "av_vem", "anmaldes", "anmaldes_skal", "stod"]),
        Step("avslutning", 5, 5, [], ["kommentarer"], button="Skicka in"),
    ],
    # A change of mind: a follow-up typed and then hidden again on the same page, and "Ja" to
    # utsatt changed to "Nej" after seeing the section it opens. The section goes away, its
    # required questions are never asked, and the hidden follow-up's text is not kept.
    "change_of_mind": [
        BACKGROUND,
        Step("risk_och_arbetssatt", 2, 4, [
            *RISK, Choose("arbetssatt", "Ja"), Type("arbetssatt_hur", "Ändrade mig."), Choose("arbetssatt", "Nej"),
            Choose("rutiner_hot_vald", "Vet ej"), *rows("rapportera", "Nej", RISK_ROWS),
        ], UNCONDITIONAL["risk_och_arbetssatt"]),
        Step("utsatthet", 3, 4, [Choose("utsatt", "Ja")], ["utsatt", "utsatt_hur"]),
        Step("senaste_handelsen", 4, 5, [Choose("typ", "Skadegörelse")], ["typ", "av_vem", "anmaldes", "stod"],
             button="Föregående"),
        Step("utsatthet", 3, 5, [Choose("utsatt", "Nej")], ["utsatt"], returning=True),
        Step("avslutning", 4, 4, [], ["kommentarer"], button="Föregående"),
        Step("utsatthet", 3, 4, [], ["utsatt"], returning=True, button="Föregående"),
        Step("risk_och_arbetssatt", 2, 4, [Choose("arbetssatt", "Ja")], SECTION_QUESTIONS["risk_och_arbetssatt"][:6]
             + ["rutiner_hot_vald", "rapportera"], returning=True, checked_texts={"arbetssatt_hur": ""}),
        Step("utsatthet", 3, 4, [], ["utsatt"], returning=True),
        Step("avslutning", 4, 4, [], ["kommentarer"], button="Skicka in"),
    ],
}


# --- one round, one live server and the codes for the whole module ---------------------------------

@pytest.fixture(scope="module")
def survey_server(tmp_path_factory, postgres_url, _postgres_tables) -> Iterator[tuple[LiveServer, Iterator[str]]]:
    """An open round of the shipped staff survey, served live, with an access code per test."""
    folder = tmp_path_factory.mktemp("branches")
    app = _make_app(postgres_url or f"sqlite:///{folder / 'test.db'}", folder / "instance")
    with app.app_context():
        if postgres_url:
            _empty_all_tables()
        else:
            db.create_all()
        make_units()
        make_user("admin@test.se", "admin")
        assert load_folder([PROJECT_ROOT / "questionnaires" / "medarbetarenkat.yaml"]).ok
        with transaction() as session:
            created = create_round(session, RoundSpec(key=ROUND_KEY, name="Medarbetarenkät 2026", year=2026,
                                                      questionnaire_keys=("medarbetarenkat",), unit_keys=UNITS))
            change_status(session, created, "open")
        db.session.remove()
    codes = new_codes(admin_client(app), "sdn-norr", 2 * len(PATHS))
    server = LiveServer(app)
    server.start()
    yield server, iter(codes)
    server.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(params=[True, False], ids=["javascript", "no_javascript"])
def respondent(request, browser, survey_server):  # type: ignore[no-untyped-def]
    """A new browser with JavaScript on or off, on the code page with a fresh access code."""
    server, codes = survey_server
    context = browser.new_context(base_url=server.url, locale="sv-SE", java_script_enabled=request.param)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/enkat")
    page.get_by_label("Kod").fill(next(codes))
    page.get_by_role("button", name="Fortsätt").click()
    page.wait_for_load_state()
    yield page, request.param
    context.close()


def shown_questions(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [question.get_attribute("data-question") for question in page.locator("[data-question]").all()
            if question.is_visible()]


def act(page, action: Choose | Type) -> None:  # type: ignore[no-untyped-def]
    question = page.locator(f"#question-{action.question}")
    if isinstance(action, Type):
        field = question.get_by_role("textbox", name=action.label) if action.label else question.get_by_role("textbox")
        field.fill(action.text)
        return
    within = question.get_by_role("radiogroup", name=action.row, exact=True) if action.row else question
    within.get_by_label(action.option, exact=True).check()


def press(page, button: str, keyboard: bool) -> None:  # type: ignore[no-untyped-def]
    target = page.get_by_role("button", name=button, exact=True)
    with page.expect_navigation():
        if keyboard:
            target.focus()
            page.keyboard.press("Enter")
        else:
            target.click()


@pytest.mark.parametrize("path", PATHS)
def test_each_branch_reaches_the_receipt_showing_what_the_server_expects(respondent, path):
    page, javascript = respondent
    for number, step in enumerate(PATHS[path], 1):
        where = f"{path}, step {number} ({step.section})"
        assert page.locator("input[name=section]").input_value() == step.section, where
        assert page.get_by_role("heading", level=1, name=TITLES[step.section]).is_visible(), where
        assert page.locator("#progress").inner_text() == f"Sida {step.number} av {step.count}", where
        assert page.locator(".error-summary").count() == 0, where
        everything = SECTION_QUESTIONS[step.section]
        if javascript:
            if not step.returning:
                assert shown_questions(page) == UNCONDITIONAL[step.section], where
        else:
            assert shown_questions(page) == everything, where
        for question, text in step.checked_texts.items():
            field = page.locator(f"#question-{question}").locator("textarea, input[type=text]")
            assert field.input_value() == text, where
        for action in step.actions:
            act(page, action)
        assert shown_questions(page) == (step.shown_after if javascript else everything), where
        # What depends on no answer of this page is shown the same with JavaScript on and off.
        assert set(UNCONDITIONAL[step.section]) <= set(shown_questions(page)), where
        press(page, step.button, keyboard=number % 2 == 0)
    assert page.url.endswith("/enkat/tack"), page.url
    assert page.get_by_role("heading", name="Tack! Ditt svar är sparat.").is_visible()
