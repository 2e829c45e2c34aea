"""The unit tree: importing it from CSV, adding, renaming, moving and deactivating units."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from app.models import UNIT_KINDS, Unit, User
from app.models.base import utcnow
from app.services import Problem, ServiceError, audit
from app.sorting import name_key

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
CSV_COLUMNS = ("key", "name", "kind", "parent")
MAX_NAME_LENGTH = 200
# Rows per INSERT or UPDATE statement of an import (the driver may split them further).
WRITE_CHUNK = 1000


@dataclass(frozen=True)
class UnitRow:
    key: str
    name: str
    kind: str
    parent: str = ""


@dataclass(frozen=True)
class TreeNode:
    unit: Unit
    depth: int


def all_units(session: Session, include_inactive: bool = True) -> list[Unit]:
    query = select(Unit)
    if not include_inactive:
        query = query.where(Unit.active.is_(True))
    return sorted(session.scalars(query), key=lambda unit: (name_key(unit.name), unit.key))


def unit_tree(session: Session, include_inactive: bool = True) -> list[TreeNode]:
    """Every unit in tree order (parents before children, siblings by name) with its depth."""
    units = all_units(session, include_inactive)
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    known = {u.id for u in units}
    roots = [u for u in units if u.parent_id is None or u.parent_id not in known]
    ordered: list[TreeNode] = []

    def walk(unit: Unit, depth: int) -> None:
        ordered.append(TreeNode(unit, depth))
        for child in children.get(unit.id, []):
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    return ordered


def descendant_ids(session: Session, unit_ids: set[int]) -> set[int]:
    """The given units and every unit below them."""
    parent_of = dict(session.execute(select(Unit.id, Unit.parent_id)).tuples().all())
    result = set(unit_ids)
    changed = True
    while changed:
        before = len(result)
        result |= {uid for uid, pid in parent_of.items() if pid in result}
        changed = len(result) != before
    return result


def _check_fields(row: UnitRow, where: str) -> list[Problem]:
    return [Problem(message, where) for message in _field_problems(row)]


def _field_problems(row: UnitRow) -> list[object]:
    problems: list[object] = []
    if not KEY_PATTERN.match(row.key):
        problems.append(_l("nyckeln '%(key)s' får bara innehålla a-z, 0-9, - och _ (högst 64 tecken)", key=row.key))
    if not row.name.strip():
        problems.append(_l("namn saknas"))
    elif len(row.name) > MAX_NAME_LENGTH:
        problems.append(_l("namnet är längre än %(n)d tecken", n=MAX_NAME_LENGTH))
    if row.kind not in UNIT_KINDS:
        problems.append(_l("okänd typ '%(kind)s' (möjliga: %(kinds)s)", kind=row.kind, kinds=", ".join(UNIT_KINDS)))
    return problems


def parse_csv(text: str) -> tuple[list[UnitRow], list[Problem]]:
    """Read unit rows from CSV text (comma or semicolon separated, header row required)."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        return [], [Problem(_l("filen är tom"), _l("rad 1"))]
    first_line = text.splitlines()[0]
    dialect_delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=dialect_delimiter)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_COLUMNS[:3] if c not in header]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if missing or unknown:
        message = []
        if missing:
            message.append(_l("kolumner saknas: %(cols)s", cols=", ".join(missing)))
        if unknown:
            message.append(_l("okända kolumner: %(cols)s", cols=", ".join(unknown)))
        return [], [Problem("; ".join(str(m) for m in message) + f" ({', '.join(CSV_COLUMNS)})", _l("rad 1"))]
    reader.fieldnames = header
    rows, problems = [], []
    for number, record in enumerate(reader, start=2):
        if None in record:
            problems.append(Problem(_l("fler fält än rubrikraden har"), _l("rad %(n)d", n=number)))
            continue
        values = {k: (v or "").strip() for k, v in record.items()}
        if not any(values.values()):
            continue
        rows.append(UnitRow(values["key"], values["name"], values["kind"], values.get("parent", "")))
        wrong = _field_problems(rows[-1])
        if wrong:  # the row's name only for rows named in a message: it is translated
            problems += [Problem(message, str(_l("rad %(n)d", n=number))) for message in wrong]
    return rows, problems


def import_units(session: Session, rows: list[UnitRow], actor: User | None = None,
                 first_row_number: int = 2) -> list[str]:
    """Create the units of `rows` (parents may come later in the file); all or nothing.
    Returns the keys created, in file order.

    Everything is checked in memory first, in time linear in the rows, and then written with a
    few bulk statements: an import of tens of thousands of units holds the write lock for a
    moment only."""
    existing = dict(session.execute(select(Unit.key, Unit.id)).tuples().all())
    problems = _import_problems(rows, existing, first_row_number)
    if problems:
        raise ServiceError(problems)
    created_at = utcnow()
    values = [{"key": row.key, "name": row.name.strip(), "kind": row.kind,
               "parent_id": existing.get(row.parent), "active": True, "created_at": created_at}
              for row in rows]
    table = cast(Table, Unit.__table__)
    for start in range(0, len(values), WRITE_CHUNK):
        session.execute(insert(table), values[start:start + WRITE_CHUNK])
    # Parents inside the file get their ids only now.
    moving = [row for row in rows if row.parent and row.parent not in existing]
    ids = dict(session.execute(select(Unit.key, Unit.id)).tuples().all()) if moving else {}
    moves = [{"unit_id": ids[row.key], "new_parent_id": ids[row.parent]} for row in moving]
    move = (update(table).where(table.c.id == bindparam("unit_id"))
            .values(parent_id=bindparam("new_parent_id")))
    for start in range(0, len(moves), WRITE_CHUNK):
        session.execute(move, moves[start:start + WRITE_CHUNK])
    keys = [row.key for row in rows]
    audit.record(session, "units.import", actor=actor, target=f"{len(keys)} units", keys=keys)
    return keys


def import_problems(session: Session, rows: list[UnitRow], first_row_number: int = 2) -> list[Problem]:
    """What would stop `import_units` now. Only reads: a caller checks a file before it opens
    the transaction that writes, so that a file with mistakes never takes the write lock
    (`import_units` checks again, against what others have written meanwhile)."""
    existing = dict(session.execute(select(Unit.key, Unit.id)).tuples().all())
    return _import_problems(rows, existing, first_row_number)


def _import_problems(rows: list[UnitRow], existing: dict[str, int], first_row_number: int) -> list[Problem]:
    """What stops `rows` from being imported next to the `existing` units, row by row."""
    problems: list[Problem] = []
    in_file = {row.key for row in rows}
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=first_row_number):
        wrong: list[object] = []
        if row.key in existing:
            wrong.append(_l("enheten '%(key)s' finns redan", key=row.key))
        elif row.key in seen:
            wrong.append(_l("enheten '%(key)s' står redan på rad %(n)d", key=row.key, n=seen[row.key]))
        seen.setdefault(row.key, number)
        if row.parent and row.parent not in existing and row.parent not in in_file:
            wrong.append(_l("okänd överordnad enhet '%(key)s'", key=row.parent))
        if row.parent == row.key:
            wrong.append(_l("enheten kan inte ligga under sig själv"))
        if wrong:
            problems += [Problem(message, str(_l("rad %(n)d", n=number))) for message in wrong]
    if problems:
        return problems
    # A cycle inside the file (a under b, b under a) would make a tree without a root. Existing
    # units lie under existing units only, so a cycle runs through rows of the file. Each row is
    # walked up once: a walk stops at a row an earlier walk passed (which led to a root, or the
    # import would have been refused) or comes back to a row of its own.
    parent_in_file = {row.key: row.parent for row in rows if row.parent in in_file}
    walked_by: dict[str, int] = {}
    for walk, row in enumerate(rows):
        key = row.key
        while key in parent_in_file and key not in walked_by:
            walked_by[key] = walk
            key = parent_in_file[key]
        if walked_by.get(key) == walk:
            return [Problem(_l("enheterna bildar en cirkel: %(key)s", key=row.key))]
    return []


def create_unit(session: Session, row: UnitRow, actor: User | None = None) -> Unit:
    problems = _check_fields(row, "")
    if problems:
        raise ServiceError(problems)
    import_units(session, [row], actor)
    return get_unit(session, row.key)


def get_unit(session: Session, key: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.key == key))
    if unit is None:
        raise ServiceError(Problem(_l("okänd enhet '%(key)s'", key=key), "unit"))
    return unit


def update_unit(session: Session, unit: Unit, name: str, kind: str, parent_key: str,
                active: bool, actor: User) -> None:
    """Rename, change kind, move and (de)activate a unit; refuses to make a cycle."""
    problems = _check_fields(UnitRow(unit.key, name, kind), "")
    parent = None
    if parent_key:
        parent = session.scalar(select(Unit).where(Unit.key == parent_key))
        if parent is None:
            problems.append(Problem(_l("okänd överordnad enhet '%(key)s'", key=parent_key), "parent"))
        elif parent.id == unit.id or unit in parent.ancestors():
            problems.append(Problem(_l("en enhet kan inte flyttas under sig själv eller sina underenheter"), "parent"))
    if problems:
        raise ServiceError(problems)
    before = {"name": unit.name, "kind": unit.kind, "parent": unit.parent.key if unit.parent else "",
              "active": unit.active}
    unit.name, unit.kind, unit.parent, unit.active = name.strip(), kind, parent, active
    after = {"name": unit.name, "kind": unit.kind, "parent": parent_key, "active": active}
    if before != after:
        audit.record(session, "unit.update", actor=actor, target=unit.key, before=before, after=after)
