"""Accounts of the city office and the units; survey respondents never have one."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, Index, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model, db
from app.models.base import utcnow
from app.models.units import Unit

ROLES: tuple[str, ...] = ("admin", "analyst", "unit_editor", "unit_reader")

user_units = Table(
    "user_units",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id"), primary_key=True),
)


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()

    units: Mapped[list[Unit]] = relationship(secondary=user_units, order_by="Unit.name")

    # The login session this object was loaded for: the secret kept in the signed cookie, set
    # when a login starts a session and by `load_user` (not a column: see UserSession).
    session_secret = cast("str | None", None)  # cast: an annotation here would map a column

    def get_id(self) -> str:
        return f"{self.id}:{self.session_secret or ''}"

    @property
    def is_active(self) -> bool:
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class UserSession(Model):
    """One login: it lasts until logout, an idle or absolute timeout, or until it is ended
    (password or access change, an admin). The cookie holds a random secret; the table only
    its hash, so a copy of the database opens no session."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the secret
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
