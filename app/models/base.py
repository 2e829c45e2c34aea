"""Column helpers shared by the models."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time in UTC, without tzinfo (stored the same way on SQLite and PostgreSQL)."""
    return datetime.now(UTC).replace(tzinfo=None)


def random_id() -> str:
    """A random identifier for rows whose order must not reveal when they were written."""
    return uuid.uuid4().hex
