"""The city office's pages for review rounds: create, open, close, archive, follow up, reopen."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.formatting import format_iso_time
from app.forms.rounds import AddUnitsForm, ReopenForm, RoundForm, ThresholdsForm
from app.models import Questionnaire, QuestionnaireVersion, Round
from app.models.base import utcnow
from app.policy import Permission
from app.security import requires
from app.services import ServiceError, transaction
from app.services.rounds import (
    TRANSITIONS,
    UNIT_SIDE_KINDS,
    RoundSpec,
    Thresholds,
    add_units,
    change_status,
    configured_thresholds,
    create_round,
    get_round,
    has_survey_responses,
    list_rounds,
    main_version,
    round_status,
    set_thresholds,
    unit_side_versions,
)
from app.services.submissions import NotFound, find_target, get_response, reopen
from app.services.survey_storage import reshuffle_survey_tables
from app.services.units import unit_tree
from app.views.downloads import csv_download

bp = Blueprint("rounds", __name__, url_prefix="/admin/omgangar")

ROUND_STATUS_LABELS = {
    "draft": _l("Utkast"),
    "open": _l("Öppen"),
    "closed": _l("Stängd"),
    "archived": _l("Arkiverad"),
}
UNIT_STATUS_LABELS = {
    "not_started": _l("Inte påbörjad"),
    "draft": _l("Utkast"),
    "submitted": _l("Inskickad"),
    "reopened": _l("Öppnad igen"),
}
ACTION_LABELS = {"open": _l("Öppna omgången"), "close": _l("Stäng omgången"), "archive": _l("Arkivera omgången")}


# Also templates' globals (app/templating.py).


def _tree_choices() -> list[tuple[str, str]]:
    return [(n.unit.key, "\u2003" * n.depth + n.unit.name) for n in unit_tree(db.session, include_inactive=False)]


def _questionnaire_choices() -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(Questionnaire.key, Questionnaire.title_sv, Questionnaire.kind)
        .where(Questionnaire.kind.in_(UNIT_SIDE_KINDS + ("survey",)))
        .where(select(QuestionnaireVersion.id).where(
            QuestionnaireVersion.questionnaire_id == Questionnaire.id).exists())
        .order_by(Questionnaire.title_sv)
    ).all()
    return [(key, title) for key, title, _kind in rows]


def _field_errors(form, problems) -> None:
    """Each problem under the field it names; one without a field is flashed."""
    for problem in problems:
        field = getattr(form, problem.field, None) if problem.field else None
        if field is None:
            flash(str(problem.message), "error")
        else:
            field.errors = [*field.errors, str(problem.message)]


def _selected_version(round_: Round) -> QuestionnaireVersion | None:
    wanted = request.args.get("formular")
    for version in unit_side_versions(round_):
        if version.questionnaire.key == wanted:
            return version
    return main_version(round_)


@bp.route("")
@requires(Permission.READ_CITY)
def index():
    return render_template("rounds/index.html", rounds=list_rounds(db.session))


@bp.route("/ny", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def new():
    form = RoundForm()
    form.questionnaires.choices = _questionnaire_choices()
    form.units.choices = _tree_choices()
    defaults = configured_thresholds()
    if not form.is_submitted():
        form.year.data = utcnow().year
        form.anonymity_threshold.data = defaults.anonymity
        form.free_text_threshold.data = defaults.free_text
    if form.validate_on_submit():
        thresholds = Thresholds(
            defaults.anonymity if form.anonymity_threshold.data is None else form.anonymity_threshold.data,
            defaults.free_text if form.free_text_threshold.data is None else form.free_text_threshold.data)
        spec = RoundSpec(key=(form.key.data or "").strip(), name=form.name.data or "", year=form.year.data or 0,
                         questionnaire_keys=tuple(form.questionnaires.data or ()),
                         unit_keys=tuple(form.units.data or ()), opens_on=form.opens_on.data,
                         due_on=form.due_on.data, instructions=form.instructions.data or "",
                         retain_until=form.retain_until.data, thresholds=thresholds)
        try:
            with transaction() as session:
                created = create_round(session, spec, current_user._get_current_object())
        except ServiceError as error:
            for problem in error.problems:
                field = getattr(form, problem.field or "name", form.name)
                field.errors = [*field.errors, str(problem.message)]
        else:
            flash(_("Omgången %(name)s är skapad. Öppna den när enheterna ska kunna svara.", name=created.name), "info")
            return redirect(url_for("rounds.show", key=created.key))
    status = 400 if form.errors else 200
    return render_template("rounds/form.html", form=form), status


@bp.route("/<key>")
@requires(Permission.READ_CITY)
def show(key: str):
    return _render_show(get_round(db.session, key))


def _render_show(round_: Round, thresholds_form: ThresholdsForm | None = None, status: int = 200):
    version = _selected_version(round_)
    invited = {i.unit_id for i in round_.invitations}
    add_form = AddUnitsForm()
    add_form.units.choices = [(n.unit.key, "\u2003" * n.depth + n.unit.name)
                              for n in unit_tree(db.session, include_inactive=False) if n.unit.id not in invited]
    if thresholds_form is None:
        thresholds_form = ThresholdsForm(formdata=None, anonymity_threshold=round_.anonymity_threshold,
                                         free_text_threshold=round_.free_text_threshold)
    return render_template(
        "rounds/show.html", round=round_, version=version, versions=unit_side_versions(round_),
        status=round_status(db.session, round_, version), add_form=add_form,
        actions=[a for a, (allowed, _to) in TRANSITIONS.items() if round_.status in allowed],
        action_labels=ACTION_LABELS, has_survey=round_.version_of_kind("survey") is not None,
        thresholds_form=thresholds_form, thresholds_locked=has_survey_responses(db.session, round_),
    ), status


@bp.route("/<key>/granser", methods=["POST"])
@requires(Permission.ADMINISTER)
def thresholds(key: str):
    """Set the round's survey thresholds; errors are shown beside the fields on the round page."""
    round_ = get_round(db.session, key)
    form = ThresholdsForm()
    if form.validate_on_submit():
        try:
            with transaction() as session:
                set_thresholds(session, round_, Thresholds(form.anonymity_threshold.data or 0,
                                                           form.free_text_threshold.data or 0),
                               current_user._get_current_object())
        except ServiceError as error:
            _field_errors(form, error.problems)
        else:
            flash(_("Enkätens gränser är sparade."), "info")
            return redirect(url_for("rounds.show", key=round_.key))
    return _render_show(round_, form, 400)


@bp.route("/<key>/status", methods=["POST"])
@requires(Permission.ADMINISTER)
def change(key: str):
    round_ = get_round(db.session, key)
    action = request.form.get("action", "")
    if action not in TRANSITIONS:
        abort(400)
    try:
        with transaction() as session:
            change_status(session, round_, action, current_user._get_current_object())
        if action == "close":
            reshuffle_survey_tables()
    except ServiceError as error:
        flash("; ".join(str(p.message) for p in error.problems), "error")
    else:
        flash(_("Omgången har nu status: %(status)s.", status=ROUND_STATUS_LABELS[round_.status]), "info")
    return redirect(url_for("rounds.show", key=round_.key))


@bp.route("/<key>/enheter", methods=["POST"])
@requires(Permission.ADMINISTER)
def invite(key: str):
    round_ = get_round(db.session, key)
    form = AddUnitsForm()
    form.units.choices = _tree_choices()
    if not form.validate_on_submit() or not form.units.data:
        flash(_("Välj minst en enhet att bjuda in."), "error")
        return redirect(url_for("rounds.show", key=round_.key))
    try:
        with transaction() as session:
            added = add_units(session, round_, list(form.units.data), current_user._get_current_object())
    except ServiceError as error:
        flash("; ".join(str(p.message) for p in error.problems), "error")
    else:
        flash(_("%(n)d enheter är inbjudna.", n=len(added)), "info")
    return redirect(url_for("rounds.show", key=round_.key))


@bp.route("/<key>/ej-inskickade.csv")
@requires(Permission.READ_CITY)
def not_submitted_csv(key: str) -> Response:
    """The units that have not submitted, for reminders (the export is audited)."""
    round_ = get_round(db.session, key)
    version = _selected_version(round_)
    status = round_status(db.session, round_, version)
    rows = ([u.unit_key, u.unit_name, u.status,
             format_iso_time(u.last_change_at),
             u.last_change_by or ""] for u in status.not_submitted)
    return csv_download(f"{round_.key}-ej-inskickade.csv",
                        ["enhet", "namn", "status", "senast_andrad", "senast_andrad_av"], rows,
                        what="not_submitted", round_key=round_.key,
                        questionnaire=version.questionnaire.key if version else None)


@bp.route("/<key>/<unit_key>/<questionnaire_key>/oppna-igen", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def reopen_response(key: str, unit_key: str, questionnaire_key: str):
    try:
        target = find_target(db.session, key, unit_key, questionnaire_key)
    except NotFound:
        abort(404)
    response = get_response(db.session, target)
    form = ReopenForm()
    status = 200
    if form.validate_on_submit():
        try:
            with transaction() as session:
                reopen(session, target, form.reason.data or "", current_user._get_current_object())
        except ServiceError as error:
            form.reason.errors = [*form.reason.errors, *(str(p.message) for p in error.problems)]
        else:
            flash(_("Svaren från %(unit)s är öppnade igen.", unit=target.unit.name), "info")
            return redirect(url_for("rounds.show", key=key, formular=questionnaire_key))
    if form.errors:
        status = 400
    return render_template("rounds/reopen.html", form=form, target=target, response=response), status
