"""Which round came before: the one rule behind every "since last time" figure.

A round is *earlier than* round R when its year is earlier than R's, or the years are equal and it
was created before R (a smaller id). Rounds are compared by that order only: a round's own status
(open, closed, published) plays no part, and neither does its opening date.

What a caller compares with is narrower than "any earlier round":

- a unit's **previous answers** (the unit report, the city comparison, the risk register's carry-
  forward and year over year) are its *submitted* answers in the latest earlier round, to the same
  questionnaire key (the self-assessment) or of the same questionnaire kind (the risk register,
  whose template may be another questionnaire from year to year); a draft is nobody's answer yet;
- the **previous round** of a questionnaire (the city export's "previous" columns) is the latest
  earlier round in which some unit submitted answers to the same questionnaire key;
- a **series over the years** (the city's history chart, the survey's index trend) is the round
  itself and every earlier round of the same questionnaire key, oldest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from app.models import Questionnaire, QuestionnaireVersion, Round, UnitResponse

# The order of "before": latest first (use reversed for oldest first).
LATEST_FIRST = (Round.year.desc(), Round.id.desc())
OLDEST_FIRST = (Round.year, Round.id)


def earlier_than(round_: Round) -> ColumnElement[bool]:
    """SQL condition on `Round`: the round is earlier than `round_` (see the module's rule)."""
    return or_(Round.year < round_.year, and_(Round.year == round_.year, Round.id < round_.id))


def up_to(round_: Round) -> ColumnElement[bool]:
    """SQL condition on `Round`: `round_` itself or a round earlier than it."""
    return or_(Round.id == round_.id, earlier_than(round_))


def _submitted_answers(*where: Any) -> Any:
    """Rounds with the submitted answers in them that meet `where`, latest round first."""
    return (
        select(Round, UnitResponse)
        .join(UnitResponse, UnitResponse.round_id == Round.id)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == UnitResponse.questionnaire_version_id)
        .join(Questionnaire, Questionnaire.id == QuestionnaireVersion.questionnaire_id)
        .where(UnitResponse.status == "submitted", *where)
        .order_by(*LATEST_FIRST))


def previous_answers(session: Session, round_: Round, unit_ids: Iterable[int], *,
                     questionnaire_key: str | None = None, kind: str | None = None,
                     options: Sequence[Any] = ()) -> dict[int, tuple[Round, UnitResponse]]:
    """Per unit id: the round and the unit's submitted answers in its latest round earlier than
    `round_`, to the questionnaire `questionnaire_key` or of the questionnaire kind `kind` (one of
    the two), in one query for all units. A unit with none is left out."""
    if (questionnaire_key is None) == (kind is None):
        raise ValueError("name either a questionnaire key or a kind")
    ids = list(unit_ids)
    if not ids:
        return {}
    same = Questionnaire.key == questionnaire_key if questionnaire_key is not None else Questionnaire.kind == kind
    found: dict[int, tuple[Round, UnitResponse]] = {}
    for earlier, response in session.execute(
            _submitted_answers(UnitResponse.unit_id.in_(ids), same, earlier_than(round_)).options(*options)
    ).tuples():
        found.setdefault(response.unit_id, (earlier, response))
    return found


def previous_round(session: Session, round_: Round, questionnaire_key: str) -> Round | None:
    """The latest round earlier than `round_` in which some unit submitted answers to the
    questionnaire `questionnaire_key`; None when there is none."""
    row = session.execute(
        _submitted_answers(Questionnaire.key == questionnaire_key, earlier_than(round_)).limit(1)).first()
    return row[0] if row is not None else None


def submitted_up_to(session: Session, round_: Round, questionnaire_key: str) -> list[tuple[Round, UnitResponse]]:
    """Every submitted answer to `questionnaire_key` in `round_` and the rounds earlier than it,
    latest round first."""
    return list(session.execute(
        _submitted_answers(Questionnaire.key == questionnaire_key, up_to(round_))).tuples())
