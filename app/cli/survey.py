"""`lagesbild survey`: maintenance of the anonymous staff survey's storage."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.cli import fail
from app.models import Round
from app.services import transaction
from app.services.survey import recount
from app.services.survey_storage import reshuffle_survey_tables


@click.group("survey", help="The anonymous staff survey.")
def survey_group() -> None:
    pass


@survey_group.command("reshuffle")
@with_appcontext
def reshuffle_command() -> None:
    """Rewrite the survey tables (PostgreSQL): every row in one transaction, then in random-id
    order, so that neither transaction ids nor row order say anything about the order of
    answering. Closing a survey round does this too."""
    tables = reshuffle_survey_tables()
    if tables:
        click.echo("rewritten in one transaction and in random-id order: " + ", ".join(tables))
    else:
        click.echo("nothing to do: on SQLite the survey tables are always stored in random-id order")


@survey_group.command("recount")
@click.argument("round_key", required=False)
@click.option("--repair", is_flag=True, help="Rewrite the counts that differ from the answers.")
@with_appcontext
def recount_command(round_key: str | None, repair: bool) -> None:
    """Check that the survey counts the results read equal the stored answers, for ROUND or
    every round with a survey; exit 1 when some differ (and --repair was not given). Prints how
    many counts differ, never a figure."""
    with transaction() as session:
        query = select(Round).order_by(Round.year, Round.key)
        if round_key is not None:
            query = query.where(Round.key == round_key)
        rounds = [r for r in session.scalars(query) if r.version_of_kind("survey") is not None]
        if round_key is not None and not rounds:
            fail(f"no survey round '{round_key}'")
        differing = {r.key: recount(session, r, repair=repair) for r in rounds}
    for key, n in differing.items():
        if not n:
            click.echo(f"{key}: the counts equal the answers")
        else:
            rewritten = "; rewritten from the answers" if repair else ""
            click.echo(f"{key}: {n} counts differ from the answers{rewritten}")
    if not repair and any(differing.values()):
        fail("run `lagesbild survey recount --repair` to rewrite them from the answers")
