"""The suppression mechanism: primary and complementary suppression, pools, breakdowns, and a
property test with an attacker who subtracts whatever the published cells allow."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.services.anonymity import (
    TOTAL,
    Breakdown,
    CellKey,
    Decision,
    Group,
    QuestionCounts,
    apply_to_counts,
    breakdown_cell,
    group_cell,
    pool_cell,
    shown_rows,
    subtotal_cell,
    suppress,
)

T = 5


# --- behaviour, worked out by hand ---------------------------------------------------------------


def test_a_group_below_the_threshold_is_hidden_and_every_shown_cell_reaches_it():
    decision = suppress([Group("a", 12), Group("b", 4), Group("c", 9)], T, pool_small=False)
    assert decision.status[group_cell("b")] == "primary"
    assert all(n >= T for n in decision.published().values())


def test_total_minus_the_other_groups_would_reveal_a_hidden_group_so_one_more_is_hidden():
    # total 25 − a 12 − c 9 = b 4: c (the smallest shown part) is hidden as well.
    decision = suppress([Group("a", 12), Group("b", 4), Group("c", 9)], T, pool_small=False)
    assert decision.status[group_cell("c")] == "complementary"
    assert decision.shown(group_cell("a")) and decision.shown(TOTAL)
    assert decision.n[TOTAL] - decision.n[group_cell("a")] == 13  # b + c together: 13 ≥ 5


def test_two_hidden_groups_that_add_up_to_less_than_the_threshold_are_not_enough():
    # b 1 + c 2 = 3 < 5 from the total: a third group must go.
    decision = suppress([Group("a", 20), Group("d", 7), Group("b", 1), Group("c", 2)], T, pool_small=False)
    assert decision.status[group_cell("d")] == "complementary"


def test_a_group_with_no_respondents_does_not_protect_another():
    decision = suppress([Group("a", 20), Group("d", 8), Group("b", 3), Group("z", 0)], T, pool_small=False)
    assert decision.status[group_cell("d")] == "complementary"


def test_with_a_single_group_the_total_is_hidden_with_it():
    decision = suppress([Group("a", 3)], T)
    assert not decision.published()


def test_small_siblings_are_pooled_under_their_parent_when_the_pool_reaches_the_threshold():
    groups = [Group("big", 30, "sdn"), Group("s1", 2, "sdn"), Group("s2", 3, "sdn"), Group("s3", 0, "sdn")]
    decision = suppress(groups, T, tree={"sdn": None})
    (pool,) = decision.pools
    assert pool.parent == "sdn" and pool.members == ("s1", "s2", "s3") and pool.n == 5
    assert decision.shown(pool_cell("sdn")) and decision.shown(group_cell("big"))
    assert {decision.status[group_cell(k)] for k in ("s1", "s2", "s3")} == {"pooled"}


def test_a_pool_below_the_threshold_is_not_formed():
    decision = suppress([Group("big", 30, "p"), Group("s1", 1, "p"), Group("s2", 2, "p")], T)
    assert decision.pools == ()
    assert not decision.shown(group_cell("s1"))


def test_subtotals_protect_a_parents_hidden_child():
    groups = [Group("x1", 10, "x"), Group("x2", 2, "x"), Group("y1", 10, "y"), Group("y2", 8, "y")]
    decision = suppress(groups, T, subtotals=True, pool_small=False)
    # x's subtotal 12 − x1 10 = x2 2: either x1 or the subtotal (and then the total) must go.
    published = decision.published()
    assert not (subtotal_cell("x") in published and group_cell("x1") in published)


def test_breakdown_values_below_the_threshold_are_hidden_with_a_complement():
    # One unit of 20: kvinna 16, man 3, annat 1. man + annat = 4 < 5, so 20 − kvinna would
    # reveal them: kvinna is hidden too, in the unit's row and in the total's (the same people).
    kon = Breakdown("kon", {"a": {"kvinna": 16, "man": 3, "annat": 1}})
    decision = suppress([Group("a", 20)], T, breakdowns=[kon])
    row = group_cell("a")
    assert decision.shown(row) and decision.shown(TOTAL)
    assert decision.status[breakdown_cell("kon", "man", row)] == "primary"
    assert not decision.shown(breakdown_cell("kon", "kvinna", row))
    assert not decision.shown(breakdown_cell("kon", "kvinna", TOTAL))


def test_breakdown_values_that_leave_enough_hidden_are_shown():
    kon = Breakdown("kon", {"a": {"kvinna": 14, "man": 3, "annat": 3}})
    decision = suppress([Group("a", 20)], T, breakdowns=[kon])
    assert decision.shown(breakdown_cell("kon", "kvinna", group_cell("a")))


def test_apply_to_counts_hides_hidden_groups_and_follow_ups_answered_by_too_few():
    groups = [Group("a", 12), Group("b", 9), Group("c", 3)]
    decision = suppress(groups, T, pool_small=False)
    ga, gb, gc = group_cell("a"), group_cell("b"), group_cell("c")
    question = QuestionCounts(
        "utsatt_hur_typ",
        base={ga: 6, gb: 2, gc: 1},
        counts={ga: {"hot": 4, "mutor": 2}, gb: {"hot": 2}, gc: {"mutor": 1}},
    )
    protected = apply_to_counts(decision, question)
    assert protected.get(gc) is None and protected.get(gb) is None  # c hidden, b answered by 2
    assert protected.get(ga) is None  # the total 9 − a 6 = 3 would reveal b and c: a goes too
    assert protected.get(TOTAL) is not None and protected.get(TOTAL).counts == {"hot": 6, "mutor": 3}


def test_a_city_split_beside_a_unit_that_holds_all_of_one_value_is_hidden_not_the_unit():
    # a: 2 women and 5 men; b: 9 women, no man. Only the city's split is printed. The city's
    # 5 men are a's (b has none: an empty cell is known), so a − the men = a's 2 women: the
    # split goes (the women's 11 too, or 16 − 11 gives the men again); the units stay.
    kon = Breakdown("kon", {"a": {"kvinna": 2, "man": 5}, "b": {"kvinna": 9}})
    decision = suppress([Group("a", 7), Group("b", 9)], T, breakdowns=[kon], breakdown_rows={TOTAL})
    assert decision.shown(group_cell("a")) and decision.shown(group_cell("b")) and decision.shown(TOTAL)
    assert not decision.shown(breakdown_cell("kon", "man", TOTAL))
    assert not decision.shown(breakdown_cell("kon", "kvinna", TOTAL))
    assert not decision.shown(breakdown_cell("kon", "man", group_cell("a")))  # never printed


def test_a_unit_and_its_roll_up_in_one_decision_never_give_its_small_child_away():
    # Norra's own 8 and its roll-up 10 (with a school of 2): one of them is hidden.
    groups = [Group("soc", 7, "stad"), Group("norr", 8, "stad"), Group("skola", 2, "norr"), Group("syd", 6, "stad")]
    decision = suppress(groups, T, tree={"stad": None}, subtotals=True)
    assert not (decision.shown(group_cell("norr")) and decision.shown(subtotal_cell("norr")))
    assert decision.shown(subtotal_cell("norr")) and decision.n[subtotal_cell("norr")] == 10


def test_the_threshold_can_never_be_below_three():
    with pytest.raises(ValueError):
        suppress([Group("a", 10)], 2)


def test_a_city_of_300_units_is_decided_in_one_pass():
    import random

    rng = random.Random(4)
    groups = [Group(f"u{i}", rng.choice([0, 2, 4, 6, 40, 200]), f"p{i % 30}") for i in range(300)]
    tree = {f"p{j}": None for j in range(30)}
    kon = Breakdown("kon", {g.key: {"kvinna": g.n // 2, "man": g.n - g.n // 2} for g in groups})
    decision = suppress(groups, T, tree=tree, subtotals=True, breakdowns=[kon])
    assert all(n >= T for n in decision.published().values())


# --- the attacker ---------------------------------------------------------------------------------


class City:
    """A generated city: a tree of units, respondents per unit, and background answers.

    Atoms are the structural combinations (unit, answer to each breakdown question or None),
    including empty ones: a reader knows which published cells contain which others by their
    labels, never by who is in them.
    """

    def __init__(self, parents: list[int | None], sizes: list[int], questions: list[int],
                 answers: list[list[tuple[int | None, ...]]], is_group: list[bool]):
        self.parents = parents
        self.sizes = sizes
        self.questions = questions  # number of values of each breakdown question
        self.is_group = is_group
        self.atoms: list[tuple[int, tuple[int | None, ...]]] = []
        self.atom_n: list[int] = []
        value_sets = [list(range(k)) + [None] for k in questions]
        for unit in range(len(parents)):
            for combo in itertools.product(*value_sets):
                self.atoms.append((unit, combo))
                self.atom_n.append(sum(1 for a in answers[unit] if a == combo))

    def __repr__(self) -> str:
        return f"City(parents={self.parents}, sizes={self.sizes}, groups={self.is_group}, questions={self.questions})"

    def key(self, unit: int) -> str:
        return f"u{unit}"

    def groups(self) -> list[Group]:
        return [
            Group(self.key(u), self.sizes[u], self.key(self.parents[u]) if self.parents[u] is not None else None)
            for u in range(len(self.parents))
            if self.is_group[u]
        ]

    def tree(self) -> dict[str, str | None]:
        return {self.key(u): (self.key(p) if p is not None else None) for u, p in enumerate(self.parents)}

    def breakdowns(self, answers: list[list[tuple[int | None, ...]]]) -> list[Breakdown]:
        result = []
        for q, _k in enumerate(self.questions):
            counts: dict[str, dict[str, int]] = {}
            for u in range(len(self.parents)):
                if not self.is_group[u]:
                    continue
                per: dict[str, int] = {}
                for answer in answers[u]:
                    if answer[q] is not None:
                        per[f"v{answer[q]}"] = per.get(f"v{answer[q]}", 0) + 1
                counts[self.key(u)] = per
            result.append(Breakdown(f"q{q}", counts))
        return result

    def subtree(self, unit: int) -> set[int]:
        nodes = {unit}
        changed = True
        while changed:
            changed = False
            for u, p in enumerate(self.parents):
                if p in nodes and u not in nodes:
                    nodes.add(u)
                    changed = True
        return nodes

    def mask(self, units: set[int], condition: tuple[int, str] | None = None) -> int:
        """The atoms of `units` (with breakdown question q answered `value`: 'v2' or None)."""
        bits = 0
        for index, (unit, combo) in enumerate(self.atoms):
            if unit not in units:
                continue
            if condition is not None:
                q, value = condition
                if (f"v{combo[q]}" if combo[q] is not None else None) != value:
                    continue
            bits |= 1 << index
        return bits

    def n(self, mask: int) -> int:
        return sum(n for index, n in enumerate(self.atom_n) if mask >> index & 1)


def _units_of(city: City, decision: Decision, row: CellKey) -> set[int]:
    kind = row[0]
    if kind == "group":
        return {int(row[1][1:])}
    if kind == "pool":
        pool = next(p for p in decision.pools if p.cell == row)
        return {int(m[1:]) for m in pool.members}
    if kind == "subtotal":
        return {u for u in city.subtree(int(row[1][1:])) if city.is_group[u]}
    assert row == TOTAL
    return {u for u in range(len(city.parents)) if city.is_group[u]}


def published_masks(city: City, decision: Decision) -> dict[CellKey, int]:
    masks = {}
    for cell in decision.published():
        if cell[0] == "by":
            question, value, row = cell[1], cell[2], cell[3:]
            masks[cell] = city.mask(_units_of(city, decision, row), (int(question[1:]), value))
        else:
            masks[cell] = city.mask(_units_of(city, decision, cell))
    return masks


def subtraction_closure(masks: list[int], limit: int = 4000) -> set[int]:
    """Every set a reader can reach by subtracting a published (or already derived) set from
    another that contains it, over and over."""
    known = set(masks)
    frontier = list(known)
    while frontier and len(known) < limit:
        new = []
        items = list(known)
        for x in frontier:
            for y in items:
                for big, small in ((x, y), (y, x)):
                    if big != small and big & small == small:
                        difference = big & ~small
                        if difference and difference not in known:
                            known.add(difference)
                            new.append(difference)
        frontier = new
    return known


def in_span(vectors: list[int], target: int, width: int) -> bool:
    """Is `target` (a 0/1 vector over the atoms) a rational combination of `vectors`?"""
    rows = [[Fraction((v >> i) & 1) for i in range(width)] for v in vectors]
    basis: list[tuple[int, list[Fraction]]] = []

    def reduce(row: list[Fraction]) -> list[Fraction]:
        for pivot, b in basis:
            if row[pivot]:
                factor = row[pivot] / b[pivot]
                row = [r - factor * c for r, c in zip(row, b, strict=True)]
        return row

    for row in rows:
        row = reduce(row)
        pivot = next((i for i, value in enumerate(row) if value), None)
        if pivot is not None:
            basis.append((pivot, row))
    return not any(reduce([Fraction((target >> i) & 1) for i in range(width)]))


@st.composite
def cities(draw: st.DrawFn) -> tuple[City, list[Breakdown], bool, bool, int]:
    count = draw(st.integers(1, 7))
    parents: list[int | None] = [None]
    for unit in range(1, count):
        parents.append(draw(st.one_of(st.none(), st.integers(0, unit - 1))))
    sizes = [draw(st.integers(0, 10)) for _ in range(count)]
    is_group = [draw(st.booleans()) or unit == count - 1 for unit in range(count)]
    sizes = [s if g else 0 for s, g in zip(sizes, is_group, strict=True)]
    questions = draw(st.lists(st.integers(2, 3), max_size=2))
    answers = [
        [
            tuple(draw(st.one_of(st.none(), st.integers(0, k - 1))) if draw(st.integers(0, 5)) else None
                  for k in questions)
            for _ in range(sizes[u])
        ]
        for u in range(count)
    ]
    city = City(parents, sizes, questions, answers, is_group)
    threshold = draw(st.integers(3, 6))
    return city, city.breakdowns(answers), draw(st.booleans()), draw(st.booleans()), threshold


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cities())
def test_no_hidden_group_can_be_recovered_by_subtraction(case):
    city, breakdowns, subtotals, pool_small, threshold = case
    chosen = breakdowns[:1] if breakdowns else []
    decision = suppress(city.groups(), threshold, tree=city.tree(), subtotals=subtotals,
                        pool_small=pool_small, breakdowns=chosen)
    published = decision.published()
    assert all(n >= threshold for n in published.values()), published

    masks = published_masks(city, decision)
    for cell, mask in masks.items():
        assert city.n(mask) == published[cell]  # the attacker's model matches the output

    for derived in subtraction_closure(list(masks.values())):
        n = city.n(derived)
        assert n == 0 or n >= threshold, f"a set of {n} respondents can be worked out"

    width = len(city.atoms)
    vectors = list(masks.values())
    for cell, status in decision.status.items():
        if status == "shown" or not 0 < decision.n[cell] < threshold or cell[0] == "by-none":
            continue
        if cell[0] == "by":
            target = city.mask(_units_of(city, decision, cell[3:]), (int(cell[1][1:]), cell[2]))
        else:
            target = city.mask(_units_of(city, decision, cell))
        assert not in_span(vectors, target, width), f"{cell} ({decision.n[cell]}) can be solved for"


@settings(max_examples=150, deadline=None)
@given(cities())
def test_every_breakdown_filter_offered_together_still_protects(case):
    """All breakdown questions at once: overlapping filters of the same respondents."""
    city, breakdowns, subtotals, pool_small, threshold = case
    decision = suppress(city.groups(), threshold, tree=city.tree(), subtotals=subtotals,
                        pool_small=pool_small, breakdowns=breakdowns)
    assert all(n >= threshold for n in decision.published().values())
    for derived in subtraction_closure(list(published_masks(city, decision).values())):
        n = city.n(derived)
        assert n == 0 or n >= threshold
    assert all(row in decision.layout.rows for row in shown_rows(decision))


def test_a_remainder_minus_its_own_value_slice_is_checked():
    """Found by the property test above: units of 1, 4 and 6 respondents, threshold 3. The total
    (11), the unit of 6 and, split by q0's first value, the total (6) and the unit of 6 (3) were
    published, so (11 − 6) − (6 − 3) = 2 respondents of the two hidden units without that value
    could be worked out, though no cell holds them. The remainder of the hidden units is now a
    cell of its own in the check, split like a row, and a further cell is hidden."""
    answers: list[list[tuple[int | None, ...]]] = [
        [], [], [(0, None)],
        [(0, None), (0, None), (None, None), (None, None)],
        [(0, None), (0, None), (0, None), (1, None), (None, None), (None, None)],
    ]
    city = City([None] * 5, [0, 0, 1, 4, 6], [2, 2], answers, [False, False, True, True, True])
    decision = suppress(city.groups(), 3, tree=city.tree(), subtotals=False, pool_small=False,
                        breakdowns=city.breakdowns(answers))
    published = decision.published()
    assert published[TOTAL] == 11 and published[group_cell("u4")] == 6
    assert not (decision.shown(breakdown_cell("q0", "v0", TOTAL))
                and decision.shown(breakdown_cell("q0", "v0", group_cell("u4"))))
    for derived in subtraction_closure(list(published_masks(city, decision).values())):
        n = city.n(derived)
        assert n == 0 or n >= 3
