"""The city-wide view of a round's registers: the matrix, recurring risks, the highest risks,
overdue measures, statements needing action, planned or reactive influence and the boards'
internal control plans. Submitted registers only, loaded in one query per round."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.definitions.schema import RiskLevel, RiskTemplate
from app.models import Round, RoundUnit, Unit, UnitResponse
from app.questions.types import rated_questions
from app.services.risks.register import risk_version, statement_coverage
from app.services.risks.values import (
    NO_RISKS_KEY,
    Measure,
    Risk,
    RiskCell,
    level_of,
    risk_matrix,
    risks_of,
)
from app.services.rounds import main_version
from app.sorting import name_key

# The overview lists this many of the highest rated risks.
HIGHEST_RISKS = 10


@dataclass(frozen=True)
class UnitRisk:
    """A risk with the unit it belongs to, for city-wide lists."""

    unit_key: str
    unit_name: str
    risk: Risk
    level: RiskLevel | None


@dataclass(frozen=True)
class OverdueMeasure:
    unit_key: str
    unit_name: str
    risk: Risk
    measure: Measure


@dataclass(frozen=True)
class RecurringGroup:
    """Risks of several units that share a catalogue item or a form of influence."""

    key: str
    label: str
    units: tuple[str, ...]  # unit names
    risks: int


@dataclass(frozen=True)
class CityStatement:
    key: str
    text: str
    units_needing_action: int  # units that rated it below its best level
    units_with_measure: int


@dataclass
class CityOverview:
    round_key: str
    round_name: str
    template: RiskTemplate
    invited: int
    submitted: int
    matrix: list[list[RiskCell]]
    by_catalogue: list[RecurringGroup]
    by_form: list[RecurringGroup]
    highest: list[UnitRisk]
    overdue: list[OverdueMeasure]
    without_risks: list[Unit]  # invited units with no documented risk: submitted empty or not submitted
    statements: list[CityStatement] = field(default_factory=list)
    plan: CityPlan | None = None  # planned vs reactive and the internal control plans (city_plan)
    # Of `without_risks`: those whose register was submitted without risks, with the statement
    # of why none applies (id -> statement); the others have not submitted.
    no_risk_statements: dict[int, str] = field(default_factory=dict)

    @property
    def submitted_empty(self) -> list[tuple[Unit, str]]:
        return [(u, self.no_risk_statements[u.id]) for u in self.without_risks if u.id in self.no_risk_statements]

    @property
    def not_submitted(self) -> list[Unit]:
        return [u for u in self.without_risks if u.id not in self.no_risk_statements]


# --- the city-wide view -----------------------------------------------------------------------

def submitted_registers(session: Session, round_: Round) -> list[tuple[Unit, list[Risk]]]:
    """Every invited unit with the risks of its submitted register (none when not submitted)."""
    version = round_.version_of_kind("risk_template")
    rows = session.execute(
        select(Unit, UnitResponse)
        .join(RoundUnit, RoundUnit.unit_id == Unit.id)
        .outerjoin(UnitResponse, (UnitResponse.unit_id == Unit.id) & (UnitResponse.round_id == round_.id)
                   & (UnitResponse.questionnaire_version_id == (version.id if version else -1))
                   & (UnitResponse.status == "submitted"))
        .where(RoundUnit.round_id == round_.id)
    ).all()
    rows = sorted(rows, key=lambda row: (name_key(row[0].name), row[0].key))
    return [(unit, risks_of(response.answers) if response is not None else []) for unit, response in rows]


def _groups(entries: dict[str, tuple[str, set[str], int]]) -> list[RecurringGroup]:
    groups = [RecurringGroup(key, label, tuple(sorted(units)), n)
              for key, (label, units, n) in entries.items() if len(units) >= 2]
    return sorted(groups, key=lambda g: (-len(g.units), -g.risks, g.label))


def city_overview(session: Session, round_: Round, language: str, today: date) -> CityOverview:
    version, template = risk_version(round_)
    registers = submitted_registers(session, round_)
    all_risks = [(unit, item) for unit, risks in registers for item in risks]
    catalogue_labels = {c.key: c.activity.get(language) for c in template.catalogue}
    form_labels = {f.key: f.label.get(language) for f in template.forms}
    by_catalogue: dict[str, tuple[str, set[str], int]] = {}
    by_form: dict[str, tuple[str, set[str], int]] = {}
    for unit, item in all_risks:
        if item.catalogue_key in catalogue_labels:
            label, units, n = by_catalogue.get(item.catalogue_key, (catalogue_labels[item.catalogue_key], set(), 0))
            by_catalogue[item.catalogue_key] = (label, units | {unit.name}, n + 1)
        for form_key in item.forms:
            label, units, n = by_form.get(form_key, (form_labels.get(form_key, form_key), set(), 0))
            by_form[form_key] = (label, units | {unit.name}, n + 1)
    rated = [(u, r) for u, r in all_risks if r.value is not None]
    highest = sorted(rated, key=lambda pair: (-(pair[1].value or 0), name_key(pair[0].name), pair[1].activity))
    overdue = [OverdueMeasure(unit.key, unit.name, item, measure)
               for unit, item in all_risks for measure in item.measures if measure.is_overdue(today)]
    overdue.sort(key=lambda o: (o.measure.due_on or today, name_key(o.unit_name)))
    overview = CityOverview(
        round_key=round_.key, round_name=round_.name, template=template, invited=len(registers),
        submitted=_count_submitted(session, round_, version.id),
        matrix=risk_matrix(template, [r for _u, r in all_risks]),
        by_catalogue=_groups(by_catalogue), by_form=_groups(by_form),
        highest=[UnitRisk(u.key, u.name, r, level_of(template, r)) for u, r in highest[:HIGHEST_RISKS]],
        overdue=overdue, without_risks=[unit for unit, risks in registers if not risks],
    )
    overview.statements = _city_statements(session, round_, registers, language)
    overview.plan = city_plan(session, round_, language)
    overview.no_risk_statements = _no_risk_statements(session, round_, version.id)
    return overview


def _no_risk_statements(session: Session, round_: Round, version_id: int) -> dict[int, str]:
    """Per unit id, the statement of its register submitted without risks in the round."""
    rows = session.execute(select(UnitResponse.unit_id, UnitResponse.answers).where(
        UnitResponse.round_id == round_.id, UnitResponse.questionnaire_version_id == version_id,
        UnitResponse.status == "submitted")).all()
    statements = {}
    for unit_id, answers in rows:
        if not risks_of(answers):
            statement = (answers or {}).get(NO_RISKS_KEY)
            statements[unit_id] = statement if isinstance(statement, str) else ""
    return statements


def _count_submitted(session: Session, round_: Round, version_id: int) -> int:
    return len(session.scalars(select(UnitResponse.id).where(
        UnitResponse.round_id == round_.id, UnitResponse.questionnaire_version_id == version_id,
        UnitResponse.status == "submitted")).all())


def _city_statements(session: Session, round_: Round, registers: list[tuple[Unit, list[Risk]]],
                     language: str) -> list[CityStatement]:
    """Per statement: units that rated it Delvis/Nej in their submitted self-assessment, and how
    many of those have a measure linked to it in their submitted register."""
    version = main_version(round_)
    if version is None or version.questionnaire.kind != "unit_questionnaire":
        return []
    definition = version.parsed()
    risks_by_unit = {unit.id: risks for unit, risks in registers}
    rows = session.execute(select(UnitResponse.unit_id, UnitResponse.answers).where(
        UnitResponse.round_id == round_.id, UnitResponse.questionnaire_version_id == version.id,
        UnitResponse.status == "submitted")).all()
    needing: Counter[str] = Counter()
    covered: Counter[str] = Counter()
    for unit_id, answers in rows:
        for item in statement_coverage(definition, answers or {}, risks_by_unit.get(unit_id, []), language):
            needing[item.key] += 1
            covered[item.key] += item.has_measure
    return [CityStatement(q.key, q.text.get(language), needing[q.key], covered[q.key])
            for q in rated_questions(definition) if needing[q.key]]


# --- the city overview: planned or reactive, and the boards' internal control plans --------------

@dataclass(frozen=True)
class KindCount:
    """Risks (and the units they belong to) with one answer to planned or reactive; `key` None
    for the risks where it is not stated."""

    key: str | None
    label: str
    risks: int
    units: int


@dataclass(frozen=True)
class PlanEntry:
    unit_key: str
    unit_name: str
    risk: Risk
    level: RiskLevel | None


@dataclass(frozen=True)
class CityPlan:
    """Submitted registers only, as the rest of the overview."""

    kinds: list[KindCount]
    entries: list[PlanEntry]
    units_with_plan: int


def city_plan(session: Session, round_: Round, language: str) -> CityPlan | None:
    """How many submitted risks are planned or reactive influence, and which risks the units put
    in their boards' internal control plans (highest first); None when the template asks neither."""
    version = round_.version_of_kind("risk_template")
    template = version.parsed().risk if version is not None else None
    if template is None or (template.influencer_kind is None and template.control_plan is None):
        return None
    registers = submitted_registers(session, round_)
    kinds: list[KindCount] = []
    if template.influencer_kind is not None:
        for key, label in [(o.value, o.label.get(language)) for o in template.influencer_kind.options] + [
                (None, str(_l("Ej angiven")))]:
            found = [(unit, item) for unit, risks in registers for item in risks if item.influencer_kind == key]
            kinds.append(KindCount(key, label, len(found), len({unit.id for unit, _item in found})))
    entries = [PlanEntry(unit.key, unit.name, item, level_of(template, item))
               for unit, risks in registers for item in risks if item.in_plan]
    entries.sort(key=lambda e: (-(e.risk.value or 0), name_key(e.unit_name), e.risk.activity))
    return CityPlan(kinds, entries, len({e.unit_key for e in entries}))
