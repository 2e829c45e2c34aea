"""The demo's made-up answers: a self-assessment around a unit's quality with fitting
motivations, and a staff survey respondent's answers page by page, following the unit's exposure.
The synthetic city (app.demo.synthetic) answers with them too."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from app.definitions.schema import Definition, Question
from app.questions.answers import Answers
from app.questions.conditions import is_shown
from app.questions.types import question_type, rated_questions

# --- the self-assessment ----------------------------------------------------------------------

MOTIVATIONS: dict[str, tuple[str, ...]] = {
    "ja": (
        "Frågan har behandlats i ledningsgruppen under året och samtliga chefer har genomgått "
        "stadens utbildning. Rutinerna är kända och används.",
        "Vi har en uppdaterad rutin som gåtts igenom på arbetsplatsträffar i alla enheter. "
        "Uppföljningen i medarbetarsamtalen visar att medarbetarna känner till den.",
        "Arbetet är en stående punkt i den årliga väsentlighets- och riskanalysen och följs upp "
        "i internkontrollplanen. Inga större brister har framkommit vid uppföljningen.",
        "Samarbetet med säkerhetsfunktionen fungerar väl och incidenter hanteras skyndsamt. "
        "Medarbetare som utsatts erbjuds stöd samma dag.",
    ),
    "delvis": (
        "Rutiner finns för hot och våld men omfattar inte trakasserier, mutor eller andra former "
        "av otillåten påverkan. En revidering påbörjas under året.",
        "Kunskapen varierar mellan verksamheterna. Myndighetsutövande enheter har arbetat aktivt "
        "med frågan, medan övriga verksamheter behöver mer stöd.",
        "Incidenter rapporteras i varierande grad; medarbetarna upplever systemet som omständligt. "
        "Vi ser ett mörkertal och behöver förenkla rapporteringen.",
        "Frågan har diskuterats i ledningsgruppen men har ännu inte förts in i riskanalysen. "
        "Ett arbete med att ta fram en handlingsplan pågår.",
    ),
    "nej": (
        "Något systematiskt arbete finns inte i dag. Frågan har inte behandlats i nämndens "
        "riskanalys och det saknas rutiner utöver stadens övergripande riktlinjer.",
        "Uppföljning av inträffade händelser görs inte på ett sätt som bidrar till lärande. "
        "Händelserna stannar hos närmaste chef.",
        "Hög personalomsättning bland chefer har gjort att kunskapen om hur man agerar vid en "
        "incident är låg. Introduktionen behöver ses över omgående.",
    ),
}
DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "risksyn": (
        "Vi bedömer att risken för otillåten påverkan är störst i den myndighetsutövande "
        "verksamheten, särskilt vid avslag och vid ärenden som rör barn.",
        "Risken bedöms som måttlig. De flesta försök är reaktiva, från enskilda som är missnöjda "
        "med ett beslut, men vi ser också enstaka försök från organiserade aktörer.",
        "Risken bedöms som låg i huvuddelen av verksamheten men förhöjd vid upphandling och "
        "tillståndsgivning där ekonomiska intressen är stora.",
    ),
    "exponerade_verksamheter": (
        "Ekonomiskt bistånd, barn och familj samt mottagningsenheten.",
        "Handläggning av bygglov och tillsyn samt medarbetare som gör hembesök.",
        "Kundtjänst, inkasso och de som beslutar om uppsägning av hyresavtal.",
    ),
    "larande": (
        "Ja, vi missar lärande eftersom incidenter sällan följs upp på enhetsnivå och "
        "erfarenheterna inte sprids mellan förvaltningens avdelningar.",
        "Delvis. Allvarliga händelser följs upp, men mindre händelser som obehagliga samtal och "
        "hängningar i sociala medier rapporteras sällan.",
        "Nej, uppföljningen fungerar i huvudsak. Händelser tas upp på arbetsplatsträffar och "
        "sammanställs i årsrapporten.",
    ),
    "behov": (
        "Gemensam utbildning för chefer, stöd i att ta fram rutiner som täcker alla former av "
        "otillåten påverkan och ett enklare sätt att rapportera.",
        "Metodstöd för riskanalysen och möjlighet att jämföra oss med andra nämnder.",
        "Stöd från stadens säkerhetsfunktion vid allvarliga händelser och juridiskt stöd vid "
        "polisanmälan.",
    ),
}
LEVELS: tuple[str, ...] = ("ja", "delvis", "nej")


def rating_answers(definition: Definition, rng: random.Random, quality: float,
                    only: int | None = None) -> Answers:
    """Ratings around a unit's `quality` (0 good, 2 poor) with a fitting motivation each, and
    the description texts. `only` keeps the first n ratings and no descriptions (a draft)."""
    answers: Answers = {}
    ratings = rated_questions(definition)
    for question in ratings[:only] if only is not None else ratings:
        level = LEVELS[max(0, min(2, round(quality + rng.uniform(-0.8, 0.8))))]
        answers[question.key] = {"value": level, "motivation": rng.choice(MOTIVATIONS[level])}
    if only is None:
        for key, texts in DESCRIPTIONS.items():
            answers[key] = rng.choice(texts)
    return answers


FREE_TEXTS: dict[str, tuple[str, ...]] = {
    "arbetssatt_hur": (
        "Vi är alltid två vid hembesök och har larm på mottagningen.",
        "Vi fattar beslut i grupp i ärenden där det finns en risk.",
    ),
    "rutiner_var": ("På intranätet under säkerhet.", "I pärmen på enheten och på intranätet."),
    "rapportera_hur": ("Via incidentsystemet och muntligt till chefen.",),
    "utsatt_hur": (
        "En klient ringde upprepade gånger efter ett avslag och sa att han visste var jag bor.",
        "Jag blev uthängd med namn och bild i en grupp på sociala medier efter ett beslut.",
        "En anhörig dök upp utanför kontoret och ville att jag skulle ändra mitt beslut.",
    ),
    "anmaldes_skal": (
        "Det kändes inte tillräckligt allvarligt och systemet är krångligt.",
        "Jag visste inte att det räknades som något man ska anmäla.",
    ),
    "stod_hur": ("Samtal med chefen samma dag och kontakt med företagshälsovården.",),
    "kommentarer": (
        "Bra att frågan uppmärksammas. Vi behöver mer utbildning om mutor och jäv.",
        "Hög arbetsbelastning gör att det är svårt att hinna rapportera allt som händer.",
        "Jag önskar att cheferna följde upp efter att man har anmält en händelse.",
        "Det borde finnas tydligare stöd när man blir hängd ut i sociala medier.",
    ),
    "annan": ("Obehagliga brev hem till mig.", "Påtryckningar via en tredje person."),
}
# The chance that an optional free text is written.
FREE_TEXT_SHARE = 0.12


def _choice(rng: random.Random, values: list[str], exposure: float, key: str) -> str:
    """A plausible pick: yes/no questions about exposure follow the unit's exposure; scales
    lean towards their middle."""
    if key == "utsatt":
        return "ja" if rng.random() < exposure else "nej"
    if len(values) >= 3:
        weights = [1.0 + (i not in (0, len(values) - 1)) for i in range(len(values))]
        return rng.choices(values, weights=weights)[0]
    return rng.choice(values)


@dataclass
class _Sampling:
    """What the question types' `sample` asks the demo: its random source, the unit's district,
    picks that follow the unit's exposure, and the demo's free texts (app.questions.types)."""

    rng: random.Random
    unit_key: str
    exposure: float

    @property
    def district(self) -> str:
        return self.unit_key.removeprefix("sdn-")

    def choose(self, values: list[str], question_key: str) -> str:
        return _choice(self.rng, values, self.exposure, question_key)

    def free_text(self, question_key: str) -> str | None:
        texts = FREE_TEXTS.get(question_key)
        return self.rng.choice(texts) if texts and self.rng.random() < FREE_TEXT_SHARE else None

    def other_text(self) -> str:
        return self.rng.choice(FREE_TEXTS["annan"])


def _question_answer(definition: Definition, question: Question, rng: random.Random, unit_key: str,
                     exposure: float) -> Any:
    return question_type(question).sample(question, definition, _Sampling(rng, unit_key, exposure))


def page_answers(definition: Definition, questions: list[Question], rng: random.Random, unit_key: str,
                 exposure: float, so_far: Answers) -> Answers:
    """Made-up answers to the questions of one page that are shown given the answers `so_far`."""
    answers: Answers = {}
    for question in questions:
        if not is_shown(definition, question, {**so_far, **answers}):
            continue
        value = _question_answer(definition, question, rng, unit_key, exposure)
        if value is not None:
            answers[question.key] = value
    return answers
