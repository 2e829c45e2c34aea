"""Reports: the unit's own report on a round as a page and as a PDF with the same content.

Units see a round's report once the round is opened, as every other page of theirs."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user
from sqlalchemy import select

from app import policy
from app.extensions import db
from app.i18n import current_language
from app.models import Round, Unit
from app.policy import Permission
from app.reports import city_report, city_survey, unit_report, unit_survey
from app.reports.unit_report import ReportNotFound, UnitReport, build_unit_report
from app.reports.unit_report_pdf import render_unit_pdf
from app.security import require_unit, requires
from app.views.downloads import download

bp = Blueprint("reports", __name__, url_prefix="/rapporter")
# Chart templates anywhere in the app use `drawing|svg_data_uri`.



def _readable_report(round_key: str, unit_key: str) -> UnitReport:
    """The report if the user may read the unit's answers: 403 otherwise, and 403 also for a
    unit that does not exist unless the user reads every unit (then 404). A round still in
    draft is 404 for the units' own users."""
    user = current_user._get_current_object()
    require_unit(db.session, user, db.session.scalar(select(Unit).where(Unit.key == unit_key)))
    if not policy.sees_round(user, db.session.scalar(select(Round).where(Round.key == round_key))):
        abort(404)
    try:
        return build_unit_report(db.session, round_key, unit_key, current_language())
    except ReportNotFound:
        abort(404)


@bp.route("/<round_key>/enheter/<unit_key>")
@requires(Permission.READ_UNITS)
def unit_page(round_key: str, unit_key: str):
    report = _readable_report(round_key, unit_key)
    return render_template("reports/unit.html", report=report, r=unit_report, us=unit_survey,
                           cs=city_survey, gap_rule=city_report.gap_rule(),
                           chart=unit_report.distribution_chart(report))


@bp.route("/<round_key>/enheter/<unit_key>.pdf")
@requires(Permission.READ_UNITS)
def unit_pdf(round_key: str, unit_key: str):
    report = _readable_report(round_key, unit_key)
    return download(render_unit_pdf(report), f"{report.round_key}-{report.unit_key}.pdf", what="unit_report",
                    round_key=report.round_key, unit_key=report.unit_key, inline=True)
