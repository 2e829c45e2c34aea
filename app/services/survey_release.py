"""One release of a round's survey figures: which cells every output may show, decided once
for the round over the union of all its groupings, with complementary suppression across it.

The union: each invited unit's own respondents, the pools of small sibling units, the roll-up
of every inner node of the unit tree, the whole city, and the whole city split by each
background question (`breakdown: true`), and each unit, pool and roll-up split the same way.
`anonymity.protect` decides the respondents of all of
them in one layout, then each question's answers in the same layout (a follow-up answered by
few hides more). Every survey output (the admin's results, the city's pages, exports and PDF,
the unit reports, the board/staff gap, an earlier round's index over the years) reads the
release and prints only its shown cells, so no two outputs together reveal a hidden group:
what one output shows another never contradicts or completes.

The decision is a pure function of the kept counts (`survey_counts`), the invited units and
the tree, so it is kept for as long as those stay the same. The answers of the breakdowns
(each scored question against each background question) are read from the split counts kept
per cell (`survey_split_counts`, written with the counts when answers are released) only by the
outputs that show breakdowns, and decided inside the same release, never hiding a cell the
rest of the release shows. They are kept with the decision: answers are only ever released
(which changes the kept counts and the units' respondents, and so gives a new decision) or
deleted with their whole round (likewise), so the same decision always has the same breakdowns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.definitions.schema import (
    Definition,
    Question,
)
from app.models import Round, RoundUnit, Unit
from app.models.survey import SurveyCount, SurveyResponse, SurveySplitCount
from app.questions.types import counted_questions as counted_questions
from app.questions.types import summarised_questions
from app.services.anonymity import (
    TOTAL,
    Breakdown,
    CellKey,
    Decision,
    Group,
    ProtectedCounts,
    QuestionCounts,
    Status,
    apply_to_counts,
    breakdown_cell,
    build_layout,
    group_cell,
    protect,
)

# (unit key, question key, row key, value, respondents): one kept count; value "" is the base.
KeptRow = tuple[str, str, str, str, int]


@dataclass(frozen=True)
class Release:
    """A round's released survey cells: the respondents' decision over the union of groupings
    and each counted question's answers under it (hidden cells have no figures)."""

    round_id: int
    definition: Definition
    decision: Decision
    questions: tuple[tuple[Question, ProtectedCounts], ...]
    background: tuple[str, ...]  # the background questions the whole city is split by
    unit_ids: Mapping[str, int]
    names: Mapping[str, str]
    kept: tuple[KeptRow, ...]  # the kept counts the release was decided on
    # Each question summarised by its values (numbers, dates) with the cells where enough
    # answered it: its answers' base protected like every counted question's.
    values: tuple[tuple[Question, ProtectedCounts], ...] = ()
    # The breakdowns decided in this release, by (round, questions): kept with the decision
    # (`_decide`), so that every output reading the same release splits the answer rows once.
    splits: dict[tuple[int, tuple[str, ...]], dict[str, ProtectedCounts]] = field(
        default_factory=dict, compare=False, repr=False)

    @property
    def threshold(self) -> int:
        return self.decision.threshold

    def counts(self, question_key: str) -> ProtectedCounts | None:
        return next((c for q, c in self.questions if q.key == question_key), None)


def option_key(row_key: str, value: str) -> str:
    """How counts name an answer: the option's value, or 'row:value' for a matrix row."""
    return f"{row_key}:{value}" if row_key else value


def background_questions(definition: Definition) -> list[Question]:
    """The questions the whole city is split by (`breakdown: true`, single choices only)."""
    return [q for q in definition.questions() if getattr(q, "breakdown", False)]


def release(session: Session, round_: Round) -> Release | None:
    """The round's one release of survey figures (None without a survey)."""
    version = round_.version_of_kind("survey")
    if version is None:
        return None
    definition = version.parsed()
    units = {uid: (key, name, parent) for uid, key, name, parent in session.execute(
        select(Unit.id, Unit.key, Unit.name, Unit.parent_id))}
    invited = set(session.scalars(select(RoundUnit.unit_id).where(RoundUnit.round_id == round_.id)))
    completed = dict(session.execute(
        select(SurveyResponse.unit_id, func.count()).where(SurveyResponse.round_id == round_.id)
        .group_by(SurveyResponse.unit_id)).tuples().all())
    parent_key = {uid: units[p][0] if p in units else None for uid, (_k, _n, p) in units.items()}
    groups = tuple(sorted(
        (Group(units[uid][0], int(completed.get(uid, 0)), parent_key[uid]) for uid in invited | set(completed)),
        key=lambda g: g.key,
    ))
    tree = tuple(sorted((key, parent_key[uid]) for uid, (key, _n, _p) in units.items()))
    keys = {uid: key for uid, (key, _n, _p) in units.items()}
    kept = tuple(sorted(
        (keys[uid], question, row_key, value, int(n)) for uid, question, row_key, value, n in session.execute(
            select(SurveyCount.unit_id, SurveyCount.question_key, SurveyCount.row_key, SurveyCount.value,
                   SurveyCount.respondents).where(SurveyCount.round_id == round_.id))
    ))
    counted = tuple(q.key for q in counted_questions(definition))
    summarised = tuple(q.key for q in summarised_questions(definition))
    background = tuple(q.key for q in background_questions(definition))
    decision, protected, splits = _decide(round_.anonymity_threshold, groups, tree, background,
                                          counted + summarised, kept)
    by_key = {q.key: q for q in definition.questions()}
    return Release(
        round_.id, definition, decision, tuple((by_key[k], protected[k]) for k in counted), background,
        {key: uid for uid, key in keys.items()}, {key: name for key, name, _p in units.values()}, kept,
        tuple((by_key[k], protected[k]) for k in summarised), splits,
    )


def _bases_and_counts(kept: tuple[KeptRow, ...]) -> tuple[dict[str, dict[CellKey, int]],
                                                          dict[str, dict[CellKey, dict[str, int]]]]:
    bases: dict[str, dict[CellKey, int]] = defaultdict(dict)
    counts: dict[str, dict[CellKey, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for unit, question, row_key, value, n in kept:
        cell = group_cell(unit)
        if not value:
            bases[question][cell] = n
        elif n:
            counts[question][cell][option_key(row_key, value)] = n
    return bases, counts


SplitKey = tuple[int, tuple[str, ...]]
# A cross-tabulated count: (unit id, background answer, question, row, answer, respondents) and a
# question's base: (unit id, background answer, question, respondents).
CountedSplit = tuple[int, str, str, str, str, int]
BaseSplit = tuple[int, str, str, int]


@lru_cache(maxsize=8)
def _decide(threshold: int, groups: tuple[Group, ...], tree: tuple[tuple[str, str | None], ...],
            background: tuple[str, ...], counted: tuple[str, ...], kept: tuple[KeptRow, ...]
            ) -> tuple[Decision, dict[str, ProtectedCounts], dict[SplitKey, dict[str, ProtectedCounts]]]:
    """The decision over the union of groupings and each counted question's answers under it,
    and an empty place for the breakdowns decided in it (`breakdown_counts` fills it).
    Pure: the same inputs give the same release, so it is kept while they stay the same."""
    bases, counts = _bases_and_counts(kept)
    breakdowns = [Breakdown(question, {cell[1]: dict(per) for cell, per in counts[question].items()})
                  for question in background]
    decision = _decide_splits(groups, threshold, dict(tree), breakdowns)
    # A question's answers per unit, pool, roll-up and city; its split by the background
    # questions is decided with the breakdowns' answers (`breakdown_counts`), inside this release.
    hierarchy = build_layout(groups, threshold, tree=dict(tree), subtotals=True)
    on_hierarchy = Decision(threshold, hierarchy, {cell: decision.status[cell] for cell in hierarchy.cells},
                            {cell: decision.n[cell] for cell in hierarchy.cells})
    protected = {q: apply_to_counts(on_hierarchy, QuestionCounts(q, bases.get(q, {}), counts.get(q, {})))
                 for q in counted}
    return decision, protected, {}


# How many times the units whose own figures a unit split would cost are taken out of the
# splits before the release keeps the whole city's split only.
SPLIT_ATTEMPTS = 4


def _decide_splits(groups: tuple[Group, ...], threshold: int, tree: dict[str, str | None],
                   breakdowns: list[Breakdown]) -> Decision:
    """The respondents' decision with the splits by the background questions published for the
    whole city (the city pages) and, where that costs nothing the city's outputs show, for each
    unit, pool and roll-up (the unit reports): first decided with the city's split alone; then
    with every row's split, in the same layout; a row whose figures (or the city's split) the
    rows' splits would hide has its split left out, and it is decided again. Every decision is
    `protect`'s, on the whole layout: a split shown is safe against every other cell shown."""

    def decide(rows: set[CellKey] | None) -> Decision:
        layout = build_layout(groups, threshold, tree=tree, subtotals=True, breakdowns=breakdowns,
                              breakdown_rows=rows)
        return protect(layout, threshold)

    baseline = decide({TOTAL})
    if not breakdowns:
        return baseline
    kept = {cell for cell, status in baseline.status.items()
            if status == "shown" and (cell[0] != "by" or cell[3:] == TOTAL)}
    rows = set(baseline.layout.rows)
    for _attempt in range(SPLIT_ATTEMPTS):
        decision = decide(rows)
        lost = {cell for cell in kept if not decision.shown(cell)}
        if not lost:
            return decision
        # A lost row keeps no split of its own; where that is no help (or the city's split was
        # lost), the units keep none.
        fewer = rows - {cell for cell in lost if cell[0] != "by"}
        if fewer == rows:
            return baseline
        rows = fewer
    return baseline


def breakdown_counts(session: Session, found: Release, questions: list[str]) -> dict[str, ProtectedCounts]:
    """`questions`' answers split by every background question, decided in the release: each
    question's cells in one layout with the union's hidden cells and its own hidden cells
    inherited. Should the units' splits need to hide a cell the release shows, that question is
    split for the whole city only; should even that, its breakdown cells are all hidden.
    The cross-tabulations are read from the split counts kept per cell (one query), once per
    release, and the decided breakdowns kept with it (`Release.splits`)."""
    key = (found.round_id, tuple(questions))
    kept = found.splits.get(key)
    if kept is None:
        kept = found.splits[key] = _breakdown_counts(session, found, questions)
    return kept


def _splits(session: Session, found: Release, questions: list[str]
            ) -> tuple[dict[str, list[CountedSplit]], dict[str, list[BaseSplit]]]:
    """The cross-tabulations of `questions` by every background question, per background
    question: (unit id, background answer, question, row, answer, count) and (unit id,
    background answer, question, respondents). One read of the split counts kept per cell
    (`survey_split_counts`; the row with an empty value is the base), not of the answer rows."""
    kept = SurveySplitCount
    counted: dict[str, list[tuple[int, str, str, str, str, int]]] = defaultdict(list)
    bases: dict[str, list[tuple[int, str, str, int]]] = defaultdict(list)
    for asked, uid, value, question, row_key, option, n in session.execute(
        select(kept.by_question, kept.unit_id, kept.by_value, kept.question_key, kept.row_key, kept.value,
               kept.respondents)
        .where(kept.round_id == found.round_id, kept.by_question.in_(found.background),
               kept.question_key.in_(questions))
    ).tuples():
        if option:
            counted[asked].append((uid, value, question, row_key, option, n))
        else:
            bases[asked].append((uid, value, question, n))
    return counted, bases


def _breakdown_counts(session: Session, found: Release, questions: list[str]) -> dict[str, ProtectedCounts]:
    decision = found.decision
    keys = {uid: key for key, uid in found.unit_ids.items()}
    own = {q: found.counts(q) for q in questions}
    atom_base: dict[str, dict[CellKey, int]] = {q: {} for q in questions}
    atom_counts: dict[str, dict[CellKey, dict[str, int]]] = {q: defaultdict(dict) for q in questions}
    for unit, question, row_key, value, n in found.kept:
        if question not in own:
            continue
        if not value:
            atom_base[question][group_cell(unit)] = n
        elif n:
            atom_counts[question][group_cell(unit)][option_key(row_key, value)] = n
    counted, bases = _splits(session, found, questions)
    for asked in found.background:
        for uid, value, question, row_key, option, n in counted.get(asked, ()):
            atom = breakdown_cell(asked, value, group_cell(keys[uid]))
            atom_counts[question][atom][option_key(row_key, option)] = n
        answered: dict[tuple[str, str], int] = defaultdict(int)
        for uid, value, question, n in bases.get(asked, ()):
            atom_base[question][breakdown_cell(asked, value, group_cell(keys[uid]))] = n
            answered[(question, keys[uid])] += n
        for question in questions:
            for cell in [c for c in atom_base[question] if c[0] == "group"]:
                # The unit's answers without a background answer: the rest of its base (never
                # below 0, should the two kept tables disagree: `survey recount` finds that).
                atom_base[question][("by-none", asked, *cell)] = max(
                    0, atom_base[question][cell] - answered.get((question, cell[1]), 0))
    result: dict[str, ProtectedCounts] = {}
    for question in questions:
        released = own[question]
        assert released is not None
        inherited: dict[CellKey, Status] = {c: s for c, s in released.status.items() if s != "shown"}
        question_counts = QuestionCounts(question, atom_base[question], atom_counts[question])
        split_counts = apply_to_counts(decision, question_counts, hidden=inherited)
        if any(cell not in split_counts.cells for cell in released.cells):
            # The units' splits of this question cost a cell the release shows: the city's alone.
            units_split: dict[CellKey, Status] = {cell: "complementary" for cell in decision.layout.cells
                                                  if cell[0] == "by" and cell[3:] != TOTAL}
            split_counts = apply_to_counts(decision, question_counts, hidden={**units_split, **inherited})
        if any(cell not in split_counts.cells for cell in released.cells):
            hidden_split: dict[CellKey, Status] = {cell: "complementary" for cell in decision.layout.cells}
            split_counts = ProtectedCounts(question, {**hidden_split, **released.status}, dict(released.cells))
        result[question] = split_counts
    return result
