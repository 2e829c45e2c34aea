"""The one suppression mechanism for survey results: which cells may be shown.

A round's survey figures are released once (`app.services.survey_release`): one layout holds
the union of every grouping any output shows (own groups, pools, the roll-up of every inner
node, the total, the total split by each background question) and `protect` decides it in one
go, so no two outputs together give a hidden cell away. Outputs never call it themselves.
Pure functions over counts already aggregated in SQL: no database, no Flask.

The model. An output publishes *cells*: a group's respondents (a unit), a pool of small
sibling units ("Övriga enheter inom …"), a unit's roll-up over its subtree (optional), the
total, and for each background question (breakdown) the same cells split by answer value.
Each cell is a sum of *atoms* (a unit's own respondents, or those of a unit with a given
background answer). Sums tie cells together in *equations* (total = Σ rows, parent = own +
Σ children, row = Σ breakdown values + not answered, the same per breakdown value column).

The rule. A reader who sees the published cells can subtract: from an equation whose left
side they know, they learn the sum of the parts they do not know. Every such sum must be 0
or at least the threshold, and every published cell must be at least the threshold:
- primary suppression: a cell with fewer respondents than the threshold is hidden;
- complementary suppression: where the hidden parts of an equation with a known left side
  add up to 1 … threshold-1, a further cell is hidden (the smallest published part, else the
  left side itself, else a cell of the equations that made the left side known, a
  breakdown's before a unit's), repeated until no equation leaks. Cells learnt by subtraction
  count as known in this check, and so do empty cells (a reader can tell nobody is there).
A cell that is part of the sums but printed by no output (a unit's split by a background
question) is hidden from the start and still checked: subtraction through it is seen. So is
what a reader learns only as a whole: the hidden parts of an equation with a known total
together, and the same parts split by each background value (its "remainder", a cell of its
own in the check), so that "(total − shown units) − (total with value v − shown units with
value v)" is checked like any other subtraction.
Answer counts are sums over the same atoms, so protecting the respondent counts protects
every answer count of a hidden group; `apply_to_counts` also protects each question's base
(conditional questions are answered by fewer people than the group).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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


def _unanswered_cell(question: str, row: CellKey) -> CellKey:
    # Respondents of `row` without an answer to `question`: never published, but a part of
    # the row's sum, so that "row − Σ values" is checked like any other subtraction.
    return ("by-none", question, *row)


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


@dataclass(frozen=True)
class Decision:
    """What may be shown: every cell's status and n (read n only where `shown`)."""

    threshold: int
    layout: Layout
    status: Mapping[CellKey, Status]
    n: Mapping[CellKey, int]

    def shown(self, cell: CellKey) -> bool:
        return self.status.get(cell) == "shown"

    def published(self) -> dict[CellKey, int]:
        """Every shown cell with its respondent count: all that an output may print."""
        return {cell: self.n[cell] for cell, status in self.status.items() if status == "shown"}

    @property
    def pools(self) -> tuple[Pool, ...]:
        return self.layout.pools

    def pool_of(self, group: str) -> Pool | None:
        for pool in self.layout.pools:
            if group in pool.members:
                return pool
        return None


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
        atom_n[_unanswered_cell(question, row)] = group.n - answered

    def split(row: CellKey) -> list[CellKey]:
        return [breakdown_cell(question, value, row) for value in values] + [_unanswered_cell(question, row)]

    for row in [*rows, *(eq.total for eq in hierarchy)]:
        if row in cells and split(row)[0] not in cells:
            for slice_cell, value in zip(split(row), [*values, None], strict=True):
                cells[slice_cell] = tuple(
                    breakdown_cell(question, value, atom) if value is not None else _unanswered_cell(question, atom)
                    for atom in cells[row]
                )
            equations.append(Equation(row, tuple(split(row))))
    for equation in hierarchy:
        for index in range(len(values) + 1):
            equations.append(
                Equation(split(equation.total)[index], tuple(split(part)[index] for part in equation.parts))
            )


# --- protecting --------------------------------------------------------------------------------


def _known_cells(
    equations: Sequence[Equation], published: set[CellKey]
) -> tuple[set[CellKey], dict[CellKey, Equation]]:
    """Published cells plus every cell a reader can work out from them by the equations."""
    known = set(published)
    learnt_from: dict[CellKey, Equation] = {}
    changed = True
    while changed:
        changed = False
        for equation in equations:
            unknown = [part for part in equation.parts if part not in known]
            if equation.total in known:
                if len(unknown) == 1:
                    known.add(unknown[0])
                    learnt_from[unknown[0]] = equation
                    changed = True
            elif not unknown:
                known.add(equation.total)
                learnt_from[equation.total] = equation
                changed = True
    return known, learnt_from


def _support(learnt_from: Mapping[CellKey, Equation]) -> Callable[[CellKey], frozenset[CellKey]]:
    """The published cells a reader used to work out a cell (the cell itself when published)."""
    memo: dict[CellKey, frozenset[CellKey]] = {}

    def support(cell: CellKey) -> frozenset[CellKey]:
        if cell not in learnt_from:
            return frozenset({cell})
        if cell not in memo:
            memo[cell] = frozenset()  # learning order has no cycles; this only guards
            equation = learnt_from[cell]
            memo[cell] = frozenset().union(
                *(support(other) for other in (equation.total, *equation.parts) if other != cell))
        return memo[cell]

    return support


def _questions(layout: Layout) -> dict[str, list[str]]:
    """Each background question of `layout` with its values, as the breakdown cells name them."""
    values: dict[str, set[str]] = defaultdict(set)
    for cell in layout.cells:
        if cell[0] == "by":
            values[cell[1]].add(cell[2])
        elif cell[0] == "by-none":
            values.setdefault(cell[1], set())
    return {question: sorted(found) for question, found in values.items()}


def _split(question: str, values: Sequence[str], row: CellKey) -> list[CellKey]:
    return [breakdown_cell(question, value, row) for value in values] + [_unanswered_cell(question, row)]


def _remainders(
    layout: Layout, questions: Mapping[str, list[str]], known: set[CellKey], n: dict[CellKey, int]
) -> list[Equation]:
    """What a reader learns as a whole without learning its parts, written as cells of its own.

    From a row's equation whose total they know, a reader learns the sum of its unknown parts
    (`total − unit A = units B and C together`), and from the same equation split by a
    background value the sum of those parts' value slices. The second is inside the first, so
    subtracting it gives the parts' respondents *without* that value: a set no single cell
    holds. Each such remainder becomes a cell ("rest"), with its split by every background
    question and the equations that tie it to the published figures, so the ordinary check of
    equations sees subtraction through it. Adds the remainders' n to `n`."""
    added: list[Equation] = []
    for index, equation in enumerate(layout.equations):
        if equation.total not in known or any(cell[0] in ("by", "by-none") for cell in (equation.total, *equation.parts)):
            continue  # a breakdown's own equations: their remainders hold no smaller slices
        unknown = [part for part in equation.parts if part not in known]
        if len(unknown) < 2:
            continue
        seen = [part for part in equation.parts if part in known]
        rest: CellKey = ("rest", str(index))
        n[rest] = sum(n[part] for part in unknown)
        added += [Equation(equation.total, (rest, *seen)), Equation(rest, tuple(unknown))]
        for question, values in questions.items():
            if _unanswered_cell(question, equation.total) not in layout.cells:
                continue
            slices = _split(question, values, rest)
            added.append(Equation(rest, tuple(slices)))
            for position, rest_slice in enumerate(slices):
                parts_slices = [_split(question, values, part)[position] for part in unknown]
                n[rest_slice] = sum(n.get(cell, 0) for cell in parts_slices)
                added.append(Equation(rest_slice, tuple(parts_slices)))
                added.append(Equation(
                    _split(question, values, equation.total)[position],
                    (rest_slice, *(_split(question, values, part)[position] for part in seen)),
                ))
    return added


def _residuals(
    equation: Equation,
    known: set[CellKey],
    n: Mapping[CellKey, int],
    decompositions: Mapping[CellKey, list[Equation]],
    threshold: int,
    memo: dict[CellKey, frozenset[int]],
) -> frozenset[int]:
    """What a reader can learn from `equation` when they know its total: the total minus the
    known cells they find inside it, expanding unknown parts through their own equations (a
    hidden subtotal's published children, a hidden row's published breakdown values).
    Values are capped at the threshold: only 1 … threshold-1 matters."""

    def achievable(cell: CellKey) -> frozenset[int]:
        if cell in known:
            return frozenset({0, min(n[cell], threshold)})
        if cell not in memo:
            values = {min(n[cell], threshold)}
            for inner in decompositions.get(cell, ()):
                values |= sum_of(inner)
            memo[cell] = frozenset(values)
        return memo[cell]

    def sum_of(current: Equation) -> frozenset[int]:
        values = frozenset({0})
        for part in current.parts:
            values = frozenset(min(a + b, threshold) for a in values for b in achievable(part))
        return values

    return sum_of(equation)


def _complement(
    equation: Equation,
    hidden: set[CellKey],
    known: set[CellKey],
    publishable: frozenset[CellKey],
    n: Mapping[CellKey, int],
    decompositions: Mapping[CellKey, list[Equation]],
    learnt_from: Mapping[CellKey, Equation],
) -> CellKey | None:
    """The cell to hide so that `equation` no longer leaks. In order: the smallest published
    cell inside the total that a reader subtracts (nearest first); a cell of the equations that
    let a reader work out a hidden one; the total itself; a cell of the equation that gave the
    total away."""

    def published(cells: Iterable[CellKey]) -> list[CellKey]:
        return [cell for cell in cells if cell in publishable and cell not in hidden]

    def smallest(cells: list[CellKey]) -> CellKey:
        return min(cells, key=lambda cell: (n[cell], cell))

    def search(start: Iterable[CellKey]) -> CellKey | None:
        # Every published cell the reader's working-out used; a breakdown's cell goes before
        # a unit's (the units' figures are what the outputs are for), then the smallest.
        todo = [learnt_from[cell] for cell in start if cell in learnt_from]
        seen: set[Equation] = set()
        candidates: set[CellKey] = set()
        while todo:
            current = todo.pop(0)
            if current in seen:
                continue
            seen.add(current)
            cells = (current.total, *current.parts)
            candidates.update(published(cells))
            todo.extend(learnt_from[cell] for cell in cells if cell in learnt_from)
        if not candidates:
            return None
        return min(candidates, key=lambda cell: (cell[0] != "by", n[cell], cell))

    level = list(equation.parts)
    inside: list[CellKey] = []
    seen_cells: set[CellKey] = set()
    while level:
        candidates = published(level)
        if candidates:
            return smallest(candidates)
        inside.extend(level)
        seen_cells.update(level)
        level = [
            part
            for cell in level
            if cell not in known
            for inner in decompositions.get(cell, ())
            for part in inner.parts
            if part not in seen_cells
        ]
    cell = search(inside)
    if cell is not None:
        return cell
    if published([equation.total]):
        return equation.total
    return search([equation.total])


def protect(
    layout: Layout,
    threshold: int,
    *,
    atom_n: Mapping[CellKey, int] | None = None,
    hidden: Mapping[CellKey, Status] | None = None,
) -> Decision:
    """Decide every cell of `layout`: shown, or hidden with the reason.

    `atom_n` replaces the layout's respondent counts (a question's base: those who answered
    it); `hidden` forces cells hidden with the given status (a question inherits the hidden
    groups of the whole table).
    """
    check_threshold(threshold)
    counts = layout.atom_n if atom_n is None else atom_n
    n = {cell: sum(counts.get(atom, 0) for atom in atoms) for cell, atoms in layout.cells.items()}
    status: dict[CellKey, Status] = {cell: "shown" for cell in layout.cells}
    for pool in layout.pools:
        for member in pool.members:
            status[group_cell(member)] = "pooled"
    for cell in layout.cells:
        if status[cell] == "shown" and (n[cell] < threshold or cell not in layout.publishable):
            status[cell] = "primary"
    for cell, reason in (hidden or {}).items():
        if cell in status and status[cell] == "shown":
            status[cell] = reason
    hidden_cells = {cell for cell, s in status.items() if s != "shown"}

    # A cell without respondents is known to be empty even when hidden (a unit report says
    # nobody answered; a background question's counts show a value nobody chose).
    empty = {cell for cell in layout.cells if n[cell] == 0}
    questions = _questions(layout)
    while True:
        visible = (set(layout.cells) - hidden_cells) | empty
        known, _ = _known_cells(layout.equations, visible)
        sizes = dict(n)  # with the remainders' sizes
        equations = [*layout.equations, *_remainders(layout, questions, known, sizes)]
        known, learnt_from = _known_cells(equations, visible)
        decompositions: dict[CellKey, list[Equation]] = defaultdict(list)
        for equation in equations:
            decompositions[equation.total].append(equation)
        # Leaks: a hidden cell of 1 … threshold-1 that a reader can work out, and an equation
        # with a known total from which subtraction leaves 1 … threshold-1 respondents.
        leaking = [learnt_from[cell] for cell in sorted(known & hidden_cells) if 0 < n[cell] < threshold]
        memo: dict[CellKey, frozenset[int]] = {}
        for equation in equations:
            if equation.total in known:
                values = _residuals(equation, known, sizes, decompositions, threshold, memo)
                if any(0 < value < threshold for value in values):
                    leaking.append(equation)
        added: set[CellKey] = set()
        support = _support(learnt_from)
        for equation in dict.fromkeys(leaking):
            involved = {equation.total, *equation.parts}
            if added & involved or any(added & support(cell) for cell in involved if cell in learnt_from):
                continue  # this pass already hid a cell here or behind it; look again next pass
            cell = _complement(
                equation, hidden_cells, known, layout.publishable, sizes, decompositions, learnt_from
            )
            if cell is None:
                if added:
                    continue  # what this pass hid may have closed this leak too
                raise RuntimeError("no cell left to hide: the layout cannot be protected")
            hidden_cells.add(cell)
            status[cell] = "complementary"
            added.add(cell)
        if not added:
            return Decision(threshold, layout, status, n)


def suppress(
    groups: Sequence[Group],
    threshold: int,
    *,
    tree: Mapping[str, str | None] | None = None,
    subtotals: bool = False,
    pool_small: bool = True,
    breakdowns: Sequence[Breakdown] = (),
    breakdown_rows: Collection[CellKey] | None = None,
) -> Decision:
    """Which of `groups` (and their pools, subtotals, total and breakdowns) may be shown."""
    layout = build_layout(
        groups, threshold, tree=tree, subtotals=subtotals, pool_small=pool_small, breakdowns=breakdowns,
        breakdown_rows=breakdown_rows,
    )
    return protect(layout, threshold)


# --- answer counts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionCounts:
    """One question's answers per atom: `base` respondents who answered it, `counts[option]`
    how many chose each option (for a matrix the option key is 'row:value'). Keys are atoms:
    `group_cell(g)` or `breakdown_cell(q, v, group_cell(g))`."""

    question: str
    base: Mapping[CellKey, int]
    counts: Mapping[CellKey, Mapping[str, int]]


@dataclass(frozen=True)
class CellCounts:
    """A shown cell's answers to one question."""

    base: int
    counts: Mapping[str, int]


@dataclass(frozen=True)
class ProtectedCounts:
    """A question's answers per cell; hidden cells have a status and no figures at all."""

    question: str
    status: Mapping[CellKey, Status]
    cells: Mapping[CellKey, CellCounts] = field(default_factory=dict)

    def get(self, cell: CellKey) -> CellCounts | None:
        return self.cells.get(cell)


def apply_to_counts(decision: Decision, question: QuestionCounts,
                    hidden: Mapping[CellKey, Status] | None = None) -> ProtectedCounts:
    """A question's answer counts with the decision applied: cells hidden in `decision` (and
    in `hidden`) stay hidden, and cells where too few answered this question (a follow-up) are
    hidden too, with complementary suppression on the question's own base."""
    hidden = {**(hidden or {}), **{cell: s for cell, s in decision.status.items() if s != "shown"}}
    base_decision = protect(decision.layout, decision.threshold, atom_n=question.base, hidden=hidden)
    option_keys = sorted({key for counts in question.counts.values() for key in counts})
    cells: dict[CellKey, CellCounts] = {}
    for cell, atoms in decision.layout.cells.items():
        if not base_decision.shown(cell):
            continue
        totals = dict.fromkeys(option_keys, 0)
        for atom in atoms:
            for key, count in question.counts.get(atom, {}).items():
                totals[key] += count
        cells[cell] = CellCounts(base_decision.n[cell], totals)
    return ProtectedCounts(question.question, base_decision.status, cells)


def shown_rows(decision: Decision) -> list[CellKey]:
    """The hierarchy's shown cells in display order (groups, pools, subtotals, total)."""
    return [row for row in decision.layout.rows if decision.shown(row)]


def cells_of(decision: Decision, keys: Iterable[CellKey]) -> dict[CellKey, Status]:
    """The status of each of `keys` (unknown keys are primary: never shown)."""
    return {key: decision.status.get(key, "primary") for key in keys}
