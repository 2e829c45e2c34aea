"""Answering page by page: the draft, its pages, saving and completing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from app.definitions.schema import (
    Definition,
    Section,
)
from app.models import Questionnaire, QuestionnaireVersion, Round
from app.models.questionnaires import parsed_definition
from app.models.rounds import round_questionnaires
from app.models.survey import (
    SurveyDraft,
    SurveyTally,
)
from app.questions.answers import AnswerError, Answers, Validated
from app.questions.conditions import validate_answers, visible_sections
from app.services import Problem, ServiceError, transaction
from app.services.survey.codes import survey_definition
from app.services.survey.starting import is_full, lock_invitation, survey_full
from app.services.survey.storage import finish_draft, hold_response
from app.services.survey_storage import forget_deleted


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
    """A draft with its round's status and the round's survey definition, read together; the
    whole round only when read for completing (`load_draft(lock_round=True)`)."""

    draft: SurveyDraft
    status: str
    definition: Definition
    whole_round: Round | None = None

    @property
    def open(self) -> bool:
        return self.status == "open"

    @property
    def round(self) -> Round:
        assert self.whole_round is not None, "the round is read with load_draft(lock_round=True)"
        return self.whole_round


def _draft_statement(*round_columns: Any, lock_round: bool = False) -> Select[Any]:
    """The draft (`:draft_id`), `round_columns` of its round and its survey version's id and
    content hash, in one statement. Built once: a page request runs it as it is."""
    statement = (
        select(SurveyDraft, *round_columns, QuestionnaireVersion.id, QuestionnaireVersion.content_hash)
        .join(Round, Round.id == SurveyDraft.round_id)
        .join(round_questionnaires, round_questionnaires.c.round_id == Round.id)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == round_questionnaires.c.questionnaire_version_id)
        .join(Questionnaire, Questionnaire.id == QuestionnaireVersion.questionnaire_id)
        .where(SurveyDraft.id == bindparam("draft_id"), Questionnaire.kind == "survey")
    )
    return statement.with_for_update(read=True, of=Round) if lock_round else statement


# A page needs the round's status only (fewer columns for the driver to describe); completing
# needs the whole round, read under a lock (see `load_draft`).
_DRAFT_AND_STATUS = _draft_statement(Round.status)
_DRAFT_AND_ROUND = _draft_statement(Round, lock_round=True)


def load_draft(session: Session, draft_id: str | None, *, lock_round: bool = False) -> OpenedDraft | None:
    """The draft with its round's status and survey definition in one query, whatever the
    status (`OpenedDraft.open` says); None when the draft is gone. The definition comes from the
    process's cache of parsed versions by the content hash read in the same query (a version
    never changes), so only the first page of a version in a process reads the version row.
    `lock_round`: the whole round too, read under a lock shared with other completions and
    exclusive of closing it or changing its thresholds (PostgreSQL; SQLite's write lock covers
    it)."""
    if not draft_id:
        return None
    statement = _DRAFT_AND_ROUND if lock_round else _DRAFT_AND_STATUS
    row = session.execute(statement, {"draft_id": draft_id}).one_or_none()
    if row is None:
        return None
    draft, found, version_id, content_hash = row
    definition = parsed_definition(content_hash)
    if definition is None:
        version = session.get(QuestionnaireVersion, version_id)
        assert version is not None
        definition = version.parsed()
    if lock_round:
        return OpenedDraft(draft, found.status, definition, found)
    return OpenedDraft(draft, found, definition)


def get_draft(session: Session, draft_id: str | None) -> SurveyDraft | None:
    """The draft of a session, if it still exists and its round is open."""
    opened = load_draft(session, draft_id)
    return opened.draft if opened is not None and opened.open else None


def draft_definition(session: Session, draft: SurveyDraft) -> Definition:
    round_ = session.get(Round, draft.round_id)
    assert round_ is not None
    return survey_definition(round_)


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


def complete(secret: str, draft_id: str, today: date) -> list[AnswerError]:
    """Turn the draft into an anonymous response in one transaction; the errors when answers
    are missing (nothing is then written). The draft, and with it the link between the code and
    the answers, is deleted; the answers wait among the unit's others until they are released
    together (`hold_response`). Refused with `survey_full()` when the unit's head count is reached."""
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
    invitation = lock_invitation(session, opened.round.id, opened.draft.unit_id)
    return not is_full(session, invitation)


def _complete(session: Session, opened: OpenedDraft, answers: Answers, today: date) -> None:
    """Delete the draft and hold its validated answers (the caller holds the invitation lock)."""
    unit_id = opened.draft.unit_id
    finish_draft(session, opened.draft)
    hold_response(session, opened.round, unit_id, opened.definition, answers, today)


def decline(draft_id: str) -> None:
    """"Jag vill inte delta": counted as declined; the draft is deleted and the code used up."""
    with transaction() as session:
        draft = get_draft(session, draft_id)
        if draft is None:
            raise ServiceError(Problem(_l("Svaren finns inte längre."), "draft"))
        round_id, unit_id = draft.round_id, draft.unit_id
        finish_draft(session, draft)  # the draft before the tally: the order a reshuffle locks them in
        _count_declined(session, round_id, unit_id)
    forget_deleted()


def _count_declined(session: Session, round_id: int, unit_id: int) -> None:
    tally = session.get(SurveyTally, (round_id, unit_id))
    if tally is None:
        session.add(SurveyTally(round_id=round_id, unit_id=unit_id, declined=1))
    else:
        tally.declined += 1
