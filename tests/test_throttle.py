"""Throttle events keep a keyed hash of an address or account only while it can count against a
limit: one minute. Every check and every record deletes what has left the window, for every
scope. The clock the throttle reads is moved by hand; nothing sleeps."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ThrottleEvent
from app.services.survey import THROTTLE_SCOPE
from tests.conftest import login, post
from tests.test_survey import admin_client, new_codes, respond_with_code

START = datetime(2026, 3, 2, 9, 0, 0)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The throttle's clock, moved only by the test."""
    frozen = Clock()
    monkeypatch.setattr("app.services.throttle.utcnow", frozen)
    return frozen


def events(app) -> list[tuple[str, datetime]]:
    """(scope, time) of every row in throttle_events, read as the database administrator would."""
    with app.app_context():
        return sorted((scope, at) for scope, at in db.session.execute(select(ThrottleEvent.scope, ThrottleEvent.at)))


def wrong_code(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return post(client, "/enkat", {"code": "AAAA-BBBB-CCCC-DDDD"})


def test_a_failed_code_entry_is_gone_after_a_minute_at_the_next_survey_request(survey, clock):
    assert wrong_code(survey, "10.0.0.1").status_code == 400
    clock.advance(30)
    assert wrong_code(survey, "10.0.0.2").status_code == 400
    # Both still count against their addresses' limits.
    assert events(survey) == [(THROTTLE_SCOPE, START), (THROTTLE_SCOPE, START + timedelta(seconds=30))]
    clock.advance(31)  # 61 s after the first, 31 s after the second
    assert wrong_code(survey, "10.0.0.3").status_code == 400
    assert events(survey) == [(THROTTLE_SCOPE, START + timedelta(seconds=30)),
                              (THROTTLE_SCOPE, START + timedelta(seconds=61))]


def test_a_successful_code_entry_also_clears_the_expired_events(survey, clock):
    code = new_codes(admin_client(survey), "bolag", 1)[0]
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        wrong_code(survey, address)
    assert len(events(survey)) == 3
    clock.advance(60)  # exactly one window later the events no longer count, and are deleted
    respond_with_code(survey, code)
    assert events(survey) == []


def test_a_survey_request_clears_the_expired_login_events_too(survey, clock):
    client = survey.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert login(client, "admin@test.se", "fel-lösenord-helt-klart").status_code == 401
    assert sorted(scope for scope, _at in events(survey)) == ["login-account", "login-address"]
    clock.advance(61)
    wrong_code(survey, "10.0.0.1")
    assert events(survey) == [(THROTTLE_SCOPE, START + timedelta(seconds=61))]


def test_a_login_clears_the_expired_survey_events(survey, clock):
    wrong_code(survey, "10.0.0.1")
    clock.advance(61)
    assert login(survey.test_client(), "admin@test.se").status_code == 302
    assert events(survey) == []


def test_the_limit_still_counts_the_failures_of_the_last_minute(survey, clock):
    limit = survey.config["CODE_ATTEMPTS_PER_MINUTE"]
    for second in range(limit):
        clock.now = START + timedelta(seconds=second)
        assert wrong_code(survey, "10.0.0.1").status_code == 400
    # 10 failures between 0 s and 9 s: refused until the first of them leaves the window at 60 s.
    clock.now = START + timedelta(seconds=59)
    assert wrong_code(survey, "10.0.0.1").status_code == 429
    assert wrong_code(survey, "10.0.0.2").status_code == 400  # another address is not held back
    clock.now = START + timedelta(seconds=60)
    assert wrong_code(survey, "10.0.0.1").status_code == 400
    # Left: 10.0.0.1's failures at 1..9 s, 10.0.0.2's at 59 s and 10.0.0.1's new one at 60 s.
    assert [at for _scope, at in events(survey)] == [
        *(START + timedelta(seconds=s) for s in range(1, limit)),
        START + timedelta(seconds=59), START + timedelta(seconds=60)]


def test_a_throttled_code_entry_also_clears_the_expired_events(survey, clock):
    wrong_code(survey, "10.0.0.1")
    clock.advance(50)
    limit = survey.config["CODE_ATTEMPTS_PER_MINUTE"]
    for _ in range(limit):
        wrong_code(survey, "10.0.0.2")
    clock.advance(11)  # 61 s after 10.0.0.1's failure, 11 s after 10.0.0.2's
    assert wrong_code(survey, "10.0.0.2").status_code == 429
    assert START not in [at for _scope, at in events(survey)]
