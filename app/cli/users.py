"""`lagesbild users`: create and list accounts, and end their sessions."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.cli import fail, print_json
from app.extensions import db
from app.models import ROLES, User
from app.services import ServiceError, sessions, transaction
from app.services.users import NewUser, create_user, normalise_email


@click.group("users", help="Accounts of the city office and the units.")
def users_group() -> None:
    pass


@users_group.command("create")
@click.option("--email", required=True, help="The login e-mail address.")
@click.option("--role", required=True, help=f"One of: {', '.join(ROLES)}.")
@click.option("--unit", "units", multiple=True, help="Unit key (repeat for several); unit roles need one.")
@click.option("--name", default="", help="The person's name.")
@click.option("--password", envvar="LAGESBILD_NEW_PASSWORD", help="Default: asked for at the prompt.")
@with_appcontext
def create(email: str, role: str, units: tuple[str, ...], name: str, password: str | None) -> None:
    """Create a user; the password is asked for unless given."""
    if role not in ROLES:
        fail(f"unknown role '{role}' (expected one of {', '.join(ROLES)})")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with transaction() as session:
            user = create_user(session, NewUser(email, role, password, name, units))
    except ServiceError as error:
        fail("; ".join(str(p) for p in error.problems))
    click.echo(f"Created {user.email} ({user.role})")


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@with_appcontext
def list_users(as_json: bool) -> None:
    users = db.session.scalars(select(User).order_by(User.email)).all()
    if as_json:
        print_json({"key": u.email, "name": u.name or u.email, "email": u.email, "role": u.role,
                    "units": [x.key for x in u.units], "active": u.active} for u in users)
        return
    for user in users:
        units = ",".join(u.key for u in user.units)
        click.echo(f"{user.email}\t{user.role}\t{units}\t{'active' if user.active else 'inactive'}")


@users_group.command("end-sessions")
@click.argument("email")
@with_appcontext
def end_sessions(email: str) -> None:
    """Log a user out everywhere (a lost laptop, a role taken away); written to the audit log."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        fail(f"no user with the e-mail address {email}")
    with transaction() as session:
        ended = sessions.end_all_by(session, user, actor=None)
    click.echo(f"Ended {ended} session(s) of {user.email}")
