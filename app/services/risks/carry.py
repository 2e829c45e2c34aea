"""Carrying last year's risks forward into a unit's register.

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
as is a catalogue link (by `risks.validation.check_register`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, selectinload

from app.definitions.schema import RiskTemplate
from app.models import Round, Unit, UnitResponse, User
from app.services import Problem, ServiceError, history
from app.services.risks.entries import carried_link
from app.services.risks.register import current_answers, template_of
from app.services.risks.validation import check_register
from app.services.risks.values import (
    CARRIED_FROM,
    RISK_PREFIX,
    Measure,
    Risk,
    new_risk_key,
    risks_of,
    sorted_register,
)
from app.services.submissions import NotFound, ResponseTarget, save

FOLLOW_UP_PREFIX = "follow_up"
# The board decides its internal control plan every year: a carried risk keeps whether it is in
# the plan, its control and owner, but not last year's decision reference and date.
LAST_YEARS_DECISION = ("plan_decision", "plan_decided_on")
DONE = "done"


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
        return sorted_register(self.template, risks_of(self.answers))


def earlier_submitted(session: Session, round_: Round, unit_ids: Iterable[int]) -> dict[int, PreviousRegister]:
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
    return earlier_submitted(session, round_, [unit.id]).get(unit.id)


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
    open_measures: tuple[tuple[int, Measure], ...]
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
    template = template_of(target)
    here = _carried_here(current_answers(session, target), previous)
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
    template = template_of(target)
    offered = {o.risk.key for o in offer.offered}
    picked = [o.risk.key for o in offer.options if o.risk.key in chosen]
    if not picked:
        raise ServiceError(Problem(_l("välj minst en risk att föra vidare"), "risk"))
    if any(key not in offered for key in picked):
        raise ServiceError(Problem(_l("en vald risk finns redan i registret eller finns inte förra året"), "risk"))
    answers = current_answers(session, target)
    for key in picked:
        new_key = key if key not in answers else new_risk_key()
        answers[new_key] = carried_entry(offer, template, key, chosen[key])
    save(session, target, answers, base_version, user, check=check_register)
    return len(picked)
