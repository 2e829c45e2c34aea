"""Which cells of a layout may be shown: primary and complementary suppression (`protect`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat

from app.services.anonymity.layout import (
    Breakdown,
    CellKey,
    Equation,
    Group,
    Layout,
    Pool,
    Status,
    build_layout,
    check_threshold,
    group_cell,
    split_cells,
    unanswered_cell,
)


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


def _known_cells(
    equations: Sequence[Equation], published: set[CellKey]
) -> tuple[set[CellKey], dict[CellKey, Equation]]:
    """Published cells plus every cell a reader can work out from them by the equations.
    An equation whose cells are all known teaches nothing more (known cells stay known), so
    each pass goes over the equations still open only, in their order."""
    known = set(published)
    learnt_from: dict[CellKey, Equation] = {}
    open_equations = list(equations)
    changed = True
    while changed:
        changed = False
        still_open = []
        for equation in open_equations:
            unknown = [part for part in equation.parts if part not in known]
            if equation.total in known:
                if len(unknown) == 1:
                    known.add(unknown[0])
                    learnt_from[unknown[0]] = equation
                    changed = True
                elif unknown:
                    still_open.append(equation)
            elif not unknown:
                known.add(equation.total)
                learnt_from[equation.total] = equation
                changed = True
            else:
                still_open.append(equation)
        open_equations = still_open
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
        breakdown_equation = any(cell[0] in ("by", "by-none") for cell in (equation.total, *equation.parts))
        if equation.total not in known or breakdown_equation:
            continue  # a breakdown's own equations: their remainders hold no smaller slices
        unknown = [part for part in equation.parts if part not in known]
        if len(unknown) < 2:
            continue
        seen = [part for part in equation.parts if part in known]
        rest: CellKey = ("rest", str(index))
        n[rest] = sum(n[part] for part in unknown)
        added += [Equation(equation.total, (rest, *seen)), Equation(rest, tuple(unknown))]
        for question, values in questions.items():
            if unanswered_cell(question, equation.total) not in layout.cells:
                continue
            slices = split_cells(question, values, rest)
            added.append(Equation(rest, tuple(slices)))
            for position, rest_slice in enumerate(slices):
                parts_slices = [split_cells(question, values, part)[position] for part in unknown]
                n[rest_slice] = sum(n.get(cell, 0) for cell in parts_slices)
                added.append(Equation(rest_slice, tuple(parts_slices)))
                added.append(Equation(
                    split_cells(question, values, equation.total)[position],
                    (rest_slice, *(split_cells(question, values, part)[position] for part in seen)),
                ))
    return added


def _residuals(
    equation: Equation,
    known: set[CellKey],
    n: Mapping[CellKey, int],
    decompositions: Mapping[CellKey, list[Equation]],
    threshold: int,
    memo: dict[CellKey, int],
) -> int:
    """What a reader can learn from `equation` when they know its total: the total minus the
    known cells they find inside it, expanding unknown parts through their own equations (a
    hidden subtotal's published children, a hidden row's published breakdown values).
    Values are capped at the threshold: only 1 … threshold-1 matters. The set of values is a
    bit set (bit v: v respondents can be learnt), as sets of at most threshold + 1 small
    integers: adding two sets is shifting one by each value of the other, which the release of
    a large city does millions of times."""
    below = (1 << threshold) - 1  # the bits of 0 … threshold-1
    at_threshold = 1 << threshold

    def achievable(cell: CellKey) -> int:
        if cell in known:
            return 1 | (1 << min(n[cell], threshold))
        if cell not in memo:
            values = 1 << min(n[cell], threshold)
            for inner in decompositions.get(cell, ()):
                values |= sum_of(inner)
            memo[cell] = values
        return memo[cell]

    def sum_of(current: Equation) -> int:
        values = 1
        for part in current.parts:
            other, shift, summed = achievable(part), 0, 0
            while other:
                if other & 1:
                    summed |= values << shift
                other >>= 1
                shift += 1
            values = (summed & below) | at_threshold if summed > below else summed
        return values

    return sum_of(equation)


def _leaks(values: int, threshold: int) -> bool:
    """Whether a bit set of `_residuals` holds a value of 1 … threshold-1."""
    return bool(values & ((1 << threshold) - 2))


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
    n = {cell: sum(map(counts.get, atoms, repeat(0))) for cell, atoms in layout.cells.items()}
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
        memo: dict[CellKey, int] = {}
        for equation in equations:
            if equation.total in known:
                values = _residuals(equation, known, sizes, decompositions, threshold, memo)
                if _leaks(values, threshold):
                    leaking.append(equation)
        added: set[CellKey] = set()
        support = _support(learnt_from)
        for equation in dict.fromkeys(leaking):
            involved = {equation.total, *equation.parts}
            if added & involved or any(added & support(cell) for cell in involved if cell in learnt_from):
                continue  # this pass already hid a cell here or behind it; look again next pass
            chosen = _complement(
                equation, hidden_cells, known, layout.publishable, sizes, decompositions, learnt_from
            )
            if chosen is None:
                if added:
                    continue  # what this pass hid may have closed this leak too
                raise RuntimeError("no cell left to hide: the layout cannot be protected")
            hidden_cells.add(chosen)
            status[chosen] = "complementary"
            added.add(chosen)
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


def shown_rows(decision: Decision) -> list[CellKey]:
    """The hierarchy's shown cells in display order (groups, pools, subtotals, total)."""
    return [row for row in decision.layout.rows if decision.shown(row)]


def cells_of(decision: Decision, keys: Iterable[CellKey]) -> dict[CellKey, Status]:
    """The status of each of `keys` (unknown keys are primary: never shown)."""
    return {key: decision.status.get(key, "primary") for key in keys}
