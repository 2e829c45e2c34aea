"""Fixtures: an application on a fresh database per test (SQLite, or PostgreSQL when
LAGESBILD_TEST_DATABASE_URL names one), clients logged in per role, and data factories."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy import create_engine, text

from app import create_app
from app.extensions import db
from app.services import transaction
from app.services.units import UnitRow, import_units
from app.services.users import NewUser, create_user

TEST_DB_ENV = "LAGESBILD_TEST_DATABASE_URL"
PASSWORD = "rätt-häftigt-lösen-2026"  # long enough, not common


def _normalise(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def pytest_report_header(config: pytest.Config) -> str:
    import os

    url = os.environ.get(TEST_DB_ENV)
    return f"database: {'PostgreSQL ' + url.split('@')[-1] if url else 'SQLite (a new file per test)'}"


@contextmanager
def new_postgres_schema(prefix: str) -> Iterator[str]:
    """The URL of a new, empty schema on the test PostgreSQL server, dropped afterwards; skips
    the test when no server is named."""
    import os

    base = os.environ.get(TEST_DB_ENV)
    if not base:
        pytest.skip(f"{TEST_DB_ENV} is not set: PostgreSQL runs in the CI's second pass")
    base = _normalise(base)
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin_engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin_engine.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin_engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A schema of its own on the test PostgreSQL server, dropped when the session ends."""
    import os

    if not os.environ.get(TEST_DB_ENV):
        yield None
        return
    with new_postgres_schema("lagesbild_test") as url:
        yield url


@pytest.fixture(scope="session")
def _postgres_tables(postgres_url: str | None, tmp_path_factory: pytest.TempPathFactory) -> bool:
    """Create the tables once per session on PostgreSQL; each test then empties them."""
    if postgres_url is None:
        return False
    app = _make_app(postgres_url, tmp_path_factory.mktemp("instance"))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return True


class _CompiledTemplates(BytecodeCache):
    """Templates compiled once per test process and shared by every application the tests
    create (each has its own Jinja environment, which would compile every template it renders
    again). A template whose source changed is compiled anew: Jinja checks the source's checksum."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = _CompiledTemplates()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database with every table, made once per test process: each test starts
    on a copy of the file instead of creating the tables again."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "empty.db"
    app = _make_app(f"sqlite:///{path}", folder / "instance")
    with app.app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()  # the last connection closed: the write-ahead log is in the file
    return path


def _make_app(url: str, instance: Path, **overrides: object) -> Flask:
    config: dict[str, object] = {
        "TESTING": True,
        "ENVIRON": {"SECRET_KEY": "test-secret-key-not-for-production", "LAGESBILD_SECURE_COOKIES": "0"},
        "INSTANCE_PATH": str(instance),
        "SQLALCHEMY_DATABASE_URI": url,
        # One PBKDF2 round instead of scrypt (a quarter of a second per hash): honoured only
        # under TESTING, see app.services.users.hash_method.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
    }
    config.update(overrides)
    application = create_app(config)
    application.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    return application


def _empty_all_tables() -> None:
    names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    db.session.commit()


@pytest.fixture
def app(tmp_path: Path, postgres_url: str | None, _postgres_tables: bool,
        _sqlite_template: Path) -> Iterator[Flask]:
    """The application on an empty database with every table."""
    if not postgres_url:
        shutil.copyfile(_sqlite_template, tmp_path / "test.db")
    url = postgres_url or f"sqlite:///{tmp_path / 'test.db'}"
    application = _make_app(url, tmp_path / "instance")
    if postgres_url:
        with application.app_context():
            _empty_all_tables()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(client: FlaskClient) -> str:
    """The session's CSRF token, read from a page as a browser would (every page has one)."""
    page = client.get("/tillganglighet").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def post(client: FlaskClient, url: str, data: dict[str, object] | None = None, **kwargs: object):
    """POST a form with the session's CSRF token, the way a browser submits it."""
    payload = dict(data or {})
    payload.setdefault("csrf_token", csrf_token(client))
    return client.post(url, data=payload, **kwargs)


def login(client: FlaskClient, email: str, password: str = PASSWORD):
    return post(client, "/login", {"email": email, "password": password})


# --- factories -------------------------------------------------------------------------

DEFAULT_UNITS = (
    UnitRow("stad", "Teststad", "city"),
    UnitRow("soc", "Socialnämnden", "board", "stad"),
    UnitRow("sdn-norr", "Norra stadsdelsnämnden", "district_board", "stad"),
    UnitRow("sdn-syd", "Södra stadsdelsnämnden", "district_board", "stad"),
    UnitRow("bolag", "Stadens Bostäder AB", "company", "stad"),
)


def make_units(rows: tuple[UnitRow, ...] = DEFAULT_UNITS) -> None:
    with transaction() as session:
        import_units(session, list(rows))


def make_user(email: str, role: str, units: tuple[str, ...] = (), password: str = PASSWORD) -> int:
    with transaction() as session:
        return create_user(session, NewUser(email, role, password, "", units)).id


@pytest.fixture
def city(app: Flask) -> Flask:
    """The default units and one user per role: admin@, analyst@, editor@ (sdn-norr),
    reader@ (sdn-norr) and other@ (an editor of sdn-syd)."""
    with app.app_context():
        make_units()
        make_user("admin@test.se", "admin")
        make_user("analyst@test.se", "analyst")
        make_user("editor@test.se", "unit_editor", ("sdn-norr",))
        make_user("reader@test.se", "unit_reader", ("sdn-norr",))
        make_user("other@test.se", "unit_editor", ("sdn-syd",))
    return app


@pytest.fixture
def survey(city: Flask) -> Flask:
    """An open round of the shipped staff survey inviting four units (tests/test_survey.py)."""
    from tests.test_survey import open_survey_round

    return open_survey_round(city)


@pytest.fixture
def as_role(city: Flask):
    """as_role('admin') -> a client logged in as that role's user of the `city` fixture."""
    emails = {"admin": "admin@test.se", "analyst": "analyst@test.se", "unit_editor": "editor@test.se",
              "unit_reader": "reader@test.se", "other_editor": "other@test.se"}

    def _client(role: str) -> FlaskClient:
        client = city.test_client()
        if role != "anonymous":
            response = login(client, emails[role])
            assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _client
