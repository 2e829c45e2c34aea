"""Storing completed responses: waiting in random order, released in groups, counted per cell
(and per cell of each background question's answer: the breakdowns' cross-tabulations), and
declining."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, and_, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from app.config import MIN_ANONYMITY_THRESHOLD
from app.definitions.schema import (
    Definition,
)
from app.models import Round
from app.models.base import random_id
from app.models.survey import (
    SurveyAnswer,
    SurveyCount,
    SurveyDraft,
    SurveyPending,
    SurveyResponse,
    SurveySplitCount,
    SurveyText,
)
from app.questions.answers import Answers
from app.questions.conditions import validate_answers
from app.questions.types import counted_questions, question_type
from app.services import Problem, ServiceError, audit, transaction
from app.services.rounds import get_round
from app.services.survey.codes import invitation_of, survey_definition
from app.services.survey.starting import require_open
from app.services.survey_release import background_questions


def release_size(round_: Round) -> int:
    """How many completed responses of one unit are released together: the round's threshold."""
    return max(round_.anonymity_threshold, MIN_ANONYMITY_THRESHOLD)


def hold_response(session: Session, round_: Round, unit_id: int, definition: Definition, answers: Answers,
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
    _store_responses(session, definition, [
        _response_rows(round_, unit_id, definition, answers, answered_on) for answered_on, answers in waiting])


def release_waiting(session: Session, round_: Round) -> int:
    """Release every waiting response of the round, whatever their number (the round closes, so
    no more come); in the caller's transaction. Returns how many were released."""
    released = 0
    units = list(session.scalars(select(SurveyPending.unit_id).where(SurveyPending.round_id == round_.id)
                                 .distinct().order_by(SurveyPending.unit_id)))
    if not units:
        return 0
    definition = survey_definition(round_)
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


def _store_responses(session: Session, definition: Definition, stored: list[_Stored]) -> None:
    """Write the responses, their answers and texts, and add them to the counts per cell and to
    the split counts, in the caller's transaction (rows as plain values: one INSERT per table,
    not one object per row; one upsert per kept table)."""
    for model, rows in ((SurveyResponse, [s.response for s in stored]),
                        (SurveyAnswer, [a for s in stored for a in s.answers]),
                        (SurveyText, [t for s in stored for t in s.texts])):
        if rows:
            session.execute(insert(model), rows)
    _add_counts(session, stored)
    _add_split_counts(session, definition, stored)


def _add_counts(session: Session, stored: list[_Stored]) -> None:
    """Add the responses to `survey_counts`: +1 per answer given and per question answered."""
    added: Counter[tuple[Any, ...]] = Counter()
    for one in stored:
        where = (one.response["round_id"], one.response["unit_id"])
        for answer in one.answers:
            if answer["value"]:
                added[(*where, answer["question_key"], answer["row_key"], answer["value"])] += 1
        for question_key in {answer["question_key"] for answer in one.answers}:
            added[(*where, question_key, "", "")] += 1
    _upsert_adding(session, cast(Table, SurveyCount.__table__), added)


def split_questions(definition: Definition) -> tuple[frozenset[str], frozenset[str]]:
    """The questions `survey_split_counts` crosses: (background questions, counted questions)."""
    return (frozenset(q.key for q in background_questions(definition)),
            frozenset(q.key for q in counted_questions(definition)))


def _add_split_counts(session: Session, definition: Definition, stored: list[_Stored]) -> None:
    """Add the responses to `survey_split_counts`: for each background answer a response gave,
    +1 per counted answer it gave and per counted question it answered."""
    background, counted = split_questions(definition)
    added: Counter[tuple[Any, ...]] = Counter()
    for one in stored:
        where = (one.response["round_id"], one.response["unit_id"])
        by = [(a["question_key"], a["value"]) for a in one.answers if a["question_key"] in background and a["value"]]
        if not by:
            continue
        cells = [(a["question_key"], a["row_key"], a["value"]) for a in one.answers
                 if a["question_key"] in counted and a["value"]]
        cells += [(question_key, "", "") for question_key in {a["question_key"] for a in one.answers
                                                              if a["question_key"] in counted}]
        for asked in by:
            for cell in cells:
                added[(*where, *asked, *cell)] += 1
    _upsert_adding(session, cast(Table, SurveySplitCount.__table__), added)


def _upsert_adding(session: Session, table: Table, added: Counter[tuple[Any, ...]]) -> None:
    """Add `added` (by primary key, in the table's column order) to the kept `respondents`, in
    one upsert. The rows go in key order, so concurrent releases lock shared rows in the same
    order."""
    if not added:
        return
    keys = [c.name for c in table.primary_key.columns]
    upsert = (postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(table)
    upsert = upsert.on_conflict_do_update(
        index_elements=keys, set_={"respondents": table.c.respondents + upsert.excluded.respondents})
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


def split_counts_from_answers(session: Session, round_id: int, definition: Definition
                              ) -> dict[tuple[int, str, str, str, str, str], int]:
    """What `survey_split_counts` holds for a round, computed from every answer row by joining
    each counted answer with the same response's background answers and grouping: {(unit id,
    background question, its answer, question, row, value): respondents}, ('', '') being the
    question's base (migration 0007 computes the same in SQL)."""
    background, counted = split_questions(definition)
    if not background or not counted:
        return {}
    by = aliased(SurveyAnswer)
    split = select(SurveyResponse.unit_id, by.question_key, by.value, SurveyAnswer.question_key).join(
        SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id).join(
        by, and_(by.response_id == SurveyAnswer.response_id, by.question_key.in_(background), by.value != "")).where(
        SurveyResponse.round_id == round_id, SurveyAnswer.question_key.in_(counted))
    grouped = (SurveyResponse.unit_id, by.question_key, by.value, SurveyAnswer.question_key)
    given = session.execute(split.add_columns(SurveyAnswer.row_key, SurveyAnswer.value, func.count())
                            .where(SurveyAnswer.value != "")
                            .group_by(*grouped, SurveyAnswer.row_key, SurveyAnswer.value))
    bases = session.execute(split.add_columns(func.count(func.distinct(SurveyAnswer.response_id)))
                            .group_by(*grouped))
    counts = {(unit_id, asked, answer, question, row, value): int(n)
              for unit_id, asked, answer, question, row, value, n in given}
    counts.update({(unit_id, asked, answer, question, "", ""): int(n)
                   for unit_id, asked, answer, question, n in bases})
    return counts


def recount(session: Session, round_: Round, *, repair: bool = False) -> int:
    """How many of the round's kept counts and split counts differ from the GROUP BY of its
    answers (a count missing on either side differs too); with `repair`, the kept counts (and
    split counts) that differ are then rewritten from the answers in the caller's transaction.
    For an operator after a restore, a hand edit, or an upgrade that added a kept table."""
    kept = {(unit_id, question, row, value): n for unit_id, question, row, value, n in session.execute(
        select(SurveyCount.unit_id, SurveyCount.question_key, SurveyCount.row_key, SurveyCount.value,
               SurveyCount.respondents).where(SurveyCount.round_id == round_.id))}
    found = counts_from_answers(session, round_.id)
    differing = sum(1 for key in kept.keys() | found.keys() if kept.get(key) != found.get(key))
    split_table = cast(Table, SurveySplitCount.__table__)
    kept_splits = {tuple(row[:-1]): row[-1] for row in session.execute(
        select(*(c for c in split_table.columns if c.name != "round_id"))
        .where(split_table.c.round_id == round_.id))}
    found_splits = split_counts_from_answers(session, round_.id, survey_definition(round_))
    differing_splits = sum(1 for key in kept_splits.keys() | found_splits.keys()
                           if kept_splits.get(key) != found_splits.get(key))
    if repair and differing:
        _rewrite(session, cast(Table, SurveyCount.__table__), round_.id, found)
    if repair and differing_splits:
        _rewrite(session, split_table, round_.id, found_splits)
    if repair and (differing or differing_splits):
        audit.record(session, "survey.recount", actor_label="lagesbild survey recount", target=round_.key,
                     differing=differing + differing_splits)
    return differing + differing_splits


def _rewrite(session: Session, table: Table, round_id: int, found: dict[Any, int]) -> None:
    """Replace a round's kept rows of `table` with `found` (keys after round_id, in column order)."""
    keys = [c.name for c in table.primary_key.columns if c.name != "round_id"]
    session.execute(delete(table).where(table.c.round_id == round_id))
    if found:
        session.execute(insert(table), [{"round_id": round_id, **dict(zip(keys, key, strict=True)),
                                         "respondents": n} for key, n in sorted(found.items())])


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
            require_open(round_)
            invitation_of(session, round_, unit_id)
            definition = survey_definition(round_)
            rows: list[_Stored] = []
            for answers in batch:
                checked = validate_answers(definition, answers)
                if not checked.ok:
                    raise ServiceError([Problem(error.message, error.question) for error in checked.errors])
                rows.append(_response_rows(round_, unit_id, definition, checked.answers, today))
            _store_responses(session, definition, rows)
        stored += len(batch)


def finish_draft(session: Session, draft: SurveyDraft) -> None:
    # Deleting the draft claims it: a second request finishing the same draft (a double click)
    # waits for the first one's row lock, then deletes nothing and is refused, so one draft
    # makes at most one response or decline (an ORM delete would only warn). Its code was
    # marked used when the draft started: nothing here touches a code.
    deleted = session.execute(delete(SurveyDraft).where(SurveyDraft.id == draft.id)).rowcount  # type: ignore[attr-defined]
    if deleted != 1:
        raise ServiceError(Problem(_l("Svaren finns inte längre. De kan redan vara inskickade."), "draft"))


