"""Security headers, CSRF, error pages and what reaches the logs."""

from __future__ import annotations

import logging

from tests.conftest import PASSWORD


def test_security_headers_on_every_response(as_role):
    client = as_role("admin")
    for path in ("/login", "/admin/", "/integritet", "/static/css/app.css", "/finns-inte"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_pages_for_logged_in_users_are_not_cached(as_role):
    assert as_role("admin").get("/admin/").headers["Cache-Control"] == "no-store"


def test_post_without_csrf_token_is_refused(city):
    client = city.test_client()
    response = client.post("/login", data={"email": "admin@test.se", "password": PASSWORD})
    assert response.status_code == 400
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_post_with_a_forged_csrf_token_is_refused(as_role):
    client = as_role("admin")
    response = client.post("/admin/enheter/ny", data={"csrf_token": "forged", "key": "x", "name": "X", "kind": "board"})
    assert response.status_code == 400
    assert "Sidan har gått ut" in response.get_data(as_text=True)


def test_not_found_is_a_friendly_swedish_page(client):
    response = client.get("/finns-inte")
    assert response.status_code == 404
    assert "Sidan finns inte" in response.get_data(as_text=True)


def test_an_unexpected_error_shows_no_traceback(app):
    app.add_url_rule("/krasch", "crash", lambda: 1 / 0)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/krasch")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Traceback" not in page and "ZeroDivisionError" not in page
    assert "Något gick fel" in page


def test_engine_hides_parameters_from_logs(app):
    from app.extensions import db

    with app.app_context():
        assert db.engine.hide_parameters is True


def test_access_log_lines_lose_their_query_string():
    from app.security import QueryStringFilter

    record = logging.LogRecord("werkzeug", logging.INFO, "", 0, '%s - - "%s" %s',
                               ("127.0.0.1", "GET /enkat?kod=ABCD-EFGH HTTP/1.1", "200"), None)
    QueryStringFilter().filter(record)
    assert "ABCD" not in record.getMessage()
    assert "GET /enkat HTTP/1.1" in record.getMessage()


def test_language_can_be_switched_to_english(city):
    from tests.conftest import post

    client = city.test_client()
    post(client, "/sprak", {"language": "en", "next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page


def test_only_a_test_application_may_hash_passwords_cheaply(app, tmp_path):
    """The suite hashes with one PBKDF2 round (conftest); a server never does, whatever its
    config says: outside TESTING the method is scrypt."""
    from app import create_app
    from app.services.users import hash_method

    with app.app_context():
        assert app.config["PASSWORD_HASH_METHOD"] == "pbkdf2:sha256:1"
        assert hash_method() == "pbkdf2:sha256:1"
    server = create_app({
        "ENVIRON": {"SECRET_KEY": "a-secret-for-this-test-only-0123456789"},
        "INSTANCE_PATH": str(tmp_path / "server"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'server.sqlite'}",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
    })
    with server.app_context():
        assert hash_method() == "scrypt"
    assert hash_method() == "scrypt"
