"""Operations that change state. No Flask request here: views and the CLI call these.

Each operation runs inside one `transaction()`: everything it writes is committed together,
or nothing is.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.extensions import db


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


@contextmanager
def transaction() -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = db.session
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
