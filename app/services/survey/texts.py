"""The admin's reading of free texts, and deleting a round's drafts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.models import Round, Unit, User
from app.models.survey import (
    TEXT_STATUSES,
    SurveyDraft,
    SurveyResponse,
    SurveyText,
)
from app.services import Problem, ServiceError, audit


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
