"""Who may do what: the one place that knows which role holds which permission.

Views and services ask questions here (`has`, `may_read`, `may_edit`, `sees_round`, ...); views
name permissions in their decorators (`@requires(Permission.READ_CITY)`, app/security.py, which
turns the answers into 403 and 404); no other module lists roles. Nothing here knows of Flask.
The role strings stored in `users.role` are those of `app.models.users.ROLES`.

What each door asks:

- a page of the city office (overviews, city reports, exports, round and questionnaire lists):
  READ_CITY; changing anything of the city's set-up (units, users, rounds, questionnaires,
  survey codes, reopening answers): ADMINISTER;
- a unit's page (answers, register, report): READ_UNITS, then `may_read` for that unit and
  round: a unit user reads the units they belong to and those below them, and sees a round once
  it is opened (a round in draft is 404 to them, as if it did not exist);
- a unit's change: `may_write` (a unit editor of the unit) and, for whether the page offers the
  form, `may_edit` (also: the round is open and the answers are not submitted);
- who typed what (the answers' and the register's history): READ_HISTORY; analysts read
  reports, not people.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy.orm import Session

from app.models import Round, Unit, UnitResponse
from app.models.users import ROLES
from app.services.units import descendant_ids


class Role(enum.StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    UNIT_EDITOR = "unit_editor"
    UNIT_READER = "unit_reader"


assert {r.value for r in Role} == set(ROLES), "app.policy.Role and app.models.users.ROLES disagree"


class Permission(enum.StrEnum):
    READ_CITY = "read_city"  # the city office's pages: every unit, every round, city reports and exports
    ADMINISTER = "administer"  # change the set-up: units, users, rounds, questionnaires, codes, reopening
    READ_UNITS = "read_units"  # a unit's own pages, for the units one may read (see `may_read`)
    EDIT_ANSWERS = "edit_answers"  # save and submit a unit's answers and register, for its units
    READ_HISTORY = "read_history"  # who changed a unit's answers when
    READ_ALL_UNITS = "read_all_units"  # every unit, not only one's own and those below them
    SEE_DRAFT_ROUNDS = "see_draft_rounds"  # a round before it is opened


STAFF = frozenset({Role.ADMIN, Role.ANALYST})
UNIT_ROLES = frozenset({Role.UNIT_EDITOR, Role.UNIT_READER})

PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.READ_CITY: STAFF,
    Permission.ADMINISTER: frozenset({Role.ADMIN}),
    Permission.READ_UNITS: STAFF | UNIT_ROLES,
    Permission.EDIT_ANSWERS: frozenset({Role.UNIT_EDITOR}),
    Permission.READ_HISTORY: frozenset({Role.ADMIN}) | UNIT_ROLES,
    Permission.READ_ALL_UNITS: STAFF,
    Permission.SEE_DRAFT_ROUNDS: STAFF,
}
assert set(PERMISSIONS) == set(Permission)


def role_of(user: Any) -> Role | None:
    """The role of a logged-in user; None for an anonymous visitor or an unknown role string."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        return Role(user.role)
    except ValueError:
        return None


def has(user: Any, permission: Permission) -> bool:
    role = role_of(user)
    return role is not None and role in PERMISSIONS[permission]


def roles_with(permission: Permission) -> frozenset[Role]:
    return PERMISSIONS[permission]


def is_role(value: str) -> bool:
    """Whether `value` is one of the roles an account can have."""
    return value in {r.value for r in Role}


def is_unit_role(role: str) -> bool:
    """Whether an account of `role` belongs to units (and so needs at least one)."""
    return role in {r.value for r in UNIT_ROLES}


def may_administer(user: Any) -> bool:
    return has(user, Permission.ADMINISTER)


def may_analyse(user: Any) -> bool:
    """The city office's view over every unit: overviews, city reports and exports."""
    return has(user, Permission.READ_CITY)


def readable_unit_ids(session: Session, user: Any) -> set[int] | None:
    """The units whose answers `user` may read: None means every unit."""
    if has(user, Permission.READ_ALL_UNITS):
        return None
    if has(user, Permission.READ_UNITS):
        return descendant_ids(session, {u.id for u in user.units})
    return set()


def sees_round(user: Any, round_: Round | None) -> bool:
    """Units see a round once it is opened; a round in draft only the city office sees."""
    if round_ is None:
        return False
    return round_.status != "draft" or has(user, Permission.SEE_DRAFT_ROUNDS)


def may_read(session: Session, user: Any, unit: Unit, round_: Round | None = None) -> bool:
    """Whether `user` reads `unit`'s pages (of `round_`, when one is named)."""
    if not has(user, Permission.READ_UNITS):
        return False
    allowed = readable_unit_ids(session, user)
    if allowed is not None and unit.id not in allowed:
        return False
    return round_ is None or sees_round(user, round_)


def may_write(session: Session, user: Any, unit: Unit) -> bool:
    """Whether `user` edits and submits `unit`'s answers at all: a unit editor of the unit or of
    a unit above it. Whether they can now is `may_edit`."""
    return has(user, Permission.EDIT_ANSWERS) and unit.id in (readable_unit_ids(session, user) or set())


def may_edit(session: Session, user: Any, unit: Unit, round_: Round, response: UnitResponse | None) -> bool:
    """Whether the page offers `user` the form: they may write the unit's answers, the round is
    open and the answers (`response`, None before the first save) are not submitted."""
    return (may_write(session, user, unit) and round_.status == "open"
            and (response is None or response.status != "submitted"))


def missing_unit_status(user: Any) -> int:
    """What a unit address that names no unit answers: 404 to whoever reads every unit, 403 to
    the others (as for a unit they may not read: addresses reveal nothing)."""
    return 404 if has(user, Permission.READ_ALL_UNITS) else 403
