"""How the survey's anonymous tables lie on disk: rows rewritten in random-id order, so that a copy
of the database does not show in which order people answered.

Random ids alone are not enough on PostgreSQL: its heap keeps rows in insertion order (and an
UPDATE, such as marking an access code used, writes the new row at the heap's end), so `ORDER BY
ctid` on a copy would show the order of answering. `reorder_survey_tables` rewrites each table
in primary-key order with CLUSTER, which writes a new file and drops the old one. SQLite needs
nothing: the tables are WITHOUT ROWID, stored as B-trees in primary-key order already.
"""

from __future__ import annotations

from sqlalchemy import Table, TextClause, text
from sqlalchemy.orm import Session

from app.models.survey import AccessCode, SurveyAnswer, SurveyCount, SurveyResponse, SurveyText

# The tables whose physical order could be matched against one another or against codes.
ANONYMOUS_TABLES: tuple[Table, ...] = tuple(
    model.__table__ for model in (SurveyResponse, SurveyAnswer, SurveyCount, SurveyText, AccessCode)  # type: ignore[misc]
)


def reorder_survey_tables(session: Session) -> list[str]:
    """Rewrite the anonymous survey tables in primary-key (random) order, inside the caller's
    transaction; the names of the tables rewritten (none on SQLite, where nothing is needed)."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    for table in ANONYMOUS_TABLES:
        # CLUSTER with a table name may run inside a transaction block; it locks the table
        # for the moment it takes (a few thousand rows per round).
        session.execute(_cluster(table))
    return [table.name for table in ANONYMOUS_TABLES]


def _cluster(table: Table) -> TextClause:
    pk_name = table.primary_key.name
    return text(f'CLUSTER "{table.name}" USING "{pk_name}"')
