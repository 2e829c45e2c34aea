"""`lagesbild demo`: upgrade the database, load the questionnaires, build the demo city, serve."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import inspect
from werkzeug.serving import run_simple

from app.demo.build import build_demo
from app.demo.synthetic import SyntheticSpec, build_synthetic
from app.extensions import db
from app.services.questionnaires import load_folder


def _upgrade_database(app: Flask) -> None:
    """Bring the schema up to date with Alembic. A database that Alembic does not manage but
    that already has the tables (a throwaway test database made with `create_all`) is left as
    it is; every real database is made by `upgrade` and so always has `alembic_version`."""
    tables = set(inspect(db.engine).get_table_names())
    if tables and "alembic_version" not in tables:
        return
    upgrade(directory=app.extensions["migrate"].directory)


@click.command("demo")
@click.option("--no-serve", is_flag=True, help="Only build the data; do not start the server.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--units", type=click.IntRange(min=4),
              help="Build a synthetic city of this many units instead of the demo city (for benchmarks).")
@click.option("--respondents", type=click.IntRange(min=0), help="Synthetic city: survey responses per round.")
@click.option("--rounds", type=click.IntRange(min=1), help="Synthetic city: yearly rounds, the last one open.")
@click.option("--seed", type=int, help="Synthetic city: the same seed builds the same city.")
@with_appcontext
def demo_command(no_serve: bool, host: str, port: int, units: int | None, respondents: int | None,
                 rounds: int | None, seed: int | None) -> None:
    """Build the demonstration city (once) and serve it on http://HOST:PORT."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if units is None and (respondents, rounds, seed) != (None, None, None):
        raise click.UsageError("--respondents, --rounds and --seed describe a synthetic city: give --units too")
    _upgrade_database(app)
    report = load_folder([Path(app.config["QUESTIONNAIRES_DIR"])])
    if report.errors:
        raise click.ClickException("the questionnaires are not valid: run `lagesbild questionnaires check`")
    if units is not None:
        spec = SyntheticSpec(units=units, respondents=1000 if respondents is None else respondents,
                             rounds=rounds or 2, seed=1 if seed is None else seed)
        _synthetic(app, spec)
    else:
        _demo(app)
    # The command's own connection must not hold SQLite's write lock while the server runs.
    db.session.remove()
    if no_serve:
        return
    # The demo is served over plain http on this machine: a Secure cookie would never be sent.
    app.config["SESSION_COOKIE_SECURE"] = False
    click.echo(f"Open http://{host}:{port}/ (Ctrl+C stops the server)")
    # Not app.run(): Flask ignores it inside a `flask`-based CLI command.
    run_simple(host, port, app, use_reloader=False, use_debugger=False, threaded=True)


def _synthetic(app: Flask, spec: SyntheticSpec) -> None:
    logins_file = Path(app.instance_path) / "synthetic-logins.txt"
    built = build_synthetic(logins_file, spec)
    if built.units:
        click.echo(f"Synthetic city: {built.units} units, rounds {', '.join(built.rounds)}, "
                   f"{built.submitted} self-assessments, {built.registers} risk registers, "
                   f"{built.responses} survey responses")
    else:
        click.echo("The synthetic city exists already; nothing was built.")
    for email, role, password in built.logins:
        click.echo(f"  {role:<12} {email}  password: {password}")


def _demo(app: Flask) -> None:
    logins_file = Path(app.instance_path) / "demo-logins.txt"
    built = build_demo(logins_file, str(app.config["SECRET_KEY"]))
    for key in built.rounds_created:
        click.echo(f"Created round {key}")
    for key in built.surveys_created:
        click.echo(f"Answered the staff survey of {key}")
    click.echo("Lägesbild demo is ready. Logins:")
    for login in built.logins:
        units = f" ({', '.join(login.units)})" if login.units else ""
        click.echo(f"  {login.role:<12} {login.email}  password: {login.password}{units}")
    click.echo(f"Every invited unit also has an editor of its own; their passwords are in {logins_file}")
