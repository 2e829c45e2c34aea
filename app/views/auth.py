"""Logging in and out, and changing one's own password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.security import check_password_hash

from app.forms.admin import LoginForm, PasswordChangeForm
from app.security import client_address
from app.services import ServiceError, audit, sessions, transaction
from app.services.users import authenticate, change_password

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only local paths: an attacker's link must not send a fresh login elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        result = authenticate(
            current_app.config["SECRET_KEY"],
            form.email.data or "",
            form.password.data or "",
            client_address(),
            sessions.Lifetimes.from_config(current_app.config),
            current_app.config["LOGIN_ATTEMPTS_PER_MINUTE"],
            current_app.config["LOGIN_ADDRESS_ATTEMPTS_PER_MINUTE"],
        )
        if result.user is not None:
            # A new session at login: nothing from before the login survives (session fixation).
            language = session.get("language")
            session.clear()
            if language:
                session["language"] = language
            login_user(result.user)
            return redirect(_safe_next(request.args.get("next")))
        if result.throttled:
            flash(_("För många misslyckade inloggningar. Vänta %(seconds)d s och försök igen.",
                    seconds=result.wait_seconds), "error")
            return render_template("auth/login.html", form=form), 429, {"Retry-After": str(result.wait_seconds)}
        else:
            # On the field, so that the error summary links to it and the field names it (aria).
            form.password.errors = [_("Fel e-postadress eller lösenord.")]
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        with transaction() as db_session:
            # The session ends in the database too: a copy of the cookie opens nothing after this.
            sessions.end(db_session, current_user.session_secret)
            audit.record(db_session, "logout", actor=current_user._get_current_object())
    logout_user()
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
    flash(_("Du är utloggad."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/konto/losenord", methods=["GET", "POST"])
@login_required
def change_own_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not check_password_hash(user.password_hash, form.current.data or ""):
            form.current.errors = [_("Det nuvarande lösenordet stämmer inte.")]
        else:
            try:
                with transaction() as db_session:
                    change_password(db_session, user, form.new.data or "", keep_session=user.session_secret)
            except ServiceError as error:
                form.new.errors = [str(p.message) for p in error.problems]
            else:
                # Every other session has ended; this one continues.
                flash(_("Lösenordet är bytt. Du är utloggad på alla andra enheter."), "info")
                return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)
