"""`lagesbild units`: import the unit tree from CSV and list it."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.cli import fail, print_json
from app.extensions import db
from app.services import ServiceError, transaction
from app.services.units import import_problems, import_units, parse_csv, unit_tree


@click.group("units", help="The organisation's units.")
def units_group() -> None:
    pass


@units_group.command("import")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def import_command(csv_file: Path) -> None:
    """Create units from CSV_FILE (columns key, name, kind, parent); all or nothing."""
    if not csv_file.exists():
        fail(f"{csv_file}: no such file")
    if csv_file.stat().st_size > current_app.config["MAX_CONTENT_LENGTH"]:
        fail(f"{csv_file}: larger than {current_app.config['MAX_CONTENT_LENGTH']} bytes")
    try:
        text = csv_file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"{csv_file}: not UTF-8 text")
    rows, problems = parse_csv(text)
    # Checked before the transaction: only writing the rows holds the write lock.
    problems = problems or import_problems(db.session, rows)
    if problems:
        fail(f"{csv_file}: " + "; ".join(str(p) for p in problems))
    try:
        with transaction() as session:
            created = import_units(session, rows)
    except ServiceError as error:
        fail(f"{csv_file}: " + "; ".join(str(p) for p in error.problems))
    click.echo(f"Imported {len(created)} units from {csv_file}")


@units_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@with_appcontext
def list_command(as_json: bool) -> None:
    tree = unit_tree(db.session)
    if as_json:
        print_json({"key": n.unit.key, "name": n.unit.name, "kind": n.unit.kind,
                    "parent": n.unit.parent.key if n.unit.parent else None,
                    "active": n.unit.active} for n in tree)
        return
    for node in tree:
        flag = "" if node.unit.active else "  (inactive)"
        click.echo(f"{'  ' * node.depth}{node.unit.key}\t{node.unit.name}\t{node.unit.kind}{flag}")
