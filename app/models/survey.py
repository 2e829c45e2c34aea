"""The anonymous staff survey: completed responses, access codes and drafts, kept apart by design.

A completed response holds its round, its unit, the date (or none) and its answers: nothing
that points to a person, a code, an address or a time of day. Ids are random, never
auto-increment, so that row order says nothing about the order of answering. Access codes
and drafts live in their own tables; a draft is deleted when its response is completed, and
nothing in a response points back to it. See docs in services/survey.py for the counts.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.base import random_id

TEXT_STATUSES: tuple[str, ...] = ("unread", "approved", "redacted", "hidden")
# Free texts that may appear in results (after an admin has read them).
READABLE_TEXT_STATUSES: tuple[str, ...] = ("approved", "redacted")


class SurveyResponse(Model):
    """One completed survey: nothing but where it counts and, if the round allows, the date."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        Index("ix_survey_responses_round_unit", "round_id", "unit_id"),
        # SQLite: no hidden rowid counting insertions, rows are stored in random-id order.
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    answered_on: Mapped[date | None] = mapped_column()


class SurveyAnswer(Model):
    """One chosen value of one response: a single choice is one row, a multiple choice one row
    per option, a matrix one row per matrix row (`row_key`), a number one row with `number`.
    Counts are then GROUP BY question_key, row_key, value."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        Index("ix_survey_answers_question_value", "question_key", "value"),
        {"sqlite_with_rowid": False},
    )

    response_id: Mapped[str] = mapped_column(
        ForeignKey("survey_responses.id", ondelete="CASCADE"), primary_key=True
    )
    question_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    row_key: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    value: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    number: Mapped[float | None] = mapped_column(Float)


class SurveyCount(Model):
    """How many of a unit's completed responses in a round gave each answer, kept as each
    response is stored (in the same transaction), so that results read a few rows per unit
    instead of every answer. One row per (question, row, value) with `respondents` answers;
    the row with an empty row key and value counts the responses that answered the question
    at all (the base of its percentages). Always equal to what GROUP BY over `survey_answers`
    gives (`services.survey.recount` rebuilds it from them)."""

    __tablename__ = "survey_counts"
    __table_args__ = ({"sqlite_with_rowid": False},)

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    question_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    row_key: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    value: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    respondents: Mapped[int] = mapped_column(default=0)


class SurveySplitCount(Model):
    """How many of a unit's completed responses in a round that gave one answer to a background
    question (`breakdown: true`: `by_question`, `by_value`) gave each answer to each counted
    question: the cross-tabulations the breakdowns read, kept per cell like `SurveyCount` so
    that no output joins the answer rows with themselves. The row with an empty row key and
    value counts those that answered the question at all (the base of its percentages).

    The same information as the answer rows it summarises, and nothing more: no response id,
    no date, no time. It is written only where answers are released into `survey_answers`, in
    the release's one transaction and by one set-based upsert for the whole group (never in
    the transaction of a completion that writes one waiting response), so that its transaction
    id and row order say no more than the answers' own. Deleted with its round and by the
    purge, rewritten by the reshuffle like the other answer tables; always equal to what
    grouping the answers gives (`services.survey.recount` rebuilds it from them)."""

    __tablename__ = "survey_split_counts"
    __table_args__ = ({"sqlite_with_rowid": False},)

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    by_question: Mapped[str] = mapped_column(String(64), primary_key=True)
    by_value: Mapped[str] = mapped_column(String(64), primary_key=True)
    question_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    row_key: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    value: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    respondents: Mapped[int] = mapped_column(default=0)


class SurveyText(Model):
    """A free-text answer (a text question, or the 'other, specify' text of a choice), waiting
    for an admin to read it. Redacting replaces the text: the original is not kept."""

    __tablename__ = "survey_texts"
    __table_args__ = (
        Index("ix_survey_texts_round_unit", "round_id", "unit_id", "status"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    response_id: Mapped[str] = mapped_column(
        ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True
    )
    question_key: Mapped[str] = mapped_column(String(64))
    part: Mapped[str] = mapped_column(String(64), default="")  # '' or 'other'
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="unread")


class AccessCode(Model):
    """A single-use code for one unit of one round, stored only as a keyed hash. `used` is all
    that is recorded when it is spent: no time, nothing pointing to a response."""

    __tablename__ = "survey_access_codes"
    __table_args__ = (
        Index("ix_survey_access_codes_round_unit", "round_id", "unit_id"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used: Mapped[bool] = mapped_column(default=False)


class SurveyDraft(Model):
    """Answers in progress, keyed by the hash of the access code or of the open link's resume
    code. Nothing in it names the access code row: the code was marked used (claimed) when the
    draft started. Deleted when the response is completed or declined; the drafts that remain
    are the respondents who started but have not finished."""

    __tablename__ = "survey_drafts"
    __table_args__ = (
        Index("ix_survey_drafts_round_unit", "round_id", "unit_id"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    page: Mapped[int] = mapped_column(default=0)  # the page to show next (0 = the first)
    pages_saved: Mapped[int] = mapped_column(default=0)  # 0: opened, nothing answered yet
    updated_on: Mapped[date] = mapped_column()


class SurveyPending(Model):
    """A completed response waiting to be released into the results with others of its unit.

    Completing writes the validated answers here, with nothing that names a code or a draft, and
    rewrites every waiting response of the unit in random order, so they all carry the same
    transaction and none can be told apart by when it arrived. Once a unit has as many waiting
    as the round's anonymity threshold (or the round closes) they are released together, in
    random order, into `survey_responses` and the rest, in one transaction.
    """

    __tablename__ = "survey_pending"
    __table_args__ = (
        Index("ix_survey_pending_round_unit", "round_id", "unit_id"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    answered_on: Mapped[date | None] = mapped_column()
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SurveyTally(Model):
    """Per round and unit: how many actively declined ("Jag vill inte delta")."""

    __tablename__ = "survey_tallies"

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    declined: Mapped[int] = mapped_column(default=0)


__all__ = [
    "AccessCode",
    "READABLE_TEXT_STATUSES",
    "SurveyAnswer",
    "SurveyCount",
    "SurveyDraft",
    "SurveyPending",
    "SurveyResponse",
    "SurveySplitCount",
    "SurveyTally",
    "SurveyText",
    "TEXT_STATUSES",
]
