"""Stored questionnaire definitions: one row per questionnaire key, one per version of its content."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.definitions.schema import Definition
from app.extensions import Model
from app.models.base import utcnow


class Questionnaire(Model):
    """A questionnaire by its stable key; its content lives in numbered versions."""

    __tablename__ = "questionnaires"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    title_sv: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[QuestionnaireVersion]] = relationship(
        back_populates="questionnaire", order_by="QuestionnaireVersion.number"
    )

    def latest(self) -> QuestionnaireVersion | None:
        return self.versions[-1] if self.versions else None

    def __repr__(self) -> str:
        return f"<Questionnaire {self.key}>"


class QuestionnaireVersion(Model):
    """One content of a questionnaire, never changed once stored: rounds point at a version."""

    __tablename__ = "questionnaire_versions"
    __table_args__ = (
        UniqueConstraint("questionnaire_id", "number"),
        UniqueConstraint("questionnaire_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"), index=True)
    number: Mapped[int] = mapped_column()
    # SHA-256 of the canonical JSON of `definition`: the same content is the same version.
    content_hash: Mapped[str] = mapped_column(String(64))
    # Deferred: read only when asked for (the parsed definition is shared per process, so a
    # survey page loading the round's versions need not decode every definition again).
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    source: Mapped[str] = mapped_column(Text, deferred=True)
    source_name: Mapped[str] = mapped_column(String(255))
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="versions", lazy="joined")

    def parsed(self) -> Definition:
        """The stored definition as a model, parsed once per content in the process: a version
        never changes, and validating it again on every survey page cost a fifth of the page.
        The (deferred) definition is read from the database only when not parsed yet."""
        found = _PARSED.get(self.content_hash)
        if found is None:
            found = Definition.model_validate(self.definition)
            if len(_PARSED) >= _PARSED_LIMIT:
                _PARSED.pop(next(iter(_PARSED)))
            _PARSED[self.content_hash] = found
        return found

    def __repr__(self) -> str:
        return f"<QuestionnaireVersion {self.questionnaire_id} v{self.number}>"


def parsed_definition(content_hash: str) -> Definition | None:
    """The parsed definition of a version's content, when this process has parsed it already:
    a survey page that knows the round's version hash needs no version row."""
    return _PARSED.get(content_hash)


# The parsed definitions shared by every request of the process, keyed by the SHA-256 of their
# content (the same content is the same version, whatever the database).
_PARSED: dict[str, Definition] = {}
_PARSED_LIMIT = 64  # versions kept per process; a city has a handful
