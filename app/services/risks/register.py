"""A unit's register in a round: finding it, and the operations that change it through the one
submission workflow (a risk added, replaced or removed, the register submitted), including a risk
started from the catalogue or from a statement of the self-assessment rated below its best level."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.definitions.schema import Definition, Option, Question, RiskTemplate
from app.models import QuestionnaireVersion, Round, Unit, UnitResponse, User
from app.questions.answers import Answers
from app.questions.types import chosen_value, question_type
from app.services import Problem, ServiceError
from app.services.risks.validation import check_register
from app.services.risks.values import (
    NO_RISKS_KEY,
    Measure,
    Risk,
    new_risk_key,
    risk_to_answer,
)
from app.services.submissions import (
    NotFound,
    Outcome,
    ResponseTarget,
    find_target,
    get_response,
    save,
    submit,
)

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


def submit_register(session: Session, target: ResponseTarget, base_version: int, user: User,
                    statement: str = "") -> Outcome:
    """Submit the register; `statement` (why no risk applies) is required when it has no risks."""
    answers = current_answers(session, target)
    if statement.strip():
        answers[NO_RISKS_KEY] = statement
    return submit(session, target, answers, base_version, user, check=check_register)


def risk_from_catalogue(template: RiskTemplate, item_key: str, language: str) -> Risk:
    """A new risk prefilled from a catalogue item, for the unit to adapt."""
    for item in template.catalogue:
        if item.key == item_key:
            return Risk(key=new_risk_key(), activity=item.activity.get(language),
                        description=item.description.get(language) if item.description else "",
                        forms=tuple(item.forms), catalogue_key=item.key)
    raise ServiceError(Problem(_l("okänt exempel i katalogen"), "catalogue"))


@dataclass(frozen=True)
class StatementCoverage:
    """A self-assessment statement rated below its best level and whether a measure exists."""

    key: str
    text: str
    rating: Option
    risks: int
    has_measure: bool


# --- from self-assessment to action ----------------------------------------------------------

def _ratings_needing_action(definition: Definition, answers: Answers) -> list[tuple[Question, Option]]:
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
