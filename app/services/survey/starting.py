"""Starting and resuming: a code or the open link claims a place and opens a draft."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, literal, or_, select, update
from sqlalchemy.orm import Session, aliased

from app.models import Round, RoundUnit
from app.models.survey import (
    AccessCode,
    SurveyDraft,
    SurveyPending,
    SurveyResponse,
)
from app.services import Problem, ServiceError, transaction
from app.services.survey.codes import (
    START_THROTTLE_SCOPE,
    THROTTLE_SCOPE,
    CodeRefused,
    code_hash,
    new_code,
    normalise_code,
)
from app.services.throttle import address_key, count_failure, exceeded, reserve


@dataclass(frozen=True)
class Started:
    """A respondent's way in: the draft to keep in the session, and for a new open-link
    respondent the resume code to show once."""

    draft_id: str
    resume_code: str | None = None
    resumed: bool = False


def require_open(round_: Round) -> None:
    if round_.status != "open":
        raise CodeRefused("closed", _l("Enkäten är inte öppen för svar just nu."))


def start_with_code(secret: str, typed: str, address: str, limit: int, today: date) -> Started:
    """Start or resume with an access code or a resume code, throttled per address after `limit`
    failures a window; an unknown code gets the same message whatever the reason. An accepted
    code writes nothing derived from the address (services/throttle.py says why)."""
    unknown = _l("Koden finns inte. Kontrollera att du skrivit den rätt.")
    where = address_key(address)
    with transaction() as session:
        # Only read: a transaction that writes nothing leaves no transaction id behind.
        refused = exceeded(session, secret, THROTTLE_SCOPE, where, limit)
    if refused is not None:
        raise CodeRefused("throttled", _l("För många försök. Vänta en minut och försök igen."))
    code = normalise_code(typed)
    outcome: Started | CodeRefused | None = None
    if code is not None:
        with transaction() as session:
            outcome = _start(session, secret, code, today)
    if isinstance(outcome, Started):
        return outcome
    with transaction() as session:
        # A failure is counted in a transaction of its own, after the check that wrote nothing.
        count_failure(session, secret, THROTTLE_SCOPE, where)
    raise outcome or CodeRefused("unknown", unknown)


def _start(session: Session, secret: str, code: str, today: date) -> Started | CodeRefused | None:
    draft_key = code_hash(secret, "draft", code)
    access_key = code_hash(secret, "access", code)
    found = _find(session, access_key, draft_key)
    if found.access_id is None and found.draft_id is None:
        return None
    if found.draft_id is None and found.access_id is not None and not found.used:
        # About to claim: take the unit's lock, then look again, so that the same code sent
        # twice at once (a double click) resumes the draft the first request started.
        assert found.round_id is not None and found.unit_id is not None
        lock_invitation(session, found.round_id, found.unit_id)
        found = _find(session, access_key, draft_key)
    if found.draft_id is not None:
        if found.draft_status != "open":
            return CodeRefused("closed", _l("Enkäten är inte öppen för svar just nu."))
        return Started(found.draft_id, resumed=True)
    if found.used:
        return CodeRefused("used", _l("Koden har redan använts. Varje kod kan bara användas en gång."))
    if found.status != "open":
        return CodeRefused("closed", _l("Enkäten är inte öppen för svar just nu."))
    assert found.access_id is not None and found.round_id is not None and found.unit_id is not None
    _claim(session, found.access_id, found.round_id, found.unit_id)
    draft = SurveyDraft(round_id=found.round_id, unit_id=found.unit_id, key_hash=draft_key, answers={},
                        updated_on=today)
    session.add(draft)
    session.flush()
    return Started(draft.id)


@dataclass(frozen=True)
class _Found:
    """What a typed code finds: the access code it is (with its round's status) and the draft it
    started or resumes (with that round's status); None where there is none."""

    access_id: int | None
    round_id: int | None
    unit_id: int | None
    used: bool | None
    status: str | None
    draft_id: str | None
    draft_status: str | None


_DRAFT_ROUND = aliased(Round)
# The access code by its hash (`:access_key`) and the draft by its key (`:draft_key`), each
# with its round's status, in one statement: both are looked for whichever the code is (an
# access code that started a draft, or an open link's resume code, which has no access code).
_FIND = (
    select(AccessCode.id, AccessCode.round_id, AccessCode.unit_id, AccessCode.used, Round.status,
           SurveyDraft.id, _DRAFT_ROUND.status)
    .select_from(select(literal(1).label("one")).subquery())
    .outerjoin(AccessCode, AccessCode.code_hash == bindparam("access_key"))
    .outerjoin(Round, Round.id == AccessCode.round_id)
    .outerjoin(SurveyDraft, SurveyDraft.key_hash == bindparam("draft_key"))
    .outerjoin(_DRAFT_ROUND, _DRAFT_ROUND.id == SurveyDraft.round_id)
)


def _find(session: Session, access_key: str, draft_key: str) -> _Found:
    row = session.execute(_FIND, {"access_key": access_key, "draft_key": draft_key}).one()
    return _Found(*row)


def _claim(session: Session, access_id: int, round_id: int, unit_id: int) -> None:
    """Mark the access code `access_id` used as its draft starts. Every code of the unit is
    rewritten in the same statement, so that all of them carry this transaction: which code was
    claimed when cannot be read from the table (PostgreSQL's `xmin`), and no later transaction
    touches the code. The caller holds the unit's invitation lock."""
    session.execute(
        update(AccessCode)
        .where(AccessCode.round_id == round_id, AccessCode.unit_id == unit_id)
        .values(used=or_(AccessCode.used, AccessCode.id == access_id))
        .execution_options(synchronize_session=False)
    )


def lock_invitation(session: Session, round_id: int, unit_id: int) -> RoundUnit:
    """The unit's invitation, locked until the transaction ends: claims, completions and
    releases of one unit take turns (head count, waiting responses), other units go on."""
    found = session.scalar(select(RoundUnit).where(RoundUnit.round_id == round_id, RoundUnit.unit_id == unit_id)
                           .with_for_update())
    if found is None:
        raise ServiceError(Problem(_l("Enheten är inte inbjuden till omgången."), "unit"))
    return found


def find_open_link(session: Session, token: str) -> RoundUnit | None:
    """The invitation behind an open link, when its round is open."""
    invitation = session.scalar(select(RoundUnit).where(RoundUnit.open_link_token == token))
    if invitation is None or invitation.round.status != "open" or invitation.round.version_of_kind("survey") is None:
        return None
    return invitation


def start_open_link(secret: str, token: str, address: str, limit: int, today: date) -> Started:
    """A new anonymous respondent through a unit's open link, with a resume code of their own.
    Starts are counted per address (throttled after `limit` a minute), and refused once the
    unit has as many completed responses as its head count."""
    with transaction() as session:
        # Counted in a transaction of its own: the attempt (a keyed hash of the address) never
        # shares a transaction, and so PostgreSQL's `xmin`, with the draft it may start.
        invitation = find_open_link(session, token)
        if invitation is None:
            raise CodeRefused("unknown", _l("Länken gäller inte längre."))
        reservation = reserve(session, secret, START_THROTTLE_SCOPE, address_key(address), limit)
    if not reservation.allowed:
        raise CodeRefused("throttled", _l("För många försök. Vänta en minut och försök igen."))
    with transaction() as session:
        invitation = find_open_link(session, token)
        if invitation is None:
            raise CodeRefused("unknown", _l("Länken gäller inte längre."))
        if is_full(session, lock_invitation(session, invitation.round_id, invitation.unit_id)):
            raise survey_full()
        resume_code = new_code()
        draft = SurveyDraft(
            round_id=invitation.round_id, unit_id=invitation.unit_id,
            key_hash=code_hash(secret, "draft", normalise_code(resume_code) or ""), answers={},
            updated_on=today,
        )
        session.add(draft)
        session.flush()
        return Started(draft.id, resume_code=resume_code)


def survey_full() -> CodeRefused:
    return CodeRefused("full", _l("Enkäten är full: så många har redan svarat som enheten har medarbetare. "
                                  "Tack för att du ville svara."))


def completed_count(session: Session, round_id: int, unit_id: int) -> int:
    """The unit's completed responses: released into the results, and waiting to be (one query)."""
    counted = [select(func.count()).select_from(model).where(model.round_id == round_id, model.unit_id == unit_id)
               .scalar_subquery() for model in (SurveyResponse, SurveyPending)]
    return session.scalar(select(counted[0] + counted[1])) or 0


def is_full(session: Session, invitation: RoundUnit) -> bool:
    """True when the unit has a head count and as many completed responses: nobody more can
    complete, so a response rate never passes 100 %."""
    if invitation.head_count is None:
        return False
    return completed_count(session, invitation.round_id, invitation.unit_id) >= invitation.head_count
