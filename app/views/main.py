"""The start page, the language switch and the public information pages."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import policy
from app.config import LANGUAGES
from app.extensions import db
from app.services.rounds import assignments
from app.views.errors import RETRY_AFTER, database_unavailable, forget_database_state

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index():
    if policy.may_analyse(current_user):
        return redirect(url_for("admin.index"))
    # What a unit user comes for: the open reviews their units are asked to answer.
    allowed = policy.readable_unit_ids(db.session, current_user)
    open_rounds = assignments(db.session, allowed, statuses=("open",)) if allowed else []
    return render_template("main/home.html", units=current_user.units, assignments=open_rounds)


@bp.route("/sprak", methods=["POST"])
def set_language():
    language = request.form.get("language", "")
    if language not in LANGUAGES:
        abort(400)
    session["language"] = language
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        target = url_for("main.index")
    return redirect(target)


@bp.route("/integritet")
def privacy():
    return render_template("main/privacy.html")


@bp.route("/tillganglighet")
def accessibility():
    return render_template("main/accessibility.html")


@bp.route("/halsa")
def health():
    """For load balancers: 200 when the database answers and takes writes, else 503 (a database
    that is down, restarting, read-only or a standby would fail every save)."""
    try:
        writable = _database_writable()
    except SQLAlchemyError as error:
        if not database_unavailable(error):
            raise
        forget_database_state()
        writable = False
    if not writable:
        return {"status": "unavailable"}, 503, {"Retry-After": str(RETRY_AFTER), "Cache-Control": "no-store"}
    return {"status": "ok"}


def _database_writable() -> bool:
    """Whether a write would be accepted now; writes nothing (the transaction is rolled back)."""
    try:
        if db.engine.dialect.name == "postgresql":
            in_recovery, read_only = db.session.execute(
                text("SELECT pg_is_in_recovery(), current_setting('transaction_read_only')")).one()
            return not in_recovery and read_only == "off"
        # SQLite: no write statement, which would wait for the write lock behind an import.
        # Writes fail when the connection is read-only or the file or its folder (where the
        # write-ahead log lives) cannot be written.
        if db.session.execute(text("PRAGMA query_only")).scalar():
            return False
        path = db.engine.url.database
        if not path or path == ":memory:":
            return True
        return os.access(path, os.W_OK) and os.access(os.path.dirname(os.path.abspath(path)), os.W_OK)
    finally:
        db.session.rollback()
