"""`lagesbild questionnaires`: check definition files, preview one as read, print the JSON
Schema, load them.

`check`, `preview` and `schema` need no database and no application: they run in CI and in an
editor.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import click
from flask import current_app, has_app_context
from flask.cli import with_appcontext

from app.config import questionnaires_dir
from app.definitions.jsonschema import json_schema
from app.definitions.validate import CheckResult, check_paths

EXIT_INVALID = 1
EXIT_NO_SUCH_PATH = 2


@click.group("questionnaires", help="Questionnaire definitions (YAML).")
def questionnaires_group() -> None:
    pass


def default_folder() -> Path:
    """The configured questionnaires folder, read without creating an application if need be."""
    if has_app_context():
        return Path(current_app.config["QUESTIONNAIRES_DIR"])
    return Path(questionnaires_dir())


def _existing_paths(paths: Sequence[Path]) -> list[Path]:
    chosen = list(paths) or [default_folder()]
    missing = [path for path in chosen if not path.exists()]
    for path in missing:
        click.echo(f"{path}: no such file or folder", err=True)
    if missing:
        raise SystemExit(EXIT_NO_SUCH_PATH)
    return chosen


def _print_results(results: list[CheckResult]) -> int:
    """Print `OK file` or one line per error; return how many files are invalid."""
    invalid = 0
    for result in results:
        if result.ok:
            click.echo(f"OK {result.filename}")
            continue
        invalid += 1
        for error in result.errors:
            click.echo(error.format())
    return invalid


@questionnaires_group.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def check_command(paths: tuple[Path, ...]) -> None:
    """Check PATHS (files or folders; default: the questionnaires folder) and report every error.

    Exit status: 0 when every file is valid, 1 when one is not, 2 when a path does not exist.
    """
    results = check_paths(_existing_paths(paths))
    if not results:
        click.echo("no questionnaire files (*.yaml, *.yml) found", err=True)
        raise SystemExit(EXIT_INVALID)
    invalid = _print_results(results)
    if invalid:
        errors = sum(len(result.errors) for result in results)
        click.echo(f"{errors} error(s) in {invalid} of {len(results)} file(s)", err=True)
        raise SystemExit(EXIT_INVALID)


@questionnaires_group.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the questionnaire format (for editors' autocompletion)."""
    click.echo(json.dumps(json_schema(), ensure_ascii=False, indent=2))


@questionnaires_group.command("preview")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def preview_command(path: Path) -> None:
    """Check the file PATH and print the questionnaire as the application reads it (JSON, with
    every default filled in, å, ä and ö as themselves), or its errors.

    Exit status: 0 when the file is valid, 1 when it is not, 2 when it does not exist.
    """
    (result,) = check_paths([path])
    if not result.ok or result.definition is None:
        _print_results([result])
        raise SystemExit(EXIT_INVALID)
    data = result.definition.model_dump(mode="json", by_alias=True)
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@questionnaires_group.command("load")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@with_appcontext
def load_command(paths: tuple[Path, ...]) -> None:
    """Check PATHS and, when all are valid, store each as a new version if its content changed."""
    from app.services import ServiceError
    from app.services.questionnaires import load_folder

    try:
        report = load_folder(_existing_paths(paths))
    except ServiceError as error:
        click.echo(f"Error: {error}", err=True)
        raise SystemExit(EXIT_INVALID) from None
    if not report.ok:
        _print_results(report.results)
        click.echo("nothing was loaded: fix the errors above", err=True)
        raise SystemExit(EXIT_INVALID)
    for stored in report.stored:
        state = "new version" if stored.created else "unchanged, version"
        click.echo(f"OK {stored.source_name}: {stored.key} {state} {stored.number}")
