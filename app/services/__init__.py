"""Operations that change state. No Flask request here: views and the CLI call these.

Every write happens inside one `transaction()`: everything written in it is committed together,
or nothing is. Most operations take the session and leave the unit of work to their caller: a
view or CLI command opens `with transaction() as session:` around the call (and, where one
action is several operations or writes an audit record as well, around all of them). Operations
that must commit on their own (a questionnaire load, a survey's storage steps, a login, a
session's last-seen time, demo data) open their own `transaction()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.extensions import db
from app.sqlite_writers import begin_writing


@dataclass(frozen=True)
class Problem:
    """Something wrong with input: where (`field`, a form field or 'row 3, column kind') and what."""

    message: object  # a str or a lazy translation, rendered in the user's language
    field: str | None = None

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else str(self.message)


class ServiceError(Exception):
    """An operation was refused; `problems` says why, and nothing was written."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


# SQLite: set while a `transaction()` runs, so that the transaction it begins takes the write
# lock at once (BEGIN IMMEDIATE, see app/__init__.py); every other transaction only reads.
writing: ContextVar[bool] = ContextVar("writing", default=False)


@contextmanager
def transaction() -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error. Every write goes through
    one; on SQLite it is the only kind of transaction that takes the write lock."""
    session = db.session
    token = writing.set(True)
    try:
        _take_write_lock(session)
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        writing.reset(token)


def end_read() -> None:
    """End the request session's transaction, which has only read, before a slow step that needs the
    database no more (rendering a page): no snapshot, lock or pooled connection is held
    meanwhile. Rolled back, as nothing was written (a commit could fail where a read did not);
    the objects read are expired: what the step needs must be read before."""
    db.session.rollback()


def _take_write_lock(session: Session) -> None:
    """SQLite: make the session's transaction a write transaction before the first write.

    A request has usually read already (the signed-in user, the objects a form edits) in a
    deferred transaction. SQLite cannot make such a transaction write once another connection
    has written or is writing: the statement fails with "database is locked" at once instead of
    waiting. So a transaction that has only read is committed and begun again IMMEDIATE, which
    waits for the write lock; objects already loaded keep their values (as on PostgreSQL, the
    transaction sees others' writes made in between). One that has written keeps its lock."""
    connection = session.connection()
    if connection.dialect.name != "sqlite" or connection.info.get("sqlite_writing"):
        return
    driver_connection = connection.connection.driver_connection
    if driver_connection.total_changes == connection.info.get("sqlite_changes"):  # type: ignore[union-attr]
        connection.exec_driver_sql("COMMIT")
        begin_writing(connection)
    connection.info["sqlite_writing"] = True
