"""Response rates as the auditors report them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import formatting
from app.models import Round, RoundUnit, Unit
from app.models.survey import (
    AccessCode,
    SurveyDraft,
    SurveyPending,
    SurveyResponse,
    SurveyTally,
)
from app.sorting import name_key


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
