"""Review rounds: creating, opening, closing and archiving them, inviting units, following who answered."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, aliased

from app.config import (
    DEFAULT_ANONYMITY_THRESHOLD,
    DEFAULT_FREE_TEXT_THRESHOLD,
    MIN_ANONYMITY_THRESHOLD,
)
from app.models import (
    Questionnaire,
    QuestionnaireVersion,
    Round,
    RoundUnit,
    SurveyPending,
    SurveyResponse,
    Unit,
    UnitResponse,
    User,
)
from app.models.submissions import NOT_STARTED
from app.services import Problem, ServiceError, audit
from app.sorting import name_key

ROUND_KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
UNIT_STATUSES: tuple[str, ...] = (NOT_STARTED, "draft", "submitted", "reopened")
# The kinds a unit answers through the submission workflow; the staff survey is anonymous
# and has its own.
UNIT_SIDE_KINDS: tuple[str, ...] = ("unit_questionnaire", "risk_template")
# Which status change each action makes, from which statuses.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "open": (("draft", "closed"), "open"),
    "close": (("open",), "closed"),
    "archive": (("closed",), "archived"),
}


@dataclass(frozen=True)
class Thresholds:
    """A round's survey thresholds: the smallest group whose figures are shown (`anonymity`) and
    the smallest group whose free texts may be shown or named (`free_text`)."""

    anonymity: int
    free_text: int


# The settings' defaults (LAGESBILD_ANONYMITY_THRESHOLD, LAGESBILD_FREE_TEXT_THRESHOLD).
DEFAULT_THRESHOLDS = Thresholds(anonymity=DEFAULT_ANONYMITY_THRESHOLD, free_text=DEFAULT_FREE_TEXT_THRESHOLD)


def configured_thresholds() -> Thresholds:
    """What a new round starts with when its creator names none: the application's settings
    (LAGESBILD_ANONYMITY_THRESHOLD, LAGESBILD_FREE_TEXT_THRESHOLD), or their defaults outside
    an application. The admin's form, the demo and the synthetic city all get them from here."""
    if has_app_context():
        return Thresholds(current_app.config["ANONYMITY_THRESHOLD"], current_app.config["FREE_TEXT_THRESHOLD"])
    return DEFAULT_THRESHOLDS


@dataclass(frozen=True)
class RoundSpec:
    """What an admin fills in to create a round."""

    key: str
    name: str
    year: int
    questionnaire_keys: tuple[str, ...]
    unit_keys: tuple[str, ...]
    opens_on: date | None = None
    due_on: date | None = None
    instructions: str = ""
    retain_until: date | None = None
    thresholds: Thresholds | None = None  # None: `configured_thresholds()`


@dataclass(frozen=True)
class UnitStatus:
    """Where one invited unit stands with one questionnaire of a round."""

    unit_id: int
    unit_key: str
    unit_name: str
    status: str  # not_started | draft | submitted | reopened
    last_change_at: datetime | None
    last_change_by: str | None
    submitted_at: datetime | None


@dataclass(frozen=True)
class RoundStatus:
    """Every invited unit's status, in unit-name order, and the number of units per status."""

    units: list[UnitStatus]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def not_submitted(self) -> list[UnitStatus]:
        return [u for u in self.units if u.status != "submitted"]


class RoundNotFound(ServiceError):
    """No round has the key (or the round has no questionnaire of the kind asked for). A view
    that lets it through answers 404 (app/views/errors.py)."""


def get_round(session: Session, key: str, kind: str | None = None) -> Round:
    """The round with `key`, the one lookup of a round by its key for views, reports and the
    CLI; with `kind` (survey, risk_template, unit_questionnaire) only a round that has a
    questionnaire of that kind."""
    found = session.scalar(select(Round).where(Round.key == key))
    if found is None or (kind is not None and found.version_of_kind(kind) is None):
        raise RoundNotFound(Problem(_l("okänd omgång '%(key)s'", key=key), "round"))
    return found


def list_rounds(session: Session) -> list[Round]:
    return list(session.scalars(select(Round).order_by(Round.year.desc(), Round.name)))


def latest_versions(session: Session, questionnaire_keys: list[str] | tuple[str, ...]) -> list[QuestionnaireVersion]:
    """The newest stored version of each named questionnaire; unknown keys are refused."""
    questionnaires = {q.key: q for q in session.scalars(
        select(Questionnaire).where(Questionnaire.key.in_(questionnaire_keys)))}
    missing = [k for k in questionnaire_keys if k not in questionnaires or questionnaires[k].latest() is None]
    if missing:
        raise ServiceError(Problem(_l("okänt frågeformulär: %(keys)s", keys=", ".join(missing)), "questionnaires"))
    return [questionnaires[k].latest() for k in questionnaire_keys]  # type: ignore[misc]


def _units_by_keys(session: Session, keys: tuple[str, ...] | list[str]) -> list[Unit]:
    units = {u.key: u for u in session.scalars(select(Unit).where(Unit.key.in_(keys)))}
    missing = [k for k in keys if k not in units]
    if missing:
        raise ServiceError(Problem(_l("okänd enhet: %(keys)s", keys=", ".join(missing)), "units"))
    return [units[k] for k in dict.fromkeys(keys)]


def _check_spec(session: Session, spec: RoundSpec) -> list[Problem]:
    problems = []
    if not ROUND_KEY_PATTERN.match(spec.key):
        problems.append(Problem(_l("nyckeln får bara innehålla a-z, 0-9, - och _ (högst 64 tecken)"), "key"))
    elif session.scalar(select(Round.id).where(Round.key == spec.key)) is not None:
        problems.append(Problem(_l("det finns redan en omgång med nyckeln '%(key)s'", key=spec.key), "key"))
    if not spec.name.strip():
        problems.append(Problem(_l("namn saknas"), "name"))
    elif len(spec.name) > 200:
        problems.append(Problem(_l("namnet är längre än %(n)d tecken", n=200), "name"))
    if not 2000 <= spec.year <= 2100:
        problems.append(Problem(_l("året ska vara mellan 2000 och 2100"), "year"))
    if not spec.questionnaire_keys:
        problems.append(Problem(_l("välj minst ett frågeformulär"), "questionnaires"))
    if not spec.unit_keys:
        problems.append(Problem(_l("välj minst en enhet"), "units"))
    if spec.opens_on and spec.due_on and spec.due_on < spec.opens_on:
        problems.append(Problem(_l("sista svarsdag kan inte vara före öppningsdagen"), "due_on"))
    if spec.retain_until and spec.retain_until < (spec.due_on or spec.opens_on or spec.retain_until):
        problems.append(Problem(_l("gallringsdatumet kan inte vara före omgångens datum"), "retain_until"))
    return problems + check_thresholds(spec.thresholds or configured_thresholds())


def check_thresholds(thresholds: Thresholds) -> list[Problem]:
    """What is wrong with a pair of thresholds: never below the minimum, free text never below
    anonymity (a free text must not be shown for a group whose figures are hidden)."""
    problems = []
    if thresholds.anonymity < MIN_ANONYMITY_THRESHOLD:
        problems.append(Problem(_l("anonymitetsgränsen kan inte vara lägre än %(n)d",
                                   n=MIN_ANONYMITY_THRESHOLD), "anonymity_threshold"))
    if thresholds.free_text < max(thresholds.anonymity, MIN_ANONYMITY_THRESHOLD):
        problems.append(Problem(_l("gränsen för fritextsvar kan inte vara lägre än anonymitetsgränsen (%(n)d)",
                                   n=max(thresholds.anonymity, MIN_ANONYMITY_THRESHOLD)), "free_text_threshold"))
    return problems


def has_survey_responses(session: Session, round_: Round) -> bool:
    """True once anyone has completed the round's survey (released or waiting to be): from then on
    its thresholds are fixed, so that no figure already shown under one threshold is shown again
    under another, and responses are released in groups of one size."""
    return any(session.scalar(select(exists().where(model.round_id == round_.id)))
               for model in (SurveyResponse, SurveyPending))


def set_thresholds(session: Session, round_: Round, thresholds: Thresholds, actor: User | None = None) -> None:
    """Change the round's survey thresholds; refused once a survey response exists or when the
    values break the rules of `check_thresholds`. Audited with the old and new values."""
    # The round's row is locked first, as a completion locks its unit's invitation: a response
    # arriving meanwhile is seen below, or waits until the new thresholds are committed.
    session.refresh(round_, with_for_update=True)
    if has_survey_responses(session, round_):
        raise ServiceError(Problem(_l("gränserna kan inte ändras när enkäten har fått svar")))
    problems = check_thresholds(thresholds)
    if problems:
        raise ServiceError(problems)
    before = Thresholds(round_.anonymity_threshold, round_.free_text_threshold)
    if before == thresholds:
        return
    round_.anonymity_threshold = thresholds.anonymity
    round_.free_text_threshold = thresholds.free_text
    session.flush()
    audit.record(session, "round.thresholds", actor=actor, target=round_.key,
                 before={"anonymity": before.anonymity, "free_text": before.free_text},
                 after={"anonymity": thresholds.anonymity, "free_text": thresholds.free_text})


def create_round(session: Session, spec: RoundSpec, actor: User | None = None) -> Round:
    """A new round in status draft, using the newest version of each questionnaire."""
    thresholds = spec.thresholds or configured_thresholds()
    problems = _check_spec(session, replace(spec, thresholds=thresholds))
    versions: list[QuestionnaireVersion] = []
    units: list[Unit] = []
    try:
        versions = latest_versions(session, spec.questionnaire_keys)
    except ServiceError as error:
        problems += error.problems
    try:
        units = _units_by_keys(session, spec.unit_keys)
    except ServiceError as error:
        problems += error.problems
    kinds = Counter(v.questionnaire.kind for v in versions)
    for kind, n in kinds.items():
        if n > 1:
            problems.append(Problem(_l("en omgång kan bara ha ett frågeformulär av typen %(kind)s", kind=kind),
                                    "questionnaires"))
    if problems:
        raise ServiceError(problems)
    new = Round(key=spec.key, name=spec.name.strip(), year=spec.year, status="draft",
                opens_on=spec.opens_on, due_on=spec.due_on, instructions=spec.instructions.strip(),
                retain_until=spec.retain_until, anonymity_threshold=thresholds.anonymity,
                free_text_threshold=thresholds.free_text)
    new.questionnaire_versions = versions
    new.invitations = [RoundUnit(unit=unit) for unit in units]
    session.add(new)
    session.flush()
    audit.record(session, "round.create", actor=actor, target=new.key,
                 questionnaires=[f"{v.questionnaire.key} v{v.number}" for v in versions],
                 units=[u.key for u in units],
                 thresholds={"anonymity": thresholds.anonymity, "free_text": thresholds.free_text})
    return new


def change_status(session: Session, round_: Round, action: str, actor: User | None = None) -> None:
    """`open`, `close` or `archive` the round; refused from a status that does not allow it."""
    # Locked: a survey completion holds the round shared, so closing waits for the completions
    # under way and those after it see the round closed.
    session.refresh(round_, with_for_update=True)
    allowed_from, to = TRANSITIONS[action]
    if round_.status not in allowed_from:
        raise ServiceError(Problem(_l("omgången har status %(status)s och kan inte ändras så",
                                      status=round_.status), "status"))
    before = round_.status
    round_.status = to
    audit.record(session, f"round.{action}", actor=actor, target=round_.key, before=before, after=to)
    if to == "closed" and round_.version_of_kind("survey") is not None:
        # No more answers come: the responses still waiting for others of their unit are
        # released now. The caller then runs `survey_storage.reshuffle_survey_tables()` after
        # committing, so that neither transaction ids nor row order tell when anyone answered.
        from app.services.survey import release_waiting

        release_waiting(session, round_)


def add_units(session: Session, round_: Round, unit_keys: list[str] | tuple[str, ...],
              actor: User | None = None) -> list[Unit]:
    """Invite more units to a draft or open round; units already invited are left as they are."""
    if round_.status not in ("draft", "open"):
        raise ServiceError(Problem(_l("enheter kan bara läggas till i en omgång som inte är stängd"), "units"))
    invited = {i.unit_id for i in round_.invitations}
    added = [u for u in _units_by_keys(session, unit_keys) if u.id not in invited]
    round_.invitations.extend(RoundUnit(unit=unit) for unit in added)
    session.flush()
    if added:
        audit.record(session, "round.add_units", actor=actor, target=round_.key, units=[u.key for u in added])
    return added


def unit_side_versions(round_: Round) -> list[QuestionnaireVersion]:
    """The round's questionnaires that units answer with the submission workflow."""
    return [v for v in round_.questionnaire_versions if v.questionnaire.kind in UNIT_SIDE_KINDS]


def main_version(round_: Round) -> QuestionnaireVersion | None:
    """The questionnaire the round's follow-up is about: the unit questionnaire, else the first
    unit-side one."""
    return round_.version_of_kind("unit_questionnaire") or next(iter(unit_side_versions(round_)), None)


def round_status(session: Session, round_: Round,
                 version: QuestionnaireVersion | None = None) -> RoundStatus:
    """Each invited unit's status with `version` (default: `main_version`), in one query."""
    version = version or main_version(round_)
    version_id = version.id if version is not None else -1
    editor = aliased(User)
    rows = session.execute(
        select(Unit.id, Unit.key, Unit.name, UnitResponse.status, UnitResponse.updated_at,
               editor.email, UnitResponse.submitted_at)
        .select_from(RoundUnit)
        .join(Unit, Unit.id == RoundUnit.unit_id)
        .outerjoin(UnitResponse, and_(UnitResponse.round_id == RoundUnit.round_id,
                                      UnitResponse.unit_id == RoundUnit.unit_id,
                                      UnitResponse.questionnaire_version_id == version_id))
        .outerjoin(editor, editor.id == UnitResponse.updated_by_id)
        .where(RoundUnit.round_id == round_.id)
    ).all()
    rows = sorted(rows, key=lambda row: (name_key(row[2]), row[1]))
    units = [UnitStatus(uid, key, name, status or NOT_STARTED, changed_at, changed_by, submitted_at)
             for uid, key, name, status, changed_at, changed_by, submitted_at in rows]
    counts = dict.fromkeys(UNIT_STATUSES, 0)
    counts.update(Counter(u.status for u in units))
    return RoundStatus(units, counts)


def rounds_for_units(session: Session, unit_ids: set[int],
                     statuses: tuple[str, ...] = ("open", "closed")) -> list[tuple[Round, Unit]]:
    """The rounds in `statuses` that invite any of `unit_ids`, with the invited unit."""
    return [tuple(row) for row in session.execute(
        select(Round, Unit)
        .join(RoundUnit, RoundUnit.round_id == Round.id)
        .join(Unit, Unit.id == RoundUnit.unit_id)
        .where(Round.status.in_(statuses), RoundUnit.unit_id.in_(unit_ids))
        .order_by(Round.year.desc(), Round.name, Unit.name)
    ).all()]


@dataclass(frozen=True)
class Assignment:
    """One questionnaire a unit is asked to answer in a round, and where it stands."""

    round: Round
    unit: Unit
    version: QuestionnaireVersion
    status: str
    last_change_at: datetime | None
    submitted_at: datetime | None


def assignments(session: Session, unit_ids: set[int],
                statuses: tuple[str, ...] = ("open", "closed")) -> list[Assignment]:
    """What the units `unit_ids` are asked to answer in rounds of `statuses`, with their status."""
    pairs = rounds_for_units(session, unit_ids, statuses)
    if not pairs:
        return []
    responses = {
        (r.round_id, r.unit_id, r.questionnaire_version_id): r
        for r in session.scalars(select(UnitResponse).where(
            UnitResponse.round_id.in_({round_.id for round_, _unit in pairs}),
            UnitResponse.unit_id.in_(unit_ids)))
    }
    result = []
    for round_, unit in pairs:
        for version in unit_side_versions(round_):
            response = responses.get((round_.id, unit.id, version.id))
            result.append(Assignment(round_, unit, version,
                                     response.status if response else NOT_STARTED,
                                     response.updated_at if response else None,
                                     response.submitted_at if response else None))
    return result
