"""The anonymous staff survey: access codes, the open link, drafts page by page, completing and
declining, response rates, and the admin's reading of free texts.

Anonymity by design (the README's anonymity note says what each kind of database access can
learn): codes are kept only as keyed hashes (HMAC-SHA256 with the app's secret key). Starting
with a code claims it (marks it used) in the same transaction that creates the draft, and
rewrites every code of the unit with it, so no code row tells when it was claimed. The draft is
keyed by a hash of the code and names no code row. Completing deletes the draft and puts the
answers among the unit's waiting responses (`SurveyPending`), all rewritten in random order; when
the unit has as many waiting as the round's anonymity threshold (or the round closes) they are
released together into the anonymous tables in random order. So no transaction writes both a
code and an answer, and neither transaction ids nor row positions give the order of answering.
Counts for the response rate:
- invited: the unit's head count, or the number of codes generated when none is entered;
- completed: responses, released or waiting; declined: the "Jag vill inte delta" tally;
- started but not finished: drafts still waiting that have at least one saved page (a draft
  that was only opened, with nothing answered, is not counted).
"""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app import formatting
from app.config import MIN_ANONYMITY_THRESHOLD
from app.definitions.schema import (
    Definition,
    Section,
)
from app.models import Questionnaire, QuestionnaireVersion, Round, RoundUnit, Unit, User
from app.models.base import random_id
from app.models.questionnaires import parsed_definition
from app.models.rounds import round_questionnaires
from app.models.survey import (
    TEXT_STATUSES,
    AccessCode,
    SurveyAnswer,
    SurveyCount,
    SurveyDraft,
    SurveyPending,
    SurveyResponse,
    SurveyTally,
    SurveyText,
)
from app.questions.answers import AnswerError, Answers, Validated
from app.questions.conditions import validate_answers, visible_sections
from app.questions.types import question_type
from app.services import Problem, ServiceError, audit, transaction
from app.services.rounds import get_round
from app.services.survey_storage import forget_deleted
from app.services.throttle import address_key, count_failure, exceeded, reserve
from app.sorting import name_key

# 32 symbols without I, L, O and U (Crockford's base 32): 16 of them are 80 bits.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16
CODE_GROUP = 4
MAX_CODES_PER_BATCH = 5000
THROTTLE_SCOPE = "survey-code"
START_THROTTLE_SCOPE = "survey-start"


class CodeRefused(ServiceError):
    """The code was not accepted; `reason` is unknown | used | throttled | closed | full."""

    def __init__(self, reason: str, message: object):
        self.reason = reason
        super().__init__(Problem(message, "code"))


# --- codes -------------------------------------------------------------------------------------


def new_code() -> str:
    """A random code formatted for typing: 'ABCD-EFGH-JKMN-PQRS' (80 bits)."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP))


LOOK_ALIKES = str.maketrans("OILU", "011V")


def normalise_code(typed: str) -> str | None:
    """The code as stored (16 symbols, upper case), forgiving spaces, dashes and look-alikes;
    None when it cannot be a code."""
    text = "".join(ch for ch in typed.upper() if not ch.isspace() and ch != "-")
    text = text.translate(LOOK_ALIKES)
    if len(text) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in text):
        return None
    return text


def code_hash(secret: str, scope: str, code: str) -> str:
    """The keyed hash of a normalised code; `scope` keeps access codes and draft keys apart."""
    return hmac.new(secret.encode(), f"{scope}\0{code}".encode(), hashlib.sha256).hexdigest()


def _invitation(session: Session, round_: Round, unit_id: int) -> RoundUnit:
    found = session.scalar(
        select(RoundUnit).where(RoundUnit.round_id == round_.id, RoundUnit.unit_id == unit_id)
    )
    if found is None:
        raise ServiceError(Problem(_l("Enheten är inte inbjuden till omgången."), "unit"))
    return found


def _survey_definition(round_: Round) -> Definition:
    version = round_.version_of_kind("survey")
    if version is None:
        raise ServiceError(Problem(_l("Omgången har ingen medarbetarenkät."), "round"))
    return version.parsed()


def generate_codes(
    session: Session, secret: str, round_: Round, unit_id: int, count: int, actor: User | None = None
) -> list[str]:
    """`count` new access codes for a unit; the plain codes are returned this once, only their
    hashes are stored. Audited with the count, never the codes."""
    _survey_definition(round_)
    _invitation(session, round_, unit_id)
    if not 1 <= count <= MAX_CODES_PER_BATCH:
        raise ServiceError(Problem(_l("Ange ett antal mellan 1 och %(max)s.", max=MAX_CODES_PER_BATCH), "count"))
    if round_.status not in ("draft", "open"):
        raise ServiceError(Problem(_l("Omgången är stängd."), "round"))
    codes = [new_code() for _ in range(count)]
    session.add_all(
        AccessCode(round_id=round_.id, unit_id=unit_id, code_hash=code_hash(secret, "access", normalise_code(c) or ""))
        for c in codes
    )
    unit_key = session.scalar(select(Unit.key).where(Unit.id == unit_id))
    audit.record(session, "survey.codes", actor=actor, target=f"{round_.key}/{unit_key}", count=count)
    return codes


def set_open_link(session: Session, round_: Round, unit_id: int, actor: User | None = None) -> str:
    """A new open-link token for the unit (replacing any old one, which then stops working)."""
    invitation = _invitation(session, round_, unit_id)
    invitation.open_link_token = secrets.token_urlsafe(24)
    audit.record(session, "survey.open_link", actor=actor, target=f"{round_.key}/{invitation.unit.key}")
    return invitation.open_link_token


def set_head_counts(session: Session, round_: Round, counts: Mapping[int, int | None],
                    actor: User | None = None) -> None:
    """Staff invited per unit (None: not known); the basis of the response rate."""
    problems = [
        Problem(_l("Antalet kan inte vara negativt."), f"unit-{unit_id}")
        for unit_id, n in counts.items()
        if n is not None and n < 0
    ]
    if problems:
        raise ServiceError(problems)
    for invitation in round_.invitations:
        if invitation.unit_id in counts:
            invitation.head_count = counts[invitation.unit_id]
    audit.record(session, "survey.head_counts", actor=actor, target=round_.key)


# --- starting and resuming ---------------------------------------------------------------------


@dataclass(frozen=True)
class Started:
    """A respondent's way in: the draft to keep in the session, and for a new open-link
    respondent the resume code to show once."""

    draft_id: str
    resume_code: str | None = None
    resumed: bool = False


def _open_round(round_: Round) -> None:
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
    access = session.scalar(select(AccessCode).where(AccessCode.code_hash == code_hash(secret, "access", code)))
    draft = session.scalar(select(SurveyDraft).where(SurveyDraft.key_hash == draft_key))
    if access is None and draft is None:
        return None
    if draft is None and access is not None and not access.used:
        # About to claim: take the unit's lock, then look again, so that the same code sent
        # twice at once (a double click) resumes the draft the first request started.
        _lock_invitation(session, access.round_id, access.unit_id)
        session.refresh(access)
        draft = session.scalar(select(SurveyDraft).where(SurveyDraft.key_hash == draft_key))
    round_ = session.get(Round, access.round_id if access is not None else draft.round_id)  # type: ignore[union-attr]
    if draft is not None:
        if round_ is None or round_.status != "open":
            return CodeRefused("closed", _l("Enkäten är inte öppen för svar just nu."))
        return Started(draft.id, resumed=True)
    assert access is not None
    if access.used:
        return CodeRefused("used", _l("Koden har redan använts. Varje kod kan bara användas en gång."))
    if round_ is None or round_.status != "open":
        return CodeRefused("closed", _l("Enkäten är inte öppen för svar just nu."))
    _claim(session, access)
    draft = SurveyDraft(round_id=access.round_id, unit_id=access.unit_id, key_hash=draft_key, answers={},
                        updated_on=today)
    session.add(draft)
    session.flush()
    return Started(draft.id)


def _claim(session: Session, access: AccessCode) -> None:
    """Mark `access` used as its draft starts. Every code of the unit is rewritten in the same
    statement, so that all of them carry this transaction: which code was claimed when cannot be
    read from the table (PostgreSQL's `xmin`), and no later transaction touches the code. The
    caller holds the unit's invitation lock."""
    session.execute(
        update(AccessCode)
        .where(AccessCode.round_id == access.round_id, AccessCode.unit_id == access.unit_id)
        .values(used=or_(AccessCode.used, AccessCode.id == access.id))
        .execution_options(synchronize_session=False)
    )
    session.expire(access)


def _lock_invitation(session: Session, round_id: int, unit_id: int) -> RoundUnit:
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
        if is_full(session, _lock_invitation(session, invitation.round_id, invitation.unit_id)):
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


# --- answering page by page --------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """Where a respondent is: the section shown, its place among the shown sections."""

    section: Section
    number: int  # 1-based
    count: int

    @property
    def is_first(self) -> bool:
        return self.number == 1

    @property
    def is_last(self) -> bool:
        return self.number == self.count


@dataclass(frozen=True)
class OpenedDraft:
    """A draft with its round and the round's survey definition, read together."""

    draft: SurveyDraft
    round: Round
    definition: Definition

    @property
    def open(self) -> bool:
        return self.round.status == "open"


def load_draft(session: Session, draft_id: str | None, *, lock_round: bool = False) -> OpenedDraft | None:
    """The draft with its round and survey definition in one query, whatever the round's status
    (`OpenedDraft.open` says); None when the draft is gone. The definition comes from the
    process's cache of parsed versions by the content hash read in the same query (a version
    never changes), so only the first page of a version in a process reads the version row.
    `lock_round`: the round is read under a lock shared with other completions and exclusive of
    closing it or changing its thresholds (PostgreSQL; SQLite's write lock covers it)."""
    if not draft_id:
        return None
    statement = (
        select(SurveyDraft, Round, QuestionnaireVersion.id, QuestionnaireVersion.content_hash)
        .join(Round, Round.id == SurveyDraft.round_id)
        .join(round_questionnaires, round_questionnaires.c.round_id == Round.id)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == round_questionnaires.c.questionnaire_version_id)
        .join(Questionnaire, Questionnaire.id == QuestionnaireVersion.questionnaire_id)
        .where(SurveyDraft.id == draft_id, Questionnaire.kind == "survey")
    )
    if lock_round:
        statement = statement.with_for_update(read=True, of=Round)
    row = session.execute(statement).one_or_none()
    if row is None:
        return None
    draft, round_, version_id, content_hash = row
    definition = parsed_definition(content_hash)
    if definition is None:
        version = session.get(QuestionnaireVersion, version_id)
        assert version is not None
        definition = version.parsed()
    return OpenedDraft(draft, round_, definition)


def get_draft(session: Session, draft_id: str | None) -> SurveyDraft | None:
    """The draft of a session, if it still exists and its round is open."""
    opened = load_draft(session, draft_id)
    return opened.draft if opened is not None and opened.open else None


def draft_definition(session: Session, draft: SurveyDraft) -> Definition:
    round_ = session.get(Round, draft.round_id)
    assert round_ is not None
    return _survey_definition(round_)


def current_page(definition: Definition, draft: SurveyDraft | Shown) -> Page:
    """The page the draft is on, among the sections its answers show."""
    sections = visible_sections(definition, draft.answers)
    keys = [s.key for s in definition.sections]
    wanted = keys[min(draft.page, len(keys) - 1)]
    # A hidden section (a condition no longer holds) gives way to the next shown one.
    for index, section in enumerate(sections):
        if keys.index(section.key) >= keys.index(wanted):
            return Page(section, index + 1, len(sections))
    return Page(sections[-1], len(sections), len(sections))


def _merge(definition: Definition, section: Section, stored: Answers, posted: Answers) -> Answers:
    on_page = {q.key for q in section.questions}
    merged = {k: v for k, v in stored.items() if k not in on_page}
    merged.update({k: v for k, v in posted.items() if k in on_page})
    return merged


@dataclass(frozen=True)
class Shown:
    """What a page shows of a draft, taken while its transaction is open (a commit or the end
    of a read expires the draft itself): its answers, its page and its page token, the number
    of pages saved so far, which a page's form sends back (`save_page`)."""

    answers: Answers
    page: int
    token: int

    @classmethod
    def of(cls, draft: SurveyDraft) -> Shown:
        return cls(dict(draft.answers or {}), draft.page or 0, draft.pages_saved or 0)


def save_page(session: Session, draft: SurveyDraft, definition: Definition, section_key: str,
              posted: Answers, direction: str, today: date, token: str | None = None) -> Validated:
    """Keep the answers posted on one page and move `direction` (next | back | stay).

    Answers are checked with `validate_answers` (partial: nothing is required yet); answers to
    questions whose condition no longer holds are dropped. Going forward also asks for the
    page's required answers: with errors the respondent stays, and what was valid is kept.

    `token` is the page token the form was shown with (`Shown.token`). A form shown before the
    draft's last save (sent again by a reload, a double click or after the back button) that
    would change neither the answers nor the page is not saved again: the outcome is the same
    as its first post's, and nothing is written."""
    section = next((s for s in definition.sections if s.key == section_key), None)
    if section is None:
        raise ServiceError(Problem(_l("Sidan finns inte."), "section"))
    stored = draft.answers or {}
    merged = _merge(definition, section, stored, posted)
    kept = validate_answers(definition, merged, partial=True)
    errors = list(kept.errors)
    if direction == "next" and not errors:
        errors = [e for e in validate_answers(definition, kept.answers, sections=[section.key]).errors]
    page = _moved(definition, section, kept.answers, direction if not errors or direction == "back" else "stay")
    repeated = token is not None and token != str(draft.pages_saved or 0)
    if repeated and kept.answers == stored and page == draft.page:
        return Validated(kept.answers, errors)
    draft.answers = kept.answers
    draft.pages_saved = (draft.pages_saved or 0) + 1
    draft.updated_on = today
    draft.page = page
    return Validated(kept.answers, errors)


def _moved(definition: Definition, section: Section, answers: Answers, direction: str) -> int:
    """The page (index among all sections) one `direction` from `section` among those shown."""
    keys = [s.key for s in definition.sections]
    shown = [s.key for s in visible_sections(definition, answers)]
    here = keys.index(section.key)
    if direction == "next":
        later = [k for k in shown if keys.index(k) > here]
        return keys.index(later[0]) if later else here
    if direction == "back":
        earlier = [k for k in shown if keys.index(k) < here]
        return keys.index(earlier[-1]) if earlier else here
    return here


def missing_before_completion(definition: Definition, draft: SurveyDraft) -> list[AnswerError]:
    return validate_answers(definition, draft.answers or {}).errors


def _answer_rows(definition: Definition, response_id: str, answers: Answers) -> list[dict[str, Any]]:
    def row(question_key: str, row_key: str = "", value: str = "", number: float | None = None) -> dict[str, Any]:
        return {"response_id": response_id, "question_key": question_key, "row_key": row_key, "value": value,
                "number": number}

    rows: list[dict[str, Any]] = []
    for question in definition.questions():
        answer = answers.get(question.key)
        if answer is None:
            continue
        rows += [row(question.key, cell.row_key, cell.value, cell.number)
                 for cell in question_type(question).storage_cells(question, answer)]
    return rows


def complete(secret: str, draft_id: str, today: date) -> list[AnswerError]:
    """Turn the draft into an anonymous response in one transaction; the errors when answers
    are missing (nothing is then written). The draft, and with it the link between the code and
    the answers, is deleted; the answers wait among the unit's others until they are released
    together (`_hold`). Refused with `survey_full()` when the unit's head count is reached."""
    with transaction() as session:
        opened = load_draft(session, draft_id, lock_round=True)
        if opened is None or not opened.open:
            raise ServiceError(Problem(_l("Svaren finns inte längre. De kan redan vara inskickade."), "draft"))
        checked = validate_answers(opened.definition, opened.draft.answers or {})
        if not checked.ok:
            return checked.errors
        if not _take_place(session, opened):
            raise survey_full()
        _complete(session, opened, checked.answers, today)
    forget_deleted()
    return []


@dataclass(frozen=True)
class Completion:
    """What posting the last page with "complete" came to: `completed`, or the draft kept with
    the page saved and `reason` why not: `page` (the page's own errors), `missing` (answers
    missing elsewhere: the draft now shows the first such page), `full` or `closed`."""

    completed: bool
    reason: str = ""
    errors: tuple[AnswerError, ...] = ()


def complete_page(session: Session, opened: OpenedDraft, section_key: str, posted: Answers,
                  today: date) -> Completion:
    """Save the posted last page and complete the draft, all in the caller's transaction, which
    read `opened` with `lock_round`. When it completes, the draft is deleted without the page
    ever being written to it; otherwise the page is saved as `save_page` saves it."""
    draft, definition = opened.draft, opened.definition
    with session.no_autoflush:
        checked = save_page(session, draft, definition, section_key, posted, "next", today)
        if checked.errors:
            return Completion(False, "page", tuple(checked.errors))
        if not opened.open:
            return Completion(False, "closed")
        whole = validate_answers(definition, checked.answers)
        if not whole.ok:
            wrong = {e.question for e in whole.errors}
            first = next(i for i, s in enumerate(definition.sections) if wrong & {q.key for q in s.questions})
            draft.page = first
            return Completion(False, "missing", tuple(whole.errors))
        if not _take_place(session, opened):
            return Completion(False, "full")
    # The page is not written to a draft about to be deleted.
    session.expunge(draft)
    _complete(session, opened, whole.answers, today)
    return Completion(True)


def _take_place(session: Session, opened: OpenedDraft) -> bool:
    """Lock the unit's invitation for this completion; False when the unit is full."""
    invitation = _lock_invitation(session, opened.round.id, opened.draft.unit_id)
    return not is_full(session, invitation)


def _complete(session: Session, opened: OpenedDraft, answers: Answers, today: date) -> None:
    """Delete the draft and hold its validated answers (the caller holds the invitation lock)."""
    unit_id = opened.draft.unit_id
    _finish(session, opened.draft)
    _hold(session, opened.round, unit_id, opened.definition, answers, today)


def release_size(round_: Round) -> int:
    """How many completed responses of one unit are released together: the round's threshold."""
    return max(round_.anonymity_threshold, MIN_ANONYMITY_THRESHOLD)


def _hold(session: Session, round_: Round, unit_id: int, definition: Definition, answers: Answers,
          today: date) -> None:
    """Add a completed response to the unit's waiting ones, in the caller's transaction (which
    holds the unit's invitation lock). Every waiting response of the unit is deleted and written
    again in random order, so all carry this transaction and their row order is random; once
    there are `release_size` of them they are released instead."""
    waiting = _take_waiting(session, round_, unit_id,
                            added=(today if round_.store_response_date else None, answers))
    if len(waiting) >= release_size(round_):
        _release(session, round_, unit_id, definition, waiting)
        return
    session.execute(insert(SurveyPending), [
        {"id": random_id(), "round_id": round_.id, "unit_id": unit_id, "answered_on": answered_on, "answers": stored}
        for answered_on, stored in waiting])


def _take_waiting(session: Session, round_: Round, unit_id: int,
                  added: tuple[date | None, Answers] | None = None) -> list[tuple[date | None, Answers]]:
    """The unit's waiting responses (and `added`), removed from `survey_pending`, in random order."""
    table = cast(Table, SurveyPending.__table__)
    waiting: list[tuple[date | None, Answers]] = [
        (answered_on, stored) for answered_on, stored in session.execute(
            delete(table).where(table.c.round_id == round_.id, table.c.unit_id == unit_id)
            .returning(table.c.answered_on, table.c.answers))]
    if added is not None:
        waiting.append(added)
    random.SystemRandom().shuffle(waiting)
    return waiting


def _release(session: Session, round_: Round, unit_id: int, definition: Definition,
             waiting: list[tuple[date | None, Answers]]) -> None:
    """Store waiting responses (already shuffled and removed from `survey_pending`) as released."""
    _store_responses(session, [
        _response_rows(round_, unit_id, definition, answers, answered_on) for answered_on, answers in waiting])


def release_waiting(session: Session, round_: Round) -> int:
    """Release every waiting response of the round, whatever their number (the round closes, so
    no more come); in the caller's transaction. Returns how many were released."""
    released = 0
    units = list(session.scalars(select(SurveyPending.unit_id).where(SurveyPending.round_id == round_.id)
                                 .distinct().order_by(SurveyPending.unit_id)))
    if not units:
        return 0
    definition = _survey_definition(round_)
    for unit_id in units:
        waiting = _take_waiting(session, round_, unit_id)
        _release(session, round_, unit_id, definition, waiting)
        released += len(waiting)
    return released


def waiting_count(session: Session, round_: Round) -> int:
    """How many completed responses of the round wait to be released into the results."""
    return session.scalar(select(func.count()).select_from(SurveyPending)
                          .where(SurveyPending.round_id == round_.id)) or 0


@dataclass(frozen=True)
class _Stored:
    """One validated response as the rows that store it."""

    response: dict[str, Any]
    answers: list[dict[str, Any]]
    texts: list[dict[str, Any]]


def _response_rows(round_: Round, unit_id: int, definition: Definition, answers: Answers,
                   today: date | None) -> _Stored:
    response_id = random_id()
    texts = [
        {"id": random_id(), "round_id": round_.id, "unit_id": unit_id, "response_id": response_id,
         "question_key": question.key, "part": "" if part == "text" else part, "text": text, "status": "unread"}
        for question in definition.questions()
        if question.key in answers
        for part, text in question_type(question).free_text_parts(question, answers[question.key]).items()
    ]
    response = {"id": response_id, "round_id": round_.id, "unit_id": unit_id,
                "answered_on": today if round_.store_response_date else None}
    return _Stored(response, _answer_rows(definition, response_id, answers), texts)


def _store_responses(session: Session, stored: list[_Stored]) -> None:
    """Write the responses, their answers and texts, and add them to the counts per cell, in the
    caller's transaction (rows as plain values: one INSERT per table, not one object per row)."""
    for model, rows in ((SurveyResponse, [s.response for s in stored]),
                        (SurveyAnswer, [a for s in stored for a in s.answers]),
                        (SurveyText, [t for s in stored for t in s.texts])):
        if rows:
            session.execute(insert(model), rows)
    _add_counts(session, stored)


def _add_counts(session: Session, stored: list[_Stored]) -> None:
    """Add the responses to `survey_counts`: +1 per answer given and per question answered.
    The rows go in key order, so concurrent completions lock shared rows in the same order."""
    added: Counter[tuple[int, int, str, str, str]] = Counter()
    for one in stored:
        where = (one.response["round_id"], one.response["unit_id"])
        for answer in one.answers:
            if answer["value"]:
                added[(*where, answer["question_key"], answer["row_key"], answer["value"])] += 1
        for question_key in {answer["question_key"] for answer in one.answers}:
            added[(*where, question_key, "", "")] += 1
    if not added:
        return
    table = cast(Table, SurveyCount.__table__)
    upsert = (postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(table)
    upsert = upsert.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={"respondents": table.c.respondents + upsert.excluded.respondents},
    )
    keys = ("round_id", "unit_id", "question_key", "row_key", "value")
    session.execute(upsert, [{**dict(zip(keys, key, strict=True)), "respondents": n}
                             for key, n in sorted(added.items())])


def counts_from_answers(session: Session, round_id: int) -> dict[tuple[int, str, str, str], int]:
    """What `survey_counts` holds for a round, computed from every answer row by GROUP BY:
    {(unit id, question, row, value): respondents}, ('', '') being the question's base: what
    `recount` checks the kept counts against (migration 0003 computes the same in SQL)."""
    given = session.execute(
        select(SurveyResponse.unit_id, SurveyAnswer.question_key, SurveyAnswer.row_key, SurveyAnswer.value,
               func.count())
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.round_id == round_id, SurveyAnswer.value != "")
        .group_by(SurveyResponse.unit_id, SurveyAnswer.question_key, SurveyAnswer.row_key, SurveyAnswer.value))
    bases = session.execute(
        select(SurveyResponse.unit_id, SurveyAnswer.question_key, func.count(func.distinct(SurveyAnswer.response_id)))
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.round_id == round_id)
        .group_by(SurveyResponse.unit_id, SurveyAnswer.question_key))
    counts = {(unit_id, question, row, value): int(n) for unit_id, question, row, value, n in given}
    counts.update({(unit_id, question, "", ""): int(n) for unit_id, question, n in bases})
    return counts


def recount(session: Session, round_: Round, *, repair: bool = False) -> int:
    """How many of the round's kept counts differ from the GROUP BY of its answers (a count
    missing on either side differs too); with `repair`, the kept counts are then rewritten from
    the answers in the caller's transaction. For an operator after a restore or a hand edit."""
    kept = {(unit_id, question, row, value): n for unit_id, question, row, value, n in session.execute(
        select(SurveyCount.unit_id, SurveyCount.question_key, SurveyCount.row_key, SurveyCount.value,
               SurveyCount.respondents).where(SurveyCount.round_id == round_.id))}
    found = counts_from_answers(session, round_.id)
    differing = sum(1 for key in kept.keys() | found.keys() if kept.get(key) != found.get(key))
    if repair and differing:
        session.execute(delete(SurveyCount).where(SurveyCount.round_id == round_.id))
        keys = ("unit_id", "question_key", "row_key", "value")
        session.execute(insert(SurveyCount), [{"round_id": round_.id, **dict(zip(keys, key, strict=True)),
                                               "respondents": n} for key, n in sorted(found.items())])
        audit.record(session, "survey.recount", actor_label="lagesbild survey recount", target=round_.key,
                     differing=differing)
    return differing


def store_completed(round_key: str, unit_id: int, responses: Iterable[Answers], today: date,
                    chunk: int = 500) -> int:
    """Store completed responses for one unit in bulk (the synthetic city, an import): each is
    checked with `validate_answers` and written as `complete` writes it, `chunk` responses per
    transaction. A response with errors stops the batch with a ServiceError (earlier chunks
    stay). Returns how many were stored."""
    stored = 0
    pending = iter(responses)
    while True:
        batch = [answers for _, answers in zip(range(chunk), pending, strict=False)]
        if not batch:
            return stored
        with transaction() as session:
            round_ = get_round(session, round_key)
            _open_round(round_)
            _invitation(session, round_, unit_id)
            definition = _survey_definition(round_)
            rows: list[_Stored] = []
            for answers in batch:
                checked = validate_answers(definition, answers)
                if not checked.ok:
                    raise ServiceError([Problem(error.message, error.question) for error in checked.errors])
                rows.append(_response_rows(round_, unit_id, definition, checked.answers, today))
            _store_responses(session, rows)
        stored += len(batch)


def _finish(session: Session, draft: SurveyDraft) -> None:
    # Deleting the draft claims it: a second request finishing the same draft (a double click)
    # waits for the first one's row lock, then deletes nothing and is refused, so one draft
    # makes at most one response or decline (an ORM delete would only warn). Its code was
    # marked used when the draft started: nothing here touches a code.
    deleted = session.execute(delete(SurveyDraft).where(SurveyDraft.id == draft.id)).rowcount  # type: ignore[attr-defined]
    if deleted != 1:
        raise ServiceError(Problem(_l("Svaren finns inte längre. De kan redan vara inskickade."), "draft"))


def decline(draft_id: str) -> None:
    """"Jag vill inte delta": counted as declined; the draft is deleted and the code used up."""
    with transaction() as session:
        draft = get_draft(session, draft_id)
        if draft is None:
            raise ServiceError(Problem(_l("Svaren finns inte längre."), "draft"))
        round_id, unit_id = draft.round_id, draft.unit_id
        _finish(session, draft)  # the draft before the tally: the order a reshuffle locks them in
        _count_declined(session, round_id, unit_id)
    forget_deleted()


def _count_declined(session: Session, round_id: int, unit_id: int) -> None:
    tally = session.get(SurveyTally, (round_id, unit_id))
    if tally is None:
        session.add(SurveyTally(round_id=round_id, unit_id=unit_id, declined=1))
    else:
        tally.declined += 1


# --- response rates ----------------------------------------------------------------------------


def percent(count: int, of: int | None) -> Decimal | None:
    """`count` as a share of `of` in percent with one decimal, rounded half up (52.5)."""
    return formatting.percent(count, of)


def format_percent(value: Decimal | None) -> str:
    """'52,5 %' (one decimal, the interface language's sign), '–' when there is no basis."""
    return formatting.format_percent(value)


@dataclass(frozen=True)
class ResponseRate:
    """One unit's (or the total's) response figures, as the audit reports them."""

    label: str
    invited: int | None
    completed: int
    started: int
    declined: int
    invited_basis: str  # head_count | codes | none | total
    unit_key: str = ""
    unit_id: int | None = None

    @property
    def full(self) -> bool:
        """The unit's head count is reached: nobody more can complete (a total is never full)."""
        return self.invited_basis == "head_count" and self.invited is not None and self.completed >= self.invited

    @property
    def completed_share(self) -> Decimal | None:
        return percent(self.completed, self.invited)

    @property
    def started_share(self) -> Decimal | None:
        return percent(self.started, self.invited)

    @property
    def declined_share(self) -> Decimal | None:
        return percent(self.declined, self.invited)


def _counts_by_unit(session: Session, statement: Any) -> dict[int, int]:
    return {unit_id: int(n) for unit_id, n in session.execute(statement)}


def response_rates(session: Session, round_: Round) -> tuple[list[ResponseRate], ResponseRate]:
    """Per invited unit (by name) and in total; one grouped query per figure."""
    completed = Counter(_counts_by_unit(session, select(SurveyResponse.unit_id, func.count())
                                        .where(SurveyResponse.round_id == round_.id)
                                        .group_by(SurveyResponse.unit_id)))
    completed.update(_counts_by_unit(session, select(SurveyPending.unit_id, func.count())
                                     .where(SurveyPending.round_id == round_.id).group_by(SurveyPending.unit_id)))
    started = _counts_by_unit(session, select(SurveyDraft.unit_id, func.count())
                              .where(SurveyDraft.round_id == round_.id, SurveyDraft.pages_saved > 0)
                              .group_by(SurveyDraft.unit_id))
    codes = _counts_by_unit(session, select(AccessCode.unit_id, func.count())
                            .where(AccessCode.round_id == round_.id).group_by(AccessCode.unit_id))
    declined = _counts_by_unit(session, select(SurveyTally.unit_id, SurveyTally.declined)
                               .where(SurveyTally.round_id == round_.id))
    invitations = session.execute(
        select(RoundUnit.unit_id, RoundUnit.head_count, Unit.key, Unit.name)
        .join(Unit, Unit.id == RoundUnit.unit_id)
        .where(RoundUnit.round_id == round_.id)
    ).all()
    invitations = sorted(invitations, key=lambda row: (name_key(row[3]), row[2]))
    rows = []
    for unit_id, head_count, key, name in invitations:
        if head_count is not None:
            invited, basis = head_count, "head_count"
        elif codes.get(unit_id):
            invited, basis = codes[unit_id], "codes"
        else:
            invited, basis = None, "none"
        rows.append(ResponseRate(name, invited, completed.get(unit_id, 0), started.get(unit_id, 0),
                                 declined.get(unit_id, 0), basis, key, unit_id))
    known = [row.invited for row in rows if row.invited is not None]
    total = ResponseRate(
        str(_l("Totalt")), sum(known) if known else None, sum(r.completed for r in rows),
        sum(r.started for r in rows), sum(r.declined for r in rows), "total",
    )
    return rows, total


# --- free-text review ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TextForReview:
    """A free text to read, with its unit's name only when the unit is large enough to name."""

    text: SurveyText
    unit_name: str | None


@dataclass(frozen=True)
class QuestionTexts:
    """The free texts of one question (`part` 'other': the 'other, specify' texts of a choice)."""

    question_key: str
    part: str
    texts: list[TextForReview]


def texts_to_review(session: Session, round_: Round, statuses: Iterable[str] = ("unread",)) -> list[QuestionTexts]:
    """The round's free texts by question, in the questionnaire's order. A text names its unit
    only when the unit has at least the round's free-text threshold of completed responses;
    within a question the texts follow their random ids, so that neither the order nor a missing
    name points to a small unit's texts."""
    threshold = max(round_.free_text_threshold, round_.anonymity_threshold)
    named = dict(session.execute(
        select(Unit.id, Unit.name)
        .join(SurveyResponse, SurveyResponse.unit_id == Unit.id)
        .where(SurveyResponse.round_id == round_.id)
        .group_by(Unit.id, Unit.name)
        .having(func.count() >= threshold)
    ).tuples().all())
    grouped: dict[tuple[str, str], list[TextForReview]] = {}
    for text in session.scalars(
        select(SurveyText)
        .where(SurveyText.round_id == round_.id, SurveyText.status.in_(list(statuses)))
        .order_by(SurveyText.question_key, SurveyText.part, SurveyText.id)
    ):
        grouped.setdefault((text.question_key, text.part), []).append(TextForReview(text, named.get(text.unit_id)))
    version = round_.version_of_kind("survey")
    order = {q.key: i for i, q in enumerate(version.parsed().questions())} if version is not None else {}
    keys = sorted(grouped, key=lambda k: (order.get(k[0], len(order)), k[0], k[1]))
    return [QuestionTexts(key, part, grouped[(key, part)]) for key, part in keys]


def review_text(session: Session, round_: Round, text_id: str, action: str, redacted: str | None = None,
                actor: User | None = None) -> SurveyText:
    """approve | hide | redact (the edited text replaces the original, which is not kept)."""
    text = session.get(SurveyText, text_id)
    if text is None or text.round_id != round_.id:
        raise ServiceError(Problem(_l("Texten finns inte."), "text"))
    if action == "approve":
        text.status = "approved"
    elif action == "hide":
        text.status = "hidden"
    elif action == "redact":
        cleaned = (redacted or "").strip()
        if not cleaned:
            raise ServiceError(Problem(_l("Skriv den redigerade texten, eller dölj svaret."), "text"))
        text.text = cleaned
        text.status = "redacted"
    else:
        raise ServiceError(Problem(_l("Okänd åtgärd."), "action"))
    assert text.status in TEXT_STATUSES
    # The audit names the action, never the text.
    audit.record(session, f"survey.text_{action}", actor=actor, target=round_.key)
    return text


def delete_drafts(session: Session, round_: Round) -> int:
    """Remove a round's drafts (gallring of unfinished answers); returns how many."""
    result = session.execute(delete(SurveyDraft).where(SurveyDraft.round_id == round_.id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
