"""The unit tree: importing it from CSV, adding, renaming, moving and deactivating units."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import UNIT_KINDS, Unit, User
from app.services import Problem, ServiceError, audit
from app.sorting import name_key

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
CSV_COLUMNS = ("key", "name", "kind", "parent")
MAX_NAME_LENGTH = 200


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
    problems = []
    if not KEY_PATTERN.match(row.key):
        problems.append(Problem(_l("nyckeln '%(key)s' får bara innehålla a-z, 0-9, - och _ (högst 64 tecken)", key=row.key), where))
    if not row.name.strip():
        problems.append(Problem(_l("namn saknas"), where))
    elif len(row.name) > MAX_NAME_LENGTH:
        problems.append(Problem(_l("namnet är längre än %(n)d tecken", n=MAX_NAME_LENGTH), where))
    if row.kind not in UNIT_KINDS:
        problems.append(Problem(_l("okänd typ '%(kind)s' (möjliga: %(kinds)s)", kind=row.kind, kinds=", ".join(UNIT_KINDS)), where))
    return problems


def parse_csv(text: str) -> tuple[list[UnitRow], list[Problem]]:
    """Read unit rows from CSV text (comma or semicolon separated, header row required)."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        return [], [Problem(_l("filen är tom"), _l("rad 1"))]
    dialect_delimiter = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
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
        problems += _check_fields(rows[-1], str(_l("rad %(n)d", n=number)))
    return rows, problems


def import_units(session: Session, rows: list[UnitRow], actor: User | None = None,
                 first_row_number: int = 2) -> list[Unit]:
    """Create the units of `rows` (parents may come later in the file); all or nothing."""
    existing = {u.key: u for u in session.scalars(select(Unit))}
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=first_row_number):
        where = str(_l("rad %(n)d", n=number))
        if row.key in existing:
            problems.append(Problem(_l("enheten '%(key)s' finns redan", key=row.key), where))
        elif row.key in seen:
            problems.append(Problem(_l("enheten '%(key)s' står redan på rad %(n)d", key=row.key, n=seen[row.key]), where))
        seen.setdefault(row.key, number)
        if row.parent and row.parent not in existing and row.parent not in {r.key for r in rows}:
            problems.append(Problem(_l("okänd överordnad enhet '%(key)s'", key=row.parent), where))
        if row.parent == row.key:
            problems.append(Problem(_l("enheten kan inte ligga under sig själv"), where))
    if problems:
        raise ServiceError(problems)
    created = {row.key: Unit(key=row.key, name=row.name.strip(), kind=row.kind) for row in rows}
    for row in rows:
        if row.parent:
            created[row.key].parent = created.get(row.parent) or existing[row.parent]
    # A cycle inside the file (a under b, b under a) would make a tree without a root.
    for unit in created.values():
        seen_keys = {unit.key}
        node = unit.parent
        while node is not None:
            if node.key in seen_keys:
                raise ServiceError(Problem(_l("enheterna bildar en cirkel: %(key)s", key=unit.key)))
            seen_keys.add(node.key)
            node = node.parent
    session.add_all(created.values())
    session.flush()
    audit.record(session, "units.import", actor=actor, target=f"{len(created)} units",
                 keys=[r.key for r in rows])
    return list(created.values())


def create_unit(session: Session, row: UnitRow, actor: User | None = None) -> Unit:
    problems = _check_fields(row, "")
    if problems:
        raise ServiceError(problems)
    return import_units(session, [row], actor)[0]


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
    before = {"name": unit.name, "kind": unit.kind, "parent": unit.parent.key if unit.parent else "", "active": unit.active}
    unit.name, unit.kind, unit.parent, unit.active = name.strip(), kind, parent, active
    after = {"name": unit.name, "kind": unit.kind, "parent": parent_key, "active": active}
    if before != after:
        audit.record(session, "unit.update", actor=actor, target=unit.key, before=before, after=after)
