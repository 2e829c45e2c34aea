"""The session cookie is sent again when the session changes, and otherwise at most once a minute
to slide its idle expiry (app/session_cookie.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner

from app import session_cookie
from tests.conftest import post
from tests.test_survey import admin_client, new_codes

COOKIE = "lagesbild_session"


def sent_cookie(response) -> str | None:  # type: ignore[no-untyped-def]
    found = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{COOKIE}=")]
    return found[0] if found else None


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Move time forward by `clock(seconds)` for the session cookie: its renewal's clock and
    the clock its signatures are made and checked with."""
    real_now, real_timestamp = session_cookie.utcnow, TimestampSigner.get_timestamp
    shift = [0]
    monkeypatch.setattr(session_cookie, "utcnow", lambda: real_now() + timedelta(seconds=shift[0]))
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real_timestamp(self) + shift[0])

    def forward(seconds: int) -> None:
        shift[0] += seconds

    return forward


def test_an_unchanged_session_is_renewed_at_most_once_a_minute(survey, clock):
    client = survey.test_client()
    first = client.get("/enkat")
    assert sent_cookie(first) is not None  # a new session: sent
    assert sent_cookie(client.get("/enkat")) is None  # unchanged, signed just now
    clock(59)
    assert sent_cookie(client.get("/enkat")) is None
    clock(2)  # a minute since it was signed: sent again, with its expiry moved on
    again = sent_cookie(client.get("/enkat"))
    assert again is not None and "Expires=" in again
    assert sent_cookie(client.get("/enkat")) is None


def test_a_changed_session_is_always_sent(survey):
    client = survey.test_client()
    page = client.get("/enkat")
    assert sent_cookie(page) is not None
    code = new_codes(admin_client(survey), "sdn-norr", 1)[0]
    entered = post(client, "/enkat", {"code": code})  # the draft's id goes into the session
    assert entered.status_code == 302 and sent_cookie(entered) is not None


def test_an_idle_session_still_ends_after_its_lifetime(survey, monkeypatch):
    """Renewing less often never lets a session outlive its idle timeout: the signature's time
    is checked against the lifetime on every request, as before."""
    client = survey.test_client()
    code = new_codes(admin_client(survey), "sdn-norr", 1)[0]
    assert post(client, "/enkat", {"code": code}).status_code == 302
    assert client.get("/enkat/sida").status_code == 200
    lifetime = int(survey.permanent_session_lifetime.total_seconds())
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + lifetime + 1)
    response = client.get("/enkat/sida")
    assert response.status_code == 302 and response.headers["Location"].endswith("/enkat")
