"""The start page, the language switch and the public information pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from app.config import LANGUAGES
from app.extensions import db
from app.services.rounds import assignments
from app.services.submissions import accessible_unit_ids

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    if current_user.role in ("admin", "analyst"):
        return redirect(url_for("admin.index"))
    # What a unit user comes for: the open reviews their units are asked to answer.
    allowed = accessible_unit_ids(db.session, current_user)
    open_rounds = assignments(db.session, allowed, statuses=("open",)) if allowed else []
    return render_template("main/home.html", units=current_user.units, assignments=open_rounds)


@bp.route("/sprak", methods=["POST"])
def set_language():  # type: ignore[no-untyped-def]
    language = request.form.get("language", "")
    if language not in LANGUAGES:
        abort(400)
    session["language"] = language
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        target = url_for("main.index")
    return redirect(target)


@bp.route("/integritet")
def privacy():  # type: ignore[no-untyped-def]
    return render_template("main/privacy.html")


@bp.route("/tillganglighet")
def accessibility():  # type: ignore[no-untyped-def]
    return render_template("main/accessibility.html")


@bp.route("/halsa")
def health():  # type: ignore[no-untyped-def]
    """For load balancers: answers 200 when the database answers."""
    db.session.execute(db.select(1))
    return {"status": "ok"}

