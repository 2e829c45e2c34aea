"""Accounts: creating users, passwords, roles and units, and checking a login."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app import policy
from app.models import ROLES, Unit, User
from app.models.base import utcnow
from app.services import Problem, ServiceError, audit, passwords, sessions, throttle, transaction

MIN_PASSWORD_LENGTH = 12
PASSWORD_METHOD = "scrypt"  # noqa: S105 (a hash method, not a password)
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def hash_method() -> str:
    """scrypt. Only a test application (TESTING) may name a cheaper method in its config
    (PASSWORD_HASH_METHOD), so that a test suite creating thousands of users does not spend its
    time hashing; no environment variable reaches it, so a running server always uses scrypt."""
    if has_app_context() and current_app.config.get("TESTING"):
        return str(current_app.config.get("PASSWORD_HASH_METHOD", PASSWORD_METHOD))
    return PASSWORD_METHOD


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    """A hash to compare against when the account does not exist, so both cases take as long."""
    return generate_password_hash("lagesbild-timing-equaliser", method=method)


def warm_dummy_hash() -> None:
    """Compute the dummy hash for the application's method ahead of the first login."""
    _dummy_hash(hash_method())


def password_problems(password: str, email: str = "") -> list[object]:
    """What is wrong with a new password, as messages (empty when it is acceptable): at least
    MIN_PASSWORD_LENGTH characters, not a common or breached password, not made only of
    guessable pieces (app/services/passwords.py), not containing the e-mail's name part."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(_l("Lösenordet måste ha minst %(n)d tecken.", n=MIN_PASSWORD_LENGTH))
    lowered = password.lower()
    if passwords.is_common(password):
        problems.append(_l("Lösenordet är ett av de vanligaste lösenorden."))
    elif len(set(lowered)) <= 2:
        problems.append(_l("Lösenordet upprepar samma tecken."))
    elif len(password) >= MIN_PASSWORD_LENGTH and (weak := passwords.is_guessable(password, email)):
        if "repeat" in weak.kinds:
            problems.append(_l("Lösenordet är lätt att gissa: det upprepar ett mönster (som hejhejhej)."))
        if "run" in weak.kinds:
            problems.append(_l("Lösenordet är lätt att gissa: det följer tangentbordet eller alfabetet "
                               "(som qwerty eller abcdef)."))
        if not weak.kinds & {"repeat", "run"}:
            problems.append(_l("Lösenordet är lätt att gissa: det består bara av vanliga ord eller lösenord, "
                               "siffror, årtal eller delar av e-postadressen. Välj till exempel några ord "
                               "som inte hör ihop."))
    if email and email.split("@")[0].lower() in lowered and len(email.split("@")[0]) >= 4:
        problems.append(_l("Lösenordet innehåller e-postadressen."))
    return problems


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_units(session: Session, keys: list[str]) -> list[Unit]:
    units = list(session.scalars(select(Unit).where(Unit.key.in_(keys))))
    missing = sorted(set(keys) - {u.key for u in units})
    if missing:
        raise ServiceError(Problem(_l("Okänd enhet: %(keys)s", keys=", ".join(missing)), "unit"))
    return units


@dataclass(frozen=True)
class NewUser:
    email: str
    role: str
    password: str
    name: str = ""
    unit_keys: tuple[str, ...] = ()


def create_user(session: Session, new: NewUser, actor: User | None = None) -> User:
    """Create an account; raise ServiceError naming every problem, writing nothing."""
    email = normalise_email(new.email)
    problems: list[Problem] = []
    if not EMAIL_PATTERN.match(email):
        problems.append(Problem(_l("'%(email)s' är ingen e-postadress.", email=new.email), "email"))
    elif session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        problems.append(Problem(_l("Det finns redan en användare med e-postadressen %(email)s.", email=email), "email"))
    if not policy.is_role(new.role):
        problems.append(Problem(_l("Okänd roll '%(role)s' (möjliga: %(roles)s).", role=new.role,
                                   roles=", ".join(ROLES)), "role"))
    if policy.is_unit_role(new.role) and not new.unit_keys:
        problems.append(Problem(_l("Rollen %(role)s kräver minst en enhet.", role=new.role), "unit"))
    problems += [Problem(p, "password") for p in password_problems(new.password, email)]
    units: list[Unit] = []
    if new.unit_keys:
        try:
            units = find_units(session, list(new.unit_keys))
        except ServiceError as error:
            problems += error.problems
    if problems:
        raise ServiceError(problems)
    user = User(
        email=email,
        name=new.name.strip(),
        role=new.role,
        password_hash=generate_password_hash(new.password, method=hash_method()),
        units=units,
    )
    session.add(user)
    session.flush()
    audit.record(session, "user.create", actor=actor, target=email, role=new.role,
                 units=[u.key for u in units])
    return user


def change_password(
    session: Session, user: User, new_password: str, actor: User | None = None, keep_session: str | None = None
) -> None:
    """Set a new password and end every session the user has but `keep_session` (the secret of
    the session the change was made in)."""
    problems = password_problems(new_password, user.email)
    if problems:
        raise ServiceError([Problem(p, "password") for p in problems])
    user.password_hash = generate_password_hash(new_password, method=hash_method())
    sessions.end_all(session, user, keep=keep_session)
    audit.record(session, "user.password", actor=actor or user, target=user.email)


def update_access(
    session: Session, user: User, role: str, unit_keys: list[str], active: bool, actor: User
) -> None:
    """Change a user's role, units and active flag; any change ends all their sessions."""
    if role not in ROLES:
        raise ServiceError(Problem(_l("Okänd roll '%(role)s'.", role=role), "role"))
    if policy.is_unit_role(role) and not unit_keys:
        raise ServiceError(Problem(_l("Rollen %(role)s kräver minst en enhet.", role=role), "units"))
    if user.id == actor.id and (role != user.role or not active):
        raise ServiceError(Problem(_l("Du kan inte ändra din egen roll eller inaktivera dig själv."), "role"))
    units = find_units(session, unit_keys) if unit_keys else []
    before: dict[str, Any] = {"role": user.role, "units": [u.key for u in user.units], "active": user.active}
    after = {"role": role, "units": sorted(unit_keys), "active": active}
    if {**before, "units": sorted(before["units"])} == after:
        return
    user.role, user.units, user.active = role, units, active
    # The actor's own session survives a change to their own units (the only change allowed).
    sessions.end_all(session, user, keep=getattr(actor, "session_secret", None) if user.id == actor.id else None)
    audit.record(session, "user.access", actor=actor, target=user.email, before=before, after=after)


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    throttled: bool = False
    wait_seconds: int = 0  # when throttled: how long until the next try may go through


def authenticate(
    secret: str, email: str, password: str, address: str, lifetimes: sessions.Lifetimes, limit: int,
    address_limit: int | None = None,
) -> LoginResult:
    """Check a login, throttled per account and address, per address and with a growing wait per
    account (services/throttle.py); record the outcome in the audit log and, when it succeeds,
    start a login session.

    Two transactions of its own: the attempt is counted and committed before the password is
    checked, so that parallel attempts cannot all pass the check and no transaction is open
    while the hash is computed; the outcome is written in the second."""
    email = normalise_email(email)
    with transaction() as session:
        reservation = throttle.reserve_login(session, secret, email, address, limit,
                                             limit if address_limit is None else address_limit)
        if not reservation.allowed:
            audit.record(session, "login.throttled", actor_label=email, target=email)
            return LoginResult(None, throttled=True, wait_seconds=reservation.wait_seconds)
        user = session.scalar(select(User).where(User.email == email))
        password_hash = user.password_hash if user else _dummy_hash(hash_method())
        active = user is not None and user.active
    valid = check_password_hash(password_hash, password)
    with transaction() as session:
        if user is None or not valid or not active:
            throttle.login_failed(session, secret, email)
            audit.record(session, "login.failed", actor_label=email, target=email)
            return LoginResult(None)
        throttle.login_succeeded(session, secret, email, reservation)
        user.last_login_at = utcnow()
        audit.record(session, "login", actor=user, target=user.email)
        sessions.start(session, user, lifetimes)
        return LoginResult(user)
