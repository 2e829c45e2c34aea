"""The city-wide picture (lägesbild) for the city office: the self-assessment comparison, the
change over the years, the survey side with the board/staff gap, the report and its exports."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from sqlalchemy import select

from app.extensions import db
from app.i18n import current_language
from app.models import Unit
from app.policy import Permission
from app.reports import city_report, city_survey, comparison
from app.reports.city_export import (
    FORMATS,
    WHATS,
    ExportNotAvailable,
    bi_rows,
    document,
    export_filename,
    export_header,
)
from app.reports.city_report import build_city_report, render_city_pdf
from app.reports.comparison import KIND_FILTERS, SORTS, Filters
from app.reports.unit_report import ReportNotFound
from app.security import requires
from app.services.rounds import get_round
from app.sorting import name_key
from app.views.downloads import csv_download, download

bp = Blueprint("city", __name__, url_prefix="/lagesbild")


def _filters() -> Filters:
    kind = request.args.get("kind") or None
    part = request.args.get("part") or None
    sort = request.args.get("sort") or "name"
    return Filters(kind if kind in KIND_FILTERS else None, part, sort if sort in SORTS else "name")


@bp.route("/<round_key>")
@requires(Permission.READ_CITY)
def comparison_page(round_key: str):
    get_round(db.session, round_key)
    try:
        found = comparison.build_comparison(db.session, round_key, _filters(), current_language())
    except ReportNotFound:
        abort(404)
    units = sorted(db.session.execute(select(Unit.key, Unit.name)).all(), key=lambda u: (name_key(u.name), u.key))
    return render_template("city/comparison.html", c=found, m=comparison, units=units,
                           kinds=KIND_FILTERS, chart_uri=comparison.comparison_chart_uri(found))


@bp.route("/<round_key>/over-tid")
@requires(Permission.READ_CITY)
def history_page(round_key: str):
    get_round(db.session, round_key)
    try:
        found = comparison.build_comparison(db.session, round_key, Filters(), current_language())
    except ReportNotFound:
        abort(404)
    history = comparison.build_history(db.session, round_key, current_language())
    return render_template("city/history.html", c=found, m=comparison, history=history)


@bp.route("/<round_key>/enkat")
@requires(Permission.READ_CITY)
def survey_page(round_key: str):
    report = _report(round_key)
    return render_template("city/survey.html", report=report, s=city_survey, gap_rule=city_report.gap_rule())


def _report(round_key: str) -> Any:
    get_round(db.session, round_key)
    try:
        return build_city_report(db.session, round_key, current_language())
    except ReportNotFound:
        abort(404)


@bp.route("/<round_key>/rapport")
@requires(Permission.READ_CITY)
def report_page(round_key: str):
    report = _report(round_key)
    return render_template("city/report.html", report=report, m=comparison, s=city_survey, cr=city_report,
                           gap_rule=city_report.gap_rule(), title=city_report.report_title(report),
                           figures=city_report.key_figures(report))


@bp.route("/<round_key>/rapport.pdf")
@requires(Permission.READ_CITY)
def report_pdf(round_key: str):
    report = _report(round_key)
    return download(render_city_pdf(report), f"lagesbild-{report.round_key}.pdf", what="city_report",
                    round_key=report.round_key)


@bp.route("/<round_key>/export/<what>.<fmt>")
@requires(Permission.READ_CITY)
def export_file(round_key: str, what: str, fmt: str):
    get_round(db.session, round_key)
    if what not in WHATS or fmt not in FORMATS:
        abort(404)
    try:
        rows = bi_rows(db.session, round_key, what)
    except ExportNotAvailable:
        abort(404)  # not audited: nothing was exported
    about: dict[str, Any] = {"what": what, "round_key": round_key, "target": f"lagesbild:{round_key}:{what}"}
    if fmt == "csv":  # streamed row by row as it is made
        return csv_download(export_filename(round_key, what, fmt), export_header(what), rows, **about)
    found = document(rows, round_key, what, fmt)  # XLSX and JSON are whole documents
    return download(found.data, found.filename, **about)
