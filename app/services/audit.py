"""Recording security-relevant events (login, role change, reopen, export, deletion)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEvent, User

# The one action name of every export's audit record: the web's downloads (app.views.downloads)
# and the CLI's `export`.
EXPORT_ACTION = "export"


def record(
    session: Session,
    action: str,
    *,
    actor: User | None = None,
    actor_label: str | None = None,
    target: str = "",
    **detail: Any,
) -> AuditEvent:
    """Add an audit event to the caller's transaction (it is committed with the operation)."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        actor=actor.email if actor is not None else (actor_label or ""),
        action=action,
        target=target,
        detail=detail,
    )
    session.add(event)
    return event


def recent_events(session: Session, limit: int = 500) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)))
