"""Alembic owns the schema: the migrations build it from empty and match the models exactly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import check, downgrade, upgrade
from sqlalchemy import inspect, text

from app import create_app
from app.extensions import db
from tests.conftest import TEST_DB_ENV, _normalise, new_postgres_schema


def _database_urls(tmp_path) -> list[tuple[str, str | None]]:
    urls: list[tuple[str, str | None]] = [("sqlite", f"sqlite:///{tmp_path / 'migrated.db'}")]
    if os.environ.get(TEST_DB_ENV):
        urls.append(("postgresql", _normalise(os.environ[TEST_DB_ENV])))
    return urls


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """An empty database of each kind (PostgreSQL: a new schema, dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    with new_postgres_schema("lagesbild_mig") as url:
        yield url


def test_migrations_build_the_schema_from_empty_without_drift(empty_database, tmp_path):
    app = _app(empty_database, tmp_path)
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables
        check()  # `alembic check`: raises when the models and the migrations differ
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def _app(database: str, tmp_path: Path) -> Flask:
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database,
                       "INSTANCE_PATH": str(tmp_path / "instance"),
                       "ENVIRON": {"SECRET_KEY": "x", "LAGESBILD_SECURE_COOKIES": "0"}})


def _demo_city_at_head(app: Flask) -> None:
    """Every migration, then the synthetic city's two rounds built through the services."""
    upgrade()
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve", "--units", "8", "--respondents", "40",
                                                 "--rounds", "2", "--seed", "3"])
    assert result.exit_code == 0, result.output


def test_the_counts_migration_computes_the_counts_of_responses_already_stored(empty_database, tmp_path):
    """Migration 0003 fills `survey_counts` from the answers of a database that had none: the
    synthetic city's two rounds are built at head, the counts table is dropped by going down to
    0002 and rebuilt by going up again; what it holds equals what was kept as answers were
    stored, and the GROUP BY of the answers."""
    from app.models.survey import SurveyCount
    from app.services.survey import counts_from_answers

    app = _app(empty_database, tmp_path)

    def kept() -> dict[tuple[int, int, str, str, str], int]:
        rows = db.session.execute(text(
            "SELECT round_id, unit_id, question_key, row_key, value, respondents FROM survey_counts"))
        return {tuple(row[:5]): row[5] for row in rows}

    with app.app_context():
        _demo_city_at_head(app)
        before = kept()
        round_ids = sorted({key[0] for key in before})
        assert len(round_ids) == 2 and sum(n for key, n in before.items() if key[3:] == ("", "")) > 0
        expected = {(round_id, *key): n for round_id in round_ids
                    for key, n in counts_from_answers(db.session, round_id).items()}
        assert before == expected
        db.session.remove()
        downgrade(revision="0002")
        assert SurveyCount.__tablename__ not in inspect(db.engine).get_table_names()
        upgrade()
        assert kept() == before
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


def test_the_split_counts_migration_computes_the_splits_of_responses_already_stored(empty_database, tmp_path):
    """Migration 0007 fills `survey_split_counts` from the answers and each round's stored
    definition: the synthetic city's two rounds are built at head, the table is dropped by going
    down to 0006 and rebuilt by going up again; what it holds equals what was kept as answers
    were released, and the answers grouped (`split_counts_from_answers`)."""
    from app.models import Round
    from app.models.survey import SurveySplitCount
    from app.services.survey import split_counts_from_answers
    from app.services.survey.codes import survey_definition

    app = _app(empty_database, tmp_path)

    def kept() -> dict[tuple[int, int, str, str, str, str, str], int]:
        rows = db.session.execute(text(
            "SELECT round_id, unit_id, by_question, by_value, question_key, row_key, value, respondents "
            "FROM survey_split_counts"))
        return {tuple(row[:7]): row[7] for row in rows}

    with app.app_context():
        _demo_city_at_head(app)
        before = kept()
        rounds = [r for r in db.session.scalars(db.select(Round)) if r.version_of_kind("survey") is not None]
        assert len(rounds) == 2 and sum(n for key, n in before.items() if key[5:] == ("", "")) > 0
        expected = {(r.id, *key): n for r in rounds
                    for key, n in split_counts_from_answers(db.session, r.id, survey_definition(r)).items()}
        assert before == expected
        db.session.remove()
        downgrade(revision="0006")
        assert SurveySplitCount.__tablename__ not in inspect(db.engine).get_table_names()
        upgrade()
        assert kept() == before
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()
