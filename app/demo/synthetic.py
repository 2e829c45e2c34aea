"""The synthetic city of issue 10: a deterministic city of any size for measuring performance,
built only through the services that store real answers (rounds, the submission workflow, the
risk register and the survey's `store_completed`).

The same `SyntheticSpec` (and seed) always gives the same units, the same plan of survey
responses per unit and the same answers; only the random ids of stored rows differ.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.definitions.schema import Definition
from app.demo.answers import page_answers, rating_answers
from app.demo.city import ensure_user, stored_passwords
from app.demo.risks import ADMINISTRATIVE, sample_risk
from app.models import Round, Unit, User
from app.policy import Role
from app.questions.answers import Answers
from app.questions.conditions import visible_sections
from app.services import submissions as workflow
from app.services import survey, transaction
from app.services.risks.register import put_risk, register_target, submit_register, template_of
from app.services.rounds import RoundSpec, change_status, create_round
from app.services.survey_storage import reshuffle_survey_tables
from app.services.units import UnitRow, import_units

ROOT = "syn-stad"
TOP_KINDS: tuple[str, ...] = ("board", "district_board", "company")
ADMIN = "syntes-admin@lagesbild.example"
EDITOR = "syntes-redaktor@lagesbild.example"
ANALYST = "syntes-analytiker@lagesbild.example"
# The smallest group shown in survey results unless a round says otherwise (app config default).
THRESHOLD = 5
# Every third top-level unit keeps a risk register; two of three of those submit it.
RISK_EVERY = 3


@dataclass(frozen=True)
class SyntheticSpec:
    """How big the synthetic city is; `seed` makes it the same every time."""

    units: int = 300
    respondents: int = 50_000
    rounds: int = 2
    seed: int = 1
    today: date = field(default_factory=date.today)

    def years(self) -> list[int]:
        return list(range(self.today.year - self.rounds + 1, self.today.year + 1))


@dataclass
class SyntheticReport:
    """What one run created: nothing when the city already exists."""

    units: int = 0
    rounds: list[str] = field(default_factory=list)
    submitted: int = 0
    registers: int = 0
    responses: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)


def round_key(year: int) -> str:
    return f"syntes-{year}"


# --- the unit tree -----------------------------------------------------------------------------

def synthetic_units(spec: SyntheticSpec) -> list[UnitRow]:
    """`spec.units` units: the city, about one in eight boards, district boards and companies
    directly under it, an administration under each board and district board, and sections
    spread unevenly under the administrations."""
    if spec.units < 4:
        raise ValueError("a synthetic city needs at least 4 units")
    rng = random.Random(f"{spec.seed}-units")
    rows = [UnitRow(ROOT, "Syntetiska staden", "city")]
    remaining = spec.units - 1
    tops = max(min(remaining, 3), remaining // 8)
    names = {"board": "nämnd", "district_board": "stadsdelsnämnd", "company": "AB"}
    for i in range(tops):
        kind = TOP_KINDS[i % len(TOP_KINDS)]
        rows.append(UnitRow(f"syn-{i + 1:03d}", f"Syntetisk {names[kind]} {i + 1}", kind, ROOT))
    remaining -= tops
    parents = [row for row in rows[1:] if row.kind != "company"]
    administrations = []
    for row in parents[:remaining]:
        administrations.append(UnitRow(f"{row.key}-forv", f"{row.name}, förvaltning", "administration", row.key))
    rows += administrations
    remaining -= len(administrations)
    homes = administrations or rows[1:]
    weights = [rng.paretovariate(1.5) for _ in homes]
    for i in range(remaining):
        home = rng.choices(homes, weights=weights)[0]
        rows.append(UnitRow(f"syn-avd-{i + 1:04d}", f"Avdelning {i + 1}", "section", home.key))
    return rows


def top_level_keys(spec: SyntheticSpec) -> list[str]:
    return [row.key for row in synthetic_units(spec) if row.kind in TOP_KINDS]


def invited_keys(spec: SyntheticSpec) -> list[str]:
    """Every unit but the city is invited: top-level units answer the self-assessment, staff in
    every unit answer the survey."""
    return [row.key for row in synthetic_units(spec) if row.kind != "city"]


# --- the survey plan ---------------------------------------------------------------------------

def survey_plan(spec: SyntheticSpec, year: int) -> dict[str, int]:
    """Completed survey responses per invited unit in `year`'s round, summing to
    `spec.respondents`: a long-tailed spread, with about one unit in ten (at least one) below
    the anonymity threshold."""
    rng = random.Random(f"{spec.seed}-{year}-plan")
    keys = invited_keys(spec)
    small = set(rng.sample(keys, max(1, len(keys) // 10)))
    plan = {key: rng.randint(1, THRESHOLD - 1) for key in keys if key in small}
    left = max(0, spec.respondents - sum(plan.values()))
    large = [key for key in keys if key not in small]
    weights = {key: rng.paretovariate(1.2) for key in large}
    total = sum(weights.values())
    shares = {key: left * weights[key] / total for key in large}
    plan.update({key: int(share) for key, share in shares.items()})
    # Largest remainders, so that the plan sums exactly to the respondents asked for.
    short = spec.respondents - sum(plan.values())
    for key in sorted(large, key=lambda k: (int(shares[k]) - shares[k], k))[:max(0, short)]:
        plan[key] += 1
    return {key: plan[key] for key in keys}


def _full_response(definition: Definition, rng: random.Random, unit_key: str, exposure: float) -> Answers:
    """One respondent's answers to every shown page, as the demo answers page by page."""
    answers: Answers = {}
    for section in definition.sections:
        if section.key not in {s.key for s in visible_sections(definition, answers)}:
            continue
        answers.update(page_answers(definition, section.questions, rng, unit_key, exposure, answers))
    return answers


def _answer_survey(spec: SyntheticSpec, round_key_: str, year: int, today: date) -> int:
    with transaction() as session:
        round_ = session.scalar(select(Round).where(Round.key == round_key_))
        assert round_ is not None
        ids = {key: id_ for key, id_ in
               session.execute(select(Unit.key, Unit.id).where(Unit.key.in_(invited_keys(spec))))}
        definition = round_.version_of_kind("survey").parsed()  # type: ignore[union-attr]
        plan = survey_plan(spec, year)
        rng = random.Random(f"{spec.seed}-{year}-heads")
        survey.set_head_counts(session, round_, {ids[k]: max(n, round(n / rng.uniform(0.55, 0.9)))
                                                 for k, n in plan.items()})
    stored = 0
    for key, count in plan.items():
        rng = random.Random(f"{spec.seed}-{year}-{key}")
        exposure = rng.uniform(0.15, 0.6)
        responses = (_full_response(definition, rng, key, exposure) for _ in range(count))
        stored += survey.store_completed(round_key_, ids[key], responses, today)
    return stored


# --- rounds, self-assessments and registers ----------------------------------------------------

def _user(session: Session, email: str) -> User:
    found = session.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


def _self_assessments(session: Session, spec: SyntheticSpec, round_: Round, editor: User) -> int:
    definition = round_.version_of_kind("unit_questionnaire").parsed()  # type: ignore[union-attr]
    rng = random.Random(f"{spec.seed}-{round_.year}-self")
    for key in top_level_keys(spec):
        target = workflow.find_target(session, round_.key, key, "sjalvskattning")
        workflow.submit(session, target, rating_answers(definition, rng, rng.uniform(0.2, 1.8)), 0, editor)
    return len(top_level_keys(spec))


def _registers(session: Session, spec: SyntheticSpec, round_: Round, editor: User) -> int:
    """Risk registers for every RISK_EVERY-th top-level unit; two of three are submitted."""
    if round_.version_of_kind("risk_template") is None:
        return 0
    rng = random.Random(f"{spec.seed}-{round_.year}-risks")
    units = {u.key: u for u in session.scalars(select(Unit).where(Unit.key.in_(top_level_keys(spec))))}
    made = 0
    for index, key in enumerate(top_level_keys(spec)[::RISK_EVERY]):
        target = register_target(session, round_, units[key])
        template = template_of(target)
        outcome = None
        for item_key in rng.sample(ADMINISTRATIVE, 3):
            base = outcome.response.version if outcome is not None else 0
            outcome = put_risk(session, target, sample_risk(template, item_key, rng, spec.today), base, editor)
        if outcome is not None and index % 3 != 2:
            submit_register(session, target, outcome.response.version, editor)
        made += 1
    return made


def _build_round(spec: SyntheticSpec, year: int, report: SyntheticReport) -> None:
    last = year == spec.today.year
    opens_on = date(year, 3, 1) if not last else spec.today - timedelta(days=30)
    with transaction() as session:
        admin = _user(session, ADMIN)
        created = create_round(session, RoundSpec(
            key=round_key(year), name=f"Syntetisk granskning {year}", year=year,
            questionnaire_keys=("medarbetarenkat", "riskanalys", "sjalvskattning"),
            unit_keys=tuple(invited_keys(spec)), opens_on=opens_on, due_on=opens_on + timedelta(days=60)),
            actor=admin)
        change_status(session, created, "open", actor=admin)
        editor = _user(session, EDITOR)
        report.submitted += _self_assessments(session, spec, created, editor)
        report.registers += _registers(session, spec, created, editor)
    report.responses += _answer_survey(spec, round_key(year), year, opens_on + timedelta(days=10))
    if not last:
        with transaction() as session:
            round_ = session.scalar(select(Round).where(Round.key == round_key(year)))
            change_status(session, round_, "close", actor=_user(session, ADMIN))  # type: ignore[arg-type]
        reshuffle_survey_tables()
    report.rounds.append(round_key(year))


def _logins(session: Session, spec: SyntheticSpec, logins_file: Path) -> list[tuple[str, str, str]]:
    passwords = stored_passwords(logins_file)
    wanted = ((ADMIN, Role.ADMIN, ()), (ANALYST, Role.ANALYST, ()),
              (EDITOR, Role.UNIT_EDITOR, tuple(top_level_keys(spec))))
    for email, role, units in wanted:
        ensure_user(session, passwords, email, role, units)
    logins_file.parent.mkdir(parents=True, exist_ok=True)
    logins_file.touch(mode=0o600, exist_ok=True)
    logins_file.write_text("".join(f"{e}\t{p}\n" for e, p in passwords.items()))
    return [(email, role, passwords.get(email, "")) for email, role, _ in wanted]


def build_synthetic(logins_file: Path, spec: SyntheticSpec) -> SyntheticReport:
    """The whole synthetic city, once: when its root unit exists, nothing is built again."""
    report = SyntheticReport()
    with transaction() as session:
        if session.scalar(select(Unit.id).where(Unit.key == ROOT)) is None:
            report.units = len(import_units(session, synthetic_units(spec)))
        report.logins = _logins(session, spec, logins_file)
    if not report.units:
        return report
    for year in spec.years():
        _build_round(spec, year, report)
    return report
