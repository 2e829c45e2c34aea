"""The city office's pages: start page, units, users and the audit log."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.formatting import format_iso_time
from app.forms.admin import (
    ROLE_LABELS,
    UNIT_KIND_LABELS,
    UnitForm,
    UnitImportForm,
    UserAccessForm,
    UserForm,
)
from app.models import Unit, User
from app.policy import Permission
from app.security import requires
from app.services import ServiceError, audit, sessions, transaction
from app.services.units import (
    UnitRow,
    create_unit,
    import_problems,
    import_units,
    parse_csv,
    unit_tree,
    update_unit,
)
from app.services.users import NewUser, create_user, update_access
from app.views.downloads import csv_download

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _unit_choices(exclude: Unit | None = None) -> list[tuple[str, str]]:
    choices = [("", _("(ingen – högsta nivån)"))]
    for node in unit_tree(db.session):
        if exclude is not None and (node.unit.id == exclude.id or exclude in node.unit.ancestors()):
            continue
        choices.append((node.unit.key, "\u2003" * node.depth + node.unit.name))
    return choices


def _get_unit_or_404(key: str) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.key == key))
    if unit is None:
        abort(404)
    return unit


@bp.route("/")
@requires(Permission.READ_CITY)
def index():
    return render_template("admin/index.html", tree=unit_tree(db.session), kinds=UNIT_KIND_LABELS)


@bp.route("/enheter")
@requires(Permission.READ_CITY)
def units():
    return render_template("admin/units.html", tree=unit_tree(db.session), kinds=UNIT_KIND_LABELS)


@bp.route("/enheter/ny", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def unit_new():
    form = UnitForm()
    form.parent.choices = _unit_choices()
    if form.validate_on_submit():
        row = UnitRow(form.key.data or "", form.name.data or "", form.kind.data or "", form.parent.data or "")
        try:
            with transaction() as session:
                unit = create_unit(session, row, current_user._get_current_object())
        except ServiceError as error:
            form.key.errors = [str(p) for p in error.problems]
        else:
            flash(_("Enheten %(name)s är skapad.", name=unit.name), "info")
            return redirect(url_for("admin.units"))
    return render_template("admin/unit_form.html", form=form, unit=None)


@bp.route("/enheter/<key>", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def unit_edit(key: str):
    unit = _get_unit_or_404(key)
    form = UnitForm(obj=unit)
    form.parent.choices = _unit_choices(exclude=unit)
    if not form.is_submitted():
        form.parent.data = unit.parent.key if unit.parent else ""
    form.key.data = unit.key  # the key is stable; a posted value is ignored
    if form.validate_on_submit():
        try:
            with transaction() as session:
                update_unit(session, unit, form.name.data or "", form.kind.data or "",
                            form.parent.data or "", bool(form.active.data), current_user._get_current_object())
        except ServiceError as error:
            db.session.refresh(unit)
            form.name.errors = [str(p) for p in error.problems]
        else:
            flash(_("Enheten %(name)s är sparad.", name=unit.name), "info")
            return redirect(url_for("admin.units"))
    return render_template("admin/unit_form.html", form=form, unit=unit)


@bp.route("/enheter/import", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def unit_import():
    form = UnitImportForm()
    problems = []
    if form.validate_on_submit():
        raw = form.file.data.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            problems = [_("Filen är inte UTF-8-kodad text.")]
        else:
            rows, parse_problems = parse_csv(text)
            # Checked before the transaction: only writing the rows holds the write lock.
            problems = [str(p) for p in parse_problems or import_problems(db.session, rows)]
            if not problems:
                try:
                    with transaction() as session:
                        created = import_units(session, rows, current_user._get_current_object())
                except ServiceError as error:
                    problems = [str(p) for p in error.problems]
                else:
                    flash(_("%(n)d enheter är importerade.", n=len(created)), "info")
                    return redirect(url_for("admin.units"))
    status = 400 if problems else 200
    return render_template("admin/unit_import.html", form=form, problems=problems), status


@bp.route("/anvandare")
@requires(Permission.ADMINISTER)
def users():
    users = db.session.scalars(select(User).order_by(User.email)).all()
    return render_template("admin/users.html", users=users, roles=ROLE_LABELS)


def _unit_select_choices() -> list[tuple[str, str]]:
    return [(n.unit.key, "\u2003" * n.depth + n.unit.name) for n in unit_tree(db.session)]


@bp.route("/anvandare/ny", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def user_new():
    form = UserForm()
    form.units.choices = _unit_select_choices()
    if form.validate_on_submit():
        new = NewUser(email=form.email.data or "", role=form.role.data or "", password=form.password.data or "",
                      name=form.name.data or "", unit_keys=tuple(form.units.data or ()))
        try:
            with transaction() as session:
                user = create_user(session, new, current_user._get_current_object())
        except ServiceError as error:
            for problem in error.problems:
                field = getattr(form, problem.field or "email", form.email)
                field.errors = [*field.errors, str(problem.message)]
        else:
            flash(_("Användaren %(email)s är skapad.", email=user.email), "info")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/anvandare/<int:user_id>", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def user_edit(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = UserAccessForm()
    form.units.choices = _unit_select_choices()
    if not form.is_submitted():
        form.role.data, form.active.data = user.role, user.active
        form.units.data = [u.key for u in user.units]
    if form.validate_on_submit():
        try:
            with transaction() as session:
                update_access(session, user, form.role.data or "", list(form.units.data or []),
                              bool(form.active.data), current_user._get_current_object())
        except ServiceError as error:
            db.session.refresh(user)
            form.role.errors = [str(p.message) for p in error.problems]
        else:
            flash(_("Behörigheten för %(email)s är sparad.", email=user.email), "info")
            return redirect(url_for("admin.users"))
    live = sessions.live(db.session, user, sessions.Lifetimes.from_config(current_app.config))
    return render_template("admin/user_form.html", form=form, user=user, sessions=live)


@bp.route("/anvandare/<int:user_id>/sessioner/avsluta", methods=["POST"])
@requires(Permission.ADMINISTER)
def user_end_sessions(user_id: int):
    """End every session of a user (a lost laptop, a role taken away); one's own but this one."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    actor = current_user._get_current_object()
    keep = actor.session_secret if user.id == actor.id else None
    with transaction() as session:
        ended = sessions.end_all_by(session, user, actor, keep=keep)
    flash(_("Sessionerna för %(email)s är avslutade (%(n)d st.).", email=user.email, n=ended), "info")
    return redirect(url_for("admin.user_edit", user_id=user_id))


@bp.route("/logg")
@requires(Permission.ADMINISTER)
def audit_log():
    return render_template("admin/audit.html", events=audit.recent_events(db.session))


@bp.route("/logg.csv")
@requires(Permission.ADMINISTER)
def audit_log_csv() -> Response:
    # Read before the audit commit expires the loaded events (a streamed response reads rows
    # after the view has returned).
    # Times as ISO 8601 in Stockholm time with its offset ("2026-11-28T15:05:00+01:00"): what the
    # page shows, and unambiguous in a spreadsheet or a script.
    rows = [[format_iso_time(e.at), e.actor, e.action, e.target, e.detail]
            for e in audit.recent_events(db.session, limit=100_000)]
    return csv_download("granskningslogg.csv", ["tid", "vem", "handling", "objekt", "detaljer"], rows,
                        what="audit_log")
