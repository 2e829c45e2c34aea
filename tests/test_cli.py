"""The `lagesbild` command line: users and the demo."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from app.extensions import db
from app.models import User
from tests.conftest import make_units, post

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
    assert result.output.strip() == ("Error: unknown role 'boss' "
                                     "(expected one of admin, analyst, unit_editor, unit_reader)")
    assert user_count(app) == 0


def test_unit_role_without_a_known_unit_is_refused(app):
    result = run(app, "users", "create", "--email", "a@b.se", "--role", "unit_reader", "--unit", "nope",
                 "--password", GOOD_PASSWORD)
    assert result.exit_code == 1 and "nope" in result.output
    assert user_count(app) == 0


def test_weak_password_and_duplicate_email_are_refused(app):
    assert run(app, "users", "create", "--email", "a@b.se", "--role", "admin", "--password", "kort").exit_code == 1
    created = run(app, "users", "create", "--email", "a@b.se", "--role", "admin", "--password", GOOD_PASSWORD)
    assert created.exit_code == 0
    again = run(app, "users", "create", "--email", "A@B.se", "--role", "admin", "--password", GOOD_PASSWORD)
    assert again.exit_code == 1 and "finns redan" in again.output
    assert user_count(app) == 1


def test_rounds_status_prints_stockholm_time_with_its_zone(city, as_role):
    """Stored times are UTC; the command line writes them as the pages do, in Stockholm time
    with its zone: 13:05 UTC on 28 November is 14:05 CET, 10:00 UTC on 1 June is 12:00 CEST.
    --json gives the same moment with its offset."""
    from datetime import datetime

    from app.models import UnitResponse
    from tests.rounds_factory import load_self_assessment
    from tests.test_rounds import answers_url, create_and_open_round

    with city.app_context():
        load_self_assessment()
    create_and_open_round(as_role("admin"))
    for client, unit in ((as_role("unit_editor"), "sdn-norr"), (as_role("other_editor"), "sdn-syd")):
        assert post(client, answers_url(unit), {"q-kannedom": "delvis", "base_version": "0",
                                                "action": "save"}).status_code == 302
    with city.app_context():
        for response in db.session.scalars(select(UnitResponse)):
            winter = response.unit.key == "sdn-norr"
            response.updated_at = datetime(2026, 11, 28, 13, 5) if winter else datetime(2026, 6, 1, 10, 0)
        db.session.commit()
    result = run(city, "rounds", "status", "granskning-2026")
    assert result.exit_code == 0, result.output
    lines = {line.split("\t")[0]: line.split("\t") for line in result.output.splitlines() if "\t" in line}
    assert lines["sdn-norr"][2] == "2026-11-28 14:05 CET"
    assert lines["sdn-syd"][2] == "2026-06-01 12:00 CEST"
    assert lines["bolag"][2] == "-"
    listed = {row["unit"]: row for row in json.loads(run(city, "rounds", "status", "granskning-2026",
                                                         "--json").output)}
    assert listed["sdn-norr"]["last_change_at"] == "2026-11-28T14:05:00+01:00"
    assert listed["sdn-syd"]["last_change_at"] == "2026-06-01T12:00:00+02:00"
