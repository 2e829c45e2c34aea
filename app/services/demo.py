"""The demonstration city: units, logins, last year's closed review, this year's open review and
its staff survey, created once however often the demo runs, and only through the real services.

Everything is generated from a `DemoSpec` with a seeded `random.Random`, so that the same spec
gives the same city; the synthetic city of issue 10 can grow from the same parameters.
"""

from __future__ import annotations

import importlib
import importlib.util
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.definitions.schema import (
    Definition,
    Question,
)
from app.extensions import db
from app.models import Round, Unit, User
from app.models.survey import AccessCode
from app.policy import Role
from app.questions.answers import Answers
from app.questions.conditions import is_shown
from app.questions.types import question_type, rated_questions
from app.services import ServiceError, survey, transaction
from app.services import submissions as workflow
from app.services.rounds import RoundSpec, change_status, create_round
from app.services.units import UnitRow, import_units
from app.services.users import NewUser, create_user

DEMO_UNITS: tuple[UnitRow, ...] = (
    UnitRow("stad", "Lägesbild stad", "city"),
    UnitRow("ks", "Kommunstyrelsen", "board", "stad"),
    UnitRow("socialnamnden", "Socialnämnden", "board", "stad"),
    UnitRow("arbetsmarknadsnamnden", "Arbetsmarknadsnämnden", "board", "stad"),
    UnitRow("utbildningsnamnden", "Utbildningsnämnden", "board", "stad"),
    UnitRow("stadsbyggnadsnamnden", "Stadsbyggnadsnämnden", "board", "stad"),
    UnitRow("sdn-sodermalm", "Södermalms stadsdelsnämnd", "district_board", "stad"),
    UnitRow("sdn-skarholmen", "Skärholmens stadsdelsnämnd", "district_board", "stad"),
    UnitRow("sdn-kungsholmen", "Kungsholmens stadsdelsnämnd", "district_board", "stad"),
    UnitRow("sodermalm-forv", "Södermalms stadsdelsförvaltning", "administration", "sdn-sodermalm"),
    UnitRow("sodermalm-ekbistand", "Ekonomiskt bistånd Södermalm", "section", "sodermalm-forv"),
    UnitRow("sodermalm-barnfamilj", "Barn och familj Södermalm", "section", "sodermalm-forv"),
    UnitRow("bostader-ab", "Stadens Bostäder AB", "company", "stad"),
    UnitRow("energi-ab", "Stadens Energi AB", "company", "stad"),
    UnitRow("hamn-ab", "Stadens Hamn AB", "company", "stad"),
)
# The units a review invites: the boards, the district boards and the companies.
INVITED_KINDS: tuple[str, ...] = ("board", "district_board", "company")
EDITOR = "redaktor@lagesbild.example"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    password: str
    units: tuple[str, ...] = ()


DEMO_LOGINS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("admin@lagesbild.example", Role.ADMIN, ()),
    (EDITOR, Role.UNIT_EDITOR, ("sdn-sodermalm",)),
    ("analytiker@lagesbild.example", Role.ANALYST, ()),
)


@dataclass(frozen=True)
class SurveyUnitPlan:
    """One unit's part of the staff survey: staff invited and how they answer."""

    unit: str
    head_count: int
    completed: int
    declined: int
    unfinished: int
    exposure: float  # the share who say they have been exposed


@dataclass(frozen=True)
class DemoSpec:
    """What the demo city holds; a seed makes it the same every time."""

    seed: int = 2026
    today: date = field(default_factory=date.today)
    # This year's self-assessment: who has submitted, who has a draft; the rest have not started.
    submitted: tuple[str, ...] = ("ks", "socialnamnden", "sdn-sodermalm", "sdn-skarholmen",
                                  "bostader-ab", "energi-ab")
    drafts: tuple[str, ...] = ("arbetsmarknadsnamnden", "utbildningsnamnden", "sdn-kungsholmen")
    survey_units: tuple[SurveyUnitPlan, ...] = (
        SurveyUnitPlan("sdn-sodermalm", 62, 46, 3, 3, 0.45),
        SurveyUnitPlan("sdn-skarholmen", 55, 41, 2, 2, 0.55),
        SurveyUnitPlan("socialnamnden", 48, 34, 2, 2, 0.35),
        SurveyUnitPlan("sdn-kungsholmen", 40, 26, 1, 1, 0.30),
        # Below the anonymity threshold: its figures are suppressed everywhere.
        SurveyUnitPlan("arbetsmarknadsnamnden", 14, 3, 1, 1, 0.40),
    )

    @property
    def this_year(self) -> int:
        return self.today.year


@dataclass
class DemoReport:
    """What one run of the demo created (zeros on a second run)."""

    logins: list[DemoLogin]
    unit_editors: int = 0
    rounds_created: list[str] = field(default_factory=list)
    surveys_created: list[str] = field(default_factory=list)
    risk_registers: bool = False


def round_key(year: int) -> str:
    return f"granskning-{year}"


# --- units and logins -------------------------------------------------------------------------

def _stored_passwords(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    pairs = (line.split("\t", 1) for line in path.read_text().splitlines() if "\t" in line)
    return {email: password for email, password in pairs}


def _ensure_user(session: Session, passwords: dict[str, str], email: str, role: str,
                 units: tuple[str, ...]) -> bool:
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        return False
    password = "demo-" + secrets.token_urlsafe(12)
    create_user(session, NewUser(email, role, password, "", units))
    passwords[email] = password
    return True


def editor_email(unit_key: str) -> str:
    """The demo's editor of one invited unit (Södermalm's is the printed demo editor)."""
    return EDITOR if unit_key == "sdn-sodermalm" else f"forvaltning.{unit_key}@lagesbild.example"


def invited_unit_keys() -> tuple[str, ...]:
    return tuple(row.key for row in DEMO_UNITS if row.kind in INVITED_KINDS)


def build_demo_city(session: Session, logins_file: Path) -> list[DemoLogin]:
    """Create the demo units and users that do not exist yet; return the printed demo logins.

    Every invited unit gets an editor of its own, so that the history says who answered.
    Passwords are random, made on the first run and kept in `logins_file` (owner-only), so
    that a second run can print them again without a password written in the code.
    """
    existing = set(session.scalars(select(Unit.key)))
    missing = [row for row in DEMO_UNITS if row.key not in existing]
    if missing:
        import_units(session, missing)
    passwords = _stored_passwords(logins_file)
    logins = []
    for email, role, units in DEMO_LOGINS:
        _ensure_user(session, passwords, email, role, units)
        logins.append(DemoLogin(email, role, passwords.get(email, "(unknown: set with the admin pages)"), units))
    for key in invited_unit_keys():
        _ensure_user(session, passwords, editor_email(key), Role.UNIT_EDITOR, (key,))
    logins_file.parent.mkdir(parents=True, exist_ok=True)
    logins_file.touch(mode=0o600, exist_ok=True)
    logins_file.write_text("".join(f"{e}\t{p}\n" for e, p in passwords.items()))
    return logins


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


def _rating_answers(definition: Definition, rng: random.Random, quality: float,
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


def _answer_as_editor(session: Session, round_: Round, unit_key: str, answers: Answers, submit: bool) -> None:
    target = workflow.find_target(session, round_.key, unit_key, "sjalvskattning")
    user = session.scalar(select(User).where(User.email == editor_email(unit_key)))
    assert user is not None
    operation = workflow.submit if submit else workflow.save
    operation(session, target, answers, 0, user)


def _create_round(session: Session, spec: DemoSpec, year: int, opens_on: date, due_on: date,
                  admin: User) -> Round:
    available = {"sjalvskattning", "riskanalys", "medarbetarenkat"}
    keys = ("sjalvskattning", "riskanalys") if year < spec.this_year else tuple(sorted(available))
    created = create_round(session, RoundSpec(
        key=round_key(year), name=f"Gemensam granskning {year}", year=year, questionnaire_keys=keys,
        unit_keys=invited_unit_keys(), opens_on=opens_on, due_on=due_on,
        instructions="Besvara de nio påståendena, motivera varje bedömning och beskriv er riskbild. "
                     "Kontakta stadskontoret vid frågor."), actor=admin)
    change_status(session, created, "open", actor=admin)
    return created


def unit_qualities(spec: DemoSpec) -> dict[str, tuple[float, float]]:
    """Each invited unit's quality last year and this year (0 good, 2 poor): some improve,
    some get worse, so that the year-over-year view has something to show."""
    rng = random.Random(spec.seed)
    qualities = {}
    for key in invited_unit_keys():
        before = rng.uniform(0.2, 1.8)
        qualities[key] = (before, max(0.0, min(2.0, before + rng.choice((-0.9, -0.5, 0.0, 0.0, 0.5, 0.9)))))
    return qualities


def build_last_year(session: Session, spec: DemoSpec, admin: User) -> Round:
    """Last year's review: every invited unit submitted, then the round was closed."""
    year = spec.this_year - 1
    created = _create_round(session, spec, year, spec.today - timedelta(days=400),
                            spec.today - timedelta(days=340), admin)
    definition = created.version_of_kind("unit_questionnaire").parsed()  # type: ignore[union-attr]
    rng = random.Random(f"{spec.seed}-{year}")
    for key, (quality, _now) in unit_qualities(spec).items():
        _answer_as_editor(session, created, key, _rating_answers(definition, rng, quality), submit=True)
    change_status(session, created, "close", actor=admin)
    return created


def build_this_year(session: Session, spec: DemoSpec, admin: User) -> Round:
    """This year's open review: some units submitted, some with a draft, the rest not started."""
    year = spec.this_year
    created = _create_round(session, spec, year, spec.today - timedelta(days=30),
                            spec.today + timedelta(days=30), admin)
    definition = created.version_of_kind("unit_questionnaire").parsed()  # type: ignore[union-attr]
    rng = random.Random(f"{spec.seed}-{year}")
    qualities = unit_qualities(spec)
    for key in spec.submitted:
        _answer_as_editor(session, created, key, _rating_answers(definition, rng, qualities[key][1]), submit=True)
    for key in spec.drafts:
        answers = _rating_answers(definition, rng, qualities[key][1], only=rng.randint(2, 6))
        _answer_as_editor(session, created, key, answers, submit=False)
    return created


# --- the staff survey -------------------------------------------------------------------------

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


def _page_answers(definition: Definition, questions: list[Question], rng: random.Random, unit_key: str,
                  exposure: float, so_far: Answers) -> Answers:
    answers: Answers = {}
    for question in questions:
        if not is_shown(definition, question, {**so_far, **answers}):
            continue
        value = _question_answer(definition, question, rng, unit_key, exposure)
        if value is not None:
            answers[question.key] = value
    return answers


def _respond(secret: str, code: str, plan: SurveyUnitPlan, rng: random.Random, today: date,
             pages: int | None) -> str:
    """One respondent answering page by page through the survey service; `pages` stops after
    that many pages (an unfinished draft). Returns the draft id."""
    started = survey.start_with_code(secret, code, "demo", 10**6, today)
    with transaction() as session:
        draft = survey.get_draft(session, started.draft_id)
        assert draft is not None
        definition = survey.draft_definition(session, draft)
        saved = 0
        while pages is None or saved < pages:
            page = survey.current_page(definition, draft)
            posted = _page_answers(definition, page.section.questions, rng, plan.unit, plan.exposure,
                                   draft.answers or {})
            checked = survey.save_page(session, draft, definition, page.section.key, posted, "next", today)
            if checked.errors:
                raise ServiceError(f"demo survey answers refused: {checked.errors}")
            saved += 1
            if page.is_last:
                break
    return started.draft_id


def build_survey(spec: DemoSpec, round_: Round, secret: str, admin: User) -> int:
    """Head counts, access codes and answers for this year's staff survey, each respondent in
    transactions of their own as on the survey pages; the number of completed responses."""
    with transaction() as session:
        units = {u.key: u for u in session.scalars(
            select(Unit).where(Unit.key.in_([p.unit for p in spec.survey_units])))}
        survey.set_head_counts(session, round_, {units[p.unit].id: p.head_count for p in spec.survey_units},
                               actor=admin)
        codes = {p.unit: survey.generate_codes(session, secret, round_, units[p.unit].id, p.head_count,
                                               actor=admin)
                 for p in spec.survey_units}
    rng = random.Random(f"{spec.seed}-survey")
    completed = 0
    for plan in spec.survey_units:
        unit_codes = iter(codes[plan.unit])
        for _ in range(plan.completed):
            draft_id = _respond(secret, next(unit_codes), plan, rng, spec.today, None)
            errors = survey.complete(secret, draft_id, spec.today)
            if errors:
                raise ServiceError(f"demo survey response incomplete: {errors}")
            completed += 1
        for _ in range(plan.declined):
            draft_id = survey.start_with_code(secret, next(unit_codes), "demo", 10**6, spec.today).draft_id
            survey.decline(draft_id)
        for _ in range(plan.unfinished):
            _respond(secret, next(unit_codes), plan, rng, spec.today, rng.randint(1, 2))
    # The demo's respondents are made up: their answers are released at once, so that the demo
    # shows the figures of its plan (real ones wait for others of their unit, see `complete`).
    with transaction() as session:
        survey.release_waiting(session, session.get(Round, round_.id))  # type: ignore[arg-type]
    return completed


def _survey_started(session: Session, round_: Round) -> bool:
    return bool(session.scalar(select(func.count()).select_from(AccessCode).where(AccessCode.round_id == round_.id)))


def _risk_register_builder() -> Callable[[Session, Round], Any] | None:
    """`app.services.demo_risks.build_demo_registers`, when that module exists."""
    if importlib.util.find_spec("app.services.demo_risks") is None:
        return None
    return getattr(importlib.import_module("app.services.demo_risks"), "build_demo_registers", None)


def build_demo(logins_file: Path, secret: str, spec: DemoSpec | None = None) -> DemoReport:
    """The whole demo: what exists already (found by its key) is left as it is."""
    spec = spec or DemoSpec()
    with transaction() as session:
        report = DemoReport(build_demo_city(session, logins_file))
    new_rounds: list[Round] = []
    for year, build in ((spec.this_year - 1, build_last_year), (spec.this_year, build_this_year)):
        with transaction() as session:
            if session.scalar(select(Round.id).where(Round.key == round_key(year))) is None:
                new_rounds.append(build(session, spec, _demo_admin(session)))
                report.rounds_created.append(round_key(year))
    with transaction() as session:
        current = session.scalar(select(Round).where(Round.key == round_key(spec.this_year)))
        wanted = current is not None and current.status == "open" and not _survey_started(session, current)
    if wanted:
        build_survey(spec, current, secret, _demo_admin(db.session))  # type: ignore[arg-type]
        report.surveys_created.append(round_key(spec.this_year))
    # Risk registers go through the submission workflow, which only writes in an open round.
    builder = _risk_register_builder()
    open_rounds = [created for created in new_rounds if created.status == "open"]
    if builder is not None and open_rounds:
        with transaction() as session:
            for created in open_rounds:
                builder(session, session.merge(created))
        report.risk_registers = True
    return report


def _demo_admin(session: Session) -> User:
    admin = session.scalar(select(User).where(User.email == DEMO_LOGINS[0][0]))
    assert admin is not None
    return admin
