"""The risk register: a unit's risks of unlawful influence in a round, and the city-wide view.

A register is the unit's answers to the round's `risk_template` questionnaire, stored and
versioned by the one submission workflow (`app.services.submissions`): every risk is one
top-level entry `"risk_<random>": {...}` of the answers dict, so the history records each
risk's changes and two editors' saves are checked against each other as for the
self-assessment. `check_register` is the workflow's `check` for this kind of answers.

City-wide figures count submitted registers only (as the unit report's distributions do).
They are computed from the registers loaded in one query per round: a register is one row per
unit, so the rows are few, and the risk entries inside them live in JSON, whose functions
differ between SQLite and PostgreSQL.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.definitions.schema import Definition, Option, RatingQuestion, RiskLevel, RiskTemplate
from app.models import QuestionnaireVersion, Round, RoundUnit, Unit, UnitResponse, User
from app.questions.answers import AnswerError, Answers, Validated
from app.questions.types import chosen_value, question_type, rated_questions
from app.services import Problem, ServiceError
from app.services.rounds import main_version
from app.services.submissions import (
    NotFound,
    Outcome,
    ResponseTarget,
    find_target,
    get_response,
    save,
    submit,
)
from app.sorting import name_key

RISK_PREFIX = "risk_"
MEASURE_STATUSES: tuple[str, ...] = ("planned", "in_progress", "done")
MEASURE_STATUS_LABELS = {"planned": _l("Planerad"), "in_progress": _l("Pågår"), "done": _l("Klar")}
MAX_TEXT = 5000
MAX_SHORT = 300
MAX_MEASURES = 20
MAX_FOLLOW_UPS = 30
HIGHEST_RISKS = 10
# Answers entries that are not risks: why no risk applies (required to submit a register without
# risks), and on a risk where it was carried from (app.services.risk_history).
NO_RISKS_KEY = "no_risks"
CARRIED_FROM = "carried_from"


# --- values ------------------------------------------------------------------------------

@dataclass(frozen=True)
class FollowUp:
    """One follow-up of a measure: when, by whom, what was found and (optionally) the status the
    measure had after it ("" when the follow-up did not change it)."""

    on: date | None
    by: str = ""
    comment: str = ""
    status: str = ""


@dataclass(frozen=True)
class Measure:
    """A measure decided against a risk, with who owns it, when it is due, where it stands and
    its follow-ups, oldest first."""

    action: str
    owner: str = ""
    due_on: date | None = None
    status: str = "planned"
    follow_ups: tuple[FollowUp, ...] = ()

    def is_overdue(self, today: date) -> bool:
        return self.due_on is not None and self.due_on < today and self.status != "done"


@dataclass(frozen=True)
class Risk:
    """One risk of the register. `likelihood` and `consequence` are option values of the
    template's scales (None in a draft that has not rated it yet)."""

    key: str
    activity: str
    forms: tuple[str, ...] = ()
    description: str = ""
    controls: str = ""
    likelihood: str | None = None
    consequence: str | None = None
    measures: tuple[Measure, ...] = ()
    follow_up: str = ""
    catalogue_key: str | None = None
    statement_key: str | None = None
    # Who influences and how (option values of the template's influencer_kind and influencer).
    influencer_kind: str | None = None
    influencers: tuple[str, ...] = ()
    influencer_other: str = ""
    # The board's internal control plan.
    in_plan: bool = False
    plan_control: str = ""
    plan_owner: str = ""
    plan_decision: str = ""
    plan_decided_on: date | None = None

    @property
    def value(self) -> int | None:
        """Likelihood × consequence (the scales' option values as numbers)."""
        if self.likelihood is None or self.consequence is None:
            return None
        return int(self.likelihood) * int(self.consequence)


@dataclass(frozen=True)
class RiskCell:
    likelihood: Option
    consequence: Option
    value: int
    level: RiskLevel
    count: int = 0


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
class StatementCoverage:
    """A self-assessment statement rated below its best level and whether a measure exists."""

    key: str
    text: str
    rating: Option
    risks: int
    has_measure: bool


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


# --- levels and the matrix -----------------------------------------------------------------

def risk_level(risk: RiskTemplate, value: int) -> RiskLevel:
    """The first level whose band reaches `value` (likelihood × consequence)."""
    for level in risk.levels:
        if value <= level.max_value:
            return level
    return risk.levels[-1]


def level_of(template: RiskTemplate, item: Risk) -> RiskLevel | None:
    return risk_level(template, item.value) if item.value is not None else None


def risk_matrix(risk: RiskTemplate, risks: Iterable[Risk] = ()) -> list[list[RiskCell]]:
    """Rows from the most to the least likely, columns from the least to the worst consequence;
    each cell with its value, level and the number of `risks` in it."""
    counts = Counter((r.likelihood, r.consequence) for r in risks if r.value is not None)
    return [
        [RiskCell(likelihood, consequence, int(likelihood.value) * int(consequence.value),
                  risk_level(risk, int(likelihood.value) * int(consequence.value)),
                  counts[(likelihood.value, consequence.value)])
         for consequence in risk.consequence.options]
        for likelihood in reversed(risk.likelihood.options)
    ]


def sorted_register(template: RiskTemplate, risks: Iterable[Risk]) -> list[Risk]:
    """Highest risk value first; unrated risks last; then by activity."""
    return sorted(risks, key=lambda r: (-(r.value or 0), r.activity.casefold(), r.key))


# --- answers <-> risks ------------------------------------------------------------------------

def new_risk_key() -> str:
    return RISK_PREFIX + secrets.token_hex(4)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _follow_up_to_answer(entry: FollowUp) -> dict[str, Any]:
    return {"on": _iso(entry.on), "by": entry.by, "comment": entry.comment, "status": entry.status}


def _measure_to_answer(measure: Measure) -> dict[str, Any]:
    return {"action": measure.action, "owner": measure.owner, "due_on": _iso(measure.due_on),
            "status": measure.status, "follow_ups": [_follow_up_to_answer(f) for f in measure.follow_ups]}


def risk_to_answer(item: Risk) -> dict[str, Any]:
    return {
        "activity": item.activity, "forms": list(item.forms), "description": item.description,
        "controls": item.controls, "likelihood": item.likelihood, "consequence": item.consequence,
        "measures": [_measure_to_answer(m) for m in item.measures], "follow_up": item.follow_up,
        "catalogue_key": item.catalogue_key, "statement_key": item.statement_key,
        "influencer_kind": item.influencer_kind, "influencers": list(item.influencers),
        "influencer_other": item.influencer_other, "in_plan": item.in_plan,
        "plan_control": item.plan_control, "plan_owner": item.plan_owner,
        "plan_decision": item.plan_decision, "plan_decided_on": _iso(item.plan_decided_on),
    }


def _date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _follow_up_from_answer(data: dict[str, Any]) -> FollowUp:
    return FollowUp(_date(data.get("on")), str(data.get("by") or ""), str(data.get("comment") or ""),
                    str(data.get("status") or ""))


def risk_from_answer(key: str, data: dict[str, Any]) -> Risk:
    """A stored (validated) entry as a Risk; entries stored before a field existed read as empty."""
    return Risk(
        key=key, activity=str(data.get("activity") or ""), forms=tuple(data.get("forms") or ()),
        description=str(data.get("description") or ""), controls=str(data.get("controls") or ""),
        likelihood=data.get("likelihood") or None, consequence=data.get("consequence") or None,
        measures=tuple(Measure(str(m.get("action") or ""), str(m.get("owner") or ""),
                               _date(m.get("due_on")), str(m.get("status") or "planned"),
                               tuple(_follow_up_from_answer(f) for f in m.get("follow_ups") or ()
                                     if isinstance(f, dict)))
                       for m in data.get("measures") or ()),
        follow_up=str(data.get("follow_up") or ""), catalogue_key=data.get("catalogue_key") or None,
        statement_key=data.get("statement_key") or None,
        influencer_kind=data.get("influencer_kind") or None,
        influencers=tuple(data.get("influencers") or ()),
        influencer_other=str(data.get("influencer_other") or ""), in_plan=bool(data.get("in_plan")),
        plan_control=str(data.get("plan_control") or ""), plan_owner=str(data.get("plan_owner") or ""),
        plan_decision=str(data.get("plan_decision") or ""), plan_decided_on=_date(data.get("plan_decided_on")),
    )


def risks_of(answers: Answers | None) -> list[Risk]:
    return [risk_from_answer(key, value) for key, value in (answers or {}).items()
            if key.startswith(RISK_PREFIX) and isinstance(value, dict)]


# --- validation --------------------------------------------------------------------------------

def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def _check_risk(template: RiskTemplate, key: str, data: Any, partial: bool,
                errors: list[AnswerError]) -> dict[str, Any] | None:
    def error(part: str, message: object, code: str = "invalid") -> None:
        errors.append(AnswerError(key, f"{key}-{part}", message, code))

    if not isinstance(data, dict):
        error("activity", _l("risken kunde inte läsas"))
        return None
    activity = _text(data, "activity")
    if not activity:
        error("activity", _l("ange verksamhet eller arbetsmoment"), "required")
    for name, limit in (("activity", MAX_SHORT), ("description", MAX_TEXT), ("controls", MAX_TEXT),
                        ("follow_up", MAX_TEXT)):
        if len(_text(data, name)) > limit:
            error(name, _l("texten är längre än %(n)d tecken", n=limit), "too_long")
    form_keys = {f.key for f in template.forms}
    forms = data.get("forms") or []
    if not isinstance(forms, list) or any(f not in form_keys for f in forms):
        error("forms", _l("okänd form av påverkan"), "not_allowed")
        forms = [f for f in forms if f in form_keys] if isinstance(forms, list) else []
    elif not forms and not partial:
        error("forms", _l("välj minst en form av påverkan"), "required")
    scales = {"likelihood": template.likelihood, "consequence": template.consequence}
    rated: dict[str, str | None] = {}
    for name, scale in scales.items():
        value = data.get(name) or None
        if value is not None and value not in {o.value for o in scale.options}:
            error(name, _l("värdet finns inte på skalan"), "not_allowed")
            value = None
        elif value is None and not partial:
            error(name, _l("välj ett värde på skalan"), "required")
        rated[name] = value
    measures = []
    raw_measures = data.get("measures") or []
    if not isinstance(raw_measures, list) or len(raw_measures) > MAX_MEASURES:
        error("measures", _l("högst %(n)d åtgärder per risk", n=MAX_MEASURES))
        raw_measures = []
    for index, raw in enumerate(raw_measures):
        if not isinstance(raw, dict):
            continue
        action, owner = _text(raw, "action"), _text(raw, "owner")
        due = _date(raw.get("due_on"))
        status = raw.get("status") or "planned"
        if not action:
            error(f"measure-{index}-action", _l("beskriv åtgärden"), "required")
        if len(action) > MAX_TEXT or len(owner) > MAX_SHORT:
            error(f"measure-{index}-action", _l("texten är för lång"), "too_long")
        if raw.get("due_on") and due is None:
            error(f"measure-{index}-due_on", _l("ange datumet som ÅÅÅÅ-MM-DD"))
        if status not in MEASURE_STATUSES:
            error(f"measure-{index}-status", _l("okänd status"), "not_allowed")
            status = "planned"
        if not partial and not owner:
            error(f"measure-{index}-owner", _l("ange vem som ansvarar för åtgärden"), "required")
        if not partial and due is None:
            error(f"measure-{index}-due_on", _l("ange när åtgärden ska vara klar"), "required")
        follow_ups = _check_follow_ups(raw.get("follow_ups"), f"measure-{index}", error)
        measures.append(Measure(action, owner, due, status, follow_ups))
    catalogue = data.get("catalogue_key") or None
    if catalogue is not None and catalogue not in {c.key for c in template.catalogue}:
        catalogue = None  # an item removed from a newer template: the risk stays the unit's own
    return risk_to_answer(Risk(
        key=key, activity=activity, forms=tuple(f for f in form_keys_in_order(template) if f in forms),
        description=_text(data, "description"), controls=_text(data, "controls"),
        likelihood=rated["likelihood"], consequence=rated["consequence"], measures=tuple(measures),
        follow_up=_text(data, "follow_up"), catalogue_key=catalogue,
        statement_key=(data.get("statement_key") or None) if isinstance(data.get("statement_key"), str) else None,
        **_check_influence(template, data, error), **_check_plan(template, data, partial, error),
    ))


def _check_influence(template: RiskTemplate, data: dict[str, Any], error: Any) -> dict[str, Any]:
    """Who influences and how, as far as the template asks it (a template without the question
    keeps nothing of it)."""
    found: dict[str, Any] = {}
    if template.influencer_kind is not None:
        kind = data.get("influencer_kind") or None
        if kind is not None and kind not in {o.value for o in template.influencer_kind.options}:
            error("influencer_kind", _l("välj planerad eller reaktiv påverkan bland alternativen"), "not_allowed")
            kind = None
        found["influencer_kind"] = kind
    if template.influencer is not None:
        options = template.influencer.options
        chosen = data.get("influencers") or []
        if not isinstance(chosen, list) or any(c not in {o.value for o in options} for c in chosen):
            error("influencers", _l("okänt alternativ för vem som påverkar"), "not_allowed")
            chosen = [c for c in chosen if c in {o.value for o in options}] if isinstance(chosen, list) else []
        other = _text(data, "influencer_other")
        if len(other) > MAX_SHORT:
            error("influencer_other", _l("texten är längre än %(n)d tecken", n=MAX_SHORT), "too_long")
        other_values = {o.value for o in options if o.other}
        if other and not other_values & set(chosen):
            other = ""  # the text belongs to the "other" option, which is not chosen
        elif not other and other_values & set(chosen):
            error("influencer_other", _l("skriv vem som påverkar när du väljer Annan"), "required")
        found["influencers"] = tuple(o.value for o in options if o.value in chosen)
        found["influencer_other"] = other
    return found


def _check_plan(template: RiskTemplate, data: dict[str, Any], partial: bool, error: Any) -> dict[str, Any]:
    """The internal control plan's entry: a risk in the plan needs its control once submitted."""
    if template.control_plan is None:
        return {}
    included = data.get("in_plan") in (True, "1", "yes", "on", "true")
    texts = {name: _text(data, name) for name in ("plan_control", "plan_owner", "plan_decision")}
    for name, limit in (("plan_control", MAX_TEXT), ("plan_owner", MAX_SHORT), ("plan_decision", MAX_SHORT)):
        if len(texts[name]) > limit:
            error(name, _l("texten är längre än %(n)d tecken", n=limit), "too_long")
    decided = _date(data.get("plan_decided_on"))
    if data.get("plan_decided_on") and decided is None:
        error("plan_decided_on", _l("ange beslutsdatumet som ÅÅÅÅ-MM-DD"))
    if included and not partial and not texts["plan_control"]:
        error("plan_control", _l("beskriv kontrollmomentet för en risk som ingår i internkontrollplanen"),
              "required")
    return {"in_plan": included, "plan_decided_on": decided, **texts}


def _check_follow_ups(raw: Any, prefix: str, error: Any) -> tuple[FollowUp, ...]:
    """A measure's follow-ups: each with a date, who followed up and a comment; a new status is
    optional."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_FOLLOW_UPS:
        error(f"{prefix}-follow_ups", _l("högst %(n)d uppföljningar per åtgärd", n=MAX_FOLLOW_UPS))
        return ()
    entries = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            continue
        name = f"{prefix}-followup-{index}"
        on, by, comment = _date(item.get("on")), _text(item, "by"), _text(item, "comment")
        status = item.get("status") or ""
        if on is None:
            error(f"{name}-on", _l("ange uppföljningens datum som ÅÅÅÅ-MM-DD")
                  if item.get("on") else _l("ange uppföljningens datum"), "required")
        if not by:
            error(f"{name}-by", _l("ange vem som följde upp åtgärden"), "required")
        if not comment:
            error(f"{name}-comment", _l("skriv vad uppföljningen visade"), "required")
        if len(comment) > MAX_TEXT or len(by) > MAX_SHORT:
            error(f"{name}-comment", _l("texten är för lång"), "too_long")
        if status and status not in MEASURE_STATUSES:
            error(f"{name}-status", _l("okänd status"), "not_allowed")
            status = ""
        entries.append(FollowUp(on, by, comment, status))
    return tuple(entries)


def form_keys_in_order(template: RiskTemplate) -> list[str]:
    return [f.key for f in template.forms]


def check_register(definition: Definition, answers: Answers, partial: bool) -> Validated:
    """The submission workflow's check for a register: every entry a valid risk; a submitted
    register also has every risk rated, every measure with an owner and a due date, and when it has
    no risks a statement of why none applies."""
    from app.services.risk_history import (  # it builds on this module
        carried_link,
        check_no_risks_statement,
    )

    assert definition.risk is not None
    errors: list[AnswerError] = []
    clean: Answers = {}
    for key, data in answers.items():
        if key == NO_RISKS_KEY:
            continue
        if not key.startswith(RISK_PREFIX) or len(key) > 40:
            errors.append(AnswerError(key, key, _l("okänt fält"), "not_allowed"))
            continue
        checked = _check_risk(definition.risk, key, data, partial, errors)
        if checked is not None:
            link = carried_link(data)
            if link is not None:
                checked[CARRIED_FROM] = link
            clean[key] = checked
    check_no_risks_statement(answers, clean, partial, errors)
    return Validated(clean, errors)


# --- the unit's register -----------------------------------------------------------------------

def risk_version(round_: Round) -> tuple[QuestionnaireVersion, RiskTemplate]:
    """The round's risk template (its stored version and the parsed template); NotFound when the
    round has none."""
    version = round_.version_of_kind("risk_template")
    if version is None:
        raise NotFound(Problem(_l("omgången har ingen mall för riskanalys"), "questionnaire"))
    template = version.parsed().risk
    assert template is not None
    return version, template


def register_target(session: Session, round_: Round, unit: Unit) -> ResponseTarget:
    """The unit's register in the round; NotFound when the round has no risk template."""
    version, _template = risk_version(round_)
    return find_target(session, round_.key, unit.key, version.questionnaire.key)


def template_of(target: ResponseTarget) -> RiskTemplate:
    template = target.definition.risk
    assert template is not None
    return template


def current_answers(session: Session, target: ResponseTarget) -> Answers:
    response = get_response(session, target)
    return dict(response.answers or {}) if response is not None else {}


def put_risk(session: Session, target: ResponseTarget, item: Risk | dict[str, Any], base_version: int,
             user: User, *, answers: Answers | None = None) -> Outcome:
    """Add or replace one risk in the register (a draft save through the workflow)."""
    data = risk_to_answer(item) if isinstance(item, Risk) else item
    key = item.key if isinstance(item, Risk) else str(item["key"])
    data = {k: v for k, v in data.items() if k != "key"}
    updated = dict(answers if answers is not None else current_answers(session, target))
    updated[key] = data
    return save(session, target, updated, base_version, user, check=check_register)


def delete_risk(session: Session, target: ResponseTarget, key: str, base_version: int, user: User) -> Outcome:
    updated = current_answers(session, target)
    if key not in updated:
        raise ServiceError(Problem(_l("risken finns inte"), "risk"))
    del updated[key]
    return save(session, target, updated, base_version, user, check=check_register)


def submit_register(session: Session, target: ResponseTarget, base_version: int, user: User) -> Outcome:
    return submit(session, target, current_answers(session, target), base_version, user, check=check_register)


def risk_from_catalogue(template: RiskTemplate, item_key: str, language: str) -> Risk:
    """A new risk prefilled from a catalogue item, for the unit to adapt."""
    for item in template.catalogue:
        if item.key == item_key:
            return Risk(key=new_risk_key(), activity=item.activity.get(language),
                        description=item.description.get(language) if item.description else "",
                        forms=tuple(item.forms), catalogue_key=item.key)
    raise ServiceError(Problem(_l("okänt exempel i katalogen"), "catalogue"))


# --- from self-assessment to action ----------------------------------------------------------

def _ratings_needing_action(definition: Definition, answers: Answers) -> list[tuple[RatingQuestion, Option]]:
    """Statements rated below the best level of their scale (Delvis or Nej on the three-level one)."""
    found = []
    for question in definition.questions():
        if not question_type(question).rated:
            continue
        options = definition.options_of(question)
        value = chosen_value(question, answers)
        for option in options[1:]:
            if option.value == value:
                found.append((question, option))
    return found


def self_assessment_answers(session: Session, round_: Round, unit: Unit) -> tuple[Definition, Answers] | None:
    version = round_.version_of_kind("unit_questionnaire")
    if version is None:
        return None
    response = session.scalar(select(UnitResponse).where(
        UnitResponse.round_id == round_.id, UnitResponse.unit_id == unit.id,
        UnitResponse.questionnaire_version_id == version.id))
    return version.parsed(), dict(response.answers or {}) if response is not None else {}


def statement_coverage(definition: Definition, answers: Answers, risks: Sequence[Risk],
                       language: str) -> list[StatementCoverage]:
    """Per statement at Delvis/Nej: the linked risks and whether any of them has a measure."""
    result = []
    for question, option in _ratings_needing_action(definition, answers):
        linked = [r for r in risks if r.statement_key == question.key]
        result.append(StatementCoverage(question.key, question.text.get(language), option, len(linked),
                                        any(r.measures for r in linked)))
    return result


def risk_from_statement(definition: Definition, answers: Answers, statement_key: str, language: str,
                        with_measure: bool) -> Risk:
    """A risk linked to a statement rated Delvis/Nej, optionally with one measure to fill in."""
    for question, _option in _ratings_needing_action(definition, answers):
        if question.key == statement_key:
            text = question.text.get(language)
            motivation = str((answers.get(question.key) or {}).get("motivation") or "")
            measures = (Measure(action=str(_l("Åtgärd: %(text)s", text=text))),) if with_measure else ()
            return Risk(key=new_risk_key(), activity=text, description=motivation, measures=measures,
                        statement_key=question.key)
    raise ServiceError(Problem(_l("påståendet är inte bedömt som delvis eller nej"), "statement"))


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
    rows.sort(key=lambda row: (name_key(row[0].name), row[0].key))
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


# --- history -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RiskChange:
    """What one save did to one risk: added, removed or changed (with the fields that changed)."""

    key: str
    activity: str
    kind: str  # added | removed | changed
    fields: tuple[str, ...] = ()


def _changed_fields(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    """The fields that differ; an empty value equals a missing one (an entry saved before a field
    existed), and a measure's follow-ups count as their own field, "measure_follow_ups"."""
    def plain(measures: Any) -> list[Any]:
        return [{k: v for k, v in m.items() if k != "follow_ups"} if isinstance(m, dict) else m
                for m in measures or ()]

    def follow_ups(measures: Any) -> list[Any]:
        return [(m.get("follow_ups") or []) if isinstance(m, dict) else [] for m in measures or ()]

    fields = [name for name in set(old) | set(new) if name != "measures"
              and (old.get(name) or None) != (new.get(name) or None)]
    if plain(old.get("measures")) != plain(new.get("measures")):
        fields.append("measures")
    if any(follow_ups(old.get("measures"))) or any(follow_ups(new.get("measures"))):
        if follow_ups(old.get("measures")) != follow_ups(new.get("measures")):
            fields.append("measure_follow_ups")
    return tuple(sorted(fields))


def risk_changes(changes: dict[str, Any]) -> list[RiskChange]:
    """A history event's `{key: [old, new]}` read per risk."""
    result = []
    for key, (old, new) in sorted(changes.items()):
        old, new = old or {}, new or {}
        activity = str(new.get("activity") or old.get("activity") or key)
        if not old:
            result.append(RiskChange(key, activity, "added"))
        elif not new:
            result.append(RiskChange(key, activity, "removed"))
        else:
            result.append(RiskChange(key, activity, "changed", _changed_fields(old, new)))
    return result


# --- values for the exports (app.reports.risk_export) ----------------------------------------

def with_measures(item: Risk, measures: Sequence[Measure]) -> Risk:
    return replace(item, measures=tuple(measures))


# --- labels of the influence and the internal control plan ---------------------------------------

def influencer_kind_label(template: RiskTemplate, item: Risk, language: str) -> str:
    """The label of the risk's planned/reactive answer ("" when not answered or not asked)."""
    if template.influencer_kind is None or item.influencer_kind is None:
        return ""
    for option in template.influencer_kind.options:
        if option.value == item.influencer_kind:
            return option.label.get(language)
    return item.influencer_kind


def influencers_label(template: RiskTemplate, item: Risk, language: str) -> str:
    """Who influences, as labels; the "other" option shows its text ("Annan: Granne")."""
    if template.influencer is None:
        return ""
    labels = []
    for option in template.influencer.options:
        if option.value in item.influencers:
            text = option.label.get(language)
            labels.append(f"{text}: {item.influencer_other}" if option.other and item.influencer_other else text)
    return ", ".join(labels)


def forms_label(template: RiskTemplate, item: Risk, language: str) -> str:
    labels = {f.key: f.label.get(language) for f in template.forms}
    return ", ".join(labels.get(key, key) for key in item.forms)


def plan_decision_text(item: Risk) -> str:
    """The board decision as one text: "KS 2026/114 §12, 2026-02-10"."""
    return ", ".join(part for part in (item.plan_decision, _iso(item.plan_decided_on) or "") if part)


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
