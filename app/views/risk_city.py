"""The risk register pages that read across saves, years and units: a register's history and
year over year, the city office's overview, year over year and exports, and a unit's internal
control plan. Its routes belong to the `risks` blueprint (app.views.risks)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, render_template

from app.extensions import db
from app.i18n import current_language
from app.models import Round
from app.policy import Permission
from app.reports import risk_export, tabular
from app.reports.heat_grid import heat_grid
from app.reports.risk_report import matrix_grid
from app.security import requires
from app.services.risks.changes import risk_changes
from app.services.risks.city import city_overview
from app.services.risks.entries import carried_in
from app.services.risks.register import template_of
from app.services.risks.values import MEASURE_STATUS_LABELS, NO_RISKS_KEY, RISK_PREFIX
from app.services.risks.years import KIND_LABELS, KINDS, city_year, unit_year
from app.services.rounds import get_round
from app.services.submissions import ResponseTarget, get_response, history
from app.views.downloads import csv_download, download
from app.views.risk_form import CHANGE_KINDS, FIELD_LABELS, HISTORY_ACTIONS
from app.views.risks import bp, unit_register


@bp.route("/<round_key>/<unit_key>/historik")
@requires(Permission.READ_HISTORY)
def history_page(round_key: str, unit_key: str):
    """Every save, submission and reopening of the register, read per risk."""
    target = unit_register(round_key, unit_key)
    response = get_response(db.session, target)
    events = [(event, risk_changes({k: v for k, v in (event.changes or {}).items()
                                            if k.startswith(RISK_PREFIX)}),
               carried_in(event.changes or {}), (event.changes or {}).get(NO_RISKS_KEY))
              for event in reversed(history(db.session, response))]
    return render_template("risks/history.html", target=target, response=response, events=events,
                           actions=HISTORY_ACTIONS, kinds=CHANGE_KINDS, fields=FIELD_LABELS)


@bp.route("/<round_key>/<unit_key>/jamforelse")
@requires(Permission.READ_UNITS)
def year_over_year(round_key: str, unit_key: str):
    """The unit's risks now against its previous submitted register: new, gone, higher, lower."""
    target = unit_register(round_key, unit_key)
    language = current_language()
    compared = unit_year(db.session, target)
    return render_template("risks/year.html", target=target, year=compared, language=language,
                           kinds=KINDS, kind_labels=KIND_LABELS)


@bp.route("/<round_key>/jamforelse")
@requires(Permission.READ_CITY)
def city_year_over_year(round_key: str):
    """Per unit and in total: the risks of submitted registers against each unit's previous one."""
    round_ = get_round(db.session, round_key, "risk_template")
    return render_template("risks/city_year.html", round=round_, city=city_year(db.session, round_),
                           kinds=KINDS, kind_labels=KIND_LABELS)


# --- the city office ---------------------------------------------------------------------------

@bp.route("/<round_key>")
@requires(Permission.READ_CITY)
def city(round_key: str):
    round_ = get_round(db.session, round_key, "risk_template")
    language = current_language()
    overview = city_overview(db.session, round_, language, date.today())
    grid = matrix_grid(overview.template, None, language, cells=overview.matrix)
    registers = city_year(db.session, round_).units
    return render_template(
        "risks/city.html", overview=overview, round=round_, language=language, grid=grid,
        chart=heat_grid(grid),
        no_risk_units=[u for u in registers if u.status == "submitted" and u.risk_count == 0],
        not_submitted=[u for u in registers if u.status != "submitted"],
        form_labels={f.key: f.label.get(language) for f in overview.template.forms},
        status_labels=MEASURE_STATUS_LABELS,
        plan=overview.plan,
    )


def _audited(round_: Round, rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    """What the audit record of a register export holds besides who and the format."""
    return {"what": "risks", "round_key": round_.key, "target": round_.key, "rows": len(rows)}


@bp.route("/<round_key>/export/riskregister.csv")
@requires(Permission.READ_CITY)
def export_csv(round_key: str):
    round_ = get_round(db.session, round_key, "risk_template")
    rows = risk_export.export_rows(db.session, round_, current_language())
    return csv_download(f"riskregister-{round_.key}.csv", risk_export.EXPORT_HEADER, rows, **_audited(round_, rows))


@bp.route("/<round_key>/export/riskregister.xlsx")
@requires(Permission.READ_CITY)
def export_xlsx(round_key: str):
    round_ = get_round(db.session, round_key, "risk_template")
    rows = risk_export.export_rows(db.session, round_, current_language())
    return download(tabular.xlsx_bytes([("Riskregister", risk_export.EXPORT_HEADER, rows)]),
                    f"riskregister-{round_.key}.xlsx", **_audited(round_, rows))


# --- a unit's internal control plan -------------------------------------------------------------

def _plan(round_key: str, unit_key: str) -> tuple[ResponseTarget, list[tuple[Any, ...]], dict[str, Any]]:
    """The unit's internal control plan rows and what its download's audit record holds; 404 when
    the round's template does not ask about the plan."""
    target = unit_register(round_key, unit_key)
    if template_of(target).control_plan is None:
        abort(404)
    rows = risk_export.plan_rows(db.session, target, current_language(), date.today())
    return target, rows, {"what": "risk_plan", "round_key": round_key, "unit_key": unit_key, "rows": len(rows)}


@bp.route("/<round_key>/<unit_key>/internkontrollplan.xlsx")
@requires(Permission.READ_UNITS)
def plan_xlsx(round_key: str, unit_key: str):
    target, rows, about = _plan(round_key, unit_key)
    return download(tabular.xlsx_bytes([("Internkontrollplan", risk_export.PLAN_HEADER, rows)]),
                    f"internkontrollplan-{round_key}-{unit_key}.xlsx", **about)


@bp.route("/<round_key>/<unit_key>/internkontrollplan.csv")
@requires(Permission.READ_UNITS)
def plan_csv(round_key: str, unit_key: str):
    target, rows, about = _plan(round_key, unit_key)
    return csv_download(f"internkontrollplan-{round_key}-{unit_key}.csv", risk_export.PLAN_HEADER, rows, **about)
