"""A risk register's values: a risk with its measures and follow-ups, its level on the template's
matrix, its form as a stored answers entry, and the labels the pages and exports show for it."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from app.definitions.schema import Option, RiskLevel, RiskTemplate
from app.questions.answers import Answers

RISK_PREFIX = "risk_"
MEASURE_STATUSES: tuple[str, ...] = ("planned", "in_progress", "done")
MEASURE_STATUS_LABELS = {"planned": _l("Planerad"), "in_progress": _l("Pågår"), "done": _l("Klar")}
MAX_TEXT = 5000
MAX_SHORT = 300
MAX_MEASURES = 20
MAX_FOLLOW_UPS = 30
# Answers entries that are not risks: why no risk applies (required to submit a register without
# risks), and on a risk where it was carried from (app.services.risks.entries).
NO_RISKS_KEY = "no_risks"
CARRIED_FROM = "carried_from"


# --- values ------------------------------------------------------------------------------

@dataclass(frozen=True)
class FollowUp:
    """One follow-up of a measure: when, by whom, what was found and (optionally) the status the
    measure had after it ("" when the follow-up did not change it)."""

    on: date | None
    by: str = ""
    comment: str = ""
    status: str = ""


@dataclass(frozen=True)
class Measure:
    """A measure decided against a risk, with who owns it, when it is due, where it stands and
    its follow-ups, oldest first."""

    action: str
    owner: str = ""
    due_on: date | None = None
    status: str = "planned"
    follow_ups: tuple[FollowUp, ...] = ()

    def is_overdue(self, today: date) -> bool:
        return self.due_on is not None and self.due_on < today and self.status != "done"


@dataclass(frozen=True)
class Risk:
    """One risk of the register. `likelihood` and `consequence` are option values of the
    template's scales (None in a draft that has not rated it yet)."""

    key: str
    activity: str
    forms: tuple[str, ...] = ()
    description: str = ""
    controls: str = ""
    likelihood: str | None = None
    consequence: str | None = None
    measures: tuple[Measure, ...] = ()
    follow_up: str = ""
    catalogue_key: str | None = None
    statement_key: str | None = None
    # Who influences and how (option values of the template's influencer_kind and influencer).
    influencer_kind: str | None = None
    influencers: tuple[str, ...] = ()
    influencer_other: str = ""
    # The board's internal control plan.
    in_plan: bool = False
    plan_control: str = ""
    plan_owner: str = ""
    plan_decision: str = ""
    plan_decided_on: date | None = None

    @property
    def value(self) -> int | None:
        """Likelihood × consequence (the scales' option values as numbers)."""
        if self.likelihood is None or self.consequence is None:
            return None
        return int(self.likelihood) * int(self.consequence)


@dataclass(frozen=True)
class RiskCell:
    likelihood: Option
    consequence: Option
    value: int
    level: RiskLevel
    count: int = 0


# --- levels and the matrix -----------------------------------------------------------------

def risk_level(risk: RiskTemplate, value: int) -> RiskLevel:
    """The first level whose band reaches `value` (likelihood × consequence)."""
    for level in risk.levels:
        if value <= level.max_value:
            return level
    return risk.levels[-1]


def level_of(template: RiskTemplate, item: Risk) -> RiskLevel | None:
    return risk_level(template, item.value) if item.value is not None else None


def risk_matrix(risk: RiskTemplate, risks: Iterable[Risk] = ()) -> list[list[RiskCell]]:
    """Rows from the most to the least likely, columns from the least to the worst consequence;
    each cell with its value, level and the number of `risks` in it."""
    counts = Counter((r.likelihood, r.consequence) for r in risks if r.value is not None)
    return [
        [RiskCell(likelihood, consequence, int(likelihood.value) * int(consequence.value),
                  risk_level(risk, int(likelihood.value) * int(consequence.value)),
                  counts[(likelihood.value, consequence.value)])
         for consequence in risk.consequence.options]
        for likelihood in reversed(risk.likelihood.options)
    ]


def sorted_register(template: RiskTemplate, risks: Iterable[Risk]) -> list[Risk]:
    """Highest risk value first; unrated risks last; then by activity."""
    return sorted(risks, key=lambda r: (-(r.value or 0), r.activity.casefold(), r.key))


# --- answers <-> risks ------------------------------------------------------------------------

def new_risk_key() -> str:
    return RISK_PREFIX + secrets.token_hex(4)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _follow_up_to_answer(entry: FollowUp) -> dict[str, Any]:
    return {"on": _iso(entry.on), "by": entry.by, "comment": entry.comment, "status": entry.status}


def _measure_to_answer(measure: Measure) -> dict[str, Any]:
    return {"action": measure.action, "owner": measure.owner, "due_on": _iso(measure.due_on),
            "status": measure.status, "follow_ups": [_follow_up_to_answer(f) for f in measure.follow_ups]}


def risk_to_answer(item: Risk) -> dict[str, Any]:
    return {
        "activity": item.activity, "forms": list(item.forms), "description": item.description,
        "controls": item.controls, "likelihood": item.likelihood, "consequence": item.consequence,
        "measures": [_measure_to_answer(m) for m in item.measures], "follow_up": item.follow_up,
        "catalogue_key": item.catalogue_key, "statement_key": item.statement_key,
        "influencer_kind": item.influencer_kind, "influencers": list(item.influencers),
        "influencer_other": item.influencer_other, "in_plan": item.in_plan,
        "plan_control": item.plan_control, "plan_owner": item.plan_owner,
        "plan_decision": item.plan_decision, "plan_decided_on": _iso(item.plan_decided_on),
    }


def as_date(value: object) -> date | None:
    """A stored date (a date or ISO text) as a date; None when empty or unreadable."""
    if isinstance(value, date):
        return value
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _follow_up_from_answer(data: dict[str, Any]) -> FollowUp:
    return FollowUp(as_date(data.get("on")), str(data.get("by") or ""), str(data.get("comment") or ""),
                    str(data.get("status") or ""))


def risk_from_answer(key: str, data: dict[str, Any]) -> Risk:
    """A stored (validated) entry as a Risk; entries stored before a field existed read as empty."""
    return Risk(
        key=key, activity=str(data.get("activity") or ""), forms=tuple(data.get("forms") or ()),
        description=str(data.get("description") or ""), controls=str(data.get("controls") or ""),
        likelihood=data.get("likelihood") or None, consequence=data.get("consequence") or None,
        measures=tuple(Measure(str(m.get("action") or ""), str(m.get("owner") or ""),
                               as_date(m.get("due_on")), str(m.get("status") or "planned"),
                               tuple(_follow_up_from_answer(f) for f in m.get("follow_ups") or ()
                                     if isinstance(f, dict)))
                       for m in data.get("measures") or ()),
        follow_up=str(data.get("follow_up") or ""), catalogue_key=data.get("catalogue_key") or None,
        statement_key=data.get("statement_key") or None,
        influencer_kind=data.get("influencer_kind") or None,
        influencers=tuple(data.get("influencers") or ()),
        influencer_other=str(data.get("influencer_other") or ""), in_plan=bool(data.get("in_plan")),
        plan_control=str(data.get("plan_control") or ""), plan_owner=str(data.get("plan_owner") or ""),
        plan_decision=str(data.get("plan_decision") or ""), plan_decided_on=as_date(data.get("plan_decided_on")),
    )


def risks_of(answers: Answers | None) -> list[Risk]:
    return [risk_from_answer(key, value) for key, value in (answers or {}).items()
            if key.startswith(RISK_PREFIX) and isinstance(value, dict)]


# --- values for the exports (app.reports.risk_export) ----------------------------------------

def with_measures(item: Risk, measures: Sequence[Measure]) -> Risk:
    return replace(item, measures=tuple(measures))


# --- labels of the influence and the internal control plan ---------------------------------------

def influencer_kind_label(template: RiskTemplate, item: Risk, language: str) -> str:
    """The label of the risk's planned/reactive answer ("" when not answered or not asked)."""
    if template.influencer_kind is None or item.influencer_kind is None:
        return ""
    for option in template.influencer_kind.options:
        if option.value == item.influencer_kind:
            return option.label.get(language)
    return item.influencer_kind


def influencers_label(template: RiskTemplate, item: Risk, language: str) -> str:
    """Who influences, as labels; the "other" option shows its text ("Annan: Granne")."""
    if template.influencer is None:
        return ""
    labels = []
    for option in template.influencer.options:
        if option.value in item.influencers:
            text = option.label.get(language)
            labels.append(f"{text}: {item.influencer_other}" if option.other and item.influencer_other else text)
    return ", ".join(labels)


def forms_label(template: RiskTemplate, item: Risk, language: str) -> str:
    labels = {f.key: f.label.get(language) for f in template.forms}
    return ", ".join(labels.get(key, key) for key in item.forms)


def plan_decision_text(item: Risk) -> str:
    """The board decision as one text: "KS 2026/114 §12, 2026-02-10"."""
    return ", ".join(part for part in (item.plan_decision, _iso(item.plan_decided_on) or "") if part)
