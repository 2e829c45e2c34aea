"""A unit's register year over year, and the city's: a register is compared with the unit's
latest earlier submitted register. A risk is the same risk when it was carried from it, else when
it has the same key, the same catalogue item or the same activity (title, case and spacing
ignored). Levels are compared by their position in their own template's bands (low < medium <
high ...), since values on different scales are not comparable.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.definitions.schema import RiskLevel, RiskTemplate
from app.models import Round, RoundUnit, Unit, UnitResponse
from app.services.risks.carry import PreviousRegister, earlier_submitted, previous_submitted
from app.services.risks.entries import carried_link, no_risks_statement
from app.services.risks.register import risk_version, template_of
from app.services.risks.values import (
    Risk,
    level_of,
    risks_of,
    sorted_register,
)
from app.services.submissions import ResponseTarget, get_response
from app.sorting import name_key

KINDS: tuple[str, ...] = ("new", "gone", "up", "down", "same", "unrated")
KIND_LABELS = {"new": _l("Nya"), "gone": _l("Borttagna"), "up": _l("Högre nivå"), "down": _l("Lägre nivå"),
               "same": _l("Oförändrad nivå"), "unrated": _l("Ej bedömda")}


# --- year over year -----------------------------------------------------------------------------

@dataclass(frozen=True)
class RiskDelta:
    kind: str  # one of KINDS
    current: Risk | None
    previous: Risk | None
    current_level: RiskLevel | None
    previous_level: RiskLevel | None


@dataclass
class UnitYear:
    """One unit's register compared with its previous submitted register."""

    unit: Unit
    status: str  # the current register's: submitted | draft | reopened | not_started
    no_risks: str
    previous: PreviousRegister | None
    deltas: list[RiskDelta]
    risk_count: int = 0  # the current register's risks (counted in submitted registers only on city pages)

    @property
    def counts(self) -> Counter[str]:
        return Counter(d.kind for d in self.deltas)

    @property
    def previous_no_risks(self) -> str:
        return no_risks_statement(self.previous.answers) if self.previous else ""


def _title(item: Risk) -> str:
    return " ".join(item.activity.split()).casefold()


def _match(current: list[tuple[Risk, dict[str, Any] | None]], previous: PreviousRegister
           ) -> tuple[list[tuple[Risk, Risk | None]], list[Risk]]:
    """Pairs (current risk, earlier risk or None) and the earlier risks left over."""
    left = {r.key: r for r in previous.risks}
    pairs: dict[str, Risk | None] = {item.key: None for item, _link in current}

    def take(item: Risk, found: Risk | None) -> None:
        if found is not None and pairs[item.key] is None and found.key in left:
            pairs[item.key] = left.pop(found.key)

    for item, link in current:
        if link is not None and link["round"] == previous.round.key:
            take(item, left.get(link["risk"]))
    for item, _link in current:
        take(item, left.get(item.key))
    for item, _link in current:
        if item.catalogue_key:
            take(item, next((r for r in left.values() if r.catalogue_key == item.catalogue_key), None))
    for item, _link in current:
        take(item, next((r for r in left.values() if _title(r) == _title(item)), None))
    return [(item, pairs[item.key]) for item, _link in current], list(left.values())


def _rank(template: RiskTemplate, level: RiskLevel | None) -> int | None:
    return None if level is None else [lv.key for lv in template.levels].index(level.key)


def compare(template: RiskTemplate, answers: Mapping[str, Any], previous: PreviousRegister | None) -> list[RiskDelta]:
    """Every risk of `answers` and of the previous register, classified."""
    current = [(item, carried_link((answers or {}).get(item.key)))
               for item in sorted_register(template, risks_of(dict(answers or {})))]
    if previous is None:
        return [RiskDelta("new", item, None, level_of(template, item), None) for item, _link in current]
    pairs, gone = _match(current, previous)
    deltas = []
    for item, earlier in pairs:
        now = level_of(template, item)
        if earlier is None:
            deltas.append(RiskDelta("new", item, None, now, None))
            continue
        before = level_of(previous.template, earlier)
        rank_now, rank_before = _rank(template, now), _rank(previous.template, before)
        if rank_now is None or rank_before is None:
            kind = "unrated"
        else:
            kind = "up" if rank_now > rank_before else "down" if rank_now < rank_before else "same"
        deltas.append(RiskDelta(kind, item, earlier, now, before))
    deltas += [RiskDelta("gone", None, r, None, level_of(previous.template, r)) for r in gone]
    order = {kind: i for i, kind in enumerate(KINDS)}
    return sorted(deltas, key=lambda d: order[d.kind])


def unit_year(session: Session, target: ResponseTarget) -> UnitYear:
    """The unit's register as it stands (whatever its status) against its previous submitted one."""
    response = get_response(session, target)
    answers = dict(response.answers or {}) if response is not None else {}
    previous = previous_submitted(session, target.round, target.unit)
    return UnitYear(target.unit, response.status if response is not None else "not_started",
                    no_risks_statement(answers), previous, compare(template_of(target), answers, previous),
                    len(risks_of(answers)))


@dataclass
class CityYear:
    round: Round
    units: list[UnitYear]

    @property
    def compared(self) -> list[UnitYear]:
        """Units counted in the totals: a submitted register now and one earlier."""
        return [u for u in self.units if u.status == "submitted" and u.previous is not None]

    @property
    def totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for u in self.compared:
            total.update(u.counts)
        return total


def city_year(session: Session, round_: Round) -> CityYear:
    """Every invited unit: its submitted register in `round_` against its previous submitted one
    (units without a submitted register now are listed, not counted)."""
    version, template = risk_version(round_)
    rows = session.execute(
        select(Unit, UnitResponse)
        .join(RoundUnit, RoundUnit.unit_id == Unit.id)
        .outerjoin(UnitResponse, (UnitResponse.unit_id == Unit.id) & (UnitResponse.round_id == round_.id)
                   & (UnitResponse.questionnaire_version_id == version.id))
        .where(RoundUnit.round_id == round_.id)
    ).all()
    rows = sorted(rows, key=lambda row: (name_key(row[0].name), row[0].key))
    earlier = earlier_submitted(session, round_, [unit.id for unit, _r in rows])
    units = []
    for unit, response in rows:
        status = response.status if response is not None else "not_started"
        answers = dict(response.answers or {}) if response is not None and status == "submitted" else {}
        previous = earlier.get(unit.id)
        deltas = compare(template, answers, previous) if status == "submitted" else []
        units.append(UnitYear(unit, status, no_risks_statement(answers), previous, deltas,
                              len(risks_of(answers))))
    return CityYear(round_, units)
