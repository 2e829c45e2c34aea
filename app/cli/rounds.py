"""`lagesbild rounds`: list the review rounds and follow each invited unit's status."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext

from app.cli import fail, print_json
from app.extensions import db
from app.formatting import format_datetime, format_iso_time
from app.services import ServiceError
from app.services.rounds import get_round, list_rounds, round_status


def _iso_time(value: datetime | None) -> str | None:
    """For --json: Stockholm time with its UTC offset, or null."""
    return format_iso_time(value) or None


def _time(value: datetime | None) -> str:
    """For people: "2026-11-28 14:05 CET", as the pages show it; "-" when there is none."""
    return format_datetime(value) if value is not None else "-"


@click.group("rounds", help="Review rounds and the units' answers.")
def rounds_group() -> None:
    pass


@rounds_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@with_appcontext
def list_command(as_json: bool) -> None:
    """Every round, newest year first."""
    rounds = list_rounds(db.session)
    if as_json:
        print_json({"key": r.key, "name": r.name, "status": r.status, "year": r.year,
                    "opens_on": r.opens_on, "due_on": r.due_on} for r in rounds)
        return
    for r in rounds:
        click.echo(f"{r.key}\t{r.year}\t{r.status}\t{r.name}")


@rounds_group.command("status")
@click.argument("round_key", metavar="ROUND")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per invited unit.")
@with_appcontext
def status_command(round_key: str, as_json: bool) -> None:
    """Each invited unit's status: not_started, draft, submitted or reopened."""
    try:
        round_ = get_round(db.session, round_key)
    except ServiceError:
        fail(f"unknown round '{round_key}'")
        return
    status = round_status(db.session, round_)
    if as_json:
        print_json({"unit": u.unit_key, "name": u.unit_name, "status": u.status,
                    "last_change_at": _iso_time(u.last_change_at), "last_change_by": u.last_change_by,
                    "submitted_at": _iso_time(u.submitted_at)} for u in status.units)
        return
    for u in status.units:
        click.echo(f"{u.unit_key}\t{u.status}\t{_time(u.last_change_at)}\t{u.last_change_by or '-'}\t{u.unit_name}")
    click.echo("  ".join(f"{name}: {count}" for name, count in status.counts.items()))
