"""Logging in and out: throttling, session renewal, cookie flags, password rules."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, ThrottleCounter, User
from tests.conftest import PASSWORD, login, post


def test_login_page_is_swedish_by_default(city):
    page = city.test_client().get("/login").get_data(as_text=True)
    assert '<html lang="sv">' in page
    assert "Logga in" in page and "E-postadress" in page


def test_anonymous_visitor_is_sent_to_login(city):
    response = city.test_client().get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_admin_logs_in_and_reaches_the_admin_start_page(as_role):
    client = as_role("admin")
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Översikt" in page and "Norra stadsdelsnämnden" in page


def test_wrong_password_is_refused_with_a_message(city):
    response = login(city.test_client(), "admin@test.se", "fel-lösenord-123456")
    assert response.status_code == 401
    assert "Fel e-postadress eller lösenord" in response.get_data(as_text=True)


def test_login_is_throttled_per_account_after_ten_failures(city):
    client = city.test_client()
    for _ in range(10):
        assert login(client, "admin@test.se", "fel-lösenord-123456").status_code == 401
    # The eleventh try is refused even with the right password, with a clear message.
    response = login(client, "admin@test.se", PASSWORD)
    assert response.status_code == 429
    assert "För många misslyckade inloggningar" in response.get_data(as_text=True)
    # Another account from another address is not affected.
    other = city.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert login(other, "analyst@test.se").status_code == 302


def test_login_is_throttled_per_address_across_accounts(city):
    client = city.test_client()
    for number in range(city.config["LOGIN_ADDRESS_ATTEMPTS_PER_MINUTE"]):
        login(client, f"nobody{number}@test.se", "fel-lösenord-123456")
    assert login(client, "analyst@test.se").status_code == 429


def test_throttle_state_is_in_the_database_without_emails_or_addresses(city):
    login(city.test_client(), "admin@test.se", "fel-lösenord-123456")
    with city.app_context():
        events = db.session.scalars(select(ThrottleCounter)).all()
        assert len(events) == 3  # the address, the account and address, the account
        for event in events:
            assert "admin" not in event.key_hash and "127.0.0.1" not in event.key_hash


def test_login_and_failed_login_are_in_the_audit_log(city):
    client = city.test_client()
    login(client, "admin@test.se", "fel-lösenord-123456")
    login(client, "admin@test.se")
    with city.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert "login.failed" in actions and "login" in actions


def test_session_is_renewed_at_login(city):
    client = city.test_client()
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login(client, "admin@test.se")
    with client.session_transaction() as session:
        assert "planted" not in session


def test_session_cookie_is_httponly_samesite_and_secure_when_configured(city):
    client = city.test_client()
    response = login(client, "admin@test.se")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert city.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=4)


def test_secure_cookie_setting_is_on_unless_turned_off(tmp_path):
    from app.config import load_config

    on = load_config(tmp_path, {"SECRET_KEY": "x"})
    off = load_config(tmp_path, {"SECRET_KEY": "x", "LAGESBILD_SECURE_COOKIES": "0"})
    assert on["SESSION_COOKIE_SECURE"] is True and off["SESSION_COOKIE_SECURE"] is False


def test_logout_ends_the_session(as_role):
    client = as_role("admin")
    post(client, "/logout")
    assert client.get("/admin/").status_code == 302


def test_password_change_logs_out_other_sessions(as_role, city):
    first = as_role("unit_editor")
    second = as_role("unit_editor")
    new_password = "ett-nytt-och-långt-lösen-77"
    response = post(first, "/konto/losenord", {"current": PASSWORD, "new": new_password, "repeat": new_password})
    assert response.status_code == 302
    assert first.get("/").status_code == 200
    assert second.get("/").status_code == 302  # sent to the login page
    assert login(city.test_client(), "editor@test.se", new_password).status_code == 302


def test_short_and_common_passwords_are_refused(as_role):
    client = as_role("unit_editor")
    for bad in ("kort-lösen", "Sommar2024!!", "password1234"):
        response = post(client, "/konto/losenord", {"current": PASSWORD, "new": bad, "repeat": bad})
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "minst 12 tecken" in page or "vanligaste" in page


def test_login_redirect_never_leaves_the_site(city):
    client = city.test_client()
    response = post(client, "/login?next=//evil.example/", {"email": "admin@test.se", "password": PASSWORD})
    assert response.headers["Location"] == "/"


# --- the password rule: at least 12 characters, not common or breached, not guessable -------

WEAK = {
    "qwertyqwerty": "vanligaste",  # on the breached list (and a keyboard run, repeated)
    "hejhejhejhej": "upprepar ett mönster",
    "Password-Admin": "består bara av vanliga ord",
}
GOOD = "blå-häst-batteri-häftklammer"


def test_the_rule_names_what_makes_each_example_weak(app):
    from app.services.users import password_problems

    with app.test_request_context():
        for weak, reason in WEAK.items():
            assert any(reason in str(p) for p in password_problems(weak, "kim@test.se")), weak
        assert [str(p) for p in password_problems("Password-Admin", "admin@kommun.se")] == [
            "Lösenordet är lätt att gissa: det består bara av vanliga ord eller lösenord, siffror, årtal "
            "eller delar av e-postadressen. Välj till exempel några ord som inte hör ihop.",
            "Lösenordet innehåller e-postadressen.",
        ]
        assert [str(p) for p in password_problems("asdfghjklöä1")] == [
            "Lösenordet är lätt att gissa: det följer tangentbordet eller alfabetet (som qwerty eller abcdef)."]
        # Passphrases pass, the suite's own password among them; so do the demo's random ones.
        for good in (GOOD, PASSWORD, "ett-nytt-och-långt-lösen-77", "demo-" + "q7Rk2xWv9LmZpT3c"):
            assert password_problems(good, "admin@test.se") == [], good


def test_the_breached_list_ships_with_the_package_and_is_large():
    from app.services.passwords import ranked_words

    words = ranked_words()
    assert len(words) > 19_000
    assert words["123456"] == 1 and "lösenord" in words and "hejhej" in words


def test_weak_passwords_are_refused_by_users_create_and_a_good_one_accepted(app):
    runner = app.test_cli_runner()
    for number, weak in enumerate(WEAK):
        result = runner.invoke(args=["users", "create", "--email", f"admin{number}@kommun.se", "--role", "admin",
                                     "--password", weak])
        assert result.exit_code == 1, weak
        assert result.output.startswith("Error: password: ") and WEAK[weak] in result.output
    result = runner.invoke(args=["users", "create", "--email", "admin@kommun.se", "--role", "admin",
                                 "--password", GOOD])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalars(select(User.email)).all() == ["admin@kommun.se"]


def test_weak_passwords_are_refused_when_an_admin_creates_a_user(as_role, city):
    admin = as_role("admin")
    for weak, reason in WEAK.items():
        response = post(admin, "/admin/anvandare/ny", {"email": "admin@kommun.se", "role": "analyst",
                                                        "password": weak})
        assert response.status_code == 200
        assert reason in response.get_data(as_text=True)
    response = post(admin, "/admin/anvandare/ny", {"email": "admin@kommun.se", "role": "analyst", "password": GOOD})
    assert response.status_code == 302
    assert login(city.test_client(), "admin@kommun.se", GOOD).status_code == 302


def test_weak_passwords_are_refused_at_a_password_change(as_role, city):
    client = as_role("analyst")
    for weak, reason in WEAK.items():
        response = post(client, "/konto/losenord", {"current": PASSWORD, "new": weak, "repeat": weak})
        assert response.status_code == 200
        assert reason in response.get_data(as_text=True)
    assert login(city.test_client(), "analyst@test.se", PASSWORD).status_code == 302  # unchanged
    response = post(client, "/konto/losenord", {"current": PASSWORD, "new": GOOD, "repeat": GOOD})
    assert response.status_code == 302
    assert login(city.test_client(), "analyst@test.se", GOOD).status_code == 302


def test_the_rule_is_explained_in_english_too(as_role):
    client = as_role("analyst")
    post(client, "/sprak", {"language": "en"})
    page = post(client, "/konto/losenord", {"current": PASSWORD, "new": "hejhejhejhej",
                                            "repeat": "hejhejhejhej"}).get_data(as_text=True)
    assert "The password is easy to guess: it repeats a pattern (like hejhejhej)." in page
