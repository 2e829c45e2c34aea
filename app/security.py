"""Logins, the doors that enforce app/policy.py (`requires`, `require_unit`), the security headers
on every response, and keeping secrets out of logs."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, current_app, request, session
from flask_login import current_user
from sqlalchemy.orm import Session

from app import policy
from app.extensions import db, login_manager
from app.models import Unit, User
from app.services import sessions

F = TypeVar("F", bound=Callable[..., Any])

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)

# Paths whose pages show answers or codes: never cached by a browser or a proxy.
NO_STORE_PREFIXES = ("/enkat", "/admin", "/granskning", "/rapporter", "/konto", "/login")


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    # The cookie names a login session in the database (app/services/sessions.py): one that
    # has ended, by logout or otherwise, opens nothing, whoever sends the cookie.
    user_id, _, secret = session_id.partition(":")
    if not user_id.isdigit() or not secret:
        return None
    return sessions.load(db.session, int(user_id), secret, sessions.Lifetimes.from_config(current_app.config))


def require_unit(session: Session, user: Any, unit: Unit | None) -> Unit:
    """`unit` if `user` reads it: 403 otherwise, and 403 or 404 for no unit (see
    `policy.missing_unit_status`). Whether the user sees the round is `sees_round`, asked once the
    round is found."""
    if unit is None:
        abort(policy.missing_unit_status(user))
    if not policy.may_read(session, user, unit):
        abort(403)
    return unit


def requires(permission: policy.Permission) -> Callable[[F], F]:
    """Allow the view only to logged-in users whose role holds `permission`: the login page for
    an anonymous visitor, 403 for the others. The view keeps `required_permission`."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not policy.has(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permission = permission  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def client_address() -> str:
    """The client's address (ProxyFix has already applied the trusted X-Forwarded-For)."""
    return request.remote_addr or "unknown"


class ResultRowFilter(logging.Filter):
    """Drop SQLAlchemy's DEBUG records of result rows and columns: with a DEBUG root logger they
    would write answers and code hashes to the log (hide_parameters covers only parameters)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno <= logging.DEBUG and str(record.msg).startswith(("Row ", "Col ")))


class QueryStringFilter(logging.Filter):
    """Remove query strings from access-log lines: survey links can carry codes."""

    _query = re.compile(r"([A-Z]+ [^?\s\"]*)\?[^\s\"]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                self._query.sub(r"\1", a) if isinstance(a, str) else a for a in record.args
            )
        if isinstance(record.msg, str):
            record.msg = self._query.sub(r"\1", record.msg)
        return True


def _set_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    # Static files show nothing of anyone's: they do not load the signed-in user (a query each).
    if request.path.startswith(NO_STORE_PREFIXES) or (
        request.endpoint != "static" and current_user and current_user.is_authenticated
    ):
        headers["Cache-Control"] = "no-store"
    return response


def _make_session_permanent() -> None:
    # A permanent session expires after PERMANENT_SESSION_LIFETIME of inactivity, since
    # SESSION_REFRESH_EACH_REQUEST renews it on every request: an idle timeout.
    # Set only when not yet: setting it marks the session changed, which sends the cookie again.
    if not session.permanent:
        session.permanent = True


def register_security(app: Flask) -> None:
    app.before_request(_make_session_permanent)
    app.after_request(_set_headers)
    # Templates ask the policy too (`may_administer(current_user)`), never compare roles.
    app.jinja_env.globals.update(may_administer=policy.may_administer, may_analyse=policy.may_analyse,
                                 may=_may)


def _may(user: Any, permission: str) -> bool:
    return policy.has(user, policy.Permission(permission))
