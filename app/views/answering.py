"""The units' side of a review round: their rounds, the answering page, autosave and history.

A POST of the answering page never loses what was typed: a stale CSRF token, an expired session,
a conflicting save, a refused submission or a database that cannot save just now (503) all show
the posted answers again. That is why these POST routes check CSRF themselves (`csrf.exempt` +
`csrf.protect()` inside the view) instead of letting the global check answer with an error page.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import MultiDict

from app import policy
from app.extensions import csrf, db, login_manager
from app.forms.builder import answers_from_formdata, build_form, field_labels
from app.i18n import current_language
from app.models import Unit
from app.policy import Permission
from app.questions.answers import Answers
from app.questions.conditions import missing_required, validate_answers
from app.security import require_unit
from app.services import transaction
from app.services.rounds import assignments
from app.services.submissions import (
    Conflict,
    Invalid,
    Locked,
    NotAllowed,
    NotFound,
    ResponseTarget,
    current_version,
    find_target,
    get_response,
    history,
    save,
    submit,
)
from app.templating import local_time
from app.views.errors import RETRY_AFTER, database_unavailable

bp = Blueprint("answering", __name__, url_prefix="/granskning")

ACTION_LABELS = {"save": _l("Sparade"), "submit": _l("Skickade in"), "reopen": _l("Öppnade igen")}


def _user() -> Any:
    return current_user._get_current_object()


def _target(round_key: str, unit_key: str, questionnaire_key: str) -> ResponseTarget:
    """403 for a unit the user may not read, whether or not it exists (ids reveal nothing), 404
    for what the round does not hold and for a round the user does not see yet."""
    user = _user()
    require_unit(db.session, user, db.session.scalar(select(Unit).where(Unit.key == unit_key)))
    try:
        target = find_target(db.session, round_key, unit_key, questionnaire_key)
    except NotFound:
        abort(404)
    if target.version.questionnaire.kind != "unit_questionnaire":
        # The risk register has its own pages on top of the same workflow.
        abort(404)
    if not policy.sees_round(user, target.round):
        abort(404)
    return target


def _csrf_ok() -> bool:
    try:
        csrf.protect()
    except CSRFError:
        return False
    return True


def _base_version() -> int:
    try:
        return max(0, int(request.form.get("base_version", "0")))
    except ValueError:
        return 0


def _urls(target: ResponseTarget) -> dict[str, str]:
    args: dict[str, Any] = {"round_key": target.round.key, "unit_key": target.unit.key,
            "questionnaire_key": target.questionnaire_key}
    urls = {"page": url_for("answering.page", **args), "autosave": url_for("answering.autosave", **args)}
    if policy.has(current_user, Permission.READ_HISTORY):
        urls["history"] = url_for("answering.history_page", **args)
    if "reports.unit_page" in current_app.view_functions:  # the unit report, when it is installed
        urls["report"] = url_for("reports.unit_page", round_key=target.round.key, unit_key=target.unit.key)
    return urls


def _render_form(target: ResponseTarget, *, formdata: MultiDict | None = None, answers: Answers | None = None,
                 base_version: int, errors: list | None = None, notice: str | None = None,
                 status: int = 200, template: str = "answering/page.html", **extra: Any):
    definition = target.definition
    language = current_language()
    form = build_form(definition, language=language, formdata=formdata, answers=answers)
    shown = answers if formdata is None else answers_from_formdata(definition, formdata)
    missing = missing_required(definition, validate_answers(definition, shown or {}, partial=True).answers)
    by_field: dict[str, list[object]] = {}
    for error in errors or []:
        by_field.setdefault(error.field, []).append(error.message)
    return render_template(
        template, target=target, definition=definition, language=language, form=form,
        base_version=base_version, errors=errors or [], errors_by_field=by_field, missing=missing,
        labels=field_labels(definition, language), notice=notice, editable=True,
        response=get_response(db.session, target), urls=_urls(target), **extra,
    ), status


def _render_read_only(target: ResponseTarget, *, attempted: Answers | None = None, notice: str | None = None,
                      status: int = 200):
    definition = target.definition
    response = get_response(db.session, target)
    return render_template(
        "answering/page.html", target=target, definition=definition, language=current_language(),
        response=response, answers=response.answers if response else {}, editable=False,
        attempted=attempted, notice=notice, urls=_urls(target),
    ), status


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    allowed = policy.readable_unit_ids(db.session, _user())
    rows = assignments(db.session, allowed) if allowed is not None else []
    return render_template("answering/index.html", assignments=rows, staff=allowed is None)


@bp.route("/<round_key>/<unit_key>/<questionnaire_key>", methods=["GET", "POST"])
@csrf.exempt
def page(round_key: str, unit_key: str, questionnaire_key: str):
    if request.method == "GET":
        return _show(round_key, unit_key, questionnaire_key)
    return _post(round_key, unit_key, questionnaire_key)


def _show(round_key: str, unit_key: str, questionnaire_key: str):
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    target = _target(round_key, unit_key, questionnaire_key)
    response = get_response(db.session, target)
    if not policy.may_edit(db.session, _user(), target.unit, target.round, response):
        return _render_read_only(target)
    return _render_form(target, answers=response.answers if response else {},
                        base_version=current_version(response))


def _post(round_key: str, unit_key: str, questionnaire_key: str):
    if not current_user.is_authenticated:
        return _logged_out()
    target = _target(round_key, unit_key, questionnaire_key)
    if not policy.may_write(db.session, _user(), target.unit):
        abort(403)
    base_version = _base_version()
    if not _csrf_ok():
        return _render_form(target, formdata=request.form, base_version=base_version, status=400, notice=_(
            "Sidan hade varit öppen länge, så svaren kunde inte sparas ännu. Allt du skrev finns kvar "
            "nedan: klicka på knappen en gång till."))
    answers = answers_from_formdata(target.definition, request.form)
    action = submit if request.form.get("action") == "submit" else save
    try:
        with transaction() as session:
            outcome = action(session, target, answers, base_version, _user())
    except Conflict as conflict:
        return _render_conflict(target, conflict)
    except Locked as locked:
        return _render_read_only(target, attempted=locked.attempted, notice=str(locked.problems[0].message),
                                 status=409)
    except Invalid as invalid:
        return _render_form(target, formdata=request.form, base_version=base_version,
                            errors=invalid.validated.errors, status=400)
    except NotAllowed:
        abort(403)
    except SQLAlchemyError as error:
        if not database_unavailable(error):
            raise
        return _render_unsaved(target, base_version)
    if action is submit:
        flash(_("Svaren är inskickade. Tack!") if not outcome.repeated
              else _("Svaren var redan inskickade; inget har ändrats."), "info")
    else:
        flash(_("Utkastet är sparat %(time)s.", time=local_time(outcome.response.updated_at, "%H:%M")), "info")
    return redirect(_urls(target)["page"])


def _render_unsaved(target: ResponseTarget, base_version: int):
    """The database refused the save (restarting, read-only): the posted answers again, 503."""
    html, status = _render_form(target, formdata=request.form, base_version=base_version, status=503, notice=_(
        "Det gick inte att spara just nu – försök igen. Allt du skrev finns kvar nedan."))
    return html, status, {"Retry-After": str(RETRY_AFTER)}


def _render_conflict(target: ResponseTarget, conflict: Conflict):
    definition = target.definition
    mine = validate_answers(definition, conflict.attempted, partial=True).answers
    theirs = conflict.current_answers
    changed = [q for q in definition.questions() if mine.get(q.key) != theirs.get(q.key)]
    return _render_form(target, formdata=request.form, base_version=conflict.current_version, status=409,
                        template="answering/conflict.html", conflict=conflict, changed=changed,
                        mine=mine, theirs=theirs)


def _logged_out():
    """The session ended while the page was open: show what was posted, carried in a form that
    sends it to the same address again, with a link to log in in a new tab. Built from the posted
    fields alone: the same page whether or not the round, unit or questionnaire exists, so that
    a stranger learns nothing (no unit name, no question) from posting to any address."""
    carried = [(name, value) for name, value in request.form.items(multi=True)
               if name not in ("csrf_token", "action")]
    shown = [value for name, value in carried if name != "base_version" and value.strip()]
    return render_template("answering/logged_out.html", action=request.path, carried=carried, shown=shown), 401


@bp.route("/<round_key>/<unit_key>/<questionnaire_key>/autosave", methods=["POST"])
@csrf.exempt
def autosave(round_key: str, unit_key: str, questionnaire_key: str):
    """Background save from static/js/autosave.js: JSON in, JSON out."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    target = _target(round_key, unit_key, questionnaire_key)
    if not policy.may_write(db.session, _user(), target.unit):
        abort(403)
    if not _csrf_ok():
        return jsonify(ok=False, error="csrf", message=_(
            "Automatisk sparning är avbruten. Klicka på Spara utkast.")), 400
    answers = answers_from_formdata(target.definition, request.form)
    try:
        with transaction() as session:
            outcome = save(session, target, answers, _base_version(), _user())
    except Conflict:
        return jsonify(ok=False, error="conflict", message=_(
            "Någon annan har sparat ändringar. Automatisk sparning är avbruten: klicka på Spara utkast "
            "för att se skillnaderna.")), 409
    except Locked as locked:
        return jsonify(ok=False, error="locked", message=str(locked.problems[0].message)), 409
    except Invalid as invalid:
        return jsonify(ok=False, error="invalid", message=_(
            "Kunde inte spara automatiskt: %(n)d fält har fel. Klicka på Spara utkast för att se dem.",
            n=len(invalid.validated.errors)),
            fields=[e.field for e in invalid.validated.errors]), 422
    except NotAllowed:
        abort(403)
    saved = local_time(outcome.response.updated_at, "%H:%M")
    return jsonify(ok=True, version=outcome.response.version, saved_at=saved,
                   message=_("Sparat %(time)s", time=saved))


@bp.route("/<round_key>/<unit_key>/<questionnaire_key>/historik")
def history_page(round_key: str, unit_key: str, questionnaire_key: str):
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not policy.has(current_user, Permission.READ_HISTORY):
        abort(403)
    target = _target(round_key, unit_key, questionnaire_key)
    response = get_response(db.session, target)
    events = list(reversed(history(db.session, response)))
    questions = {q.key: q for q in target.definition.questions()}
    return render_template("answering/history.html", target=target, definition=target.definition,
                           language=current_language(), events=events, questions=questions,
                           action_labels=ACTION_LABELS, urls=_urls(target), response=response)
