"""The risk register's exports: the city office's export of a round's registers (CSV, XLSX and
the CLI/BI export) and a unit's internal control plan (XLSX and CSV).

The register export holds every invited unit's register that has been started, whatever its
status, with a status column ("Inskickad" or "Utkast"); the city overview's figures count
submitted registers only, so filtering the export on "Inskickad" gives the overview's population.
A register submitted without risks is one row with the risk columns empty and the unit's statement
of why no risk applies ("ingen risk – motivering"), so "submitted, no risk" is not read as missing.
Texts are labels as the pages show them (forms of influence, who influences, statuses), and the
ratings and the risk value are numbers, so a spreadsheet can sort and sum them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.definitions.schema import RiskTemplate
from app.models import Round, Unit, UnitResponse
from app.services.risks.entries import no_risks_statement
from app.services.risks.register import risk_version, template_of
from app.services.risks.values import (
    MEASURE_STATUS_LABELS,
    Measure,
    Risk,
    forms_label,
    influencer_kind_label,
    influencers_label,
    level_of,
    risks_of,
    sorted_register,
)
from app.services.submissions import ResponseTarget, get_response
from app.sorting import name_key

REGISTER_STATUS = {"submitted": "Inskickad"}  # any other status (draft, reopened) is a draft
DRAFT = "Utkast"
YES, NO = "ja", "nej"

EXPORT_HEADER = ("enhet", "enhetsnamn", "status", "ingen risk – motivering", "risk", "verksamhet",
                 "former av påverkan", "planerad eller reaktiv", "vem påverkar", "beskrivning", "befintliga kontroller",
                 "sannolikhet", "konsekvens", "riskvärde", "risknivå", "katalog", "påstående",
                 "uppföljning", "internkontrollplan", "kontrollmoment", "ansvarig för kontrollen",
                 "nämndbeslut", "beslutsdatum", "åtgärd", "ansvarig", "klart senast", "åtgärdsstatus",
                 "försenad", "uppföljning av åtgärden")

PLAN_HEADER = ("risk", "beskrivning", "planerad eller reaktiv", "vem påverkar", "sannolikhet",
               "konsekvens", "riskvärde", "risknivå", "kontrollmoment", "ansvarig för kontrollen",
               "nämndbeslut", "beslutsdatum", "åtgärder", "registrets status")


def register_status(status: str) -> str:
    return REGISTER_STATUS.get(status, DRAFT)


def _number(value: str | None) -> int | str:
    return int(value) if value is not None else ""


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def follow_ups_text(measure: Measure) -> str:
    """A measure's follow-ups in one cell: "2026-03-01 Anna Berg: Rutinen används (ny status: Klar)"."""
    parts = []
    for entry in measure.follow_ups:
        status = MEASURE_STATUS_LABELS.get(entry.status) if entry.status else None
        parts.append(f"{_iso(entry.on)} {entry.by}: {entry.comment}"
                     + (f" ({_l('ny status')}: {status})" if status else ""))
    return "; ".join(parts)


def measures_text(measures: Sequence[Measure], today: date) -> str:
    """Every measure in one cell, each with owner, due date, status, an overdue mark and its
    follow-ups."""
    lines = []
    for m in measures:
        line = (f"{m.action} – {m.owner or _l('ansvarig saknas')}, {_iso(m.due_on) or '–'}, "
                f"{MEASURE_STATUS_LABELS.get(m.status, m.status)}")
        if m.is_overdue(today):
            line += f" ({_l('försenad')})"
        if m.follow_ups:
            line += f". {_l('Uppföljning')}: {follow_ups_text(m)}"
        lines.append(line)
    return "\n".join(lines)


def _rating(template: RiskTemplate, item: Risk, language: str) -> tuple[Any, ...]:
    level = level_of(template, item)
    return (_number(item.likelihood), _number(item.consequence),
            item.value if item.value is not None else "", level.label.get(language) if level else "")


def export_rows(session: Session, round_: Round, language: str, today: date | None = None) -> list[tuple[Any, ...]]:
    """One row per measure (a risk without measures gets one row), every invited unit's register
    that has been started whatever its status; the status column says which. A register submitted
    without risks gets one row with the risk columns empty and its statement of why no risk applies."""
    today = today or date.today()
    version, template = risk_version(round_)
    rows = session.execute(
        select(Unit, UnitResponse)
        .join(UnitResponse, UnitResponse.unit_id == Unit.id)
        .where(UnitResponse.round_id == round_.id, UnitResponse.questionnaire_version_id == version.id)
    ).all()
    rows = sorted(rows, key=lambda row: (name_key(row[0].name), row[0].key))
    out: list[tuple[Any, ...]] = []
    for unit, response in rows:
        risks = sorted_register(template, risks_of(response.answers))
        if not risks and response.status == "submitted":
            # Submitted with no risk: one row saying so and why, so the export tells it apart
            # from a unit that was not invited or has not submitted.
            out.append((unit.key, unit.name, register_status(response.status),
                        no_risks_statement(response.answers)) + ("",) * (len(EXPORT_HEADER) - 4))
            continue
        for item in risks:
            base = (unit.key, unit.name, register_status(response.status), "", item.key, item.activity,
                    forms_label(template, item, language),
                    influencer_kind_label(template, item, language),
                    influencers_label(template, item, language), item.description, item.controls,
                    *_rating(template, item, language), item.catalogue_key or "", item.statement_key or "",
                    item.follow_up, YES if item.in_plan else NO, item.plan_control, item.plan_owner,
                    item.plan_decision, _iso(item.plan_decided_on))
            for measure in item.measures or (None,):
                out.append(base + ((measure.action, measure.owner, _iso(measure.due_on),
                                    str(MEASURE_STATUS_LABELS.get(measure.status, measure.status)),
                                    YES if measure.is_overdue(today) else NO, follow_ups_text(measure))
                                   if measure else ("", "", "", "", "", "")))
    return out


def plan_rows(session: Session, target: ResponseTarget, language: str,
              today: date | None = None) -> list[tuple[Any, ...]]:
    """The unit's internal control plan: one row per risk the register puts in the plan, the
    highest risk first, with its assessment, control, owner, board decision and measures."""
    today = today or date.today()
    template = template_of(target)
    response = get_response(session, target)
    status = register_status(response.status) if response is not None else DRAFT
    risks = sorted_register(template, risks_of(response.answers if response else {}))
    return [(item.activity, item.description, influencer_kind_label(template, item, language),
             influencers_label(template, item, language), *_rating(template, item, language),
             item.plan_control, item.plan_owner, item.plan_decision, _iso(item.plan_decided_on),
             measures_text(item.measures, today), status)
            for item in risks if item.in_plan]
