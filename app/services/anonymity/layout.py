"""The cells an output may publish and the sums between them (`build_layout`).

A cell is a sum of atoms (a unit's own respondents, or those of a unit with a given background
answer); an equation says a cell is the sum of others. `app.services.anonymity.protect` decides
which cells may be shown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from app.config import MIN_ANONYMITY_THRESHOLD

CellKey = tuple[str, ...]
Status = Literal["shown", "primary", "complementary", "pooled"]

TOTAL: CellKey = ("total",)
# The parent key of top-level groups when they are pooled: "Övriga enheter".
ROOT = ""


def group_cell(key: str) -> CellKey:
    """The cell of one group's own respondents (a unit's, not its subtree's)."""
    return ("group", key)


def pool_cell(parent: str) -> CellKey:
    """The cell pooling the small leaf groups under `parent` ("Övriga enheter inom …")."""
    return ("pool", parent)


def subtotal_cell(node: str) -> CellKey:
    """The roll-up of a node of the tree: its own respondents and all its descendants'."""
    return ("subtotal", node)


def breakdown_cell(question: str, value: str, row: CellKey) -> CellKey:
    """The respondents of the cell `row` who answered `value` to background question `question`."""
    return ("by", question, value, *row)


def unanswered_cell(question: str, row: CellKey) -> CellKey:
    """Respondents of `row` without an answer to `question`: never published, but a part of
    the row's sum, so that "row − Σ values" is checked like any other subtraction."""
    return ("by-none", question, *row)


def split_cells(question: str, values: Sequence[str], row: CellKey) -> list[CellKey]:
    """The cell `row` split by `question`: one cell per value, then the unanswered one."""
    return [breakdown_cell(question, value, row) for value in values] + [unanswered_cell(question, row)]


@dataclass(frozen=True)
class Group:
    """A group of respondents, usually a unit; `parent` is its parent in the unit tree."""

    key: str
    n: int
    parent: str | None = None


@dataclass(frozen=True)
class Breakdown:
    """Respondents of each group by their answer to one background question
    (`counts[group][value]`); respondents without an answer are the remainder of the group's n."""

    question: str
    counts: Mapping[str, Mapping[str, int]]


@dataclass(frozen=True)
class Pool:
    """Small sibling leaf groups shown together under their parent."""

    parent: str
    members: tuple[str, ...]
    n: int

    @property
    def cell(self) -> CellKey:
        return pool_cell(self.parent)


@dataclass(frozen=True)
class Equation:
    """`total` is the sum of `parts` (the parts do not overlap and cover the total)."""

    total: CellKey
    parts: tuple[CellKey, ...]


@dataclass(frozen=True)
class Layout:
    """The cells an output may publish, each as its atoms, and the sums between them."""

    cells: Mapping[CellKey, tuple[CellKey, ...]]
    equations: tuple[Equation, ...]
    publishable: frozenset[CellKey]
    pools: tuple[Pool, ...]
    # The respondents of every atom (group atoms and breakdown atoms).
    atom_n: Mapping[CellKey, int]
    rows: tuple[CellKey, ...]  # the hierarchy's cells in display order (no breakdown cells)


def check_threshold(threshold: int) -> int:
    """The threshold itself, or ValueError when it is below the minimum of 3."""
    if threshold < MIN_ANONYMITY_THRESHOLD:
        raise ValueError(f"anonymity threshold {threshold} is below {MIN_ANONYMITY_THRESHOLD}")
    return threshold


# --- building the layout -----------------------------------------------------------------------


def _children(groups: Sequence[Group], tree: Mapping[str, str | None]) -> dict[str | None, list[str]]:
    parents: dict[str, str | None] = dict(tree)
    for group in groups:
        parents.setdefault(group.key, group.parent)
    children: dict[str | None, list[str]] = defaultdict(list)
    for node, parent in parents.items():
        children[parent if parent in parents else None].append(node)
    return children


def _pools(groups: Sequence[Group], children: Mapping[str | None, list[str]], threshold: int) -> tuple[Pool, ...]:
    """Pool the leaf groups below the threshold under each parent when together they reach it."""
    by_key = {group.key: group for group in groups}
    pools: list[Pool] = []
    for parent, nodes in children.items():
        small = [
            by_key[node]
            for node in nodes
            if node in by_key and not children.get(node) and by_key[node].n < threshold
        ]
        total = sum(group.n for group in small)
        if total >= threshold:
            pools.append(Pool(parent or ROOT, tuple(sorted(g.key for g in small)), total))
    return tuple(sorted(pools, key=lambda pool: pool.parent))


def build_layout(
    groups: Sequence[Group],
    threshold: int,
    *,
    tree: Mapping[str, str | None] | None = None,
    subtotals: bool = False,
    pool_small: bool = True,
    breakdowns: Sequence[Breakdown] = (),
    breakdown_rows: Collection[CellKey] | None = None,
) -> Layout:
    """The cells and equations of an output over `groups`.

    `tree` gives the parent of nodes that are not groups themselves (a district board whose
    departments answer); with `subtotals` every inner node's roll-up is a cell too. Without
    subtotals only the groups (and pools) and the total are cells. `breakdowns` add each row
    split by a background question's values; with `breakdown_rows` only those rows' splits are
    published (the others stay in the sums, hidden, so that subtraction through them is seen).
    """
    check_threshold(threshold)
    if any(group.n < 0 for group in groups):
        raise ValueError("a group cannot have fewer than 0 respondents")
    tree = tree or {}
    children = _children(groups, tree)
    pools = _pools(groups, children, threshold) if pool_small else ()
    pooled = {member: pool for pool in pools for member in pool.members}
    group_keys = {group.key for group in groups}

    cells: dict[CellKey, tuple[CellKey, ...]] = {}
    equations: list[Equation] = []
    rows: list[CellKey] = []
    for group in groups:
        cells[group_cell(group.key)] = (group_cell(group.key),)
    for pool in pools:
        cells[pool.cell] = tuple(group_cell(m) for m in pool.members)
        equations.append(Equation(pool.cell, cells[pool.cell]))

    def row_of(node: str) -> CellKey | None:
        """The cell standing for `node` in its parent's sum (None: a node without respondents)."""
        if subtotals and children.get(node):
            return subtotal_cell(node)
        if node in group_keys:
            return group_cell(node)
        return None

    def parts_under(parent: str | None) -> list[CellKey]:
        parts: list[CellKey] = []
        for node in children.get(parent, []):
            if node in pooled:
                continue
            row = row_of(node)
            if row is not None:
                parts.append(row)
        pool = next((p for p in pools if p.parent == (parent or ROOT)), None)
        if pool is not None:
            parts.append(pool.cell)
        return parts

    def add_subtree(node: str) -> tuple[CellKey, ...]:
        """Add `node`'s subtotal cell (depth first) and return its atoms."""
        atoms: list[CellKey] = []
        parts: list[CellKey] = []
        if node in group_keys:
            atoms.append(group_cell(node))
            parts.append(group_cell(node))
        for child in children.get(node, []):
            if child in pooled:
                atoms.append(group_cell(child))
            elif children.get(child):
                atoms.extend(add_subtree(child))
            elif child in group_keys:
                atoms.append(group_cell(child))
        parts.extend(p for p in parts_under(node))
        cells[subtotal_cell(node)] = tuple(atoms)
        equations.append(Equation(subtotal_cell(node), tuple(parts)))
        return tuple(atoms)

    if subtotals:
        for root in children.get(None, []):
            if children.get(root):
                add_subtree(root)
        top_parts = parts_under(None)
    else:
        top_parts = [group_cell(g.key) for g in groups if g.key not in pooled] + [p.cell for p in pools]
    cells[TOTAL] = tuple(group_cell(g.key) for g in groups)
    equations.append(Equation(TOTAL, tuple(top_parts)))

    rows = _display_order(cells, groups, pools, subtotals)
    atom_n: dict[CellKey, int] = {group_cell(g.key): g.n for g in groups}
    hierarchy_equations = list(equations)
    for breakdown in breakdowns:
        _add_breakdown(breakdown, groups, rows, hierarchy_equations, cells, equations, atom_n)

    publishable = frozenset(
        cell for cell in cells
        if cell[0] != "by-none" and (cell[0] != "by" or breakdown_rows is None or cell[3:] in breakdown_rows)
    )
    return Layout(cells, tuple(equations), publishable, pools, atom_n, tuple(rows))


def _display_order(
    cells: Mapping[CellKey, tuple[CellKey, ...]], groups: Sequence[Group], pools: Sequence[Pool], subtotals: bool
) -> list[CellKey]:
    rows = [group_cell(g.key) for g in groups] + [pool.cell for pool in pools]
    if subtotals:
        rows += [cell for cell in cells if cell[0] == "subtotal"]
    return rows + [TOTAL]


def _add_breakdown(
    breakdown: Breakdown,
    groups: Sequence[Group],
    rows: Sequence[CellKey],
    hierarchy: Sequence[Equation],
    cells: dict[CellKey, tuple[CellKey, ...]],
    equations: list[Equation],
    atom_n: dict[CellKey, int],
) -> None:
    question = breakdown.question
    values = sorted({value for counts in breakdown.counts.values() for value in counts})
    for group in groups:
        counts = breakdown.counts.get(group.key, {})
        answered = sum(counts.values())
        if answered > group.n:
            raise ValueError(f"breakdown {question}: group {group.key} has more answers than respondents")
        row = group_cell(group.key)
        for value in values:
            atom_n[breakdown_cell(question, value, row)] = counts.get(value, 0)
        atom_n[unanswered_cell(question, row)] = group.n - answered

    def split(row: CellKey) -> list[CellKey]:
        return split_cells(question, values, row)

    for row in [*rows, *(eq.total for eq in hierarchy)]:
        if row in cells and split(row)[0] not in cells:
            for slice_cell, slice_value in zip(split(row), [*values, None], strict=True):
                cells[slice_cell] = tuple(
                    breakdown_cell(question, slice_value, atom) if slice_value is not None
                    else unanswered_cell(question, atom)
                    for atom in cells[row]
                )
            equations.append(Equation(row, tuple(split(row))))
    for equation in hierarchy:
        for index in range(len(values) + 1):
            equations.append(
                Equation(split(equation.total)[index], tuple(split(part)[index] for part in equation.parts))
            )
