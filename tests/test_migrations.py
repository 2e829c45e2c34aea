"""Alembic owns the schema: the migrations build it from empty and match the models exactly."""

from __future__ import annotations

import os
import uuid

import pytest
from flask_migrate import check, downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from app import create_app
from app.extensions import db
from tests.conftest import TEST_DB_ENV, _normalise


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
    base = os.environ.get(TEST_DB_ENV)
    if not base:
        pytest.skip(f"{TEST_DB_ENV} is not set: PostgreSQL runs in the CI's second pass")
    base = _normalise(base)
    schema = f"lagesbild_mig_{uuid.uuid4().hex[:10]}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def test_migrations_build_the_schema_from_empty_without_drift(empty_database, tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database,
                      "INSTANCE_PATH": str(tmp_path / "instance"),
                      "ENVIRON": {"SECRET_KEY": "x", "LAGESBILD_SECURE_COOKIES": "0"}})
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables
        check()  # `alembic check`: raises when the models and the migrations differ
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()
