"""The admin's survey pages per round: head counts, access codes (CSV and printable slips), open
links, the response-rate table, the free-text review queue and the results.

Every result figure comes from services.survey_results, a view of the round's one release
(services.survey_release): a unit's own figures are shown only where that release shows them.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.i18n import current_language
from app.models import Round, RoundUnit, Unit
from app.policy import Permission
from app.reports.tabular import xlsx_bytes
from app.security import requires
from app.services import ServiceError, transaction
from app.services.rounds import get_round
from app.services.survey import (
    format_percent,
    generate_codes,
    release_size,
    response_rates,
    review_text,
    set_head_counts,
    set_open_link,
    texts_to_review,
    waiting_count,
)
from app.services.survey_results import (
    EXPORT_HEADER,
    SurveyResults,
    export_rows,
    readable_texts,
    survey_results,
    value_figures,
)
from app.views.downloads import csv_download, download

bp = Blueprint("survey_admin", __name__, url_prefix="/admin/enkat")


def _unit(round_: Round, unit_key: str) -> RoundUnit:
    found = db.session.scalar(
        select(RoundUnit).join(Unit).where(RoundUnit.round_id == round_.id, Unit.key == unit_key)
    )
    if found is None:
        abort(404)
    return found


def _user() -> Any:
    return current_user._get_current_object()


@bp.route("/<round_key>")
@requires(Permission.READ_CITY)
def index(round_key: str):
    round_ = get_round(db.session, round_key, "survey")
    rows, total = response_rates(db.session, round_)
    invitations = {i.unit_id: i for i in round_.invitations}
    return render_template("survey_admin/index.html", round=round_, rows=rows, total=total,
                           invitations=invitations, pct=format_percent,
                           waiting=waiting_count(db.session, round_), release_size=release_size(round_))


@bp.route("/<round_key>/antal", methods=["POST"])
@requires(Permission.ADMINISTER)
def head_counts(round_key: str):
    round_ = get_round(db.session, round_key, "survey")
    counts: dict[int, int | None] = {}
    for invitation in round_.invitations:
        raw = request.form.get(f"head-{invitation.unit.key}")
        if raw is None:
            continue
        raw = raw.strip()
        if raw and not raw.isdigit():
            flash(_("Antalet för %(unit)s måste vara ett heltal.", unit=invitation.unit.name), "error")
            return redirect(url_for("survey_admin.index", round_key=round_key))
        counts[invitation.unit_id] = int(raw) if raw else None
    try:
        with transaction() as session:
            set_head_counts(session, round_, counts, actor=_user())
    except ServiceError as error:
        flash(str(error), "error")
    else:
        flash(_("Antalet inbjudna är sparat."), "success")
    return redirect(url_for("survey_admin.index", round_key=round_key))


@bp.route("/<round_key>/koder", methods=["POST"])
@requires(Permission.ADMINISTER)
def codes(round_key: str):
    """New codes for a unit, downloaded at once as CSV or as printable slips (PDF): the plain
    codes exist only in this response."""
    round_ = get_round(db.session, round_key, "survey")
    invitation = _unit(round_, request.form.get("unit", ""))
    try:
        count = int(request.form.get("count", "0"))
    except ValueError:
        count = 0
    try:
        with transaction() as session:
            new = generate_codes(session, str(current_app.config["SECRET_KEY"]), round_, invitation.unit_id,
                                 count, actor=_user())
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("survey_admin.index", round_key=round_key))
    unit_name = invitation.unit.name  # read now: the rows stream on after the request's session is done
    name = f"koder-{round_.key}-{invitation.unit.key}"
    about: dict[str, Any] = {"what": "codes", "round_key": round_.key, "unit_key": invitation.unit.key,
                             "count": len(new)}
    if request.form.get("format") == "pdf":
        from app.reports.survey_pdf import code_slips_pdf

        link = url_for("survey.enter", _external=True)
        return download(code_slips_pdf(round_.name, unit_name, link, new), f"{name}.pdf", **about)
    return csv_download(f"{name}.csv", ("enhet", "kod"), ((unit_name, code) for code in new), **about)


@bp.route("/<round_key>/lank", methods=["POST"])
@requires(Permission.ADMINISTER)
def open_link(round_key: str):
    round_ = get_round(db.session, round_key, "survey")
    invitation = _unit(round_, request.form.get("unit", ""))
    with transaction() as session:
        set_open_link(session, round_, invitation.unit_id, actor=_user())
    flash(_("En ny öppen länk är skapad för %(unit)s. En tidigare länk fungerar inte längre.",
            unit=invitation.unit.name), "success")
    return redirect(url_for("survey_admin.index", round_key=round_key))


@bp.route("/<round_key>/fritext")
@requires(Permission.ADMINISTER)
def review(round_key: str):
    round_ = get_round(db.session, round_key, "survey")
    by_question = texts_to_review(db.session, round_, ("unread", "approved", "redacted", "hidden"))
    definition = round_.version_of_kind("survey").parsed()  # type: ignore[union-attr]
    questions = {q.key: q.text.get(current_language()) for q in definition.questions()}
    return render_template("survey_admin/review.html", round=round_, by_question=by_question, questions=questions)


@bp.route("/<round_key>/fritext/<text_id>", methods=["POST"])
@requires(Permission.ADMINISTER)
def review_one(round_key: str, text_id: str):
    round_ = get_round(db.session, round_key, "survey")
    try:
        with transaction() as session:
            review_text(session, round_, text_id, request.form.get("action", ""), request.form.get("text"),
                        actor=_user())
    except ServiceError as error:
        flash(str(error), "error")
    return redirect(url_for("survey_admin.review", round_key=round_key) + f"#text-{text_id}")


def _results(round_key: str) -> SurveyResults:
    round_ = get_round(db.session, round_key, "survey")
    results = survey_results(db.session, round_, current_language())
    if results is None:
        abort(404)
    return results


@bp.route("/<round_key>/resultat")
@requires(Permission.READ_CITY)
def results(round_key: str):
    found = _results(round_key)
    ref = request.args.get("cell", "total")
    row = found.row(ref)
    if row is None:
        abort(404)
    figures = found.figures(row.cell)
    texts = readable_texts(db.session, found, row, current_user.role) if figures is not None else None
    from app.reports import city_survey

    values = value_figures(db.session, found, row.cell)
    breakdowns = city_survey.build_breakdowns(db.session, found, found.language, row.cell) if figures else ()
    return render_template("survey_admin/results.html", results=found, row=row, figures=figures, texts=texts,
                           values=values, breakdowns=breakdowns, cs=city_survey,
                           indicators=city_survey.indicators(found, found.language) if breakdowns else ())


@bp.route("/<round_key>/resultat.csv")
@requires(Permission.READ_CITY)
def results_csv(round_key: str):
    found = _results(round_key)
    return csv_download(f"enkat-{found.round.key}.csv", EXPORT_HEADER, export_rows(found),
                        what="survey_results", round_key=found.round.key)


@bp.route("/<round_key>/resultat.xlsx")
@requires(Permission.READ_CITY)
def results_xlsx(round_key: str):
    found = _results(round_key)
    data = xlsx_bytes([(_("Resultat"), EXPORT_HEADER, export_rows(found))])
    return download(data, f"enkat-{found.round.key}.xlsx", what="survey_results", round_key=found.round.key)


@bp.route("/<round_key>/resultat.pdf")
@requires(Permission.READ_CITY)
def results_pdf(round_key: str):
    from app.reports import city_survey
    from app.reports.survey_pdf import results_pdf as build

    found = _results(round_key)
    shown = [row.cell for row in found.rows if found.decision.shown(row.cell)]
    breakdowns = city_survey.build_breakdowns_of(db.session, found, found.language, shown)
    return download(build(found, breakdowns, city_survey.indicators(found, found.language)),
                    f"enkat-{found.round.key}.pdf", what="survey_results", round_key=found.round.key)

