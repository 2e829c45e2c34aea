"""The demonstration city's units and logins: the units, an editor of its own for every invited
unit, and the printed demo logins, whose random passwords are kept in a file between runs."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Unit, User
from app.policy import Role
from app.services.units import UnitRow, import_units
from app.services.users import NewUser, create_user

DEMO_UNITS: tuple[UnitRow, ...] = (
    UnitRow("stad", "Lägesbild stad", "city"),
    UnitRow("ks", "Kommunstyrelsen", "board", "stad"),
    UnitRow("socialnamnden", "Socialnämnden", "board", "stad"),
    UnitRow("arbetsmarknadsnamnden", "Arbetsmarknadsnämnden", "board", "stad"),
    UnitRow("utbildningsnamnden", "Utbildningsnämnden", "board", "stad"),
    UnitRow("stadsbyggnadsnamnden", "Stadsbyggnadsnämnden", "board", "stad"),
    UnitRow("sdn-sodermalm", "Södermalms stadsdelsnämnd", "district_board", "stad"),
    UnitRow("sdn-skarholmen", "Skärholmens stadsdelsnämnd", "district_board", "stad"),
    UnitRow("sdn-kungsholmen", "Kungsholmens stadsdelsnämnd", "district_board", "stad"),
    UnitRow("sodermalm-forv", "Södermalms stadsdelsförvaltning", "administration", "sdn-sodermalm"),
    UnitRow("sodermalm-ekbistand", "Ekonomiskt bistånd Södermalm", "section", "sodermalm-forv"),
    UnitRow("sodermalm-barnfamilj", "Barn och familj Södermalm", "section", "sodermalm-forv"),
    UnitRow("bostader-ab", "Stadens Bostäder AB", "company", "stad"),
    UnitRow("energi-ab", "Stadens Energi AB", "company", "stad"),
    UnitRow("hamn-ab", "Stadens Hamn AB", "company", "stad"),
)
# The units a review invites: the boards, the district boards and the companies.
INVITED_KINDS: tuple[str, ...] = ("board", "district_board", "company")
EDITOR = "redaktor@lagesbild.example"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    password: str
    units: tuple[str, ...] = ()


DEMO_LOGINS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("admin@lagesbild.example", Role.ADMIN, ()),
    (EDITOR, Role.UNIT_EDITOR, ("sdn-sodermalm",)),
    ("analytiker@lagesbild.example", Role.ANALYST, ()),
)


# --- units and logins -------------------------------------------------------------------------

def stored_passwords(path: Path) -> dict[str, str]:
    """The logins file's passwords by email (tab-separated lines); none when there is no file."""
    if not path.exists():
        return {}
    pairs = (line.split("\t", 1) for line in path.read_text().splitlines() if "\t" in line)
    return {email: password for email, password in pairs}


def ensure_user(session: Session, passwords: dict[str, str], email: str, role: str,
                units: tuple[str, ...]) -> bool:
    """Create the user with a random password (added to `passwords`) unless the email exists;
    whether it was created."""
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        return False
    password = "demo-" + secrets.token_urlsafe(12)
    create_user(session, NewUser(email, role, password, "", units))
    passwords[email] = password
    return True


def editor_email(unit_key: str) -> str:
    """The demo's editor of one invited unit (Södermalm's is the printed demo editor)."""
    return EDITOR if unit_key == "sdn-sodermalm" else f"forvaltning.{unit_key}@lagesbild.example"


def invited_unit_keys() -> tuple[str, ...]:
    return tuple(row.key for row in DEMO_UNITS if row.kind in INVITED_KINDS)


def build_demo_city(session: Session, logins_file: Path) -> list[DemoLogin]:
    """Create the demo units and users that do not exist yet; return the printed demo logins.

    Every invited unit gets an editor of its own, so that the history says who answered.
    Passwords are random, made on the first run and kept in `logins_file` (owner-only), so
    that a second run can print them again without a password written in the code.
    """
    existing = set(session.scalars(select(Unit.key)))
    missing = [row for row in DEMO_UNITS if row.key not in existing]
    if missing:
        import_units(session, missing)
    passwords = stored_passwords(logins_file)
    logins = []
    for email, role, units in DEMO_LOGINS:
        ensure_user(session, passwords, email, role, units)
        logins.append(DemoLogin(email, role, passwords.get(email, "(unknown: set with the admin pages)"), units))
    for key in invited_unit_keys():
        ensure_user(session, passwords, editor_email(key), Role.UNIT_EDITOR, (key,))
    logins_file.parent.mkdir(parents=True, exist_ok=True)
    logins_file.touch(mode=0o600, exist_ok=True)
    logins_file.write_text("".join(f"{e}\t{p}\n" for e, p in passwords.items()))
    return logins
