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

from app.services.anonymity.counts import (
    CellCounts,
    ProtectedCounts,
    QuestionCounts,
    apply_to_counts,
)
from app.services.anonymity.layout import (
    ROOT,
    TOTAL,
    Breakdown,
    CellKey,
    Equation,
    Group,
    Layout,
    Pool,
    Status,
    breakdown_cell,
    build_layout,
    check_threshold,
    group_cell,
    pool_cell,
    subtotal_cell,
)
from app.services.anonymity.protect import Decision, cells_of, protect, shown_rows, suppress

__all__ = [
    "ROOT", "TOTAL", "Breakdown", "CellCounts", "CellKey", "Decision", "Equation", "Group", "Layout",
    "Pool", "ProtectedCounts", "QuestionCounts", "Status", "apply_to_counts", "breakdown_cell",
    "build_layout", "cells_of", "check_threshold", "group_cell", "pool_cell", "protect",
    "shown_rows", "subtotal_cell", "suppress",
]
