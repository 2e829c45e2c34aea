"""The submission workflow's check of a register (`check_register`): every entry a valid risk,
and a submitted register complete."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from app.definitions.schema import Definition, RiskTemplate
from app.questions.answers import AnswerError, Answers, Validated
from app.services.risks.entries import carried_link, check_no_risks_statement
from app.services.risks.values import (
    CARRIED_FROM,
    MAX_FOLLOW_UPS,
    MAX_MEASURES,
    MAX_SHORT,
    MAX_TEXT,
    MEASURE_STATUSES,
    NO_RISKS_KEY,
    RISK_PREFIX,
    FollowUp,
    Measure,
    Risk,
    as_date,
    risk_to_answer,
)

# --- validation --------------------------------------------------------------------------------

def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def _check_risk(template: RiskTemplate, key: str, data: Any, partial: bool,
                errors: list[AnswerError]) -> dict[str, Any] | None:
    def error(part: str, message: object, code: str = "invalid") -> None:
        errors.append(AnswerError(key, f"{key}-{part}", message, code))

    if not isinstance(data, dict):
        error("activity", _l("risken kunde inte läsas"))
        return None
    activity = _text(data, "activity")
    if not activity:
        error("activity", _l("ange verksamhet eller arbetsmoment"), "required")
    for name, limit in (("activity", MAX_SHORT), ("description", MAX_TEXT), ("controls", MAX_TEXT),
                        ("follow_up", MAX_TEXT)):
        if len(_text(data, name)) > limit:
            error(name, _l("texten är längre än %(n)d tecken", n=limit), "too_long")
    form_keys = {f.key for f in template.forms}
    forms = data.get("forms") or []
    if not isinstance(forms, list) or any(f not in form_keys for f in forms):
        error("forms", _l("okänd form av påverkan"), "not_allowed")
        forms = [f for f in forms if f in form_keys] if isinstance(forms, list) else []
    elif not forms and not partial:
        error("forms", _l("välj minst en form av påverkan"), "required")
    scales = {"likelihood": template.likelihood, "consequence": template.consequence}
    rated: dict[str, str | None] = {}
    for name, scale in scales.items():
        value = data.get(name) or None
        if value is not None and value not in {o.value for o in scale.options}:
            error(name, _l("värdet finns inte på skalan"), "not_allowed")
            value = None
        elif value is None and not partial:
            error(name, _l("välj ett värde på skalan"), "required")
        rated[name] = value
    measures = []
    raw_measures = data.get("measures") or []
    if not isinstance(raw_measures, list) or len(raw_measures) > MAX_MEASURES:
        error("measures", _l("högst %(n)d åtgärder per risk", n=MAX_MEASURES))
        raw_measures = []
    for index, raw in enumerate(raw_measures):
        if not isinstance(raw, dict):
            continue
        action, owner = _text(raw, "action"), _text(raw, "owner")
        due = as_date(raw.get("due_on"))
        status = raw.get("status") or "planned"
        if not action:
            error(f"measure-{index}-action", _l("beskriv åtgärden"), "required")
        if len(action) > MAX_TEXT or len(owner) > MAX_SHORT:
            error(f"measure-{index}-action", _l("texten är för lång"), "too_long")
        if raw.get("due_on") and due is None:
            error(f"measure-{index}-due_on", _l("ange datumet som ÅÅÅÅ-MM-DD"))
        if status not in MEASURE_STATUSES:
            error(f"measure-{index}-status", _l("okänd status"), "not_allowed")
            status = "planned"
        if not partial and not owner:
            error(f"measure-{index}-owner", _l("ange vem som ansvarar för åtgärden"), "required")
        if not partial and due is None:
            error(f"measure-{index}-due_on", _l("ange när åtgärden ska vara klar"), "required")
        follow_ups = _check_follow_ups(raw.get("follow_ups"), f"measure-{index}", error)
        measures.append(Measure(action, owner, due, status, follow_ups))
    catalogue = data.get("catalogue_key") or None
    if catalogue is not None and catalogue not in {c.key for c in template.catalogue}:
        catalogue = None  # an item removed from a newer template: the risk stays the unit's own
    return risk_to_answer(Risk(
        key=key, activity=activity, forms=tuple(f for f in form_keys_in_order(template) if f in forms),
        description=_text(data, "description"), controls=_text(data, "controls"),
        likelihood=rated["likelihood"], consequence=rated["consequence"], measures=tuple(measures),
        follow_up=_text(data, "follow_up"), catalogue_key=catalogue,
        statement_key=(data.get("statement_key") or None) if isinstance(data.get("statement_key"), str) else None,
        **_check_influence(template, data, error), **_check_plan(template, data, partial, error),
    ))


def _check_influence(template: RiskTemplate, data: dict[str, Any], error: Any) -> dict[str, Any]:
    """Who influences and how, as far as the template asks it (a template without the question
    keeps nothing of it)."""
    found: dict[str, Any] = {}
    if template.influencer_kind is not None:
        kind = data.get("influencer_kind") or None
        if kind is not None and kind not in {o.value for o in template.influencer_kind.options}:
            error("influencer_kind", _l("välj planerad eller reaktiv påverkan bland alternativen"), "not_allowed")
            kind = None
        found["influencer_kind"] = kind
    if template.influencer is not None:
        options = template.influencer.options
        chosen = data.get("influencers") or []
        if not isinstance(chosen, list) or any(c not in {o.value for o in options} for c in chosen):
            error("influencers", _l("okänt alternativ för vem som påverkar"), "not_allowed")
            chosen = [c for c in chosen if c in {o.value for o in options}] if isinstance(chosen, list) else []
        other = _text(data, "influencer_other")
        if len(other) > MAX_SHORT:
            error("influencer_other", _l("texten är längre än %(n)d tecken", n=MAX_SHORT), "too_long")
        other_values = {o.value for o in options if o.other}
        if other and not other_values & set(chosen):
            other = ""  # the text belongs to the "other" option, which is not chosen
        elif not other and other_values & set(chosen):
            error("influencer_other", _l("skriv vem som påverkar när du väljer Annan"), "required")
        found["influencers"] = tuple(o.value for o in options if o.value in chosen)
        found["influencer_other"] = other
    return found


def _check_plan(template: RiskTemplate, data: dict[str, Any], partial: bool, error: Any) -> dict[str, Any]:
    """The internal control plan's entry: a risk in the plan needs its control once submitted."""
    if template.control_plan is None:
        return {}
    included = data.get("in_plan") in (True, "1", "yes", "on", "true")
    texts = {name: _text(data, name) for name in ("plan_control", "plan_owner", "plan_decision")}
    for name, limit in (("plan_control", MAX_TEXT), ("plan_owner", MAX_SHORT), ("plan_decision", MAX_SHORT)):
        if len(texts[name]) > limit:
            error(name, _l("texten är längre än %(n)d tecken", n=limit), "too_long")
    decided = as_date(data.get("plan_decided_on"))
    if data.get("plan_decided_on") and decided is None:
        error("plan_decided_on", _l("ange beslutsdatumet som ÅÅÅÅ-MM-DD"))
    if included and not partial and not texts["plan_control"]:
        error("plan_control", _l("beskriv kontrollmomentet för en risk som ingår i internkontrollplanen"),
              "required")
    return {"in_plan": included, "plan_decided_on": decided, **texts}


def _check_follow_ups(raw: Any, prefix: str, error: Any) -> tuple[FollowUp, ...]:
    """A measure's follow-ups: each with a date, who followed up and a comment; a new status is
    optional."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_FOLLOW_UPS:
        error(f"{prefix}-follow_ups", _l("högst %(n)d uppföljningar per åtgärd", n=MAX_FOLLOW_UPS))
        return ()
    entries = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            continue
        name = f"{prefix}-followup-{index}"
        on, by, comment = as_date(item.get("on")), _text(item, "by"), _text(item, "comment")
        status = item.get("status") or ""
        if on is None:
            error(f"{name}-on", _l("ange uppföljningens datum som ÅÅÅÅ-MM-DD")
                  if item.get("on") else _l("ange uppföljningens datum"), "required")
        if not by:
            error(f"{name}-by", _l("ange vem som följde upp åtgärden"), "required")
        if not comment:
            error(f"{name}-comment", _l("skriv vad uppföljningen visade"), "required")
        if len(comment) > MAX_TEXT or len(by) > MAX_SHORT:
            error(f"{name}-comment", _l("texten är för lång"), "too_long")
        if status and status not in MEASURE_STATUSES:
            error(f"{name}-status", _l("okänd status"), "not_allowed")
            status = ""
        entries.append(FollowUp(on, by, comment, status))
    return tuple(entries)


def form_keys_in_order(template: RiskTemplate) -> list[str]:
    return [f.key for f in template.forms]


def check_register(definition: Definition, answers: Answers, partial: bool) -> Validated:
    """The submission workflow's check for a register: every entry a valid risk; a submitted
    register also has every risk rated, every measure with an owner and a due date, and when it has
    no risks a statement of why none applies."""
    assert definition.risk is not None
    errors: list[AnswerError] = []
    clean: Answers = {}
    for key, data in answers.items():
        if key == NO_RISKS_KEY:
            continue
        if not key.startswith(RISK_PREFIX) or len(key) > 40:
            errors.append(AnswerError(key, key, _l("okänt fält"), "not_allowed"))
            continue
        checked = _check_risk(definition.risk, key, data, partial, errors)
        if checked is not None:
            link = carried_link(data)
            if link is not None:
                checked[CARRIED_FROM] = link
            clean[key] = checked
    check_no_risks_statement(answers, clean, partial, errors)
    return Validated(clean, errors)
