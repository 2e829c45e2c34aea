"""The risk pages' forms as posted: a risk with its measures and follow-ups, the carry-forward
choices, and the labels of a risk's fields (the history page and a refused carry name them)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from app.services.risks.carry import CarryOffer
from app.services.risks.values import MAX_FOLLOW_UPS, MAX_MEASURES, MEASURE_STATUSES

EMPTY_MEASURE_ROWS = 2


def risk_from_form(form: MultiDict, key: str) -> dict[str, Any]:
    """The posted risk form as a register entry (the service validates it)."""
    measures = []
    for index in range(MAX_MEASURES + EMPTY_MEASURE_ROWS):
        prefix = f"measure-{index}-"
        if f"{prefix}action" not in form:
            break
        values = {name: form.get(prefix + name, "").strip() for name in ("action", "owner", "due_on", "status")}
        follow_ups, new_status = follow_ups_from_form(form, prefix)
        if form.get(prefix + "remove") or not (any(values[n] for n in ("action", "owner", "due_on")) or follow_ups):
            continue
        measures.append({**values, "due_on": values["due_on"] or None, "follow_ups": follow_ups,
                         "status": new_status or values["status"]})
    return {
        "key": key, "activity": form.get("activity", ""), "forms": form.getlist("forms"),
        "description": form.get("description", ""), "controls": form.get("controls", ""),
        "likelihood": form.get("likelihood") or None, "consequence": form.get("consequence") or None,
        "measures": measures, "follow_up": form.get("follow_up", ""),
        "catalogue_key": form.get("catalogue_key") or None, "statement_key": form.get("statement_key") or None,
        **influence_and_plan_from_form(form),
    }


def follow_ups_from_form(form: MultiDict, prefix: str) -> tuple[list[dict[str, Any]], str]:
    """A measure's follow-up rows (blank rows left out) and the status a newly added follow-up
    gives the measure ("" when none does): the row marked `new` is the one the page left empty."""
    entries: list[dict[str, Any]] = []
    new_status = ""
    for index in range(MAX_FOLLOW_UPS + 1):
        name = f"{prefix}followup-{index}-"
        if f"{name}on" not in form:
            break
        values = {part: form.get(name + part, "").strip() for part in ("on", "by", "comment", "status")}
        if form.get(name + "remove") or not any(values[p] for p in ("on", "by", "comment")):
            continue
        is_new = bool(form.get(name + "new"))
        entries.append({**values, "on": values["on"] or None, **({"new": True} if is_new else {})})
        if is_new and values["status"] in MEASURE_STATUSES:
            new_status = values["status"]
    return entries, new_status


def influence_and_plan_from_form(form: MultiDict) -> dict[str, Any]:
    """Who influences and how, and the internal control plan's entry, as posted."""
    return {
        "influencer_kind": form.get("influencer_kind") or None, "influencers": form.getlist("influencers"),
        "influencer_other": form.get("influencer_other", ""), "in_plan": form.get("in_plan") == "1",
        "plan_control": form.get("plan_control", ""), "plan_owner": form.get("plan_owner", ""),
        "plan_decision": form.get("plan_decision", ""), "plan_decided_on": form.get("plan_decided_on") or None,
    }


def chosen_from_form(form: MultiDict) -> dict[str, list[int]]:
    """The carry-forward page's choices: {earlier risk key: [indexes of the chosen open measures]}."""
    chosen: dict[str, list[int]] = {}
    for key in form.getlist("risk"):
        indexes = []
        for value in form.getlist(f"measure-{key}"):
            try:
                indexes.append(int(value))
            except ValueError:
                continue
        chosen[key] = indexes
    return chosen


HISTORY_ACTIONS = {"save": _l("Sparade"), "submit": _l("Skickade in"), "reopen": _l("Öppnade igen")}
CHANGE_KINDS = {"added": _l("Ny risk"), "removed": _l("Borttagen"), "changed": _l("Ändrad")}
FIELD_LABELS = {
    "activity": _l("Verksamhet eller moment"), "forms": _l("Former av påverkan"), "description": _l("Beskrivning"),
    "controls": _l("Befintliga kontroller"), "likelihood": _l("Sannolikhet"), "consequence": _l("Konsekvens"),
    "measures": _l("Åtgärder"), "follow_up": _l("Uppföljning"), "catalogue_key": _l("Katalog"),
    "statement_key": _l("Påstående"), "carried_from": _l("Förd vidare från"),
    "influencer_kind": _l("Planerad eller reaktiv påverkan"),
    "influencers": _l("Vem påverkar"), "influencer_other": _l("Vem påverkar"),
    "in_plan": _l("Internkontrollplan"), "plan_control": _l("Kontrollmoment"),
    "plan_owner": _l("Ansvarig för kontrollen"), "plan_decision": _l("Nämndbeslut"),
    "plan_decided_on": _l("Beslutsdatum"), "measure_follow_ups": _l("Uppföljning av åtgärd"),
}


def carry_problem(offer: CarryOffer, error: Any) -> str:
    """A refused carry's problem in words: the risk by its activity, the field by its label
    ("Hembesök – Åtgärd 1: beskriv åtgärden"), not the form's internal names."""
    activities = {o.risk.key: o.risk.activity for o in offer.options}
    where = activities.get(error.question) or error.question
    part = error.field.removeprefix(f"{error.question}-") if error.field != error.question else ""
    pieces = part.split("-")
    if pieces[0] == "measure" and len(pieces) >= 3 and pieces[1].isdigit():
        label = _("Åtgärd %(n)d", n=int(pieces[1]) + 1)
        if pieces[2] == "followup" and len(pieces) >= 4 and pieces[3].isdigit():
            label += ", " + _("uppföljning %(n)d", n=int(pieces[3]) + 1)
    else:
        label = str(FIELD_LABELS.get(part, part))
    return f"{where} – {label}: {error.message}" if label else f"{where}: {error.message}"
