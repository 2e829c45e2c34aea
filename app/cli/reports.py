"""`lagesbild report`: a report as a PDF file, for scheduled jobs and the city office."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from app.cli import fail
from app.extensions import db
from app.reports.unit_report import ReportNotFound, build_unit_report
from app.reports.unit_report_pdf import render_unit_pdf


@click.command("report")
@click.argument("round_key")
@click.option("--unit", "unit_key", help="The unit's key: its own report on the round.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The PDF file to write.")
@with_appcontext
def report_command(round_key: str, unit_key: str | None, output: Path) -> None:
    """Write the report on ROUND as a PDF: the unit's report with --unit, else the city-wide
    lägesbild."""
    if not unit_key:
        from app.reports.city_report import build_city_report, render_city_pdf

        try:
            city = build_city_report(db.session, round_key)
        except ReportNotFound as error:
            fail("; ".join(str(problem.message) for problem in error.problems))
            return
        _write(output, render_city_pdf(city))
        return
    try:
        report = build_unit_report(db.session, round_key, unit_key or "")
    except ReportNotFound as error:
        fail("; ".join(str(problem.message) for problem in error.problems))
    _write(output, render_unit_pdf(report))


def _write(output: Path, data: bytes) -> None:
    try:
        output.write_bytes(data)
    except OSError as error:
        fail(f"{output}: {error.strerror}")
    click.echo(f"Wrote {output} ({len(data)} bytes)")
