"""The demonstration city: units, logins, last year's closed review, this year's open review, its
staff survey and risk registers, created once however often the demo runs, and only through the
real services.

Everything is generated from a `DemoSpec` with a seeded `random.Random`, so that the same spec
gives the same city; the synthetic city (app.demo.synthetic) grows from the same parameters.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.demo.answers import page_answers, rating_answers
from app.demo.city import DEMO_LOGINS, DemoLogin, build_demo_city, editor_email, invited_unit_keys
from app.demo.risks import build_demo_registers
from app.extensions import db
from app.models import Round, Unit, User
from app.models.survey import AccessCode
from app.questions.answers import Answers
from app.services import ServiceError, survey, transaction
from app.services import submissions as workflow
from app.services.rounds import RoundSpec, change_status, create_round


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
        _answer_as_editor(session, created, key, rating_answers(definition, rng, quality), submit=True)
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
        _answer_as_editor(session, created, key, rating_answers(definition, rng, qualities[key][1]), submit=True)
    for key in spec.drafts:
        answers = rating_answers(definition, rng, qualities[key][1], only=rng.randint(2, 6))
        _answer_as_editor(session, created, key, answers, submit=False)
    return created


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
            posted = page_answers(definition, page.section.questions, rng, plan.unit, plan.exposure,
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
    open_rounds = [created for created in new_rounds if created.status == "open"]
    if open_rounds:
        with transaction() as session:
            for created in open_rounds:
                build_demo_registers(session, session.merge(created))
        report.risk_registers = True
    return report


def _demo_admin(session: Session) -> User:
    admin = session.scalar(select(User).where(User.email == DEMO_LOGINS[0][0]))
    assert admin is not None
    return admin
