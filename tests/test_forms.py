"""Questionnaire forms: any valid definition renders accessibly through the admin preview, and
`validate_answers` refuses hostile answers field by field, discards hidden ones and keeps the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import render_template_string
from werkzeug.datastructures import MultiDict

from app.definitions.schema import Definition, MatrixQuestion, NumberQuestion, TextQuestion
from app.definitions.validate import check_file
from app.forms.builder import answers_from_formdata, build_form, conditions_elsewhere
from app.forms.markup import render_markdown
from app.questions.answers import field_name
from app.questions.conditions import is_shown, missing_required, validate_answers, visible_sections
from app.questions.types import QUESTION_TYPES
from app.services.questionnaires import load_folder
from tests.conftest import post

ROOT = Path(__file__).resolve().parent.parent
ALL_TYPES = ROOT / "tests" / "data" / "valid" / "all_types.yaml"
SHIPPED = ROOT / "questionnaires"

# Written only from docs/questionnaire-format.md (its examples and field tables): every question
# type, an exclusive and an other-option, a question condition and a matrix-row condition.
REFERENCE_YAML = """\
format: 1
key: fran_referensen
kind: unit_questionnaire
title: {sv: Formulär från referenssidan, en: Form from the reference page}
intro: |-
  Första stycket med *betoning*.

  - en punkt
  - en till
scales:
  - key: tregradig
    options:
      - value: ja
        label: {sv: "Ja, tillfredsställande", en: "Yes, satisfactory"}
        score: 100
        colour: green
      - {value: delvis, label: "Delvis, förbättringsområde", score: 50, colour: amber}
      - {value: nej, label: "Nej, behöver ses över omgående", score: 0, colour: red}
  - key: ja_nej_vet_ej
    options:
      - {value: ja, label: Ja}
      - {value: nej, label: Nej}
      - {value: vet_ej, label: Vet ej}
sections:
  - key: del1
    title: Självskattning
    questions:
      - key: kannedom
        type: rating
        text: Nämnden/bolaget har god kännedom om vad otillåten påverkan är
        scale: tregradig
      - key: kon
        type: single_choice
        text: Vilket kön har du?
        breakdown: true
        options:
          - {value: kvinna, label: Kvinna}
          - {value: man, label: Man}
          - {value: annat, label: Annat alternativ}
          - {value: vill_ej_ange, label: Vill ej ange}
      - key: pratar
        type: multiple_choice
        text: Pratar ni regelbundet om otillåten påverkan på din arbetsplats?
        help: Flera alternativ möjliga
        options:
          - {value: nej_inte_alls, label: "Nej, inte alls", exclusive: true}
          - {value: hot_vald, label: "Ja, vad gäller hot och/eller våld"}
          - {value: annat, label: "Annat, ange vad", other: true}
  - key: del2
    title: Anmälan
    questions:
      - key: anmaldes
        type: matrix
        text: Om du tänker på den senaste gången, anmäldes detta?
        scale: ja_nej_vet_ej
        rows:
          - {key: chef, label: Till chef}
          - {key: polis, label: Till polis}
          - {key: ia, label: "I stadens incidentrapporteringssystem, IA"}
      - key: varfor_inte_polis
        type: long_text
        text: Om inte, vad var skälet till detta?
        show_if: {question: anmaldes, row: polis, in: [nej]}
      - key: hur_utsatt
        type: text
        text: Om ja, ange på vilket sätt
        required: false
        show_if: {question: kon, in: [annat]}
      - key: antal_anstallda
        type: number
        text: Hur många anställda har förvaltningen?
        min: 0
        unit: st
      - key: kommentarer
        type: long_text
        text: Har du andra kommentarer eller synpunkter du vill framföra?
        required: false
"""


# --- reading pages as a browser does ----------------------------------------------------------

class Page(HTMLParser):
    """The parts of a page the tests look at: elements by id, labels, legends, visible text,
    and the form data a browser would submit."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.by_id: dict[str, tuple[str, dict[str, str]]] = {}
        self.labels: dict[str, str] = {}
        self.legends: dict[str | None, str] = {}
        self.controls: list[tuple[str, dict[str, str], str]] = []
        self._texts: list[str] = []
        self._open: list[tuple[str, dict[str, str], list[str]]] = []
        self._fieldsets: list[str | None] = []
        self.feed(html)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self._texts).split())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if "id" in attributes:
            self.by_id[attributes["id"]] = (tag, attributes)
        if tag == "fieldset":
            self._fieldsets.append(attributes.get("id"))
        if tag == "input":
            self.controls.append((tag, attributes, ""))
        if tag in ("label", "legend", "textarea"):
            self._open.append((tag, attributes, []))

    def handle_endtag(self, tag: str) -> None:
        if tag == "fieldset":
            self._fieldsets.pop()
        if not self._open or self._open[-1][0] != tag:
            return
        _tag, attributes, parts = self._open.pop()
        content = "".join(parts)
        if tag == "label":
            self.labels[attributes.get("for", "")] = " ".join(content.split())
        elif tag == "legend":
            self.legends[self._fieldsets[-1] if self._fieldsets else None] = " ".join(content.split())
        else:  # a browser drops the newline that starts a text area's content
            self.controls.append((tag, attributes, content.removeprefix("\r\n").removeprefix("\n")))

    def handle_data(self, data: str) -> None:
        self._texts.append(data)
        for _tag, _attributes, parts in self._open:
            parts.append(data)

    def formdata(self) -> MultiDict[str, str]:
        """What submitting the form sends: checked boxes, text inputs and text areas."""
        pairs = []
        for tag, attributes, content in self.controls:
            name = attributes.get("name")
            if not name or "disabled" in attributes or name == "csrf_token":
                continue
            if tag == "textarea":
                pairs.append((name, content))
            elif attributes.get("type") in ("radio", "checkbox"):
                if "checked" in attributes:
                    pairs.append((name, attributes.get("value", "on")))
            elif attributes.get("type") in ("text", "number", None):
                pairs.append((name, attributes.get("value", "")))
        return MultiDict(pairs)

    def summary_links(self) -> list[str]:
        match = re.search(r'<div class="error-summary".*?</div>', self.html, re.S)
        return re.findall(r'href="#([^"]+)"', match.group(0)) if match else []

    def summary(self) -> str:
        match = re.search(r'<div class="error-summary".*?</div>', self.html, re.S)
        return match.group(0) if match else ""


def definition_of(path: Path) -> Definition:
    result = check_file(path)
    assert result.definition is not None, result.errors
    return result.definition


@pytest.fixture
def reference_file(tmp_path: Path) -> Path:
    path = tmp_path / "fran_referensen.yaml"
    path.write_text(REFERENCE_YAML, encoding="utf-8")
    return path


@pytest.fixture
def loaded(city, reference_file):
    """The `city` application with the shipped questionnaires, all_types and the reference one."""
    with city.app_context():
        report = load_folder([SHIPPED, ALL_TYPES, reference_file])
        assert report.ok, report.errors
    return city


@pytest.fixture
def staff(loaded, as_role):
    return as_role("analyst")


# --- (a) a questionnaire written from the reference page renders without a code change --------

def assert_renders_every_question(page: Page, definition: Definition, language: str = "sv") -> None:
    for section in definition.sections:
        assert section.title.get(language) in page.text
        for question in section.questions:
            name = field_name(question.key)
            assert question.text.get(language) in page.text, question.key
            if isinstance(question, TextQuestion | NumberQuestion):
                assert page.by_id[name][0] in ("input", "textarea")
                assert question.text.get(language) in page.labels[name]
                continue
            assert page.by_id[name][0] == "fieldset", question.key
            assert page.legends[name].startswith(question.text.get(language))
            rows = question.rows if isinstance(question, MatrixQuestion) else [None]
            for row in rows:
                group = field_name(question.key, row.key) if row else name
                if row:
                    assert page.by_id[group][0] == "fieldset"
                    assert page.legends[group] == row.label.get(language)
                for index, option in enumerate(definition.options_of(question)):
                    option_id = f"{group}-{index}"
                    assert page.by_id[option_id][1]["value"] == option.value
                    assert page.labels[option_id] == option.label.get(language)
                    if option.colour:
                        assert f"level-{option.colour}" in page.html
                    if option.other:
                        assert field_name(question.key, "other") in page.labels


@pytest.mark.parametrize("key, path", [("all_types", ALL_TYPES), ("fran_referensen", None)])
def test_a_questionnaire_from_the_reference_page_renders_every_question_in_the_preview(
    staff, reference_file, key, path
):
    definition = definition_of(path or reference_file)
    response = staff.get(f"/admin/formular/{key}/1")
    assert response.status_code == 200
    page = Page(response.get_data(as_text=True))
    assert_renders_every_question(page, definition)
    assert "Ingenting sparas" in page.text


def test_every_input_has_a_label_and_every_group_a_legend(staff):
    page = Page(staff.get("/admin/formular/all_types/1").get_data(as_text=True))
    inputs = [attrs for tag, attrs, _ in page.controls if attrs.get("type") != "hidden"]
    assert inputs
    for attributes in inputs:
        assert attributes["id"] in page.labels, attributes["id"]
    fieldsets = [key for key, (tag, _) in page.by_id.items() if tag == "fieldset"]
    assert fieldsets and all(page.legends.get(key) for key in fieldsets)


def test_conditional_items_carry_their_condition_for_the_script(staff):
    html = staff.get("/admin/formular/all_types/1").get_data(as_text=True)
    page = Page(html)
    section = page.by_id["section-uppfoljning"][1]
    assert section["data-show-if-question"] == "utsatt"
    assert section["data-show-if-in"] == '["ja", "delvis"]'
    question = page.by_id["question-beskrivning"][1]
    assert question["data-show-if-row"] == "hot_vald"
    assert 'src="/static/js/conditions.js"' in html and 'src="/static/js/exclusive.js"' in html
    assert 'data-exclusive="true"' in html
    assert " style=" not in html and "<script>" not in html  # the CSP forbids both


def test_intro_texts_are_rendered_as_light_markdown(staff):
    html = staff.get("/admin/formular/fran_referensen/1").get_data(as_text=True)
    assert "<em>betoning</em>" in html
    assert "<li>en punkt</li>" in html


def test_markdown_never_passes_html_through():
    html = render_markdown('Hej <script>alert(1)</script> <img src=x onerror=alert(1)> **fet**')
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "<strong>fet</strong>" in html


def test_the_list_shows_every_questionnaire_with_its_versions(staff):
    page = Page(staff.get("/admin/formular").get_data(as_text=True))
    for key in ("all_types", "fran_referensen", "medarbetarenkat", "riskanalys", "sjalvskattning"):
        assert key in page.text
    assert 'href="/admin/formular/medarbetarenkat/1"' in page.html
    assert "questionnaires/medarbetarenkat.yaml" in page.text


def test_an_unknown_questionnaire_or_version_is_not_found(staff):
    assert staff.get("/admin/formular/finns_inte/1").status_code == 404
    assert staff.get("/admin/formular/medarbetarenkat/2").status_code == 404


def test_unit_users_cannot_preview(loaded, as_role):
    assert as_role("unit_editor").get("/admin/formular/medarbetarenkat/1").status_code == 403
    assert post(as_role("unit_reader"), "/admin/formular/medarbetarenkat/1", {}).status_code == 403


# --- (b) hostile answers ----------------------------------------------------------------------

VALID_ANSWERS: dict[str, Any] = {
    "kon": {"value": "kvinna", "other": ""},
    "verksamhet": {"value": "annat", "other": "Äldreomsorg"},
    "ar_i_yrket": 12,
    "risk_per_kategori": {"rows": {"trakasserier": "lag", "hot_vald": "hog",
                                   "skadegorelse": "ingen", "korruption": "vet_ej"}},
    "utsatt": {"value": "ja", "other": ""},
    "typ_av_paverkan": {"values": ["samtal", "annat"], "other": "Brev hem"},
    "beskrivning": "Hot i telefon",
    "chefen_stod": {"value": "delvis", "motivation": "Stödet kom sent."},
    "ovrigt": "Inget mer.",
}

VALID_FORM: dict[str, Any] = {
    "q-kon": "kvinna",
    "q-verksamhet": "annat",
    "q-verksamhet-other": "Äldreomsorg",
    "q-ar_i_yrket": "12",
    "q-risk_per_kategori-trakasserier": "lag",
    "q-risk_per_kategori-hot_vald": "hog",
    "q-risk_per_kategori-skadegorelse": "ingen",
    "q-risk_per_kategori-korruption": "vet_ej",
    "q-utsatt": "ja",
    "q-typ_av_paverkan": ["samtal", "annat"],
    "q-typ_av_paverkan-other": "Brev hem",
    "q-beskrivning": "Hot i telefon",
    "q-chefen_stod": "delvis",
    "q-chefen_stod-motivation": "Stödet kom sent.",
    "q-ovrigt": "Inget mer.",
}


@dataclass(frozen=True)
class Hostile:
    """One hostile answer, as a form post and as an answers dict, and where it must be refused."""

    form: dict[str, Any]
    answers: dict[str, Any]
    field: str
    code: str
    dropped: str  # the question whose answer must not reach the clean answers
    row: str | None = None  # for a matrix: only this row is dropped
    linked: bool = True  # whether the field exists on the page to link to
    extra: dict[str, Any] = field(default_factory=dict)


HOSTILE = {
    "value outside the scale": Hostile(
        {"q-utsatt": "kanske"}, {"utsatt": {"value": "kanske", "other": ""}},
        "q-utsatt", "not_allowed", "utsatt"),
    "matrix value outside the scale": Hostile(
        {"q-risk_per_kategori-hot_vald": "extrem"},
        {"risk_per_kategori": {"rows": {**VALID_ANSWERS["risk_per_kategori"]["rows"], "hot_vald": "extrem"}}},
        "q-risk_per_kategori-hot_vald", "not_allowed", "risk_per_kategori", row="hot_vald"),
    "exclusive option with others": Hostile(
        {"q-typ_av_paverkan": ["nej_inte_alls", "samtal"], "q-typ_av_paverkan-other": ""},
        {"typ_av_paverkan": {"values": ["nej_inte_alls", "samtal"], "other": ""}},
        "q-typ_av_paverkan", "exclusive", "typ_av_paverkan"),
    "over-long text": Hostile(
        {"q-beskrivning": "x" * 501}, {"beskrivning": "x" * 501},
        "q-beskrivning", "too_long", "beskrivning"),
    "over-long motivation": Hostile(
        {"q-chefen_stod-motivation": "y" * 5001}, {"chefen_stod": {"value": "delvis", "motivation": "y" * 5001}},
        "q-chefen_stod-motivation", "too_long", "chefen_stod"),
    "other text without the other-option": Hostile(
        {"q-verksamhet": "barn_och_familj"}, {"verksamhet": {"value": "barn_och_familj", "other": "Äldreomsorg"}},
        "q-verksamhet-other", "not_allowed", "verksamhet"),
    "other-option without its text": Hostile(
        {"q-verksamhet-other": ""}, {"verksamhet": {"value": "annat", "other": ""}},
        "q-verksamhet-other", "required", "verksamhet"),
    "number out of range": Hostile(
        {"q-ar_i_yrket": "61"}, {"ar_i_yrket": 61}, "q-ar_i_yrket", "range", "ar_i_yrket"),
    "not a number": Hostile(
        {"q-ar_i_yrket": "tolv"}, {"ar_i_yrket": "tolv"}, "q-ar_i_yrket", "not_number", "ar_i_yrket"),
    "not a whole number": Hostile(
        {"q-ar_i_yrket": "2,5"}, {"ar_i_yrket": 2.5}, "q-ar_i_yrket", "not_integer", "ar_i_yrket"),
    "missing required answer": Hostile(
        {"q-kon": None}, {"kon": None}, "q-kon", "required", "kon"),
    "missing matrix row": Hostile(
        {"q-risk_per_kategori-skadegorelse": None},
        {"risk_per_kategori": {"rows": {"trakasserier": "lag", "hot_vald": "hog", "korruption": "vet_ej"}}},
        "q-risk_per_kategori-skadegorelse", "required", "risk_per_kategori", row="skadegorelse"),
    "missing motivation": Hostile(
        {}, {}, "q-chefen_stod-motivation", "required", "chefen_stod", extra={"motivation": "required"}),
    "unknown question key": Hostile(
        {"q-hemlig": "1"}, {"hemlig": "1"}, "q-hemlig", "unknown", "hemlig", linked=False),
    "matrix row that does not exist": Hostile(
        {"q-risk_per_kategori-finns_inte": "lag"},
        {"risk_per_kategori": {"rows": {**VALID_ANSWERS["risk_per_kategori"]["rows"], "finns_inte": "lag"}}},
        "q-risk_per_kategori", "unknown", "risk_per_kategori", row="finns_inte"),
}


@pytest.fixture
def all_types() -> Definition:
    return definition_of(ALL_TYPES)


def patched(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    result = {**base, **changes}
    return {key: value for key, value in result.items() if value is not None}


def test_the_valid_answers_are_valid_as_they_are(all_types):
    validated = validate_answers(all_types, VALID_ANSWERS)
    assert validated.ok, validated.errors
    assert validated.answers == VALID_ANSWERS


@pytest.mark.parametrize("case", HOSTILE.values(), ids=HOSTILE.keys())
def test_validate_answers_refuses_a_hostile_answer_on_its_field(all_types, case):
    answers = patched(VALID_ANSWERS, case.answers)
    if case.extra:  # a required motivation: make the question require one, then leave it out
        question = all_types.question("chefen_stod").model_copy(update=case.extra)
        all_types.sections[2].questions[0] = question  # type: ignore[index]
        answers["chefen_stod"] = {"value": "delvis", "motivation": ""}
    validated = validate_answers(all_types, answers)
    assert [(e.field, e.code) for e in validated.errors] == [(case.field, case.code)]
    clean = validated.answers
    if case.row:
        assert case.row not in clean[case.dropped]["rows"]
        assert clean[case.dropped]["rows"]["trakasserier"] == "lag"  # the good rows stay
    elif case.field.endswith(("-motivation", "-other")):
        part = case.field.rsplit("-", 1)[1]
        assert clean[case.dropped][part] == ""  # the bad text is gone, the choice stays
    else:
        assert case.dropped not in clean
    unrelated = "ar_i_yrket" if case.dropped == "kon" else "kon"
    assert clean[unrelated] == VALID_ANSWERS[unrelated]  # the other answers are kept


@pytest.mark.parametrize("case", [c for c in HOSTILE.values() if not c.extra],
                         ids=[k for k, c in HOSTILE.items() if not c.extra])
def test_the_preview_shows_a_hostile_answers_error_next_to_its_field_and_in_the_summary(staff, case):
    response = post(staff, "/admin/formular/all_types/1", patched(VALID_FORM, case.form))
    assert response.status_code == 200
    page = Page(response.get_data(as_text=True))
    assert "Svaren är giltiga" not in page.text
    error = case.field + "-error"
    if case.linked:
        assert page.by_id[error][0] == "p"
        assert error in page.by_id[case.field][1]["aria-describedby"].split()
        assert page.summary_links() == [case.field]
    else:
        assert case.field in page.summary() and not page.summary_links()


def test_a_valid_post_to_the_preview_is_accepted_and_nothing_is_stored(staff, loaded):
    response = post(staff, "/admin/formular/all_types/1", VALID_FORM)
    page = Page(response.get_data(as_text=True))
    assert "Svaren är giltiga. Ingenting har sparats." in page.text
    assert not page.summary()
    assert "Brev hem" in page.text  # the clean answers are shown, for the admin to check


def test_a_refused_post_shows_what_was_typed_again(staff):
    form = patched(VALID_FORM, {"q-ar_i_yrket": "tolv", "q-beskrivning": "z" * 501})
    page = Page(post(staff, "/admin/formular/all_types/1", form).get_data(as_text=True))
    values = page.formdata()
    assert values["q-ar_i_yrket"] == "tolv"
    assert values["q-beskrivning"] == "z" * 501
    assert values.getlist("q-typ_av_paverkan") == ["samtal", "annat"]
    assert values["q-chefen_stod-motivation"] == "Stödet kom sent."


def test_an_expired_page_shows_the_answers_again_instead_of_losing_them(staff):
    response = staff.post("/admin/formular/all_types/1", data={**VALID_FORM, "csrf_token": "utgången"})
    assert response.status_code == 400
    page = Page(response.get_data(as_text=True))
    assert "Sidan hade varit öppen för länge" in page.text
    assert page.formdata()["q-beskrivning"] == "Hot i telefon"
    assert "Svaren är giltiga" not in page.text


def test_answers_to_a_hidden_question_are_discarded_not_refused(all_types):
    answers = patched(VALID_ANSWERS, {"risk_per_kategori": {"rows": {
        "trakasserier": "lag", "hot_vald": "lag", "skadegorelse": "ingen", "korruption": "vet_ej"}}})
    validated = validate_answers(all_types, answers)
    assert validated.ok
    assert "beskrivning" not in validated.answers  # its row condition (hot_vald = hog) fails
    assert validated.answers["typ_av_paverkan"] == VALID_ANSWERS["typ_av_paverkan"]


def test_answers_in_a_hidden_section_are_discarded_with_those_of_its_questions(all_types):
    answers = patched(VALID_ANSWERS, {"utsatt": {"value": "nej", "other": ""}})
    validated = validate_answers(all_types, answers)
    assert validated.ok, validated.errors
    for hidden in ("typ_av_paverkan", "chefen_stod", "ovrigt"):
        assert hidden not in validated.answers
    assert validated.answers["utsatt"] == {"value": "nej", "other": ""}


def test_a_hidden_question_is_discarded_even_with_an_invalid_answer(all_types):
    answers = patched(VALID_ANSWERS, {"utsatt": {"value": "nej", "other": ""},
                                      "typ_av_paverkan": {"values": ["nej_inte_alls", "samtal"], "other": ""}})
    validated = validate_answers(all_types, answers)
    assert validated.ok and "typ_av_paverkan" not in validated.answers


def test_the_preview_discards_answers_to_hidden_questions_posted_anyway(staff):
    form = patched(VALID_FORM, {"q-utsatt": "nej", "q-typ_av_paverkan": ["nej_inte_alls", "samtal"]})
    page = Page(post(staff, "/admin/formular/all_types/1", form).get_data(as_text=True))
    assert "Svaren är giltiga" in page.text
    shown = re.search(r'<pre class="answers-json">(.*?)</pre>', page.html, re.S)
    assert shown and "typ_av_paverkan" not in shown.group(1) and "chefen_stod" not in shown.group(1)


def test_a_draft_may_leave_required_answers_out_but_not_break_the_rules(all_types):
    draft = {"kon": {"value": "kvinna", "other": ""}, "ar_i_yrket": 99}
    validated = validate_answers(all_types, draft, partial=True)
    assert [(e.field, e.code) for e in validated.errors] == [("q-ar_i_yrket", "range")]
    assert validated.answers == {"kon": {"value": "kvinna", "other": ""}}


def test_required_is_checked_only_in_the_chosen_sections(all_types):
    validated = validate_answers(all_types, {"kon": {"value": "man", "other": ""}}, sections=["bakgrund"])
    assert [(e.field, e.code) for e in validated.errors] == [("q-verksamhet", "required")]


def test_min_and_max_choices_are_enforced(reference_file):
    definition = definition_of(reference_file)
    question = definition.question("pratar").model_copy(update={"min_choices": 2, "max_choices": 2})
    rules = QUESTION_TYPES["multiple_choice"]
    too_few = rules.validate(question, {"values": ["hot_vald"], "other": ""}, definition)
    assert [e.code for e in too_few.errors] == ["too_few"]
    alone = rules.validate(question, {"values": ["nej_inte_alls"], "other": ""}, definition)
    assert alone.errors == [] and alone.clean == {"values": ["nej_inte_alls"], "other": ""}
    too_many = rules.validate(question.model_copy(update={"max_choices": 1}),
                              {"values": ["hot_vald", "annat"], "other": "x"}, definition)
    assert [e.code for e in too_many.errors] == ["too_many"]


def test_answers_of_the_wrong_shape_are_refused_not_crashed_on(all_types):
    answers = {"kon": "kvinna", "typ_av_paverkan": {"values": "samtal"}, "risk_per_kategori": ["lag"],
               "ar_i_yrket": True, "beskrivning": 5, "utsatt": {"value": ["ja"]}}
    validated = validate_answers(all_types, answers, partial=True)
    codes = {error.field: error.code for error in validated.errors}
    assert codes == {"q-kon": "invalid", "q-risk_per_kategori": "invalid", "q-ar_i_yrket": "not_number",
                     "q-utsatt": "invalid"}
    assert validated.answers == {}


def test_missing_required_names_the_fields_to_link_to(all_types):
    answers = {"kon": {"value": "kvinna", "other": ""}, "utsatt": {"value": "nej", "other": ""}}
    missing = missing_required(all_types, answers)
    assert [error.field for error in missing] == [
        "q-verksamhet",
        "q-risk_per_kategori-trakasserier", "q-risk_per_kategori-hot_vald",
        "q-risk_per_kategori-skadegorelse", "q-risk_per_kategori-korruption",
    ]


def test_visible_sections_and_is_shown_follow_the_answers(all_types):
    yes = {"utsatt": {"value": "ja", "other": ""}}
    no = {"utsatt": {"value": "nej", "other": ""}}
    assert [s.key for s in visible_sections(all_types, yes)] == ["bakgrund", "paverkan", "uppfoljning"]
    assert [s.key for s in visible_sections(all_types, no)] == ["bakgrund", "paverkan"]
    assert is_shown(all_types, all_types.question("typ_av_paverkan"), yes)
    assert not is_shown(all_types, all_types.question("typ_av_paverkan"), no)
    assert not is_shown(all_types, all_types.question("chefen_stod"), no)
    assert not is_shown(all_types, all_types.question("beskrivning"), yes)


def test_condition_values_and_free_text_parts_per_type(all_types):
    def q(key):  # noqa: ANN001, ANN202
        return all_types.question(key)

    types = QUESTION_TYPES
    assert types["single_choice"].condition_values(q("utsatt"), VALID_ANSWERS["utsatt"]) == {"ja"}
    assert types["rating"].condition_values(q("chefen_stod"), VALID_ANSWERS["chefen_stod"]) == {"delvis"}
    assert types["multiple_choice"].condition_values(
        q("typ_av_paverkan"), VALID_ANSWERS["typ_av_paverkan"]) == {"samtal", "annat"}
    matrix = VALID_ANSWERS["risk_per_kategori"]
    assert types["matrix"].condition_values(q("risk_per_kategori"), matrix, row="hot_vald") == {"hog"}
    assert types["matrix"].condition_values(q("risk_per_kategori"), matrix) == {"lag", "hog", "ingen", "vet_ej"}
    assert types["rating"].free_text_parts(q("chefen_stod"), VALID_ANSWERS["chefen_stod"]) == {
        "motivation": "Stödet kom sent."}
    assert types["multiple_choice"].free_text_parts(q("typ_av_paverkan"), VALID_ANSWERS["typ_av_paverkan"]) == {
        "other": "Brev hem"}
    assert types["text"].free_text_parts(q("beskrivning"), "Hot i telefon") == {"text": "Hot i telefon"}
    assert types["single_choice"].free_text_parts(q("kon"), VALID_ANSWERS["kon"]) == {}
    assert types["number"].free_text_parts(q("ar_i_yrket"), 12) == {}


# --- (c) round trip ---------------------------------------------------------------------------

ROUND_TRIP_PAGE = """{% from "_macros/questions.html" import section %}
{% for s in definition.sections %}{{ section(form, s, definition, 'sv', {}) }}{% endfor %}"""


@pytest.mark.parametrize("answers", [
    VALID_ANSWERS,
    {"kon": {"value": "vill_ej_ange", "other": ""}, "ar_i_yrket": 0, "utsatt": {"value": "nej", "other": ""},
     "typ_av_paverkan": {"values": ["nej_inte_alls"], "other": ""}, "ovrigt": "Rad ett\r\nRad två <b>"},
], ids=["complete", "sparse"])
def test_answers_survive_a_round_trip_through_the_rendered_form(app, all_types, answers):
    with app.test_request_context("/"):
        form = build_form(all_types, language="sv", answers=answers)
        html = render_template_string(ROUND_TRIP_PAGE, form=form, definition=all_types)
    posted = Page(html).formdata()
    assert answers_from_formdata(all_types, posted) == answers


def test_formdata_wins_over_answers_when_both_are_given(app, all_types):
    with app.test_request_context("/"):
        form = build_form(all_types, language="sv", answers=VALID_ANSWERS,
                          formdata=MultiDict([("q-beskrivning", "nytt")]))
    assert form["q-beskrivning"].data == "nytt"
    assert form["q-kon"].data is None


def test_a_form_can_hold_only_some_sections(app, all_types):
    with app.test_request_context("/"):
        form = build_form(all_types, language="sv", sections=["uppfoljning"])
        with pytest.raises(ValueError, match="unknown sections"):
            build_form(all_types, language="sv", sections=["finns_inte"])
    names = {f.name for f in form}
    assert names == {"csrf_token", "q-chefen_stod", "q-chefen_stod-motivation", "q-ovrigt"}


# --- (d) the shipped questionnaires, in Swedish and English -----------------------------------

@pytest.mark.parametrize("key", ["sjalvskattning", "medarbetarenkat", "riskanalys"])
def test_the_shipped_questionnaires_render_in_swedish_and_in_english(staff, key):
    definition = definition_of(SHIPPED / f"{key}.yaml")
    url = f"/admin/formular/{key}/1"
    swedish = Page(staff.get(url).get_data(as_text=True))
    assert definition.title.sv in swedish.text
    assert_renders_every_question(swedish, definition, "sv")
    assert post(staff, "/sprak", {"language": "en", "next": url}).status_code == 302
    english = Page(staff.get(url).get_data(as_text=True))
    assert definition.title.en in english.text
    assert_renders_every_question(english, definition, "en")
    if definition.sections:
        assert definition.sections[0].questions[0].text.sv not in english.text


def test_the_risk_template_preview_shows_forms_scales_matrix_and_catalogue(staff):
    definition = definition_of(SHIPPED / "riskanalys.yaml")
    page = Page(staff.get("/admin/formular/riskanalys/1").get_data(as_text=True))
    risk = definition.risk
    assert risk is not None
    for form_of in risk.forms:
        assert form_of.label.sv in page.text
    for option in risk.likelihood.options + risk.consequence.options:
        assert option.label.sv in page.text
    for item in risk.catalogue:
        assert item.activity.sv in page.text
    cells = re.findall(r'<td class="level-(\w+)">(\d+) – (\w+)</td>', page.html)
    assert len(cells) == 16
    assert ("red", "16", "Hög") in cells and ("green", "1", "Låg") in cells
    assert ("amber", "4", "Medel") in cells and ("green", "3", "Låg") in cells
    assert "<form method=\"post\" novalidate" not in page.html  # nothing to answer here


SELF_ASSESSMENT = {
    **{key: {"value": value, "motivation": f"Motivering för {key}."} for key, value in [
        ("kannedom", "ja"), ("kultur", "delvis"), ("undersoka", "nej"), ("forebygga", "delvis"),
        ("hantera", "ja"), ("folja_upp", "nej"), ("stod", "delvis"), ("tjanstefel", "ja"),
        ("chefer_agera", "delvis")]},
    "risksyn": "Risken är störst inom ekonomiskt bistånd.",
    "exponerade_verksamheter": "Ekonomiskt bistånd och barn och familj.",
    "larande": "Incidenter följs inte alltid upp.",
    "behov": "Gemensamt metodstöd.",
}

STAFF_SURVEY = {
    "kon": {"value": "kvinna", "other": ""},
    "stadsdel": {"value": "sodermalm", "other": ""},
    "verksamhetsomrade": {"value": "ekonomiskt_bistand", "other": ""},
    "risk": {"rows": {"trakasserier": "hog", "hot_vald": "lag", "skadegorelse": "inte_alls", "mutor": "lag"}},
    "utbildning": {"value": "ja_mer_an_ett_ar", "other": ""},
    "riktlinjer_gavor": {"value": "nej", "other": ""},
    "pratar": {"values": ["trakasserier", "hot_vald"], "other": ""},
    "arbetssatt": {"value": "ja", "other": ""},
    "arbetssatt_hur": "Vi går två och två på hembesök.",
    "rutiner_hot_vald": {"value": "vet_ej", "other": ""},
    "rapportera": {"rows": {"trakasserier": "nej", "hot_vald": "ja", "skadegorelse": "ja", "mutor": "nej"}},
    "rapportera_hur": "Till chefen och i IA.",
    "utsatt": {"value": "ja", "other": ""},
    "utsatt_hur": "Hotfulla samtal efter ett avslag.",
    "typ": {"values": ["trakasserier", "annan"], "other": "Uthängd i sociala medier"},
    "av_vem": {"values": ["kund_brukare", "anhorig"], "other": ""},
    "anmaldes": {"rows": {"chef": "ja", "polis": "nej", "ia": "nej"}},
    "anmaldes_skal": "Det kändes inte meningsfullt.",
    "stod": {"value": "ja", "other": ""},
    "stod_hur": "Samtal med chefen.",
    "kommentarer": "Tack för enkäten.",
}


@pytest.mark.parametrize("key, answers", [
    ("sjalvskattning", SELF_ASSESSMENT), ("medarbetarenkat", STAFF_SURVEY), ("riskanalys", {}),
])
def test_a_realistic_complete_answer_to_each_shipped_questionnaire_is_valid(key, answers):
    definition = definition_of(SHIPPED / f"{key}.yaml")
    validated = validate_answers(definition, answers)
    assert validated.ok, validated.errors
    assert validated.answers == answers
    assert missing_required(definition, answers) == []


def test_the_self_assessment_asks_for_every_motivation(staff):
    form = {field_name(key): answer["value"] for key, answer in SELF_ASSESSMENT.items() if isinstance(answer, dict)}
    page = Page(post(staff, "/admin/formular/sjalvskattning/1", form).get_data(as_text=True))
    motivations = [link for link in page.summary_links() if link.endswith("-motivation")]
    assert len(motivations) == 9
    assert set(page.summary_links()) - set(motivations) == {
        "q-risksyn", "q-exponerade_verksamheter", "q-larande", "q-behov"}


# --- (e) the staff survey's follow-up rules ---------------------------------------------------

@pytest.fixture
def survey() -> Definition:
    return definition_of(SHIPPED / "medarbetarenkat.yaml")


@pytest.mark.parametrize("answer, kept", [("ja", True), ("nej", False), ("vet_ej", False)])
def test_the_way_of_working_is_kept_only_after_yes(survey, answer, kept):
    answers = {**STAFF_SURVEY, "arbetssatt": {"value": answer, "other": ""}}
    validated = validate_answers(survey, answers)
    assert validated.ok
    assert ("arbetssatt_hur" in validated.answers) is kept


def test_the_exposure_section_is_discarded_for_those_not_exposed(survey):
    answers = {**STAFF_SURVEY, "utsatt": {"value": "nej", "other": ""}}
    validated = validate_answers(survey, answers)
    assert validated.ok
    for key in ("utsatt_hur", "typ", "av_vem", "anmaldes", "anmaldes_skal", "stod", "stod_hur"):
        assert key not in validated.answers, key
    assert validated.answers["kommentarer"] == "Tack för enkäten."
    section = next(s for s in survey.sections if s.key == "senaste_handelsen")
    assert not is_shown(survey, section, validated.answers)


def test_the_exposure_section_is_required_only_for_those_exposed(survey):
    exposed = {key: STAFF_SURVEY[key] for key in list(STAFF_SURVEY)[:13]}  # up to utsatt = ja
    missing = {error.field for error in missing_required(survey, exposed)}
    assert {"q-typ", "q-av_vem", "q-stod", "q-anmaldes-chef"} <= missing
    not_exposed = {**exposed, "utsatt": {"value": "nej", "other": ""}}
    assert missing_required(survey, not_exposed) == []


@pytest.mark.parametrize("rows, kept", [
    ({"chef": "ja", "polis": "nej", "ia": "ja"}, True),
    ({"chef": "nej", "polis": "nej", "ia": "nej"}, True),
    ({"chef": "ja", "polis": "ja", "ia": "vet_ej"}, False),
])
def test_the_reason_for_not_reporting_is_kept_only_when_some_channel_was_not_used(survey, rows, kept):
    answers = {**STAFF_SURVEY, "anmaldes": {"rows": rows}}
    validated = validate_answers(survey, answers)
    assert validated.ok
    assert ("anmaldes_skal" in validated.answers) is kept


def test_the_staff_survey_follow_ups_hold_through_the_preview(staff):
    form = {
        "q-kon": "man", "q-stadsdel": "skarholmen", "q-verksamhetsomrade": "aldreomsorg",
        **{f"q-risk-{row}": "lag" for row in ("trakasserier", "hot_vald", "skadegorelse", "mutor")},
        "q-utbildning": "nej", "q-riktlinjer_gavor": "nej", "q-pratar": "nej_inte_alls",
        "q-arbetssatt": "nej", "q-arbetssatt_hur": "ska inte sparas",
        "q-rutiner_hot_vald": "nej",
        **{f"q-rapportera-{row}": "ja" for row in ("trakasserier", "hot_vald", "skadegorelse", "mutor")},
        "q-utsatt": "nej", "q-typ": ["hot_vald", "mutor"], "q-anmaldes_skal": "ska inte heller sparas",
    }
    page = Page(post(staff, "/admin/formular/medarbetarenkat/1", form).get_data(as_text=True))
    assert "Svaren är giltiga" in page.text, page.summary()
    shown = re.search(r'<pre class="answers-json">(.*?)</pre>', page.html, re.S)
    assert shown is not None
    for key in ("arbetssatt_hur", "typ", "anmaldes_skal"):
        assert f"&#34;{key}&#34;" not in shown.group(1) and f'"{key}"' not in shown.group(1)
    assert "nej_inte_alls" in shown.group(1)


# --- conditions on questions of another page -------------------------------------------------------

CHAIN_YAML = """\
format: 1
key: kedja
kind: survey
title: Kedja över sidor
scales:
  - key: ja_nej
    options:
      - {value: ja, label: Ja}
      - {value: nej, label: Nej}
sections:
  - key: sida1
    title: Sida 1
    questions:
      - {key: a, type: single_choice, scale: ja_nej, text: Fråga A}
      - key: m
        type: matrix
        text: Matris
        scale: ja_nej
        rows:
          - {key: r1, label: Rad 1}
          - {key: r2, label: Rad 2}
  - key: sida2
    title: Sida 2
    show_if: {question: a, in: [ja]}
    questions:
      - {key: b, type: single_choice, scale: ja_nej, text: Fråga B}
  - key: sida3
    title: Sida 3
    questions:
      - {key: c, type: text, required: false, text: Fråga C, show_if: {question: b, in: [ja]}}
      - {key: d, type: single_choice, scale: ja_nej, text: Fråga D, show_if: {question: m, row: r2, in: [nej]}}
      - {key: e, type: text, required: false, text: Fråga E, show_if: {question: d, in: [ja]}}
"""


def _answers(**values: str) -> dict[str, Any]:
    answers: dict[str, Any] = {key: {"value": value, "other": ""} for key, value in values.items() if key != "m2"}
    answers["m"] = {"rows": {"r1": "ja", "r2": values.get("m2", "ja")}}
    return answers


def test_a_page_is_told_which_conditions_on_earlier_pages_hold_by_the_rule_of_validate_answers(tmp_path):
    path = tmp_path / "kedja.yaml"
    path.write_text(CHAIN_YAML, encoding="utf-8")
    chain = definition_of(path)
    # On page 3, c reads b (page 2) and d the row r2 of m (page 1); e reads d, on page 3 itself.
    assert conditions_elsewhere(chain, _answers(a="ja", b="ja", m2="nej"), ["sida3"]) == {
        "question-c": True, "question-d": True}
    assert conditions_elsewhere(chain, _answers(a="ja", b="nej", m2="ja"), ["sida3"]) == {
        "question-c": False, "question-d": False}
    # b = ja was answered while a was ja; with a = nej page 2 is hidden, its answer counts as none,
    # and c is hidden on page 3 too: the same as validate_answers decides.
    stale = _answers(a="nej", b="ja")
    assert conditions_elsewhere(chain, stale, ["sida3"])["question-c"] is False
    assert "c" not in validate_answers(chain, {**stale, "c": "text"}).answers
    assert conditions_elsewhere(chain, {}, ["sida3"]) == {"question-c": False, "question-d": False}
    assert conditions_elsewhere(chain, _answers(a="ja"), ["sida2"]) == {"section-sida2": True}
    assert conditions_elsewhere(chain, _answers(a="ja")) == {}  # every section on the form
    assert conditions_elsewhere(chain, _answers(a="ja"), ["sida1"]) == {}


def test_the_page_carries_the_decision_on_conditions_of_earlier_pages_only(app, tmp_path):
    path = tmp_path / "kedja.yaml"
    path.write_text(CHAIN_YAML, encoding="utf-8")
    chain = definition_of(path)
    template = ('{% from "_macros/questions.html" import section %}'
                '{{ section(form, definition.sections[2], definition, "sv", {}) }}')
    with app.test_request_context():
        form = build_form(chain, language="sv", sections=["sida3"], answers=_answers(a="ja", b="ja", m2="ja"))
        page = Page(render_template_string(template, form=form, definition=chain))
    assert page.by_id["question-c"][1]["data-show-if-earlier"] == "holds"
    assert page.by_id["question-d"][1]["data-show-if-earlier"] == "fails"
    assert "data-show-if-earlier" not in page.by_id["question-e"][1]  # d is on the page: the script decides
    assert page.by_id["question-e"][1]["data-show-if-question"] == "d"
