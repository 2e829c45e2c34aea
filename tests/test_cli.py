"""The `lagesbild` command line: users and the demo."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from app.extensions import db
from app.models import User
from tests.conftest import make_units

GOOD_PASSWORD = "ett-långt-demolösen-2026"


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User)) or 0


def test_users_create_and_list(app):
    with app.app_context():
        make_units()
    result = run(app, "users", "create", "--email", "Kim@Stad.se", "--role", "unit_editor", "--unit", "soc",
                 "--password", GOOD_PASSWORD)
    assert result.exit_code == 0, result.output
    listed = json.loads(run(app, "users", "list", "--json").output)
    assert listed == [{"key": "kim@stad.se", "name": "kim@stad.se", "email": "kim@stad.se",
                       "role": "unit_editor", "units": ["soc"], "active": True}]


def test_unknown_role_is_a_one_line_error(app):
    result = run(app, "users", "create", "--email", "a@b.se", "--role", "boss", "--password", GOOD_PASSWORD)
    assert result.exit_code == 1
    assert result.output.strip() == "Error: unknown role 'boss' (expected one of admin, analyst, unit_editor, unit_reader)"
    assert user_count(app) == 0


def test_unit_role_without_a_known_unit_is_refused(app):
    result = run(app, "users", "create", "--email", "a@b.se", "--role", "unit_reader", "--unit", "nope",
                 "--password", GOOD_PASSWORD)
    assert result.exit_code == 1 and "nope" in result.output
    assert user_count(app) == 0


def test_weak_password_and_duplicate_email_are_refused(app):
    assert run(app, "users", "create", "--email", "a@b.se", "--role", "admin", "--password", "kort").exit_code == 1
    assert run(app, "users", "create", "--email", "a@b.se", "--role", "admin", "--password", GOOD_PASSWORD).exit_code == 0
    again = run(app, "users", "create", "--email", "A@B.se", "--role", "admin", "--password", GOOD_PASSWORD)
    assert again.exit_code == 1 and "finns redan" in again.output
    assert user_count(app) == 1
