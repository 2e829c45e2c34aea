"""Throttling of failed attempts, stored in the database so every app instance sees them.

An event holds a keyed hash of the account or address and the time of the failure. It is
needed only while it can still count against a limit, one `WINDOW`: every check and every
record deletes the events of every scope that have left the window, in the caller's
transaction (a caller must commit it even when it refuses the attempt), so no address-derived
value outlives the window by more than the time until the next attempt of any scope.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.models import ThrottleEvent
from app.models.base import utcnow

WINDOW = timedelta(minutes=1)


def _key_hash(secret: str, scope: str, key: str) -> str:
    return hmac.new(secret.encode(), f"{scope}\0{key}".encode(), hashlib.sha256).hexdigest()


def forget_expired(session: Session) -> int:
    """Delete the events of every scope older than the window (in the caller's transaction);
    returns how many."""
    result = session.execute(delete(ThrottleEvent).where(ThrottleEvent.at <= utcnow() - WINDOW))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def is_throttled(session: Session, secret: str, scope: str, key: str, limit: int) -> bool:
    """True when `key` has had `limit` failures in `scope` within the last minute."""
    forget_expired(session)
    count = session.scalar(
        select(func.count())
        .select_from(ThrottleEvent)
        .where(ThrottleEvent.scope == scope, ThrottleEvent.key_hash == _key_hash(secret, scope, key))
    )
    return (count or 0) >= limit


def record_failure(session: Session, secret: str, scope: str, key: str) -> None:
    """Note a failed attempt (in the caller's transaction) and forget attempts that left the window."""
    forget_expired(session)
    session.add(ThrottleEvent(scope=scope, key_hash=_key_hash(secret, scope, key), at=utcnow()))
