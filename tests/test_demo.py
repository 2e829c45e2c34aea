"""`lagesbild demo`: the demonstration city, built through the real services, once.

The test database is made with `create_all` (no `alembic_version`), which the demo leaves as it
is; a real database is always upgraded first.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from app.config import PROJECT_ROOT
from app.extensions import db
from app.models import Round, Unit, UnitResponse, User
from app.models.survey import SurveyDraft, SurveyResponse, SurveyTally, SurveyText
from app.services.rounds import get_round, round_status
from app.services.survey import response_rates
from tests.conftest import login

# The plan in DemoSpec, worked out by hand: 11 invited units (5 boards, 3 district boards,
# 3 companies); this year 6 submitted, 3 drafts, 2 not started; the staff survey of five units
# with 46 + 41 + 34 + 26 + 3 completed and 3 + 2 + 2 + 1 + 1 declined, 3 + 2 + 2 + 1 + 1 unfinished.
INVITED = 11
COMPLETED = 150
DECLINED = 9
UNFINISHED = 9
# The demo dates its rounds from today: last year's is closed, this year's open.
THIS_YEAR = date.today().year
LAST_YEAR = THIS_YEAR - 1


def run_demo(app):
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    return result.output


def counts(app) -> dict[str, int]:
    with app.app_context():
        def count(model, *where) -> int:
            return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0

        return {
            "units": count(Unit), "users": count(User), "rounds": count(Round), "answers": count(UnitResponse),
            "survey": count(SurveyResponse), "texts": count(SurveyText), "drafts": count(SurveyDraft),
            "declined": db.session.scalar(select(func.coalesce(func.sum(SurveyTally.declined), 0))),
        }


def password_of(output: str, email: str) -> str:
    match = re.search(rf"{re.escape(email)}\s+password: (\S+)", output)
    assert match, output
    return match.group(1)


def test_demo_builds_both_rounds_and_prints_the_logins(app):
    output = run_demo(app)
    for email in ("admin@lagesbild.example", "redaktor@lagesbild.example", "analytiker@lagesbild.example"):
        assert email in output
    with app.app_context():
        last, this = get_round(db.session, f"granskning-{LAST_YEAR}"), get_round(db.session, f"granskning-{THIS_YEAR}")
        assert (last.status, this.status) == ("closed", "open")
        assert round_status(db.session, last).counts["submitted"] == INVITED
        now = round_status(db.session, this).counts
        assert (now["submitted"], now["draft"], now["not_started"], now["reopened"]) == (6, 3, 2, 0)


def test_demo_survey_has_responses_declines_drafts_and_a_unit_below_the_threshold(app):
    run_demo(app)
    figures = counts(app)
    assert (figures["survey"], figures["declined"], figures["drafts"]) == (COMPLETED, DECLINED, UNFINISHED)
    assert figures["texts"] > 0
    with app.app_context():
        this = get_round(db.session, f"granskning-{THIS_YEAR}")
        rows, total = response_rates(db.session, this)
        by_unit = {row.unit_key: row for row in rows}
        assert (total.completed, total.declined, total.started) == (COMPLETED, DECLINED, UNFINISHED)
        below = by_unit["arbetsmarknadsnamnden"]
        assert (below.invited, below.completed) == (14, 3)
        assert 0 < below.completed < this.anonymity_threshold
        assert set(db.session.scalars(select(SurveyText.status))) == {"unread"}


def test_some_units_rate_differently_from_last_year(app):
    run_demo(app)
    with app.app_context():
        ratings: dict[tuple[str, int], dict[str, str]] = {}
        for unit_key, year, answers in db.session.execute(
            select(Unit.key, Round.year, UnitResponse.answers)
            .join(Unit, Unit.id == UnitResponse.unit_id).join(Round, Round.id == UnitResponse.round_id)
            .where(UnitResponse.status == "submitted")
        ):
            found = {k: v["value"] for k, v in answers.items() if isinstance(v, dict) and "value" in v}
            if found:  # the self-assessment, not the risk register (whose entries have no "value")
                ratings[unit_key, year] = found
    both = [key for key, year in ratings if year == THIS_YEAR and (key, LAST_YEAR) in ratings]
    changed = [key for key in both if ratings[key, LAST_YEAR] != ratings[key, THIS_YEAR]]
    assert len(both) == 6 and changed


def test_running_the_demo_twice_creates_nothing_twice(app):
    first_output = run_demo(app)
    first = counts(app)
    second_output = run_demo(app)
    assert counts(app) == first
    assert "Created round" in first_output and "Created round" not in second_output
    assert password_of(first_output, "admin@lagesbild.example") == password_of(second_output, "admin@lagesbild.example")


def test_demo_admin_sees_both_rounds_and_the_editor_sees_the_open_round(app):
    output = run_demo(app)
    admin = app.test_client()
    assert login(admin, "admin@lagesbild.example", password_of(output, "admin@lagesbild.example")).status_code == 302
    page = admin.get("/admin/omgangar").get_data(as_text=True)
    assert f"Gemensam granskning {LAST_YEAR}" in page and f"Gemensam granskning {THIS_YEAR}" in page
    editor = app.test_client()
    assert login(editor, "redaktor@lagesbild.example",
                 password_of(output, "redaktor@lagesbild.example")).status_code == 302
    home = editor.get("/")
    assert home.status_code == 200
    assert f"/granskning/granskning-{THIS_YEAR}/sdn-sodermalm/sjalvskattning" in home.get_data(as_text=True)


def test_the_demo_keeps_its_logins_in_the_instance_folder_the_app_was_given(app):
    """Two applications with their own instance folders (two installations on one server, or two
    tests at once) never read or overwrite each other's demo passwords."""
    output = run_demo(app)
    folder = Path(app.instance_path)
    assert folder != PROJECT_ROOT / "instance"
    assert f"admin@lagesbild.example\t{password_of(output, 'admin@lagesbild.example')}\n" in \
        (folder / "demo-logins.txt").read_text()
