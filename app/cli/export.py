"""`lagesbild export`: the city-wide exports (docs/bi-export.md) for scheduled jobs."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from app.cli import fail
from app.extensions import db
from app.reports.city_export import FORMATS, WHATS, export
from app.reports.unit_report import ReportNotFound
from app.services import ServiceError, audit, transaction


@click.command("export")
@click.argument("round_key")
@click.option("--what", type=click.Choice(WHATS), required=True, help="What to export.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write (default: standard output).")
@with_appcontext
def export_command(round_key: str, what: str, fmt: str, output: Path | None) -> None:
    """Export ROUND's self-assessments, survey results, risks or the units' raw answers for BI
    tools; survey figures honour the round's anonymity threshold."""
    try:
        found = export(db.session, round_key, what, fmt)
    except (ReportNotFound, ServiceError) as error:
        fail("; ".join(str(problem.message) for problem in error.problems))
        return
    with transaction() as session:
        audit.record(session, audit.EXPORT_ACTION, actor_label="cli", target=f"lagesbild:{round_key}:{what}",
                     format=fmt)
    if output is None:
        click.echo(found.data, nl=False)  # bytes go to stdout unchanged
        return
    try:
        output.write_bytes(found.data)
    except OSError as error:
        fail(f"{output}: {error.strerror}")
    click.echo(f"Wrote {output} ({len(found.data)} bytes)")
