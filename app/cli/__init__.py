"""The `lagesbild` command: Flask's CLI group with the application's commands added."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import NoReturn

import click
from flask import Flask
from flask.cli import FlaskGroup


def register_commands(app: Flask) -> None:
    from app.cli.demo import demo_command
    from app.cli.export import export_command
    from app.cli.questionnaires import questionnaires_group
    from app.cli.reports import report_command
    from app.cli.retention import purge_command, retain_command
    from app.cli.rounds import rounds_group
    from app.cli.survey import survey_group
    from app.cli.units import units_group
    from app.cli.users import users_group

    app.cli.add_command(export_command)
    for command in (users_group, units_group, questionnaires_group, rounds_group, report_command,
                    demo_command, survey_group):
        app.cli.add_command(command)
    for command in (retain_command, purge_command):
        rounds_group.add_command(command)


def print_json(objects: Iterable[dict[str, object]]) -> None:
    """Print a JSON array of objects, the format every `list --json` shares."""
    click.echo(json.dumps(list(objects), ensure_ascii=False, indent=2, default=str))


def fail(message: object) -> NoReturn:
    """Print a one-line error and exit non-zero."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def _create_app():
    from app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False,
             load_dotenv=False, help="Lägesbild: self-assessments, risk analyses and staff surveys.")
def main() -> None:
    pass
