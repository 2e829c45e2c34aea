"""The signed session cookie: Flask's, renewed at most once a minute when nothing in it changed.

Sessions are permanent with an idle timeout (`PERMANENT_SESSION_LIFETIME`, app/security.py):
Flask signs and sends the cookie again on every response so that its expiry slides. Signing,
and the serializer Flask builds anew for each request to do it, were about a tenth of the
server's time on a survey page. Here the cookie is sent again when the session changed, and
otherwise only once `REFRESH_INTERVAL` has passed since it was signed (its signature carries
the time): the idle timeout then ends at most a minute early, the same slack the login sessions
kept in the database have (`TOUCH_INTERVAL`, app/services/sessions.py). The serializer is made
once per secret key.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.models.base import utcnow

REFRESH_INTERVAL = timedelta(minutes=1)


class SignedSession(SecureCookieSession):
    """A session read from a cookie, knowing when that cookie was signed (None: a new one)."""

    signed_at: datetime | None = None  # in UTC, without tzinfo, as `utcnow`


class SessionInterface(SecureCookieSessionInterface):
    session_class = SignedSession

    def __init__(self) -> None:
        self._serializers: dict[tuple[object, ...], URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        key = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        found = self._serializers.get(key)
        if found is None:
            found = super().get_signing_serializer(app)
            assert found is not None
            self._serializers = {key: found}  # one secret at a time; a new one replaces it
        return found

    def open_session(self, app: Flask, request: Request) -> SignedSession | None:
        signer = self.get_signing_serializer(app)
        if signer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed_at = signer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed_at.replace(tzinfo=None)  # itsdangerous gives it in UTC
        return session

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed_at = getattr(session, "signed_at", None)
        # A fifth of the idle timeout when that is shorter than a minute: an active session
        # never runs out between two renewals.
        interval = min(REFRESH_INTERVAL, app.permanent_session_lifetime / 5)
        return signed_at is None or utcnow() - signed_at >= interval
