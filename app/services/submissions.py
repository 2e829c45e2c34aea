"""The one submission workflow for a unit's answers in a round: save a draft, submit, reopen.

It is generic over the questionnaire: the self-assessment and the risk register both store an
answers dict (see `app.questions.answers`) in a `UnitResponse`, and each caller may pass the
`check` that validates that kind of answers. Every write is one transaction and writes one
`ResponseEvent` with the answers that changed (old -> new).

Two editors at once: a save carries the version the editor's page was based on; a save based
on an older version is refused with `Conflict`, which carries both texts, so nothing is lost.
A double submit (double click, two tabs, a retry) of the same answers returns the existing
submission; rows created at the same moment meet the unique constraint and the loser is told.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app import policy
from app.definitions.schema import Definition
from app.models import (
    QuestionnaireVersion,
    ResponseEvent,
    Round,
    RoundUnit,
    Unit,
    UnitResponse,
    User,
)
from app.models.base import utcnow
from app.questions.answers import Answers, Validated
from app.services import Problem, ServiceError, audit
from app.services.rounds import UNIT_SIDE_KINDS

MAX_REASON_LENGTH = 2000

# Validates answers against a definition; `partial` (a draft) leaves out the required check.
AnswerCheck = Callable[[Definition, Answers, bool], Validated]


def default_check(definition: Definition, answers: Answers, partial: bool) -> Validated:
    """The questionnaire's own validation (`app.questions.validate_answers`)."""
    from app.questions.conditions import validate_answers

    return validate_answers(definition, answers, partial=partial)


# --- errors ------------------------------------------------------------------------------

class NotFound(ServiceError):
    """The round, the unit's invitation or the questionnaire does not exist."""


class NotAllowed(ServiceError):
    """The user may not do this to this unit's answers."""


class Invalid(ServiceError):
    """The answers do not pass the questionnaire's validation; `validated` holds every error."""

    def __init__(self, validated: Validated):
        self.validated = validated
        super().__init__(Problem(_l("svaren innehåller fel"), "answers"))


class Locked(ServiceError):
    """The answers cannot change now (the round is not open, or they are submitted).
    `attempted` holds the answers that were refused, so that a page can show them back."""

    def __init__(self, message: object, attempted: Answers, reason: str):
        self.attempted = attempted
        self.reason = reason  # round_not_open | submitted
        super().__init__(Problem(message, "status"))


class Conflict(ServiceError):
    """The save was based on `base_version`, but someone saved `current_version` since.
    Carries both texts: what is stored now (and who stored it when) and what was attempted."""

    def __init__(self, response: UnitResponse, base_version: int, attempted: Answers):
        self.base_version = base_version
        self.current_version = response.version
        self.current_answers: Answers = dict(response.answers or {})
        self.current_status = response.status
        self.changed_at: datetime | None = response.updated_at
        self.changed_by: str = response.updated_by.email if response.updated_by else ""
        self.attempted = attempted
        super().__init__(Problem(_l("svaren har ändrats av någon annan sedan sidan öppnades"), "base_version"))


# --- values ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ResponseTarget:
    """Which answers: one unit's answers to one questionnaire version of one round."""

    round: Round
    unit: Unit
    version: QuestionnaireVersion

    @property
    def questionnaire_key(self) -> str:
        return self.version.questionnaire.key

    @property
    def definition(self) -> Definition:
        return self.version.parsed()

    def describe(self) -> str:
        return f"{self.round.key}/{self.unit.key}/{self.questionnaire_key}"


@dataclass(frozen=True)
class Outcome:
    """What an operation did: the response as stored, the event written (None when nothing
    changed), and `repeated` when a submit found the same submission already made."""

    response: UnitResponse
    event: ResponseEvent | None
    repeated: bool = False


# --- lookups and access --------------------------------------------------------------------

def find_target(session: Session, round_key: str, unit_key: str, questionnaire_key: str) -> ResponseTarget:
    """The target named in a URL; NotFound unless the unit is invited and the questionnaire is
    one of the round's unit-side questionnaires."""
    row = session.execute(
        select(Round, Unit)
        .join(RoundUnit, RoundUnit.round_id == Round.id)
        .join(Unit, Unit.id == RoundUnit.unit_id)
        .where(Round.key == round_key, Unit.key == unit_key)
    ).first()
    if row is None:
        raise NotFound(Problem(_l("enheten är inte inbjuden till omgången"), "round"))
    round_, unit = row
    for version in round_.questionnaire_versions:
        if version.questionnaire.key == questionnaire_key and version.questionnaire.kind in UNIT_SIDE_KINDS:
            return ResponseTarget(round_, unit, version)
    raise NotFound(Problem(_l("omgången har inget sådant frågeformulär"), "questionnaire"))


def get_response(session: Session, target: ResponseTarget) -> UnitResponse | None:
    return session.scalar(select(UnitResponse).where(
        UnitResponse.round_id == target.round.id,
        UnitResponse.unit_id == target.unit.id,
        UnitResponse.questionnaire_version_id == target.version.id,
    ))


def current_version(response: UnitResponse | None) -> int:
    """The version a page shows as its base: 0 when the unit has not started."""
    return response.version if response is not None else 0


def history(session: Session, response: UnitResponse | None) -> list[ResponseEvent]:
    if response is None:
        return []
    return list(session.scalars(
        select(ResponseEvent).where(ResponseEvent.response_id == response.id).order_by(ResponseEvent.id)
    ))


def changes_between(old: Answers, new: Answers) -> dict[str, list[Any]]:
    """{key: [old, new]} for every answer that differs; an absent answer is None."""
    return {key: [old.get(key), new.get(key)]
            for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)}


# --- operations ----------------------------------------------------------------------------

def _require_editor(session: Session, target: ResponseTarget, user: User) -> None:
    if not policy.may_write(session, user, target.unit):
        raise NotAllowed(Problem(_l("du får inte ändra den här enhetens svar"), "unit"))


def _require_changeable(target: ResponseTarget, response: UnitResponse | None, attempted: Answers) -> None:
    if target.round.status != "open":
        raise Locked(_l("omgången är inte öppen; svaren kan inte ändras"), attempted, "round_not_open")
    if response is not None and response.status == "submitted":
        raise Locked(_l("svaren är inskickade och kan inte ändras; stadskontoret kan öppna dem igen"),
                     attempted, "submitted")


def _validated(check: AnswerCheck, target: ResponseTarget, answers: Answers, partial: bool) -> Answers:
    result = check(target.definition, answers, partial)
    if not result.ok:
        raise Invalid(result)
    return result.answers


def _add_event(session: Session, response: UnitResponse, action: str, user: User,
               changes: dict[str, Any], reason: str = "") -> ResponseEvent:
    event = ResponseEvent(response=response, at=response.updated_at, user_id=user.id,
                          user_email=user.email, action=action, version=response.version,
                          changes=changes, reason=reason)
    session.add(event)
    session.flush()
    return event


def _check_base(response: UnitResponse | None, base_version: int, attempted: Answers) -> None:
    # Without a stored row there is nothing to overwrite, whatever the page's base was.
    if response is not None and response.version != base_version:
        raise Conflict(response, base_version, attempted)


def _create(session: Session, target: ResponseTarget, user: User, answers: Answers, status: str,
            base_version: int, attempted: Answers) -> UnitResponse:
    """Insert the unit's first row; when another request inserted it first, that is a conflict."""
    now = utcnow()
    response = UnitResponse(round_id=target.round.id, unit_id=target.unit.id,
                            questionnaire_version_id=target.version.id, status=status, answers=answers,
                            created_at=now, created_by_id=user.id, updated_at=now, updated_by_id=user.id)
    if status == "submitted":
        response.submitted_at, response.submitted_by_id = now, user.id
    try:
        with session.begin_nested():
            session.add(response)
            session.flush()
    except IntegrityError:
        existing = get_response(session, target)
        if existing is None:
            raise
        raise Conflict(existing, base_version, attempted) from None
    return response


def _update(session: Session, response: UnitResponse, base_version: int, attempted: Answers,
            **values: Any) -> None:
    """Write `values` with the version check in the UPDATE itself (for writers that raced)."""
    try:
        with session.begin_nested():
            for name, value in values.items():
                setattr(response, name, value)
            session.flush()
    except StaleDataError:
        session.refresh(response)
        raise Conflict(response, base_version, attempted) from None


def save(session: Session, target: ResponseTarget, answers: Answers, base_version: int, user: User,
         *, check: AnswerCheck = default_check) -> Outcome:
    """Save a draft (values checked, nothing required yet). Refused with Conflict when the
    stored answers are no longer `base_version`, Locked when they cannot change."""
    _require_editor(session, target, user)
    response = get_response(session, target)
    _require_changeable(target, response, answers)
    _check_base(response, base_version, answers)
    clean = _validated(check, target, answers, partial=True)
    if response is None:
        response = _create(session, target, user, clean, "draft", base_version, answers)
        return Outcome(response, _add_event(session, response, "save", user, changes_between({}, clean)))
    changes = changes_between(response.answers or {}, clean)
    if not changes:
        return Outcome(response, None)
    _update(session, response, base_version, answers, answers=clean, updated_at=utcnow(),
            updated_by_id=user.id)
    return Outcome(response, _add_event(session, response, "save", user, changes))


def _is_repeat(response: UnitResponse | None, base_version: int, clean: Answers) -> bool:
    """The same submission again: submitted from the same page (its base was the version before
    the submission, or the submission itself) with the same answers."""
    return (response is not None and response.status == "submitted"
            and base_version in (response.version - 1, response.version) and response.answers == clean)


def submit(session: Session, target: ResponseTarget, answers: Answers, base_version: int, user: User,
           *, check: AnswerCheck = default_check) -> Outcome:
    """Submit the answers (every required answer present); afterwards they are read-only.
    Submitting the same answers again from the same page returns the existing submission, also
    when the two requests raced each other to the database."""
    _require_editor(session, target, user)
    response = get_response(session, target)
    clean = _validated(check, target, answers, partial=False)
    if _is_repeat(response, base_version, clean):
        return Outcome(response, None, repeated=True)  # type: ignore[arg-type]
    _require_changeable(target, response, answers)
    _check_base(response, base_version, answers)
    now = utcnow()
    try:
        if response is None:
            response = _create(session, target, user, clean, "submitted", base_version, answers)
            changes = changes_between({}, clean)
        else:
            changes = changes_between(response.answers or {}, clean)
            _update(session, response, base_version, answers, answers=clean, status="submitted",
                    updated_at=now, updated_by_id=user.id, submitted_at=now, submitted_by_id=user.id)
    except Conflict:
        winner = get_response(session, target)
        if _is_repeat(winner, base_version, clean):
            return Outcome(winner, None, repeated=True)  # type: ignore[arg-type]
        raise
    return Outcome(response, _add_event(session, response, "submit", user, changes))


def reopen(session: Session, target: ResponseTarget, reason: str, user: User) -> Outcome:
    """An admin opens submitted answers for changes again, with a written reason (audited)."""
    if not policy.may_administer(user):
        raise NotAllowed(Problem(_l("bara administratörer kan öppna inskickade svar igen"), "user"))
    reason = reason.strip()
    if not reason:
        raise ServiceError(Problem(_l("skriv varför svaren öppnas igen"), "reason"))
    if len(reason) > MAX_REASON_LENGTH:
        raise ServiceError(Problem(_l("skälet är längre än %(n)d tecken", n=MAX_REASON_LENGTH), "reason"))
    response = get_response(session, target)
    if response is None or response.status != "submitted":
        raise ServiceError(Problem(_l("bara inskickade svar kan öppnas igen"), "status"))
    if target.round.status != "open":
        raise ServiceError(Problem(_l("omgången är inte öppen; öppna omgången först"), "status"))
    _update(session, response, response.version, dict(response.answers or {}), status="reopened",
            updated_at=utcnow(), updated_by_id=user.id)
    event = _add_event(session, response, "reopen", user, {}, reason)
    audit.record(session, "response.reopen", actor=user, target=target.describe(), reason=reason)
    return Outcome(response, event)


