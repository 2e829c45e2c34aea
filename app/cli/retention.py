"""`lagesbild rounds retain` and `lagesbild rounds purge`: a round's retention date and the
deletion (gallring) of answers whose retention date has passed."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext

from app.cli import fail
from app.services import ServiceError, audit, transaction
from app.services.retention import purge_expired
from app.services.rounds import get_round


@click.command("retain")
@click.argument("round_key", metavar="ROUND")
@click.argument("until", metavar="DATE", required=False)
@click.option("--clear", is_flag=True, help="Remove the retention date (keep the answers).")
@with_appcontext
def retain_command(round_key: str, until: str | None, clear: bool) -> None:
    """Set the date (YYYY-MM-DD) after which ROUND's answers may be purged."""
    if (until is None) == (not clear):
        fail("give a DATE or --clear")
    try:
        retain_until = None if clear else date.fromisoformat(until or "")
    except ValueError:
        fail(f"not a date: '{until}' (write YYYY-MM-DD)")
        return
    try:
        with transaction() as session:
            round_ = get_round(session, round_key)
            before = round_.retain_until
            round_.retain_until = retain_until
            audit.record(session, "round.retention", actor_label="lagesbild rounds retain", target=round_.key,
                         before=before.isoformat() if before else None,
                         after=retain_until.isoformat() if retain_until else None)
    except ServiceError as error:
        fail(error)
        return
    click.echo(f"{round_key}: kept until {retain_until.isoformat() if retain_until else '(no date)'}")


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Only print what would be deleted.")
@with_appcontext
def purge_command(dry_run: bool) -> None:
    """Delete the answers of closed or archived rounds whose retention date has passed.

    One transaction for everything: unit responses and their history, survey responses,
    answers, free texts, drafts, access codes and decline tallies. Open rounds are refused.
    """
    with transaction() as session:
        purges = purge_expired(session, date.today(), dry_run=dry_run)
        if dry_run:
            session.rollback()
    if not purges:
        click.echo("No round has passed its retention date.")
    verb = "would delete" if dry_run else "deleted"
    for purge in purges:
        if purge.counts is None:
            click.echo(f"{purge.round_key}\trefused: {purge.refusal}", err=True)
            continue
        detail = ", ".join(f"{kind} {n}" for kind, n in purge.counts.as_dict().items())
        click.echo(f"{purge.round_key}\t{verb} {purge.counts.total} rows (kept until "
                   f"{purge.retain_until.isoformat()}): {detail}")
    if any(p.counts is None for p in purges):
        raise SystemExit(1)
