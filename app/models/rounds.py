"""Review rounds: a year's review that invites units to answer questionnaires.

One round can hold the unit questionnaire (the self-assessment), the risk-analysis template
and the staff survey of a year, so that reports join a unit's board answers, risks and staff
answers. The survey's anonymity settings live on the round.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.config import MIN_ANONYMITY_THRESHOLD
from app.extensions import Model, db
from app.models.base import utcnow
from app.models.questionnaires import QuestionnaireVersion
from app.models.units import Unit

ROUND_STATUSES: tuple[str, ...] = ("draft", "open", "closed", "archived")

round_questionnaires = Table(
    "round_questionnaires",
    db.metadata,
    Column("round_id", ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True),
    Column("questionnaire_version_id", ForeignKey("questionnaire_versions.id"), primary_key=True),
)


class Round(Model):
    __tablename__ = "rounds"
    __table_args__ = (
        CheckConstraint(f"anonymity_threshold >= {MIN_ANONYMITY_THRESHOLD}", name="threshold_minimum"),
        CheckConstraint("free_text_threshold >= anonymity_threshold", name="free_text_threshold"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    opens_on: Mapped[date | None] = mapped_column()
    due_on: Mapped[date | None] = mapped_column()
    instructions: Mapped[str] = mapped_column(Text, default="")
    # Survey anonymity: groups below the threshold are never shown (default 5, never below 3).
    anonymity_threshold: Mapped[int] = mapped_column(default=5)
    free_text_threshold: Mapped[int] = mapped_column(default=10)
    free_text_enabled: Mapped[bool] = mapped_column(default=True)
    # Roles that may read reviewed free-text answers, comma separated.
    free_text_roles: Mapped[str] = mapped_column(String(100), default="admin")
    # False: completed survey responses carry no date at all.
    store_response_date: Mapped[bool] = mapped_column(default=True)
    # After this date the round's answers may be deleted (gallring) by `lagesbild rounds purge`.
    retain_until: Mapped[date | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    questionnaire_versions: Mapped[list[QuestionnaireVersion]] = relationship(
        secondary=round_questionnaires
    )
    invitations: Mapped[list[RoundUnit]] = relationship(
        back_populates="round", cascade="all, delete-orphan"
    )

    def version_of_kind(self, kind: str) -> QuestionnaireVersion | None:
        """The round's questionnaire version of `kind` (unit_questionnaire, survey, risk_template)."""
        for version in self.questionnaire_versions:
            if version.questionnaire.kind == kind:
                return version
        return None

    def __repr__(self) -> str:
        return f"<Round {self.key} {self.status}>"


class RoundUnit(Model):
    """A unit invited to a round, with its staff head count for the survey's response rate."""

    __tablename__ = "round_units"
    __table_args__ = (UniqueConstraint("round_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Staff invited to the survey (entered per unit); response rates are computed from it.
    head_count: Mapped[int | None] = mapped_column()
    # The open survey link's token for intranet distribution (not secret per person).
    open_link_token: Mapped[str | None] = mapped_column(String(64), unique=True)

    round: Mapped[Round] = relationship(back_populates="invitations")
    unit: Mapped[Unit] = relationship()
