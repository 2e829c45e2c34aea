"""Deleting a round's answers when its retention date has passed (gallring).

A round's `retain_until` says how long its answers are kept. After that date, and once the round
is closed or archived, `purge_expired` deletes in one transaction everything answered in it: the
units' responses with their history, and the staff survey's responses, answers, counts and split
counts, free texts, drafts, access codes and decline tallies. The round itself stays (its name, dates, invited
units and head counts), so that the record shows that it existed and was purged. The audit log
gets the counts, never content.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Delete, Select, delete, func, select
from sqlalchemy.orm import Session

from app.models import ResponseEvent, Round, UnitResponse
from app.models.survey import (
    AccessCode,
    SurveyAnswer,
    SurveyCount,
    SurveyDraft,
    SurveyPending,
    SurveyResponse,
    SurveySplitCount,
    SurveyTally,
    SurveyText,
)
from app.services import Problem, ServiceError, audit

PURGEABLE_STATUSES: tuple[str, ...] = ("closed", "archived")


@dataclass(frozen=True)
class PurgeCounts:
    """How many rows of each kind a round's purge deletes (or would delete)."""

    unit_responses: int = 0
    response_events: int = 0
    survey_responses: int = 0
    survey_answers: int = 0
    survey_counts: int = 0
    survey_split_counts: int = 0
    survey_texts: int = 0
    survey_drafts: int = 0
    survey_pending: int = 0
    access_codes: int = 0
    declined_tallies: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def total(self) -> int:
        return sum(self.as_dict().values())


@dataclass(frozen=True)
class Purge:
    """What was done with one round whose retention date has passed."""

    round_key: str
    retain_until: date
    counts: PurgeCounts | None  # None: refused (the round is not closed)
    refusal: object | None = None


def expired_rounds(session: Session, today: date) -> list[Round]:
    """Rounds whose retention date is before `today`, oldest date first, whatever their status."""
    return list(session.scalars(
        select(Round).where(Round.retain_until.is_not(None), Round.retain_until < today)
        .order_by(Round.retain_until, Round.key)))


def _statements(round_id: int) -> dict[str, tuple[Select[tuple[int]], Delete]]:
    """Per kind: a count of the round's rows and the DELETE that removes them, children first."""
    unit_responses = select(UnitResponse.id).where(UnitResponse.round_id == round_id)
    survey_responses = select(SurveyResponse.id).where(SurveyResponse.round_id == round_id)

    def pair(model, condition):
        return select(func.count()).select_from(model).where(condition), delete(model).where(condition)

    return {
        "response_events": pair(ResponseEvent, ResponseEvent.response_id.in_(unit_responses)),
        "unit_responses": pair(UnitResponse, UnitResponse.round_id == round_id),
        "survey_texts": pair(SurveyText, SurveyText.round_id == round_id),
        "survey_answers": pair(SurveyAnswer, SurveyAnswer.response_id.in_(survey_responses)),
        "survey_counts": pair(SurveyCount, SurveyCount.round_id == round_id),
        "survey_split_counts": pair(SurveySplitCount, SurveySplitCount.round_id == round_id),
        "survey_responses": pair(SurveyResponse, SurveyResponse.round_id == round_id),
        "survey_drafts": pair(SurveyDraft, SurveyDraft.round_id == round_id),
        "survey_pending": pair(SurveyPending, SurveyPending.round_id == round_id),
        "access_codes": pair(AccessCode, AccessCode.round_id == round_id),
        "declined_tallies": pair(SurveyTally, SurveyTally.round_id == round_id),
    }


def purge_round(session: Session, round_: Round, *, dry_run: bool = False) -> PurgeCounts:
    """Delete (or with `dry_run` only count) the answers of one closed or archived round."""
    if round_.status not in PURGEABLE_STATUSES:
        raise ServiceError(Problem(_l("omgången %(key)s har status %(status)s; stäng den före gallring",
                                      key=round_.key, status=round_.status), "status"))
    counted: dict[str, int] = {}
    for kind, (count, remove) in _statements(round_.id).items():
        counted[kind] = int(session.scalar(count) or 0)
        if not dry_run and counted[kind]:
            session.execute(remove, execution_options={"synchronize_session": False})
    return PurgeCounts(**counted)


def purge_expired(session: Session, today: date, *, dry_run: bool = False,
                  actor_label: str = "lagesbild rounds purge") -> list[Purge]:
    """Purge every round whose retention date has passed, in the caller's one transaction.
    Rounds still open (or in draft) are refused and left as they are; each purge is audited
    with its counts."""
    done = []
    for round_ in expired_rounds(session, today):
        assert round_.retain_until is not None
        try:
            counts = purge_round(session, round_, dry_run=dry_run)
        except ServiceError as refused:
            done.append(Purge(round_.key, round_.retain_until, None, refused.problems[0].message))
            continue
        if not dry_run:
            audit.record(session, "round.purge", actor_label=actor_label, target=round_.key,
                         retain_until=round_.retain_until.isoformat(), **counts.as_dict())
        done.append(Purge(round_.key, round_.retain_until, counts))
    session.expire_all()
    return done
