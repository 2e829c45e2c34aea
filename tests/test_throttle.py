"""Throttling of logins and access codes (app/services/throttle.py).

Counters keep a keyed hash of an address or account only while they count: a window of one
minute from the key's first attempt (a failed login's wait, at most a minute, besides). Every
count and every survey POST but a page's (a completion's after it commits) deletes what has
ended, for every scope. An attacker's failures
never keep the real user at another address out; a login is counted before it is checked, so
parallel requests get exactly the limit through. An access code is counted only when it fails:
an accepted one writes nothing derived from its address. The clock the throttle reads is moved
by hand; nothing sleeps."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import lru_cache

import pytest
from sqlalchemy import event, select
from werkzeug.security import check_password_hash

from app.extensions import db
from app.models import AuditEvent, ThrottleCounter
from app.services.survey import THROTTLE_SCOPE
from tests.conftest import PASSWORD, csrf_token, login, post
from tests.test_survey import admin_client, answer_all, new_codes, respond_with_code
from tests.test_survey_storage import on_postgres, sql

START = datetime(2026, 3, 2, 9, 0, 0)
MINUTE = timedelta(minutes=1)
WRONG = "fel-lösenord-helt-klart"


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


@pytest.fixture(autouse=True)
def _hash_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each password is checked against each hash once (scrypt costs a quarter of a second here);
    the answer is the real one."""
    monkeypatch.setattr("app.services.users.check_password_hash", lru_cache(maxsize=None)(check_password_hash))


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def counters(app) -> list[tuple[str, int, datetime, datetime | None]]:
    """(scope, count, window end, wait end) of every counter, read as the database administrator would."""
    with app.app_context():
        rows = db.session.execute(select(ThrottleCounter.scope, ThrottleCounter.count,
                                         ThrottleCounter.window_ends, ThrottleCounter.not_before))
        return sorted((scope, count, ends, not_before) for scope, count, ends, not_before in rows)


def scopes(app) -> list[str]:
    return [scope for scope, *_rest in counters(app)]


def wrong_code(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return post(client, "/enkat", {"code": "AAAA-BBBB-CCCC-DDDD"})


def login_from(app, address: str, email: str = "admin@test.se", password: str = PASSWORD):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return login(client, email, password)


# --- survey codes: what is kept, and for how long ---------------------------------------------------


def test_a_failed_code_entry_is_forgotten_when_its_window_ends_at_the_next_survey_request(survey, clock):
    assert wrong_code(survey, "10.0.0.1").status_code == 400
    clock.advance(30)
    assert wrong_code(survey, "10.0.0.2").status_code == 400
    # Both still count against their addresses' limits, each in a window from its first failure.
    assert counters(survey) == [(THROTTLE_SCOPE, 1, at(60), None), (THROTTLE_SCOPE, 1, at(90), None)]
    clock.advance(30)  # 60 s after the first: its window has ended
    assert wrong_code(survey, "10.0.0.3").status_code == 400
    assert counters(survey) == [(THROTTLE_SCOPE, 1, at(90), None), (THROTTLE_SCOPE, 1, at(120), None)]


def test_an_accepted_code_leaves_no_counter_and_clears_the_expired_ones(survey, clock):
    code = new_codes(admin_client(survey), "bolag", 1)[0]
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        wrong_code(survey, address)
    assert len(counters(survey)) == 3
    clock.advance(60)  # exactly one window later the counters no longer count, and are deleted
    respond_with_code(survey, code)
    # The survey POSTs deleted the ended counters; the accepted code counted nothing.
    assert counters(survey) == []


def test_an_accepted_code_leaves_its_addresss_failures_as_they_were(survey, clock):
    codes = new_codes(admin_client(survey), "bolag", 2)
    wrong_code(survey, "10.0.0.1")
    wrong_code(survey, "10.0.0.1")
    client = survey.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.0.1"
    assert post(client, "/enkat", {"code": codes[0]}).status_code == 302
    assert counters(survey) == [(THROTTLE_SCOPE, 2, at(60), None)]


@contextmanager
def writes_to_counters(app):
    """The statements that insert or update a throttle counter, or delete one, while the block runs."""
    seen: list[str] = []

    def after(_conn, cursor, statement, _parameters, _context, _many) -> None:
        if "throttle_counters" not in statement:
            return
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb in ("INSERT", "UPDATE") or (verb == "DELETE" and cursor.rowcount):
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(engine, "after_cursor_execute", after)


def stored_counters(app) -> list[tuple]:
    """Every counter row as stored, on PostgreSQL with its transaction id and place."""
    with app.app_context():
        system = ", xmin::text, ctid::text" if on_postgres() else ""
        return sorted(sql(f"SELECT scope, key_hash, count, window_ends, not_before{system} "  # noqa: S608
                          "FROM throttle_counters"))


def test_an_accepted_code_and_its_survey_write_nothing_to_the_counters(survey, clock):
    codes = new_codes(admin_client(survey), "bolag", 2)
    wrong_code(survey, "10.0.0.1")  # one address with a failure counted, the other without
    before = stored_counters(survey)
    assert len(before) == 1
    with writes_to_counters(survey) as writes:
        for address, code in zip(("10.0.0.1", "10.0.0.2"), codes, strict=True):
            client = survey.test_client()
            client.environ_base["REMOTE_ADDR"] = address
            assert post(client, "/enkat", {"code": code}).status_code == 302
            answer_all(client)
    assert writes == []
    # The row of the address that failed is as it was (on PostgreSQL: not even rewritten), and
    # no row holds the other address: nothing sits next to the claims in the database.
    assert stored_counters(survey) == before
    with survey.app_context():
        assert sql("SELECT count(*) FROM survey_drafts") == [(0,)]  # both surveys completed


def test_a_survey_request_clears_the_expired_login_counters_too(survey, clock):
    assert login_from(survey, "10.0.0.9", password=WRONG).status_code == 401
    assert scopes(survey) == ["login-account", "login-address", "login-pair"]
    clock.advance(60)
    wrong_code(survey, "10.0.0.1")
    # The address-derived counters are gone; the account's failure count (a keyed hash of the
    # e-mail only) is kept 15 minutes after its last failure.
    assert counters(survey) == [("login-account", 1, at(15 * 60), None), (THROTTLE_SCOPE, 1, at(120), None)]


def test_a_login_clears_the_expired_survey_counters(survey, clock):
    wrong_code(survey, "10.0.0.1")
    clock.advance(60)
    assert login(survey.test_client(), "admin@test.se").status_code == 302
    # The successful login gave its own attempt back and cleared its address's counter.
    assert counters(survey) == []


def test_the_limit_counts_the_failures_of_the_window(survey, clock):
    limit = survey.config["CODE_ATTEMPTS_PER_MINUTE"]
    for second in range(limit):
        clock.now = at(second)
        assert wrong_code(survey, "10.0.0.1").status_code == 400
    # 10 failures between 0 s and 9 s: refused until the window that began at 0 s ends at 60 s.
    clock.now = at(59)
    refused = wrong_code(survey, "10.0.0.1")
    assert refused.status_code == 429 and "För många försök" in refused.get_data(as_text=True)
    assert wrong_code(survey, "10.0.0.2").status_code == 400  # another address is not held back
    clock.now = at(60)
    assert wrong_code(survey, "10.0.0.1").status_code == 400
    assert counters(survey) == [(THROTTLE_SCOPE, 1, at(119), None), (THROTTLE_SCOPE, 1, at(120), None)]


def test_a_throttled_code_entry_also_clears_the_expired_counters(survey, clock):
    wrong_code(survey, "10.0.0.1")
    clock.advance(50)
    limit = survey.config["CODE_ATTEMPTS_PER_MINUTE"]
    for _ in range(limit):
        wrong_code(survey, "10.0.0.2")
    clock.advance(10)  # 60 s after 10.0.0.1's failure, 10 s after 10.0.0.2's
    assert wrong_code(survey, "10.0.0.2").status_code == 429
    # The refusal was not counted: only failures are.
    assert counters(survey) == [(THROTTLE_SCOPE, limit, at(110), None)]


# --- logins: nobody can lock an account ---------------------------------------------------------


def test_the_right_password_from_another_address_goes_through_while_an_attacker_guesses(city, clock):
    statuses = [login_from(city, "10.6.6.6", password=WRONG).status_code for _ in range(15)]
    assert statuses == [401] * 10 + [429] * 5
    # The attacker's address is refused even with the right password...
    assert login_from(city, "10.6.6.6").status_code == 429
    # ...but the admin at their own address is not held back at all.
    assert login_from(city, "10.1.1.1").status_code == 302


def test_an_attack_from_many_addresses_does_not_keep_the_real_user_out(city, clock):
    for number in range(25):
        assert login_from(city, f"10.6.6.{number}", password=WRONG).status_code == 401
    assert login_from(city, "10.1.1.1").status_code == 302
    with city.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions.count("login.failed") == 25 and actions[-1] == "login"


def test_the_real_users_own_mistake_during_an_attack_costs_at_most_a_minute(city, clock):
    for number in range(20):  # the account is at 20 failures: each costs its address a minute
        login_from(city, f"10.6.6.{number}", password=WRONG)
    client = city.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.1.1.1"
    assert login(client, "admin@test.se", "fel-lösenord-slant").status_code == 401
    clock.advance(30)
    wait = login(client, "admin@test.se")
    assert wait.status_code == 429 and wait.headers["Retry-After"] == "30"
    assert "Vänta 30 s och försök igen" in wait.get_data(as_text=True)
    clock.advance(30)
    assert login(client, "admin@test.se").status_code == 302


def test_the_wait_of_an_address_doubles_with_the_accounts_failures_up_to_a_minute(city, clock):
    # Twenty free failures, so that the attacker's tries and retries (12 in the first minute)
    # stay under the hard limit per account and address, which is the same setting.
    city.config["LOGIN_ATTEMPTS_PER_MINUTE"] = limit = 20
    for number in range(limit - 1):  # nineteen failures from nineteen addresses cost nothing
        assert login_from(city, f"10.6.6.{number}", password=WRONG).status_code == 401
    attacker = city.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    waits = []
    for _ in range(8):
        # Failures 20, 21, ... of the account; right after each, the attacker is told to wait.
        assert login(attacker, "admin@test.se", WRONG).status_code == 401
        refused = login(attacker, "admin@test.se", PASSWORD)
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        clock.advance(waits[-1])
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]
    # An address that has not failed goes straight through.
    assert login_from(city, "10.1.1.1").status_code == 302


def test_the_first_wait_is_a_second_after_the_accounts_tenth_failure(city, clock):
    limit = city.config["LOGIN_ATTEMPTS_PER_MINUTE"]
    for number in range(limit - 1):
        login_from(city, f"10.6.6.{number}", password=WRONG)
    client = city.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    assert login(client, "admin@test.se", WRONG).status_code == 401
    refused = login(client, "admin@test.se")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert "För många misslyckade inloggningar. Vänta 1 s och försök igen." in refused.get_data(as_text=True)
    clock.advance(1)
    assert login(client, "admin@test.se").status_code == 302


def test_a_successful_login_clears_the_accounts_failures(city, clock):
    for number in range(15):
        login_from(city, f"10.6.6.{number}", password=WRONG)
    assert login_from(city, "10.1.1.1").status_code == 302
    # The next failure, from yet another address, is the account's first again: no wait.
    client = city.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.7.7.7"
    assert login(client, "admin@test.se", WRONG).status_code == 401
    assert login(client, "admin@test.se").status_code == 302


def test_the_limit_per_account_and_address_leaves_other_accounts_from_that_address(city, clock):
    limit = city.config["LOGIN_ATTEMPTS_PER_MINUTE"]
    for _ in range(limit):
        assert login_from(city, "10.5.5.5", password=WRONG).status_code == 401
    assert login_from(city, "10.5.5.5").status_code == 429
    assert login_from(city, "10.5.5.5", "analyst@test.se").status_code == 302
    clock.advance(60)  # the window has ended
    assert login_from(city, "10.5.5.5").status_code == 302


def test_the_limit_per_address_holds_whatever_the_account(city, clock):
    limit = city.config["LOGIN_ADDRESS_ATTEMPTS_PER_MINUTE"]
    for number in range(limit):
        assert login_from(city, "10.5.5.5", f"nobody{number}@test.se", WRONG).status_code == 401
    refused = login_from(city, "10.5.5.5", "analyst@test.se")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert login_from(city, "10.5.5.6", "analyst@test.se").status_code == 302
    clock.advance(60)
    assert login_from(city, "10.5.5.5", "analyst@test.se").status_code == 302


def test_ipv6_addresses_are_counted_by_their_64_network(city, clock):
    limit = city.config["LOGIN_ATTEMPTS_PER_MINUTE"]
    for number in range(1, limit + 1):
        assert login_from(city, f"2001:db8::{number:x}", password=WRONG).status_code == 401
    assert login_from(city, "2001:db8::ffff").status_code == 429
    assert login_from(city, "2001:db8:0:1::1").status_code == 302


def test_counters_hold_no_email_or_address(city, clock):
    login_from(city, "10.4.4.4", password=WRONG)
    with city.app_context():
        stored = " ".join(f"{c.scope} {c.key_hash}" for c in db.session.scalars(select(ThrottleCounter)))
    assert "admin" not in stored and "10.4.4.4" not in stored and "test.se" not in stored


# --- parallel requests ----------------------------------------------


def in_parallel(app, count: int, send) -> list[int]:
    """`count` requests sent at once, each from a client of its own; their statuses."""
    clients = [app.test_client() for _ in range(count)]
    tokens = [csrf_token(client) for client in clients]
    barrier = threading.Barrier(count, timeout=60)

    def one(number: int) -> int:
        barrier.wait()
        return send(clients[number], tokens[number]).status_code

    with ThreadPoolExecutor(max_workers=count) as pool:
        return sorted(pool.map(one, range(count)))


def test_parallel_wrong_passwords_get_exactly_the_limit_through(city):
    limit = city.config["LOGIN_ATTEMPTS_PER_MINUTE"]

    def send(client, token):
        return client.post("/login", data={"email": "admin@test.se", "password": WRONG, "csrf_token": token})

    assert in_parallel(city, 40, send) == [401] * limit + [429] * (40 - limit)
    with city.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEvent))]
    assert actions.count("login.failed") == limit and actions.count("login.throttled") == 40 - limit


def test_parallel_code_guesses_are_all_counted_and_refused_once_the_limit_is_reached(survey):
    limit = survey.config["CODE_ATTEMPTS_PER_MINUTE"]

    def send(client, token):
        return client.post("/enkat", data={"code": "AAAA-BBBB-CCCC-DDDD", "csrf_token": token})

    statuses = in_parallel(survey, 40, send)
    # A guess is counted after its check, so guesses that read the counter before the others
    # were counted are checked too: at least the limit, at most those in flight besides.
    checked = statuses.count(400)
    assert limit <= checked and statuses == [400] * checked + [429] * (40 - checked)
    # Every checked guess was counted, and the address is refused now.
    assert [count for _scope, count, *_rest in counters(survey)] == [checked]
    assert wrong_code(survey, "127.0.0.1").status_code == 429
