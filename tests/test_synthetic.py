"""`lagesbild demo --units N --respondents M --rounds R --seed S`: the synthetic city of issue 10,
deterministic and built through the real services."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app.demo.synthetic import THRESHOLD, SyntheticSpec, round_key, survey_plan, synthetic_units
from app.extensions import db
from app.models import Round, Unit, UnitResponse
from app.models.survey import SurveyAnswer, SurveyResponse

ARGS = ["demo", "--no-serve", "--units", "12", "--respondents", "60", "--rounds", "2", "--seed", "1"]
SPEC = SyntheticSpec(units=12, respondents=60, rounds=2, seed=1)
YEARS = (date.today().year - 1, date.today().year)


def build(app) -> str:
    result = app.test_cli_runner().invoke(args=ARGS)
    assert result.exit_code == 0, result.output
    return result.output


def figures(app) -> dict[str, object]:
    with app.app_context():
        def count(model, *where) -> int:
            return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0

        per_unit = db.session.execute(
            select(Round.key, Unit.key, func.count()).select_from(SurveyResponse)
            .join(Round, Round.id == SurveyResponse.round_id)
            .join(Unit, Unit.id == SurveyResponse.unit_id).group_by(Round.key, Unit.key)).all()
        return {
            "units": count(Unit), "rounds": count(Round), "unit_responses": count(UnitResponse),
            "responses": count(SurveyResponse), "answers": count(SurveyAnswer),
            "per_unit": {(r, u): n for r, u, n in per_unit},
        }


def test_the_same_seed_builds_the_same_city(app, tmp_path):
    from tests.conftest import _make_app

    build(app)
    other = _make_app(f"sqlite:///{tmp_path / 'other.db'}", tmp_path / "other-instance")
    with other.app_context():
        db.create_all()
    build(other)
    first, second = figures(app), figures(other)
    assert first == second
    # 12 units: the city, 3 top-level units (board, district board, company), 2 administrations
    # and 6 sections; two rounds of 60 responses; every top-level unit submitted in each round,
    # plus one risk register per round (every third top-level unit).
    assert (first["units"], first["rounds"], first["responses"]) == (12, 2, 120)
    assert first["unit_responses"] == 2 * 3 + 2 * 1
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_responses_per_unit_follow_the_plan_and_a_unit_is_below_the_threshold(app):
    build(app)
    per_unit = figures(app)["per_unit"]
    for year in YEARS:
        plan = survey_plan(SPEC, year)
        assert sum(plan.values()) == 60
        assert {u: n for (r, u), n in per_unit.items() if r == round_key(year)} == \
            {u: n for u, n in plan.items() if n}
        assert any(0 < n < THRESHOLD for n in plan.values())


def test_the_tree_has_one_city_and_every_unit_under_it():
    rows = synthetic_units(SPEC)
    kinds = [row.kind for row in rows]
    assert (len(rows), kinds.count("city")) == (12, 1)
    assert (kinds.count("board"), kinds.count("district_board"), kinds.count("company")) == (1, 1, 1)
    assert (kinds.count("administration"), kinds.count("section")) == (2, 6)
    keys = {row.key for row in rows}
    assert all(row.parent in keys for row in rows if row.kind != "city")


def test_a_second_run_builds_nothing(app):
    build(app)
    assert "exists already" in build(app)
    assert figures(app)["responses"] == 120


def test_synthetic_options_need_units(app):
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve", "--respondents", "10"])
    assert result.exit_code != 0
    assert "--units" in result.output
