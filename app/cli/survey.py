"""`lagesbild survey`: maintenance of the anonymous staff survey's storage."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.services import transaction
from app.services.survey_storage import reorder_survey_tables


@click.group("survey", help="The anonymous staff survey.")
def survey_group() -> None:
    pass


@survey_group.command("reshuffle")
@with_appcontext
def reshuffle_command() -> None:
    """Rewrite the survey tables in random-id order (PostgreSQL), so that row order on disk says
    nothing about the order of answering. Closing a survey round does this too."""
    with transaction() as session:
        tables = reorder_survey_tables(session)
    if tables:
        click.echo("rewritten in random-id order: " + ", ".join(tables))
    else:
        click.echo("nothing to do: on SQLite the survey tables are always stored in random-id order")
