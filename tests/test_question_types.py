"""Question types own their whole life (issue 16): a city office's own questionnaire answered over
HTTP shows each follow-up under the recommendation it follows, and none hidden by its condition, in
the read-only answers, the unit report (page and PDF) and the answers export; a date question goes
from the form through validation to storage, the page, the report and the export; and nothing
outside app/questions switches on a question's type."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from app.services import transaction
from app.services.questionnaires import load_folder
from app.services.rounds import RoundSpec, change_status, create_round
from tests.conftest import post
from tests.rounds_factory import page_base_version
from tests.test_unit_report import pdf_text, words

ROOT = Path(__file__).resolve().parents[1]
UPPFOLJNING = ROOT / "tests" / "data" / "valid" / "uppfoljning.yaml"
HANDELSER = ROOT / "tests" / "data" / "valid" / "handelser.yaml"
FOLLOW_UP = "Vad återstår och när blir det klart?"
RECOMMENDATIONS = ("rutiner", "utbildning", "rapportering", "riskanalys", "internkontroll", "stod", "samverkan")
TITLES = {
    "rutiner": "1. Ta fram rutiner för att hantera försök till otillåten påverkan",
    "utbildning": "2. Utbilda medarbetare och chefer om otillåten påverkan",
    "rapportering": "3. Säkerställ att händelser rapporteras och följs upp",
    "riskanalys": "4. Inför otillåten påverkan i nämndens riskanalys",
    "internkontroll": "5. Ta med kontroller i internkontrollplanen",
    "stod": "6. Säkerställ stöd till drabbade medarbetare",
    "samverkan": "7. Samverka med polis och andra myndigheter",
}
# Norra's answers: three recommendations not done, whose follow-ups are shown; the one for stöd is
# left empty. The text typed into the follow-up of a done recommendation (rutiner) is hidden by
# its condition and so discarded.
RATED = {"rutiner": "genomford", "utbildning": "delvis", "rapportering": "ej_paborjad",
         "riskanalys": "genomford", "internkontroll": "genomford", "stod": "delvis", "samverkan": "genomford"}
WRITTEN = {"utbildning": "Chefsutbildningen är klar i juni.", "rapportering": "Rutinen tas fram hösten 2026."}
HIDDEN_TEXT = "Denna text hör till en dold följdfråga."
PAGE = "/granskning/uppfoljning-2026/sdn-norr/uppfoljning"


def open_round(key: str, questionnaire: str) -> None:
    with transaction() as session:
        change_status(session, create_round(session, RoundSpec(
            key, f"{questionnaire} 2026", 2026, (questionnaire,), ("sdn-norr", "sdn-syd"))), "open")


@pytest.fixture
def followed_up(city, as_role):
    """Norra's answers to the city office's follow-up, submitted through the answering page."""
    with city.app_context():
        assert load_folder([UPPFOLJNING]).ok
        open_round("uppfoljning-2026", "uppfoljning")
    editor = as_role("unit_editor")
    form: dict[str, object] = {f"q-{key}": value for key, value in RATED.items()}
    form.update({f"q-{key}_uppfoljning": text for key, text in WRITTEN.items()})
    form["q-rutiner_uppfoljning"] = HIDDEN_TEXT
    form.update({"q-antal_handelser": "12", "q-atgarder": ["utbildning", "annat"],
                 "q-atgarder-other": "Dialog med polisen", "action": "submit",
                 "base_version": page_base_version(editor.get(PAGE))})
    response = post(editor, PAGE, form)
    assert response.status_code in (200, 302), response.get_data(as_text=True)
    return city


def text_of(page: str) -> str:
    return words(html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_the_number_range_is_a_hint_to_the_respondent(followed_up, as_role):
    page = as_role("other_editor").get("/granskning/uppfoljning-2026/sdn-syd/uppfoljning").get_data(as_text=True)
    hint = re.search(r'<p class="hint" id="q-antal_handelser-hint">([^<]*)</p>', page)
    assert hint is not None and hint.group(1) == "0–10000 st"
    field = re.search(r'<input[^>]*id="q-antal_handelser"[^>]*>', page)
    assert field is not None and 'aria-describedby="q-antal_handelser-hint q-antal_handelser-unit"' in field.group(0)


def test_read_only_answers_show_each_follow_up_under_its_recommendation_and_no_hidden_one(followed_up, as_role):
    page = as_role("unit_reader").get(PAGE).get_data(as_text=True)
    assert 'id="answer-rutiner_uppfoljning"' not in page
    assert HIDDEN_TEXT not in page
    shown = ("utbildning", "rapportering", "stod")
    for key in RECOMMENDATIONS:
        assert (f'id="answer-{key}_uppfoljning"' in page) == (key in shown), key
    # Each shown follow-up sits inside its recommendation's block, before the next recommendation.
    for key, following in zip(RECOMMENDATIONS, (*RECOMMENDATIONS[1:], "antal_handelser"), strict=True):
        if key in shown:
            start, inner, end = (page.index(f'id="answer-{name}"') for name in
                                 (key, f"{key}_uppfoljning", following))
            assert start < inner < end
            assert '<div class="answer" id=' not in page[start:inner], key
    text = text_of(page)
    assert text.count(FOLLOW_UP) == 3
    # Only stöd's follow-up was shown and left empty: one "Inget svar" on the page.
    assert text.count("Inget svar") == 1
    for key, written in WRITTEN.items():
        rated = "Delvis genomförd" if RATED[key] == "delvis" else "Ej påbörjad"
        assert f"{TITLES[key]} {rated} {FOLLOW_UP} {written}" in text
    assert "12 st" in text and "Dialog med polisen" in text


def assert_report_groups(text: str) -> None:
    """Both the report page and its PDF: each statement with its follow-up right under it."""
    assert HIDDEN_TEXT not in text
    assert text.count(FOLLOW_UP) == 3
    positions = [text.index(TITLES[key], text.index("Bedömningar och motiveringar")) for key in RECOMMENDATIONS]
    assert positions == sorted(positions)
    for index, key in enumerate(RECOMMENDATIONS):
        end = positions[index + 1] if index + 1 < len(positions) else len(text)
        block = text[positions[index]:end]
        if key in WRITTEN:
            assert f"{FOLLOW_UP} {WRITTEN[key]}" in block, key
        elif key == "stod":
            assert f"{FOLLOW_UP} (inget svar)" in block
        else:
            assert FOLLOW_UP not in block, key
        # The questionnaire asks for no motivation: no empty motivation heading either.
        assert "Motivering" not in block and "(ingen motivering)" not in block, key


def test_unit_report_page_and_pdf_put_follow_ups_under_their_statement(followed_up, as_role):
    client = as_role("unit_reader")
    page = client.get("/rapporter/uppfoljning-2026/enheter/sdn-norr")
    assert page.status_code == 200
    text = text_of(page.get_data(as_text=True))
    assert_report_groups(text)
    # The scope section: the number with its unit, the choices with the other-text.
    assert "Hur många händelser rapporterades under året? 12 st" in text
    assert "Vilka åtgärder har genomförts? Utbildning, Annat, nämligen: Dialog med polisen" in text
    pdf = client.get("/rapporter/uppfoljning-2026/enheter/sdn-norr.pdf")
    assert pdf.status_code == 200
    assert_report_groups(pdf_text(pdf.data))


def test_answers_export_lists_follow_ups_after_their_recommendation_and_no_hidden_ones(followed_up):
    result = followed_up.test_cli_runner().invoke(args=["export", "uppfoljning-2026", "--what", "answers",
                                                        "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = [(r["question_key"], r["answer_value"], r["answer_text"]) for r in json.loads(result.output)]
    labels = {"genomford": "Genomförd", "delvis": "Delvis genomförd", "ej_paborjad": "Ej påbörjad"}
    expected: list[tuple[str, object, str]] = []
    for key in RECOMMENDATIONS:
        expected.append((key, RATED[key], labels[RATED[key]]))
        if RATED[key] != "genomford":
            expected.append((f"{key}_uppfoljning", "", WRITTEN.get(key, "")))
    expected += [("antal_handelser", 12, "12 st"),
                 ("atgarder", "utbildning; annat", "Utbildning, Annat, nämligen: Dialog med polisen")]
    assert rows == expected


# --- the date type ---------------------------------------------------------------------------

DATES = "/granskning/handelser-2026/sdn-norr/handelser"


@pytest.fixture
def dated(city):
    with city.app_context():
        assert load_folder([HANDELSER]).ok
        open_round("handelser-2026", "handelser")
    return city


def send(client, data: dict[str, object], action: str = "save"):  # type: ignore[no-untyped-def]
    return post(client, DATES, {**data, "action": action, "base_version": page_base_version(client.get(DATES))})


def test_a_date_question_is_a_date_input_with_its_format_and_range_as_hints(dated, as_role):
    page = as_role("unit_editor").get(DATES).get_data(as_text=True)
    field = re.search(r'<input[^>]*id="q-senaste"[^>]*>', page)
    assert field is not None
    tag = field.group(0)
    for attribute in ('type="date"', 'min="2020-01-01"', 'max="2026-12-31"', r'pattern="\d{4}-\d{2}-\d{2}"',
                      'aria-describedby="q-senaste-hint"', 'value=""'):
        assert attribute in tag, attribute
    hint = re.search(r'<p class="hint" id="q-senaste-hint">([^<]*)</p>', page)
    assert hint is not None
    assert hint.group(1) == "Skriv datumet som ÅÅÅÅ-MM-DD. Från 2020-01-01 till 2026-12-31."


@pytest.mark.parametrize(("typed", "message"), [
    ("1 mars 2026", "Ange ett datum som ÅÅÅÅ-MM-DD, till exempel 2026-03-01."),
    ("2026-02-30", "Ange ett datum som ÅÅÅÅ-MM-DD, till exempel 2026-03-01."),
    ("2019-12-31", "Ange ett datum från 2020-01-01 till 2026-12-31."),
    ("2027-01-01", "Ange ett datum från 2020-01-01 till 2026-12-31."),
])
def test_a_wrong_date_is_refused_naming_the_field_and_keeping_what_was_typed(dated, as_role, typed, message):
    response = send(as_role("unit_editor"), {"q-senaste": typed})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in html.unescape(page)
    assert 'href="#q-senaste"' in page
    assert f'value="{typed}"' in page


def test_a_required_date_must_be_given_before_submitting(dated, as_role):
    response = send(as_role("unit_editor"), {"q-beskrivning": "Hot i telefon."}, action="submit")
    assert response.status_code == 400
    assert "Fyll i ett svar." in response.get_data(as_text=True)


def test_a_date_is_stored_shown_reported_and_exported(dated, as_role):
    response = send(as_role("unit_editor"), {"q-senaste": " 2026-03-01 ", "q-uppfoljd": "2026-03-15",
                                             "q-beskrivning": "Hot i telefon."}, action="submit")
    assert response.status_code in (200, 302)
    read_only = text_of(as_role("unit_reader").get(DATES).get_data(as_text=True))
    assert "När inträffade den senaste händelsen? 2026-03-01" in read_only
    assert "När följdes den upp? 2026-03-15" in read_only
    report = text_of(as_role("unit_reader").get("/rapporter/handelser-2026/enheter/sdn-norr").get_data(as_text=True))
    assert "När inträffade den senaste händelsen? 2026-03-01" in report
    result = dated.test_cli_runner().invoke(args=["export", "handelser-2026", "--what", "answers", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = [(r["question_key"], r["answer_value"], r["answer_text"]) for r in json.loads(result.output)]
    assert rows == [("senaste", "", "2026-03-01"), ("uppfoljd", "", "2026-03-15"),
                    ("beskrivning", "", "Hot i telefon.")]


# --- the rule: no switch on question type outside the types ----------------------------------

QUESTION_CLASS = r"\b(?:Rating|SingleChoice|MultipleChoice|Matrix|Text|Number|Date)Question\b"
SWITCHES = (
    re.compile(r"isinstance\([^)]*" + QUESTION_CLASS),
    re.compile(r"\b(?:q|question|target|item|place)\.(?:type|kind)\s*(?:==|!=|\bin\b|\bnot in\b)"),
    re.compile(r"\.type\s+(?:not\s+)?in\s*\("),
)
# The checker reads the raw YAML's `type` strings before there is any question object.
CHECKER = {Path("app/definitions/references.py")}


def test_no_switch_on_question_type_outside_the_types():
    found = []
    files = [*ROOT.joinpath("app").rglob("*.py"), *ROOT.joinpath("templates").rglob("*.html")]
    for path in files:
        relative = path.relative_to(ROOT)
        if relative.parts[:2] == ("app", "questions") or relative in CHECKER:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if any(pattern.search(line) for pattern in SWITCHES):
                found.append(f"{relative}:{number}: {line.strip()}")
    assert found == []


def test_services_and_reports_do_not_import_the_forms_package():
    found = [f"{path.relative_to(ROOT)}:{number}"
             for folder in ("services", "reports", "questions", "definitions")
             for path in ROOT.joinpath("app", folder).rglob("*.py")
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if re.match(r"\s*(?:from|import)\s+app\.forms\b", line)]
    assert found == []


# --- numbers and dates in a survey: summarised, and suppressed like every survey figure -----------

SURVEY = """\
format: 1
key: handelseenkat
kind: survey
title: Händelser
sections:
  - key: fragor
    title: Frågor
    questions:
      - key: antal
        type: number
        required: false
        text: Hur många gånger har du blivit hotad i år?
        min: 0
        max: 100
        unit: {sv: gånger, en: times}
      - key: senast
        type: date
        required: false
        text: När hände det senast?
"""


@pytest.fixture
def counted_survey(city, tmp_path):
    from tests.test_survey import ROUND_KEY, UNITS

    source = tmp_path / "handelseenkat.yaml"
    source.write_text(SURVEY, encoding="utf-8")
    with city.app_context():
        assert load_folder([source]).ok
        with transaction() as session:
            change_status(session, create_round(session, RoundSpec(
                ROUND_KEY, "Händelseenkät 2026", 2026, ("handelseenkat",), UNITS)), "open")
    return city


def respond(app, unit: str, answers: list[dict[str, str]]) -> None:
    from tests.test_survey import admin_client, new_codes

    for code, answer in zip(new_codes(admin_client(app), unit, len(answers)), answers, strict=True):
        client = app.test_client()
        assert post(client, "/enkat", {"code": code}).status_code == 302
        response = post(client, "/enkat/sida", {**answer, "section": "fragor", "action": "complete"})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def test_numbers_and_dates_in_a_survey_are_summarised_only_where_enough_answered(counted_survey):
    from tests.test_survey import ROUND_KEY, admin_client, close_round

    # The company: five respondents giving 2, 4, 4, 7 and 13, two of them a date as well.
    respond(counted_survey, "bolag", [
        {"q-antal": "2", "q-senast": "2026-02-10"}, {"q-antal": "4"}, {"q-antal": "4", "q-senast": "2026-05-01"},
        {"q-antal": "7"}, {"q-antal": "13"},
    ])
    # Södra: five respondents giving 1, 2, 3, 5 and 9, none a date.
    respond(counted_survey, "sdn-syd", [{"q-antal": str(n)} for n in (1, 2, 3, 5, 9)])
    close_round(counted_survey)
    admin = admin_client(counted_survey)

    def page(cell: str) -> str:
        return text_of(admin.get(f"/admin/enkat/{ROUND_KEY}/resultat?cell={cell}").get_data(as_text=True))

    question = "Hur många gånger har du blivit hotad i år?"
    # By hand: n 5, mean 30/5 = 6. Its median (4) and quartiles (4 and 7) would be three of the
    # five answers themselves: shown only where twice the threshold (10) answered.
    company = page("bolag")
    assert f"{question} Antal svar 5 Medelvärde 6,0 gånger När hände det senast?" in company
    assert "Median" not in company and "Kvartiler" not in company
    # Only two gave a date, fewer than the threshold of five: no earliest or latest date.
    assert "När hände det senast? För få svar på frågan för att visa resultat" in company
    assert "2026-02-10" not in company and "2026-05-01" not in company
    # Södra: mean 20/5 = 4.
    syd = page("sdn-syd")
    assert f"{question} Antal svar 5 Medelvärde 4,0 gånger" in syd and "Median" not in syd
    # All ten, sorted 1 2 2 3 4 4 5 7 9 13: mean 50/10 = 5, median (4 + 4)/2 = 4, quartiles at
    # positions 2.25 and 6.75: 2 + 0.25 × 1 = 2.25 (one decimal, half up: 2,3) and 5 + 0.75 × 2 = 6.5.
    total = page("total")
    assert f"{question} Antal svar 10 Medelvärde 5,0 gånger Median 4,0 gånger Kvartiler 2,3–6,5 gånger" in total
    # The whole city's two dates are the company's two: hidden there too.
    assert "När hände det senast? För få svar på frågan för att visa resultat" in total
    assert "2026-02-10" not in total
