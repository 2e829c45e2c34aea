"""How the survey's anonymous tables lie on disk, so that a copy of the database shows neither
who answered what nor in which order people answered.

PostgreSQL keeps rows in insertion order (an UPDATE writes the new row where there is room, often
at the heap's end), and every row carries the id of the transaction that wrote it (`xmin`). The
survey never writes a code and an answer in one transaction (services/survey.py), and releases
answers in groups; `reshuffle_survey_tables` then rewrites every row of the answer tables in one
transaction and every row of the code tables in another, so that all answers carry one `xmin`
and all codes another, and CLUSTERs each table in primary-key (random) order in a third, which
writes new files without the old row versions.

SQLite keeps these tables WITHOUT ROWID, as B-trees in primary-key (random) order, and runs with
`secure_delete`, so a deleted draft's bytes are overwritten; `forget_deleted` checkpoints and
truncates the write-ahead log, where earlier copies of the draft's pages would stay otherwise.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, TextClause, text
from sqlalchemy.orm import Session

from app.extensions import db
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
from app.services import transaction

# The tables whose transaction ids or physical order could be matched against one another or
# against codes: those of answers, and those of codes and declines, rewritten in transactions of
# their own so that no answer ever shares a transaction id with a code.
ANSWER_TABLES: tuple[Table, ...] = tuple(
    model.__table__  # type: ignore[misc]
    for model in (SurveyResponse, SurveyAnswer, SurveyCount, SurveySplitCount, SurveyText, SurveyPending)
)
CODE_TABLES: tuple[Table, ...] = (AccessCode.__table__, SurveyTally.__table__)  # type: ignore[assignment]
ANONYMOUS_TABLES: tuple[Table, ...] = ANSWER_TABLES + CODE_TABLES
# The order in which starting, completing and releasing write these tables.
LOCK_ORDER: tuple[Table, ...] = tuple(
    model.__table__  # type: ignore[misc]
    for model in (AccessCode, SurveyDraft, SurveyPending, SurveyResponse, SurveyAnswer, SurveyText, SurveyCount,
                  SurveySplitCount, SurveyTally)
)


def reshuffle_survey_tables() -> list[str]:
    """Rewrite the anonymous survey tables (PostgreSQL): every row of the answer tables in one
    transaction, every row of the code tables in another, then each table in primary-key
    (random) order. Runs its own transactions: call it outside one. Returns the names of the
    tables rewritten (none on SQLite, where nothing is needed)."""
    if db.engine.dialect.name != "postgresql":
        return []
    for tables in (ANSWER_TABLES, CODE_TABLES):
        with transaction() as session:
            _lock(session)
            for table in tables:
                session.execute(_touch(table))
    # A transaction of its own: CLUSTER in the one that rewrote the rows would copy the row
    # versions they replaced. Drafts are rewritten too, so that a deleted one's bytes go.
    clustered = (*ANONYMOUS_TABLES, cast(Table, SurveyDraft.__table__))
    with transaction() as session:
        _lock(session)
        for table in clustered:
            # CLUSTER with a table name may run inside a transaction block.
            session.execute(_cluster(table))
    return [table.name for table in clustered]


def _lock(session: Session) -> None:
    """Every survey table, in the order a completion and a release write them, before any is
    touched: a reshuffle waits for the respondents under way instead of deadlocking with them."""
    names = ", ".join(f'"{table.name}"' for table in LOCK_ORDER)
    session.execute(text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))


def forget_deleted() -> None:
    """SQLite: copy the write-ahead log into the database and truncate it, so that no earlier
    copy of a deleted draft's pages stays in the `-wal` file (deleted rows are overwritten in the
    database itself by `secure_delete`). Nothing to do on PostgreSQL. Run outside a transaction;
    when another connection is reading, the log is truncated by a later call."""
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as connection:
        raw = connection.connection.driver_connection
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]


def _touch(table: Table) -> TextClause:
    column = next(c.name for c in table.columns if not c.primary_key)
    return text(f'UPDATE "{table.name}" SET "{column}" = "{column}"')  # noqa: S608 (names from the models)


def _cluster(table: Table) -> TextClause:
    pk_name = table.primary_key.name
    return text(f'CLUSTER "{table.name}" USING "{pk_name}"')
