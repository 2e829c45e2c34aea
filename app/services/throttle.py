"""Throttling of failed attempts, stored in the database so every app instance sees them."""

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


def is_throttled(session: Session, secret: str, scope: str, key: str, limit: int) -> bool:
    """True when `key` has had `limit` failures in `scope` within the last minute."""
    since = utcnow() - WINDOW
    count = session.scalar(
        select(func.count())
        .select_from(ThrottleEvent)
        .where(
            ThrottleEvent.scope == scope,
            ThrottleEvent.key_hash == _key_hash(secret, scope, key),
            ThrottleEvent.at > since,
        )
    )
    return (count or 0) >= limit


def record_failure(session: Session, secret: str, scope: str, key: str) -> None:
    """Note a failed attempt (in the caller's transaction) and forget attempts older than the window."""
    now = utcnow()
    session.execute(delete(ThrottleEvent).where(ThrottleEvent.at < now - WINDOW * 10))
    session.add(ThrottleEvent(scope=scope, key_hash=_key_hash(secret, scope, key), at=now))
