"""A unit's risk register across rounds: carrying last year's risks forward, the year-over-year
comparison, and the statement a register without risks is submitted with.

Carry-forward takes the unit's latest earlier *submitted* register only (a draft is nobody's
word yet). The editor chooses which risks and which open measures to bring. A carried risk is
last year's entry minus what belonged to last year: finished measures, every follow-up
(any field whose name starts with ``follow_up``, on the risk or on a measure) and the board's
decision on last year's internal control plan (its reference and date; the risk stays in the
plan with its control and owner until the board decides this year's). Who influences is kept
as far as this year's template still has the options. Everything else
is copied as stored, so fields a newer template adds to risks or measures carry without a
change here. The risk gets a ``carried_from`` link (round key and name, the earlier risk's key)
that the history shows as "carried from <round>" and the year-over-year view matches on.

Scales: when both of the current template's scales have the same option values as last year's,
the rating is kept. Otherwise the texts are brought and likelihood and consequence are left
unset, marked "needs a new rating": mapping by position (a 5 on five levels becoming a 4 on
four) would put a number on the register that nobody chose, and the submit check already
requires every risk to be rated. Forms of influence the current template lacks are left out,
as is a catalogue link (by `risks.check_register`).

Year over year compares a register with the unit's latest earlier submitted register: a risk
is the same risk when it was carried from it, else when it has the same key, the same catalogue
item or the same activity (title, case and spacing ignored). Levels are compared by their
position in their own template's bands (low < medium < high ...), since values on different
scales are not comparable.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.definitions.schema import RiskLevel, RiskTemplate
from app.models import (
    Round,
    RoundUnit,
    Unit,
    UnitResponse,
    User,
)
from app.questions.answers import AnswerError, Answers
from app.services import Problem, ServiceError, history
from app.services import risks as service
from app.services.risks import CARRIED_FROM, NO_RISKS_KEY, RISK_PREFIX, Risk
from app.services.submissions import NotFound, Outcome, ResponseTarget, get_response, save, submit
from app.sorting import name_key

FOLLOW_UP_PREFIX = "follow_up"
# The board decides its internal control plan every year: a carried risk keeps whether it is in
# the plan, its control and owner, but not last year's decision reference and date.
LAST_YEARS_DECISION = ("plan_decision", "plan_decided_on")
DONE = "done"
KINDS: tuple[str, ...] = ("new", "gone", "up", "down", "same", "unrated")
KIND_LABELS = {"new": _l("Nya"), "gone": _l("Borttagna"), "up": _l("Högre nivå"), "down": _l("Lägre nivå"),
               "same": _l("Oförändrad nivå"), "unrated": _l("Ej bedömda")}


# --- the statement of a register without risks ------------------------------------------------

def check_no_risks_statement(answers: Mapping[str, Any], clean: Answers, partial: bool,
                             errors: list[AnswerError]) -> None:
    """Part of `risks.check_register`: a register without risks is submitted only with a written
    statement of why no risk applies. The statement is kept only while the register has no risks."""
    raw = answers.get(NO_RISKS_KEY)
    if raw is not None and not isinstance(raw, str):
        errors.append(AnswerError(NO_RISKS_KEY, NO_RISKS_KEY, _l("motiveringen kunde inte läsas")))
        return
    # A browser sends a textarea's line breaks as CRLF but counts them as one character against
    # its maxlength: count (and keep) them as one here too.
    text = (raw or "").replace("\r\n", "\n").strip()
    if len(text) > service.MAX_TEXT:
        errors.append(AnswerError(NO_RISKS_KEY, NO_RISKS_KEY,
                                  _l("texten är längre än %(n)d tecken", n=service.MAX_TEXT), "too_long"))
        return
    if any(key.startswith(RISK_PREFIX) for key in answers):
        return
    if text:
        clean[NO_RISKS_KEY] = text
    elif not partial:
        errors.append(AnswerError(NO_RISKS_KEY, NO_RISKS_KEY, _l(
            "registret har inga risker: skriv varför ingen risk för otillåten påverkan bedöms finnas"),
            "required"))


def no_risks_statement(answers: Mapping[str, Any] | None) -> str:
    value = (answers or {}).get(NO_RISKS_KEY)
    return value if isinstance(value, str) else ""


def submit_register(session: Session, target: ResponseTarget, base_version: int, user: User,
                    statement: str = "") -> Outcome:
    """Submit the register; `statement` (why no risk applies) is required when it has no risks."""
    answers = service.current_answers(session, target)
    if statement.strip():
        answers[NO_RISKS_KEY] = statement
    return submit(session, target, answers, base_version, user, check=service.check_register)


# --- the carried-from link ----------------------------------------------------------------------

def carried_link(data: Any) -> dict[str, Any] | None:
    """The stored `carried_from` of a risk entry, cleaned (None when absent or unreadable)."""
    link = data.get(CARRIED_FROM) if isinstance(data, dict) else None
    if not isinstance(link, dict) or not isinstance(link.get("round"), str) or not isinstance(link.get("risk"), str):
        return None
    return {"round": link["round"][:100], "round_name": str(link.get("round_name") or link["round"])[:200],
            "risk": link["risk"][:40], "rerate": bool(link.get("rerate"))}


def needs_rating(data: Mapping[str, Any] | None) -> bool:
    """Carried from a round with other scales and not rated on this round's scales yet."""
    link = carried_link(data)
    return bool(link and link["rerate"] and not ((data or {}).get("likelihood") and (data or {}).get("consequence")))


def needing_rating(answers: Mapping[str, Any] | None) -> set[str]:
    return {key for key, data in (answers or {}).items()
            if key.startswith(RISK_PREFIX) and isinstance(data, dict) and needs_rating(data)}


# --- the previous submitted register ------------------------------------------------------------

@dataclass(frozen=True)
class PreviousRegister:
    """The unit's latest submitted register in an earlier round."""

    round: Round
    response: UnitResponse
    template: RiskTemplate

    @property
    def answers(self) -> dict[str, Any]:
        return dict(self.response.answers or {})

    @property
    def risks(self) -> list[Risk]:
        return service.sorted_register(self.template, service.risks_of(self.answers))


def _earlier_submitted(session: Session, round_: Round, unit_ids: Iterable[int]) -> dict[int, PreviousRegister]:
    """Per unit id: its latest submitted register in a round before `round_` (`app.services.history`)."""
    rows = history.previous_answers(session, round_, unit_ids, kind="risk_template",
                                    options=[selectinload(UnitResponse.questionnaire_version)])
    found: dict[int, PreviousRegister] = {}
    for unit_id, (earlier, response) in rows.items():
        template = response.questionnaire_version.parsed().risk
        if template is not None:
            found[unit_id] = PreviousRegister(earlier, response, template)
    return found


def previous_submitted(session: Session, round_: Round, unit: Unit) -> PreviousRegister | None:
    return _earlier_submitted(session, round_, [unit.id]).get(unit.id)


# --- carry-forward ------------------------------------------------------------------------------

def same_scales(old: RiskTemplate, new: RiskTemplate) -> bool:
    """Both scales have the same option values in the same order: a rating means the same."""
    return ([o.value for o in old.likelihood.options] == [o.value for o in new.likelihood.options]
            and [o.value for o in old.consequence.options] == [o.value for o in new.consequence.options])


@dataclass(frozen=True)
class CarryOption:
    """One risk of last year's register as offered: its open measures (by their index in the
    stored list) and how many finished measures stay behind."""

    risk: Risk
    open_measures: tuple[tuple[int, service.Measure], ...]
    finished: int
    already_here: bool


@dataclass(frozen=True)
class CarryOffer:
    previous: PreviousRegister
    options: tuple[CarryOption, ...]
    keeps_ratings: bool
    lost_forms: tuple[str, ...] = field(default=())  # forms of influence the current template lacks

    @property
    def offered(self) -> list[CarryOption]:
        return [o for o in self.options if not o.already_here]

    def lost_form_labels(self, language: str) -> list[str]:
        """The forms of influence left behind, by their labels in last year's template (its order)."""
        known = {f.key: f.label.get(language) for f in self.previous.template.forms}
        return ([label for key, label in known.items() if key in self.lost_forms]
                + [key for key in self.lost_forms if key not in known])


def _carried_here(current: Mapping[str, Any], previous: PreviousRegister) -> set[str]:
    """Keys of last year's risks that are already in this register (carried, or the same key)."""
    here = set()
    for key, data in current.items():
        if not key.startswith(RISK_PREFIX):
            continue
        link = carried_link(data)
        if link is not None and link["round"] == previous.round.key:
            here.add(link["risk"])
        else:
            here.add(key)
    return here


def left_to_carry(answers: Mapping[str, Any], previous: PreviousRegister) -> int:
    """How many of the previous register's risks are not in `answers` yet."""
    here = _carried_here(answers, previous)
    return sum(item.key not in here for item in previous.risks)


def carry_offer(session: Session, target: ResponseTarget) -> CarryOffer:
    """What can be carried into `target` from the unit's previous submitted register."""
    previous = previous_submitted(session, target.round, target.unit)
    if previous is None:
        raise NotFound(Problem(_l("enheten har inget tidigare inskickat riskregister"), "round"))
    template = service.template_of(target)
    here = _carried_here(service.current_answers(session, target), previous)
    options = tuple(
        CarryOption(item, tuple((i, m) for i, m in enumerate(item.measures) if m.status != DONE),
                    sum(m.status == DONE for m in item.measures), item.key in here)
        for item in previous.risks)
    current_forms = {f.key for f in template.forms}
    lost = tuple(sorted({f for o in options for f in o.risk.forms if f not in current_forms}))
    return CarryOffer(previous, options, same_scales(previous.template, template), lost)


def _keep_known_influence(entry: dict[str, Any], template: RiskTemplate) -> None:
    """Who influences and how, as far as this year's template still asks it: an option the
    template dropped is left out (like a form of influence), never a reason to refuse the carry."""
    kinds = {o.value for o in template.influencer_kind.options} if template.influencer_kind else set()
    if entry.get("influencer_kind") not in kinds:
        entry.pop("influencer_kind", None)
    influencers = {o.value for o in template.influencer.options} if template.influencer else set()
    entry["influencers"] = [v for v in entry.get("influencers") or [] if v in influencers]
    if not entry["influencers"]:
        entry.pop("influencer_other", None)


def _without_follow_up(data: Mapping[str, Any]) -> dict[str, Any]:
    return {name: copy.deepcopy(value) for name, value in data.items() if not name.startswith(FOLLOW_UP_PREFIX)}


def carried_entry(offer: CarryOffer, template: RiskTemplate, key: str,
                  measure_indexes: Iterable[int]) -> dict[str, Any]:
    """Last year's stored risk `key` as an entry of this year's register."""
    stored = offer.previous.answers[key]
    entry = _without_follow_up(stored)
    entry.pop(CARRIED_FROM, None)
    wanted = set(measure_indexes)
    entry["measures"] = [_without_follow_up(m) for i, m in enumerate(stored.get("measures") or [])
                         if i in wanted and isinstance(m, dict) and (m.get("status") or "planned") != DONE]
    forms = {f.key for f in template.forms}
    entry["forms"] = [f for f in stored.get("forms") or [] if f in forms]
    _keep_known_influence(entry, template)
    for name in LAST_YEARS_DECISION:
        entry.pop(name, None)
    if not offer.keeps_ratings:
        entry["likelihood"] = entry["consequence"] = None
    entry[CARRIED_FROM] = {"round": offer.previous.round.key, "round_name": offer.previous.round.name,
                           "risk": key, "rerate": not offer.keeps_ratings}
    return entry


def carry_forward(session: Session, target: ResponseTarget, base_version: int, user: User,
                  chosen: Mapping[str, Iterable[int]]) -> int:
    """Bring the chosen risks of the previous submitted register (each with the chosen open
    measures, by index) into this round's draft, in one save. Returns the number carried."""
    offer = carry_offer(session, target)
    template = service.template_of(target)
    offered = {o.risk.key for o in offer.offered}
    picked = [o.risk.key for o in offer.options if o.risk.key in chosen]
    if not picked:
        raise ServiceError(Problem(_l("välj minst en risk att föra vidare"), "risk"))
    if any(key not in offered for key in picked):
        raise ServiceError(Problem(_l("en vald risk finns redan i registret eller finns inte förra året"), "risk"))
    answers = service.current_answers(session, target)
    for key in picked:
        new_key = key if key not in answers else service.new_risk_key()
        answers[new_key] = carried_entry(offer, template, key, chosen[key])
    save(session, target, answers, base_version, user, check=service.check_register)
    return len(picked)


# --- history ------------------------------------------------------------------------------------

def carried_in(changes: Mapping[str, Any]) -> dict[str, str]:
    """Per risk key added by a history event's changes: the round name it was carried from."""
    found = {}
    for key, pair in changes.items():
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            continue
        old, new = pair
        link = carried_link(new)
        if not old and link is not None:
            found[key] = link["round_name"]
    return found


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
               for item in service.sorted_register(template, service.risks_of(dict(answers or {})))]
    if previous is None:
        return [RiskDelta("new", item, None, service.level_of(template, item), None) for item, _link in current]
    pairs, gone = _match(current, previous)
    deltas = []
    for item, earlier in pairs:
        now = service.level_of(template, item)
        if earlier is None:
            deltas.append(RiskDelta("new", item, None, now, None))
            continue
        before = service.level_of(previous.template, earlier)
        rank_now, rank_before = _rank(template, now), _rank(previous.template, before)
        if rank_now is None or rank_before is None:
            kind = "unrated"
        else:
            kind = "up" if rank_now > rank_before else "down" if rank_now < rank_before else "same"
        deltas.append(RiskDelta(kind, item, earlier, now, before))
    deltas += [RiskDelta("gone", None, r, None, service.level_of(previous.template, r)) for r in gone]
    order = {kind: i for i, kind in enumerate(KINDS)}
    return sorted(deltas, key=lambda d: order[d.kind])


def unit_year(session: Session, target: ResponseTarget) -> UnitYear:
    """The unit's register as it stands (whatever its status) against its previous submitted one."""
    response = get_response(session, target)
    answers = dict(response.answers or {}) if response is not None else {}
    previous = previous_submitted(session, target.round, target.unit)
    return UnitYear(target.unit, response.status if response is not None else "not_started",
                    no_risks_statement(answers), previous, compare(service.template_of(target), answers, previous),
                    len(service.risks_of(answers)))


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
    version, template = service.risk_version(round_)
    rows = session.execute(
        select(Unit, UnitResponse)
        .join(RoundUnit, RoundUnit.unit_id == Unit.id)
        .outerjoin(UnitResponse, (UnitResponse.unit_id == Unit.id) & (UnitResponse.round_id == round_.id)
                   & (UnitResponse.questionnaire_version_id == version.id))
        .where(RoundUnit.round_id == round_.id)
    ).all()
    rows = sorted(rows, key=lambda row: (name_key(row[0].name), row[0].key))
    earlier = _earlier_submitted(session, round_, [unit.id for unit, _r in rows])
    units = []
    for unit, response in rows:
        status = response.status if response is not None else "not_started"
        answers = dict(response.answers or {}) if response is not None and status == "submitted" else {}
        previous = earlier.get(unit.id)
        deltas = compare(template, answers, previous) if status == "submitted" else []
        units.append(UnitYear(unit, status, no_risks_statement(answers), previous, deltas,
                              len(service.risks_of(answers))))
    return CityYear(round_, units)
