"""Counters of recent attempts (logins, access codes), kept in the database all instances share."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model


class ThrottleCounter(Model):
    """One row per scope and key: how many attempts the current window holds, when the window
    ends, and (logins only) before when the key may not try again. Counted with one atomic
    upsert; forgotten once neither the window nor the wait is running (services/throttle.py)."""

    __tablename__ = "throttle_counters"
    __table_args__ = (Index("ix_throttle_counters_window_ends", "window_ends"),)

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    # A keyed hash of the account, the address or both: the table never holds an e-mail or an IP.
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int]
    window_ends: Mapped[datetime]
    not_before: Mapped[datetime | None]
