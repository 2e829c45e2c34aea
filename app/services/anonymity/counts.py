"""A question's answer counts under a decision (`apply_to_counts`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from app.services.anonymity.layout import CellKey, Status
from app.services.anonymity.protect import Decision, protect


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
