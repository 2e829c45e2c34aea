"""Login sessions kept in the database: started at login, looked up on every request, ended by
logout, a password or access change, an administrator, or their idle and absolute lifetimes.

The signed cookie carries `user id:secret`; the table holds a hash of the secret, the user, when
the session started and when it was last seen. Ending a session deletes its row, so a copy of
the cookie opens nothing afterwards, whoever sends it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.models import User, UserSession
from app.models.base import utcnow
from app.services import audit, transaction, writing

# How stale `last_seen_at` may be: it is written at most once a minute per session, so that a
# request is not a write.
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class Lifetimes:
    idle: timedelta  # ends a session nobody has used for this long
    absolute: timedelta  # ends a session this long after its login, however active

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> Lifetimes:
        return cls(idle=config["PERMANENT_SESSION_LIFETIME"],  # type: ignore[arg-type]
                   absolute=config["SESSION_MAX_AGE"])  # type: ignore[arg-type]

    def alive(self, row: UserSession, now: datetime) -> bool:
        return now - row.created_at < self.absolute and now - row.last_seen_at < self.idle + TOUCH_INTERVAL


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start(session: Session, user: User, lifetimes: Lifetimes) -> str:
    """Start a session for `user` (who has just proved who they are); return its secret, also
    kept on `user` for Flask-Login's `get_id`. Sessions past their lifetimes are removed."""
    remove_expired(session, lifetimes)
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(UserSession(id=_hash(secret), user_id=user.id, created_at=now, last_seen_at=now))
    user.session_secret = secret
    return secret


def load(session: Session, user_id: int, secret: str, lifetimes: Lifetimes) -> User | None:
    """The active user of a live session, or None: one lookup by primary key. `last_seen_at`
    is written at most once a TOUCH_INTERVAL, in a transaction of its own, and only when no
    `transaction()` is open and nothing else waits in `session`."""
    found = session.execute(
        select(UserSession, User).join(User, User.id == UserSession.user_id)
        .where(UserSession.id == _hash(secret))
    ).first()
    now = utcnow()
    if found is None:
        return None
    row, user = found
    if user.id != user_id or not user.active or not lifetimes.alive(row, now):
        return None
    # Not while a `transaction()` is open: its commit would end the caller's unit of work early.
    if now - row.last_seen_at >= TOUCH_INTERVAL and not writing.get() and not (
            session.new or session.dirty or session.deleted):
        try:
            with transaction() as touch:
                touch.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
        except SQLAlchemyError:
            # Only a timestamp: a database that refuses writes must not refuse the request
            # (`transaction()` has rolled back).
            pass
    user.session_secret = secret
    return user


def end(session: Session, secret: str | None) -> None:
    """End one session (logout)."""
    if secret:
        session.execute(delete(UserSession).where(UserSession.id == _hash(secret)))


def end_all(session: Session, user: User, keep: str | None = None) -> int:
    """End every session of `user` but `keep` (a secret); return how many ended."""
    statement = delete(UserSession).where(UserSession.user_id == user.id)
    if keep:
        statement = statement.where(UserSession.id != _hash(keep))
    return cast(CursorResult[Any], session.execute(statement)).rowcount or 0


def end_all_by(session: Session, user: User, actor: User | None, keep: str | None = None) -> int:
    """An administrator (or the command line, with no actor) ends a user's sessions: audited."""
    ended = end_all(session, user, keep)
    audit.record(session, "user.sessions_ended", actor=actor, actor_label="cli" if actor is None else None,
                 target=user.email, sessions=ended)
    return ended


def live(session: Session, user: User, lifetimes: Lifetimes) -> list[UserSession]:
    """The user's sessions still alive, newest first."""
    now = utcnow()
    rows = session.scalars(select(UserSession).where(UserSession.user_id == user.id)
                           .order_by(UserSession.created_at.desc()))
    return [row for row in rows if lifetimes.alive(row, now)]


def remove_expired(session: Session, lifetimes: Lifetimes) -> int:
    """Delete every session past its idle or absolute lifetime (they open nothing already)."""
    now = utcnow()
    return cast(CursorResult[Any], session.execute(delete(UserSession).where(
        (UserSession.created_at <= now - lifetimes.absolute)
        | (UserSession.last_seen_at <= now - lifetimes.idle - TOUCH_INTERVAL)
    ))).rowcount or 0
