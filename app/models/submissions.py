"""A unit's answers to one questionnaire of a round, and the history of every change to them.

One row per (round, unit, questionnaire version): the self-assessment and the risk register of a
unit are two rows of the same kind, handled by the one workflow in `app.services.submissions`.
A unit that has not started has no row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.base import utcnow
from app.models.questionnaires import QuestionnaireVersion
from app.models.rounds import Round
from app.models.units import Unit
from app.models.users import User

RESPONSE_STATUSES: tuple[str, ...] = ("draft", "submitted", "reopened")
# The status of an invited unit without a row; never stored.
NOT_STARTED = "not_started"
EVENT_ACTIONS: tuple[str, ...] = ("save", "submit", "reopen")


class UnitResponse(Model):
    """The answers of one unit to one questionnaire in one round."""

    __tablename__ = "unit_responses"
    __table_args__ = (UniqueConstraint("round_id", "unit_id", "questionnaire_version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    # Optimistic locking: every write increments it, and an UPDATE whose row has moved on
    # since it was read matches nothing (SQLAlchemy raises StaleDataError).
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None] = mapped_column()
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    round: Mapped[Round] = relationship()
    unit: Mapped[Unit] = relationship()
    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    events: Mapped[list[ResponseEvent]] = relationship(
        back_populates="response", cascade="all, delete-orphan",
        order_by="ResponseEvent.id",
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_submitted(self) -> bool:
        return self.status == "submitted"

    def __repr__(self) -> str:
        return f"<UnitResponse round={self.round_id} unit={self.unit_id} {self.status} v{self.version}>"


class ResponseEvent(Model):
    """One save, submission or reopening: who, when, and which answers changed from what to what."""

    __tablename__ = "response_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("unit_responses.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Kept as text too, so the history still names who acted after an account is removed.
    user_email: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(16))
    # The response's version after this event.
    version: Mapped[int] = mapped_column(Integer)
    # {question_key: [old, new]}; an absent answer is null.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")

    response: Mapped[UnitResponse] = relationship(back_populates="events")

    def __repr__(self) -> str:
        return f"<ResponseEvent {self.action} v{self.version} by {self.user_email}>"
