"""The three shipped questionnaire definitions validate and carry the seed texts word for word.

The expected Swedish texts below are copied by hand from the seed documents (the joint review's
self-assessment and Bilaga 2 of the Stockholm City Audit report 4/2021): they are the
guarantee that no question or option has been reworded.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from app.definitions.schema import (
    Definition,
    MatrixQuestion,
    MultipleChoiceQuestion,
    RatingQuestion,
    SingleChoiceQuestion,
    TextQuestion,
)
from app.definitions.validate import check_file, check_paths

QUESTIONNAIRES = Path(__file__).resolve().parent.parent / "questionnaires"
FILES = ["sjalvskattning.yaml", "medarbetarenkat.yaml", "riskanalys.yaml"]

NINE_STATEMENTS = [
    "Nämnden/bolaget har god kännedom om vad otillåten påverkan är",
    "Nämndens/bolagets kultur stärker önskat förhållningssätt avseende otillåten påverkan",
    "Nämnden/bolaget har ett fungerande arbete för att undersöka förekomsten av försök till "
    "otillåten påverkan",
    "Nämnden/bolaget har ett fungerande arbete för att förebygga fall av otillåten påverkan",
    "Nämnden/bolaget har ett fungerande arbete med att hantera fall där försök till otillåten "
    "påverkan förekommit",
    "Nämnden/bolaget har ett fungerande arbete för att följa upp inträffade incidenter/försök "
    "till otillåten påverkan så att de bidrar till lärande",
    "Berörda medarbetare får tillräckligt stöd (hot, våld, trakasserier, skadegörelse)",
    "Det finns fungerande rutiner för att hantera fall där medarbetare begått (tjänste-)fel",
    "Cheferna har kännedom om hur de ska agera i händelse av inträffad incident",
]
THREE_LEVELS = [
    "Ja, tillfredsställande",
    "Delvis, förbättringsområde",
    "Nej, behöver ses över omgående",
]

FOUR_CATEGORIES = [
    "Trakasserier och/eller subtila hot",
    "Hot och/eller våld",
    "Skadegörelse",
    "Mutor och andra otillbörliga erbjudanden",
]

# Bilaga 2, in the seed's order: (question text, its options or matrix columns, matrix rows).
# The seed's parenthetical instructions are in `help` and are checked separately.
SURVEY = [
    (
        "Vilket kön har du? Med kön avser vi här könsidentitet, dvs det kön du själv "
        "identifierar dig som.",
        ["Kvinna", "Man", "Annat alternativ", "Vill ej ange"],
        [],
    ),
    ("Inom vilken stadsdel arbetar du?", ["Skärholmen", "Södermalm"], []),
    (
        "Inom vilket verksamhetsområde arbetar du?",
        [
            "Barn och familj",
            "Ekonomiskt bistånd",
            "Funktionsnedsättning",
            "Socialpsykiatri",
            "Vuxen/missbruk",
            "Äldreomsorg",
        ],
        [],
    ),
    (
        "I vilken utsträckning bedömer du att det finns en risk för att du utsätts för "
        "otillåten påverkan i din tjänsteutövning?",
        ["Mycket hög utsträckning", "Hög utsträckning", "Låg utsträckning", "Inte alls"],
        FOUR_CATEGORIES,
    ),
    (
        "Har du fått någon form av utbildning eller information från arbetsgivare om att "
        "minska risken för att utsättas för otillåten påverkan i din tjänsteutövning?",
        ["Ja, under det senaste året", "Ja, för mer än ett år sedan", "Nej"],
        [],
    ),
    (
        "Har du fått information från din arbetsgivare om att det finns riktlinjer för gåvor, "
        "mutor och representation?",
        ["Ja, under det senaste året", "Ja, för mer än ett år sedan", "Nej"],
        [],
    ),
    (
        "Pratar ni regelbundet om otillåten påverkan på din arbetsplats, t ex vid APT eller i "
        "andra sammanhang?",
        [
            "Nej, inte alls",
            "Ja, vad gäller trakasserier och/eller subtila hot",
            "Ja, vad gäller hot och/eller våld",
            "Ja, vad gäller skadegörelse",
            "Ja, vad gäller mutor och andra otillbörliga erbjudanden",
        ],
        [],
    ),
    (
        "Har din arbetsplats arbetssätt för att förebygga och motverka otillåten påverkan?",
        ["Ja", "Nej", "Vet ej"],
        [],
    ),
    ("Om ja, ange på vilket sätt", [], []),
    (
        "Har din arbetsplats särskilda rutiner för arbete där det finns risk för hot och våld?",
        ["Ja", "Nej", "Vet ej"],
        [],
    ),
    ("Om ja, var finns rutinerna tillgängliga?", [], []),
    (
        "Vet du hur du ska rapportera om du själv utsätts för följande försök till otillåten "
        "påverkan?",
        ["Ja", "Nej"],
        FOUR_CATEGORIES,
    ),
    ("Om ja, ange på vilket sätt", [], []),
    (
        "Har du någon gång i ditt nuvarande arbete blivit utsatt för försök till otillåten "
        "påverkan?",
        ["Ja", "Nej"],
        [],
    ),
    ("Om ja, ange på vilket sätt", [], []),
    (
        "Vilken typ av otillåten påverkan har det rört sig om?",
        [
            "Trakasserier och/eller subtila hot",
            "Hot och/eller våld",
            "Skadegörelse",
            "Mutor eller andra otillbörliga erbjudanden",
            "Annan för av otillåten påverkan, ange vad",
        ],
        [],
    ),
    (
        "Av vem har du utsatts för försök till otillåten påverkan?",
        [
            "Kund/brukare",
            "Anhörig till kund/brukare",
            "Annan medborgare",
            "Chef",
            "Politiker",
            "Kollega",
            "Annan påverkare, ange vem",
        ],
        [],
    ),
    (
        "Om du tänker på den senaste gången du utsattes för försök till otillåten påverkan, "
        "anmäldes detta?",
        ["Ja", "Nej", "Vet ej"],
        ["Till chef", "Till polis", "I stadens incidentrapporteringssystem, IA"],
    ),
    ("Om inte, vad var skälet till detta?", [], []),
    (
        "Om du tänker på den senaste gången du utsattes för otillåten påverkan, upplevde du att "
        "du fick det stöd du behövde av din arbetsgivare?",
        ["Ja", "Nej", "Jag tackade nej till stöd/Jag var inte i behov av stöd"],
        [],
    ),
    ("Om ja, ange på vilket sätt", [], []),
    ("Har du andra kommentarer eller synpunkter du vill framföra?", [], []),
]


def load(name: str) -> Definition:
    return Definition.model_validate(yaml.safe_load((QUESTIONNAIRES / name).read_text("utf-8")))


@pytest.mark.parametrize("name", FILES)
def test_shipped_file_validates(name: str) -> None:
    text = (QUESTIONNAIRES / name).read_text("utf-8")
    assert text.startswith("# yaml-language-server: $schema=../docs/questionnaire.schema.json\n")
    definition = Definition.model_validate(yaml.safe_load(text))
    assert definition.key == name.removesuffix(".yaml")


@pytest.mark.parametrize("name", FILES)
def test_shipped_file_passes_the_full_check(name: str) -> None:
    result = check_file(QUESTIONNAIRES / name)
    assert [error.format() for error in result.errors] == []
    assert result.ok


def test_shipped_folder_passes_the_checks_between_files() -> None:
    """Questionnaire keys are unique and every staff_view names a real survey question."""
    results = check_paths([QUESTIONNAIRES])
    assert {Path(result.filename).name for result in results} >= set(FILES)
    assert [error.format() for result in results for error in result.errors] == []


@pytest.mark.parametrize("name", FILES)
def test_question_keys_are_unique_and_conditions_point_back(name: str) -> None:
    definition = load(name)
    seen: dict[str, object] = {}
    scales = {scale.key for scale in definition.scales}
    for section in definition.sections:
        conditions = [section.show_if] + [q.show_if for q in section.questions]
        for question in section.questions:
            if isinstance(question, (RatingQuestion, MatrixQuestion)) or (
                isinstance(question, SingleChoiceQuestion) and question.scale
            ):
                assert question.scale in scales
        for position, question in enumerate([None, *section.questions]):
            condition = conditions[position]
            if condition is not None:
                target = seen[condition.question]
                values = {option.value for option in definition.options_of(target)}
                assert set(condition.in_) <= values
            if question is not None:
                assert question.key not in seen
                seen[question.key] = question


def test_self_assessment_has_the_nine_statements_on_the_three_levels() -> None:
    definition = load("sjalvskattning.yaml")
    assert definition.kind == "unit_questionnaire"
    statements = [q for q in definition.questions() if isinstance(q, RatingQuestion)]
    assert [q.text.sv for q in statements] == NINE_STATEMENTS
    assert [q.key for q in statements] == [
        "kannedom", "kultur", "undersoka", "forebygga", "hantera",
        "folja_upp", "stod", "tjanstefel", "chefer_agera",
    ]
    assert {q.scale for q in statements} == {"tregradig"}
    assert all(q.motivation == "required" for q in statements)
    scale = definition.scale("tregradig")
    assert [option.label.sv for option in scale.options] == THREE_LEVELS
    assert [option.score for option in scale.options] == [100, 50, 0]
    assert [option.colour for option in scale.options] == ["green", "amber", "red"]


def test_self_assessment_description_part_is_free_text() -> None:
    definition = load("sjalvskattning.yaml")
    section = definition.sections[1]
    assert section.key == "beskrivning"
    assert section.questions and all(isinstance(q, TextQuestion) for q in section.questions)


def test_self_assessment_staff_views_point_into_the_survey() -> None:
    assessment, survey = load("sjalvskattning.yaml"), load("medarbetarenkat.yaml")
    views = {
        q.key: q.staff_view
        for q in assessment.questions()
        if isinstance(q, RatingQuestion) and q.staff_view
    }
    assert set(views) == {"kannedom", "folja_upp", "stod"}
    for view in views.values():
        assert view.survey == survey.key
        assert view.label is not None
        target = survey.question(view.question)
        if isinstance(target, MatrixQuestion):
            assert view.row in {row.key for row in target.rows}
        else:
            assert view.row is None
        assert set(view.favourable) <= {o.value for o in survey.options_of(target)}
    assert (views["stod"].question, views["stod"].row) == ("stod", None)
    assert (views["folja_upp"].question, views["folja_upp"].row) == ("anmaldes", "ia")
    assert views["kannedom"].question == "rapportera"


def test_survey_carries_every_question_and_option_of_bilaga_2() -> None:
    definition = load("medarbetarenkat.yaml")
    assert definition.kind == "survey"
    actual = []
    for question in definition.questions():
        if isinstance(question, MatrixQuestion):
            rows = [row.label.sv for row in question.rows]
        else:
            rows = []
        options = [option.label.sv for option in definition.options_of(question)]
        actual.append((question.text.sv, options, rows))
    assert actual == [(text, options, rows) for text, options, rows in SURVEY]


def test_survey_parenthetical_instructions_are_help() -> None:
    definition = load("medarbetarenkat.yaml")
    helps = {q.key: q.help.sv if q.help else "" for q in definition.questions()}
    for key in ("pratar", "typ", "av_vem"):
        assert helps[key].lower() == "flera alternativ möjliga"
    four = "; ".join(FOUR_CATEGORIES)
    for key in ("risk", "rapportera"):
        assert helps[key].lower() == f"ett alternativ per fyra kategorier – {four}".lower()
    assert helps["anmaldes"].lower() == (
        "ett alternativ per tre kategorier – till chef; till polis; "
        "i stadens incidentrapporteringssystem, ia"
    )


def test_survey_shapes() -> None:
    definition = load("medarbetarenkat.yaml")
    background = definition.sections[0]
    assert background.key == "bakgrund"
    assert [q.key for q in background.questions] == ["kon", "stadsdel", "verksamhetsomrade"]
    assert all(isinstance(q, SingleChoiceQuestion) and q.breakdown for q in background.questions)

    pratar = definition.question("pratar")
    assert isinstance(pratar, MultipleChoiceQuestion)
    assert [o.value for o in pratar.options if o.exclusive] == ["nej_inte_alls"]
    for key in ("typ", "av_vem"):
        question = definition.question(key)
        assert isinstance(question, MultipleChoiceQuestion)
        assert [o.other for o in question.options] == [False] * (len(question.options) - 1) + [True]

    exposed = [s for s in definition.sections if s.show_if]
    assert len(exposed) == 1
    assert (exposed[0].show_if.question, exposed[0].show_if.in_) == ("utsatt", ["ja"])
    assert {q.key for q in exposed[0].questions} >= {"typ", "av_vem", "anmaldes", "stod"}

    # Free text is optional everywhere; every follow-up is conditional.
    for question in definition.questions():
        if isinstance(question, TextQuestion):
            assert not question.required
            if question.key != "kommentarer":
                assert question.show_if is not None
        else:
            assert question.required

    scores = [o.score for o in definition.scale("utstrackning").options]
    assert scores == sorted(scores) and scores[0] == 0 and scores[-1] == 100


def test_risk_template_has_five_forms_and_four_by_four_scales() -> None:
    definition = load("riskanalys.yaml")
    assert definition.kind == "risk_template"
    assert definition.sections == []
    risk = definition.risk
    assert risk is not None
    assert [f.key for f in risk.forms] == [
        "trakasserier", "hot", "vald", "skadegorelse", "korruption",
    ]
    assert [f.label.sv for f in risk.forms] == [
        "Trakasserier", "Hot", "Våld", "Skadegörelse", "Korruption",
    ]
    for scale in (risk.likelihood, risk.consequence):
        assert [o.value for o in scale.options] == ["1", "2", "3", "4"]
    maxima = [level.max_value for level in risk.levels]
    assert maxima == sorted(maxima) and maxima[-1] == 16
    assert 12 <= len(risk.catalogue) <= 20
    forms = {f.key for f in risk.forms}
    assert len({item.key for item in risk.catalogue}) == len(risk.catalogue)
    for item in risk.catalogue:
        assert item.forms and set(item.forms) <= forms


@pytest.mark.parametrize("name", FILES)
def test_every_text_has_swedish_and_english(name: str) -> None:
    data = yaml.safe_load((QUESTIONNAIRES / name).read_text("utf-8"))

    def walk(value: object, path: str) -> None:
        if isinstance(value, dict):
            if "sv" in value:
                assert value.get("sv") and value.get("en"), path
            for key, item in value.items():
                walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")

    walk(data, name)
