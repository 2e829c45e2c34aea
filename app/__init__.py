"""Lägesbild: the application factory."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from flask import Flask, g, has_request_context, request
from flask.typing import ResponseReturnValue
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import PROJECT_ROOT, load_config
from app.extensions import babel, csrf, db, login_manager, migrate
from app.session_cookie import SessionInterface


class Lagesbild(Flask):
    """Flask, with a request whose database connection turns out to have dropped (a database
    restart, a connection killed by an operator or a proxy) run once more, on a new
    connection, when it has not tried to commit anything yet: whatever it did is undone with
    the transaction that died with the connection. Connections are not pinged on every
    checkout instead (a round trip per request): a dropped one is found by its first use,
    which invalidates it and every other connection of the pool opened before it."""

    def dispatch_request(self) -> ResponseReturnValue:
        try:
            return super().dispatch_request()
        except DBAPIError as error:
            if not error.connection_invalidated or g.get(_COMMITTING):
                raise
            self.logger.warning("Database connection dropped on %s %s; the request runs again",
                                request.method, request.path)
        db.session.remove()
        g.pop("_login_user", None)  # the signed-in user was loaded through the old connection
        return super().dispatch_request()


_COMMITTING = "_lagesbild_committing"  # set in `g` once the request has sent a COMMIT


def create_app(config: Mapping[str, object] | None = None) -> Flask:
    """Build the application; `config` overrides settings read from the environment."""
    # The instance folder (secret key, embedded database, the demo's logins): the project's own,
    # or the one `config` names, for the settings and for everything else that keeps files there.
    instance_path = Path(str(config["INSTANCE_PATH"])) if config and "INSTANCE_PATH" in config \
        else PROJECT_ROOT / "instance"
    app = Lagesbild(
        __name__,
        instance_path=str(instance_path),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder="static",
    )
    # JSON that people read (the preview's answers, an audit entry's details) shows å, ä and ö
    # as themselves, not as \u00e5 escapes; pages and responses are UTF-8 anyway.
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.session_interface = SessionInterface()
    env = config.get("ENVIRON") if config else None
    app.config.from_mapping(load_config(instance_path, env))  # type: ignore[arg-type]
    if config:
        app.config.from_mapping({k: v for k, v in config.items() if k not in {"ENVIRON"}})
    configure_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_cli(app)
    register_errorhandlers(app)
    register_request_hooks(app)
    from app.services import users

    with app.app_context():
        # The hash a login for an unknown account is checked against, made now rather than at
        # the first such login (which would take twice as long as the rest: a timing signal).
        users.warm_dummy_hash()
    if app.config["TRUST_PROXY"]:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=app.config["TRUST_PROXY"], x_proto=app.config["TRUST_PROXY"]
        )
    return app


def configure_logging(app: Flask) -> None:
    from app.security import QueryStringFilter, ResultRowFilter

    app.logger.setLevel(app.config["LOG_LEVEL"])
    # Werkzeug's access log prints the request line; survey routes carry codes in it.
    logging.getLogger("werkzeug").addFilter(QueryStringFilter())
    # SQLAlchemy logs result rows at DEBUG: answers and code hashes never reach a log.
    for name in ("sqlalchemy.engine.Engine", "sqlalchemy.engine"):
        logging.getLogger(name).addFilter(ResultRowFilter())


def register_extensions(app: Flask) -> None:
    from app import i18n
    from app.models import User  # noqa: F401  (every model registered before Alembic looks)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _configure_sqlite(db.engine)
        event.listen(db.engine, "commit", _on_commit)


def _on_commit(_connection: Connection) -> None:
    """Note that the request has sent a COMMIT: from then on it is not run again (see Lagesbild)."""
    if has_request_context():
        g.setdefault(_COMMITTING, True)


def _configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout and immediate write transactions, so concurrent saves queue up
    while reads never wait for them; `secure_delete`, so that a deleted survey draft's bytes
    do not stay in the file."""
    from app.services import writing
    from app.sqlite_writers import WAIT_SECONDS, QueuedConnection, begin_writing

    engine.pool.dispose()

    @event.listens_for(engine, "do_connect")
    def _queued(_dialect, _record, _args, parameters):
        # Writers queue for the write lock instead of polling for it (app/sqlite_writers.py).
        parameters["factory"] = QueuedConnection

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # pysqlite's own transaction handling is turned off so that BEGIN IMMEDIATE is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(WAIT_SECONDS * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Only `transaction()` writes: it takes the write lock when it begins (and waits for
        # it). Any other transaction reads, from a snapshot, without waiting for writers; one
        # that has only read is begun again IMMEDIATE when `transaction()` starts inside it.
        immediate = writing.get()
        if immediate:
            begin_writing(connection)
        else:
            connection.exec_driver_sql("BEGIN")
        connection.info["sqlite_writing"] = immediate
        connection.info["sqlite_changes"] = connection.connection.driver_connection.total_changes


def register_blueprints(app: Flask) -> None:
    from app.views import register_views

    register_views(app)


def register_template_helpers(app: Flask) -> None:
    from app.templating import register_template_helpers as register

    register(app)


def register_cli(app: Flask) -> None:
    from app.cli import register_commands

    register_commands(app)


def register_errorhandlers(app: Flask) -> None:
    from app.views.errors import register_error_pages

    register_error_pages(app)


def register_request_hooks(app: Flask) -> None:
    from app.security import register_security

    register_security(app)
