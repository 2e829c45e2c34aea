"""Friendly error pages in the user's language; never a traceback.

A database that refuses work (stopped, restarting, read-only, out of connections) answers 503
with a page rendered without the database: the session is rolled back, the request is treated
as anonymous from then on (loading the signed-in user would query again) and the page does not
extend the base layout. The posted answers of an answering or survey page come back in it, so
that one click sends them again once the database answers. (Those pages catch a failed save
themselves and show their form again; this page is for when even reading fails.)
"""

from __future__ import annotations

from contextlib import suppress

from flask import Flask, g, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, InternalServerError, NotFound

from app.extensions import db, login_manager
from app.services.rounds import RoundNotFound

# How long a client is asked to wait before trying again (seconds).
RETRY_AFTER = 10
# Errors that say the database cannot do the work now, rather than that the request or the code
# is wrong, decided by the database's own error code where it gives one. PostgreSQL SQLSTATEs:
# connection exceptions (class 08), server shutting down or starting (57P01-57P03), too many
# connections (53300), out of memory or disk (53100, 53200), a read-only transaction (25006,
# a standby or `default_transaction_read_only`). A missing table or an aborted transaction is a
# fault of the code or the deployment: 500, logged with its traceback.
UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300", "53100", "53200", "25006"})
# SQLite result codes (the primary code, the low byte): BUSY, LOCKED, READONLY, IOERR, FULL,
# CANTOPEN. "no such table" is a plain SQLITE_ERROR (1).
UNAVAILABLE_SQLITE_CODES = frozenset({5, 6, 8, 10, 13, 14})
# Pages of answers (and of a questionnaire's text) whose posted fields the 503 page carries, so
# that one click sends them again.
CARRIED_ENDPOINTS = frozenset({"answering.page", "survey.page", "survey.enter", "questionnaires.check",
                               "questionnaires.preview_upload", "questionnaires.publish_upload"})
NOT_CARRIED = frozenset({"csrf_token", "code"})


def database_unavailable(error: BaseException) -> bool:
    """True for an error that means "the database cannot do this now, try again"."""
    if isinstance(error, (sa_exc.TimeoutError, sa_exc.DisconnectionError)):
        return True  # no connection free in the pool, or one found dead
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, sa_exc.InterfaceError):
        return True
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate:
        return sqlstate.startswith("08") or sqlstate in UNAVAILABLE_SQLSTATES
    sqlite_code = getattr(error.orig, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return sqlite_code & 0xFF in UNAVAILABLE_SQLITE_CODES
    # A driver error without a code: the connection failed before the server answered.
    return isinstance(error, sa_exc.OperationalError)


def forget_database_state() -> None:
    """After a database error: roll back, and never load the signed-in user again in this request."""
    with suppress(Exception):  # the connection may be gone; the pool replaces it later
        db.session.rollback()
    g._login_user = login_manager.anonymous_user()


def _carried_fields() -> list[tuple[str, str]]:
    """The posted answers of an answering or survey page, to send again (no other form's fields:
    passwords and access codes are never written into a page)."""
    if request.method != "POST" or request.endpoint not in CARRIED_ENDPOINTS:
        return []
    try:
        return [(name, value) for name, value in request.form.items(multi=True) if name not in NOT_CARRIED]
    except Exception:  # noqa: BLE001 - an unreadable body is not carried
        return []


def unavailable_page():
    """503 with Retry-After: a page in the user's language, or JSON for the autosave script."""
    forget_database_state()
    headers = {"Retry-After": str(RETRY_AFTER), "Cache-Control": "no-store"}
    message = _("Det gick inte att spara just nu – försök igen.")
    if request.is_json or request.accept_mimetypes.best == "application/json":
        return {"ok": False, "error": "unavailable", "message": message}, 503, headers
    action = request.full_path if request.query_string else request.path
    return render_template("errors/unavailable.html", carried=_carried_fields(), action=action), 503, headers


def _error_page(template: str, status: int, **context: object):
    """An error page on the base layout, or the 503 page when drawing it needs a database that
    fails too (the menu of a signed-in user reads the user)."""
    try:
        return render_template(template, **context), status
    except sa_exc.SQLAlchemyError as failed:
        if not database_unavailable(failed):
            raise
        return unavailable_page()


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        # Views with long forms catch this themselves and show the form again with its answers.
        return _error_page("errors/csrf.html", 400, referrer=request.referrer)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        original = getattr(error, "original_exception", None)
        if original is not None and database_unavailable(original):
            # Failed after the view, e.g. loading the user for the response's headers.
            return unavailable_page()
        code = error.code or 500
        return _error_page("errors/error.html", code, code=code)

    @app.errorhandler(RoundNotFound)
    def round_not_found(error: RoundNotFound):
        # A URL's round key that names no round: every view looks rounds up with `get_round`.
        return http_error(NotFound())

    @app.errorhandler(sa_exc.SQLAlchemyError)
    def database_error(error: sa_exc.SQLAlchemyError):
        if not database_unavailable(error):
            return unexpected_error(error)
        app.logger.warning("Database unavailable on %s %s: %s", request.method, request.path,
                           type(error.orig if isinstance(error, sa_exc.DBAPIError) else error).__name__)
        return unavailable_page()

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return _error_page("errors/error.html", InternalServerError.code, code=500)
